/*
 * Batched UDP I/O for the RADIUS listeners: recvmmsg/sendmmsg on a socket of our own, watched by
 * the Node event loop (libuv poll), driven from JavaScript through Node-API.
 *
 * Why: on a virtual machine each syscall and each crossing from C++ into JavaScript is expensive.
 * node:dgram pays one recvmsg, one JavaScript callback, one Buffer and one address object per
 * datagram, and one sendmsg plus a write request per reply. Here one readable event reads up to
 * `batch` datagrams with one recvmmsg and makes one call into JavaScript; replies are collected
 * by JavaScript and written with one sendmmsg per event-loop turn.
 *
 * Memory is owned by JavaScript: the receive and send slots and their metadata are buffers that
 * JavaScript allocates and passes to open(); this file only reads and writes them.
 *
 * Slot metadata, SLOT_META int32 per slot:
 *   [0] length (receive: bytes read; send: bytes to write)
 *   [1] port
 *   [2] address family, 4 or 6
 *   [3] flags (receive): 1 = datagram was longer than the slot and truncated
 *   [4] age in microseconds (receive): now - kernel arrival timestamp (SO_TIMESTAMPNS), -1 unknown
 *   [8..11] address, 4 octets (IPv4) or 16 octets (IPv6), network order
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define SLOT_META 16
#define CMSG_BYTES 64

typedef struct {
  int fd;
  int family;
  int batch;
  int slot_size;
  int closing;
  uv_poll_t poll;
  napi_env env;
  napi_ref on_batch;
  napi_ref keep[4]; /* the JavaScript buffers below, kept alive */
  napi_async_context actx;
  uint8_t *rbuf;
  int32_t *rmeta;
  uint8_t *sbuf;
  int32_t *smeta;
  struct mmsghdr *rmsgs;
  struct mmsghdr *smsgs;
  struct iovec *riov;
  struct iovec *siov;
  struct sockaddr_storage *raddr;
  struct sockaddr_storage *saddr;
  uint8_t *cmsg;
} sock_t;

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, "ERR_UDP_MMSG", "Node-API call failed: " #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "ERR_UDP_MMSG", msg);
  return NULL;
}

static int64_t realtime_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void free_sock(sock_t *s) {
  free(s->rmsgs);
  free(s->smsgs);
  free(s->riov);
  free(s->siov);
  free(s->raddr);
  free(s->saddr);
  free(s->cmsg);
  free(s);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)events;
  sock_t *s = (sock_t *)h->data;
  if (s->closing) return;
  int n;
  if (status < 0) {
    n = status; /* a libuv error code (negative errno); JavaScript reports it */
  } else {
    for (int i = 0; i < s->batch; i++) {
      struct msghdr *m = &s->rmsgs[i].msg_hdr;
      m->msg_namelen = sizeof(struct sockaddr_storage);
      m->msg_controllen = CMSG_BYTES;
      m->msg_flags = 0;
    }
    n = recvmmsg(s->fd, s->rmsgs, (unsigned)s->batch, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      n = -errno;
    } else if (n == 0) {
      return;
    } else {
      int64_t now = realtime_us();
      for (int i = 0; i < n; i++) {
        int32_t *meta = s->rmeta + i * SLOT_META;
        struct msghdr *m = &s->rmsgs[i].msg_hdr;
        meta[0] = (int32_t)s->rmsgs[i].msg_len;
        meta[3] = (m->msg_flags & MSG_TRUNC) ? 1 : 0;
        meta[4] = -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            int64_t age = now - ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
            meta[4] = age < 0 ? 0 : (age > 2000000000 ? 2000000000 : (int32_t)age);
          }
        }
        struct sockaddr_storage *a = &s->raddr[i];
        if (a->ss_family == AF_INET) {
          struct sockaddr_in *a4 = (struct sockaddr_in *)a;
          meta[1] = ntohs(a4->sin_port);
          meta[2] = 4;
          memcpy(meta + 8, &a4->sin_addr, 4);
        } else {
          struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)a;
          meta[1] = ntohs(a6->sin6_port);
          meta[2] = 6;
          memcpy(meta + 8, &a6->sin6_addr, 16);
        }
      }
    }
  }
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, arg;
  if (napi_get_reference_value(env, s->on_batch, &cb) == napi_ok && napi_get_global(env, &recv) == napi_ok &&
      napi_create_int32(env, n, &arg) == napi_ok) {
    napi_status st = napi_make_callback(env, s->actx, recv, cb, 1, &arg, NULL);
    if (st == napi_pending_exception) {
      napi_value e;
      napi_get_and_clear_last_exception(env, &e);
      napi_fatal_exception(env, e);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void on_close(uv_handle_t *h) {
  sock_t *s = (sock_t *)h->data;
  close(s->fd);
  free_sock(s);
}

static int get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (is_ta) {
    napi_typedarray_type t;
    size_t count, offset;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &t, &count, data, &ab, &offset) != napi_ok) return -1;
    size_t width = (t == napi_int32_array || t == napi_uint32_array) ? 4 : 1;
    *len = count * width;
    return 0;
  }
  return napi_get_buffer_info(env, v, data, len) == napi_ok ? 0 : -1;
}

/* open(family, host, port, rcvbuf, sndbuf, batch, slotSize, rbuf, rmeta, sbuf, smeta, onBatch) -> handle */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 12) {
    napi_throw_type_error(env, "ERR_UDP_MMSG", "open: 12 arguments expected");
    return NULL;
  }
  int32_t family, port, rcvbuf, sndbuf, batch, slot;
  char host[64];
  size_t hostlen;
  CHECK(napi_get_value_int32(env, argv[0], &family));
  CHECK(napi_get_value_string_utf8(env, argv[1], host, sizeof host, &hostlen));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  CHECK(napi_get_value_int32(env, argv[3], &rcvbuf));
  CHECK(napi_get_value_int32(env, argv[4], &sndbuf));
  CHECK(napi_get_value_int32(env, argv[5], &batch));
  CHECK(napi_get_value_int32(env, argv[6], &slot));
  if ((family != 4 && family != 6) || port < 0 || port > 65535 || batch < 1 || batch > 1024 || slot < 20 || slot > 65536) {
    napi_throw_range_error(env, "ERR_UDP_MMSG", "open: bad family, port, batch or slot size");
    return NULL;
  }
  void *bufs[4];
  size_t lens[4];
  for (int i = 0; i < 4; i++) {
    if (get_bytes(env, argv[7 + i], &bufs[i], &lens[i]) != 0) {
      napi_throw_type_error(env, "ERR_UDP_MMSG", "open: slots must be Buffers or Int32Arrays");
      return NULL;
    }
  }
  size_t need_buf = (size_t)batch * (size_t)slot, need_meta = (size_t)batch * SLOT_META * 4;
  if (lens[0] < need_buf || lens[2] < need_buf || lens[1] < need_meta || lens[3] < need_meta) {
    napi_throw_range_error(env, "ERR_UDP_MMSG", "open: slot buffers too small for batch x slot size");
    return NULL;
  }

  struct sockaddr_storage bind_addr;
  socklen_t bind_len;
  memset(&bind_addr, 0, sizeof bind_addr);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)&bind_addr;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return throw_errno(env, "open: not an IPv4 address", EINVAL);
    bind_len = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&bind_addr;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return throw_errno(env, "open: not an IPv6 address", EINVAL);
    bind_len = sizeof *a;
  }
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1, zero = 0;
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero); /* as node:dgram: dual stack */
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (bind(fd, (struct sockaddr *)&bind_addr, bind_len) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }

  sock_t *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return throw_errno(env, "open", ENOMEM);
  }
  s->fd = fd;
  s->family = family;
  s->batch = batch;
  s->slot_size = slot;
  s->env = env;
  s->rbuf = bufs[0];
  s->rmeta = bufs[1];
  s->sbuf = bufs[2];
  s->smeta = bufs[3];
  s->rmsgs = calloc((size_t)batch, sizeof *s->rmsgs);
  s->smsgs = calloc((size_t)batch, sizeof *s->smsgs);
  s->riov = calloc((size_t)batch, sizeof *s->riov);
  s->siov = calloc((size_t)batch, sizeof *s->siov);
  s->raddr = calloc((size_t)batch, sizeof *s->raddr);
  s->saddr = calloc((size_t)batch, sizeof *s->saddr);
  s->cmsg = calloc((size_t)batch, CMSG_BYTES);
  if (!s->rmsgs || !s->smsgs || !s->riov || !s->siov || !s->raddr || !s->saddr || !s->cmsg) {
    close(fd);
    free_sock(s);
    return throw_errno(env, "open", ENOMEM);
  }
  for (int i = 0; i < batch; i++) {
    s->riov[i].iov_base = s->rbuf + (size_t)i * (size_t)slot;
    s->riov[i].iov_len = (size_t)slot;
    s->rmsgs[i].msg_hdr.msg_iov = &s->riov[i];
    s->rmsgs[i].msg_hdr.msg_iovlen = 1;
    s->rmsgs[i].msg_hdr.msg_name = &s->raddr[i];
    s->rmsgs[i].msg_hdr.msg_control = s->cmsg + (size_t)i * CMSG_BYTES;
    s->siov[i].iov_base = s->sbuf + (size_t)i * (size_t)slot;
    s->smsgs[i].msg_hdr.msg_iov = &s->siov[i];
    s->smsgs[i].msg_hdr.msg_iovlen = 1;
    s->smsgs[i].msg_hdr.msg_name = &s->saddr[i];
  }
  int ok = napi_create_reference(env, argv[11], 1, &s->on_batch) == napi_ok;
  for (int i = 0; ok && i < 4; i++) ok = napi_create_reference(env, argv[7 + i], 1, &s->keep[i]) == napi_ok;
  napi_value name, resource;
  ok = ok && napi_create_string_utf8(env, "carrier-aaa:udp", NAPI_AUTO_LENGTH, &name) == napi_ok;
  ok = ok && napi_create_object(env, &resource) == napi_ok;
  ok = ok && napi_async_init(env, resource, name, &s->actx) == napi_ok;
  uv_loop_t *loop = NULL;
  ok = ok && napi_get_uv_event_loop(env, &loop) == napi_ok;
  ok = ok && uv_poll_init_socket(loop, &s->poll, fd) == 0;
  if (!ok) {
    close(fd);
    free_sock(s); /* references leak on this path only, which is a start-up failure */
    napi_throw_error(env, "ERR_UDP_MMSG", "open: could not register the socket with the event loop");
    return NULL;
  }
  s->poll.data = s;
  napi_value handle;
  CHECK(napi_create_external(env, s, NULL, NULL, &handle));
  return handle;
}

static sock_t *get_sock(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) {
    napi_throw_type_error(env, "ERR_UDP_MMSG", "not a socket handle");
    return NULL;
  }
  sock_t *s = p;
  if (s->closing) {
    napi_throw_error(env, "ERR_UDP_MMSG", "socket is closed");
    return NULL;
  }
  return s;
}

/* start(handle): begin watching for datagrams. */
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = get_sock(env, argv[0]);
  if (!s) return NULL;
  int r = uv_poll_start(&s->poll, UV_READABLE, on_poll);
  if (r != 0) return throw_errno(env, "uv_poll_start", -r);
  return NULL;
}

/* localPort(handle) -> the bound port. */
static napi_value js_local_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = get_sock(env, argv[0]);
  if (!s) return NULL;
  struct sockaddr_storage a;
  socklen_t len = sizeof a;
  if (getsockname(s->fd, (struct sockaddr *)&a, &len) != 0) return throw_errno(env, "getsockname", errno);
  int port = a.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&a)->sin_port) : ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
  napi_value out;
  CHECK(napi_create_int32(env, port, &out));
  return out;
}

/* flush(handle, count) -> number of replies the kernel accepted; the rest could not be sent now
 * (socket buffer full) or were refused (the first error is returned as a negative errno in place
 * of the count when nothing at all was sent). */
static napi_value js_flush(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  sock_t *s = get_sock(env, argv[0]);
  if (!s) return NULL;
  int32_t count;
  CHECK(napi_get_value_int32(env, argv[1], &count));
  if (count < 0 || count > s->batch) {
    napi_throw_range_error(env, "ERR_UDP_MMSG", "flush: bad count");
    return NULL;
  }
  for (int i = 0; i < count; i++) {
    int32_t *meta = s->smeta + i * SLOT_META;
    int32_t len = meta[0];
    if (len < 0 || len > s->slot_size) len = 0;
    s->siov[i].iov_len = (size_t)len;
    struct msghdr *m = &s->smsgs[i].msg_hdr;
    memset(&s->saddr[i], 0, sizeof s->saddr[i]);
    if (meta[2] == 4 && s->family == 4) {
      struct sockaddr_in *a = (struct sockaddr_in *)&s->saddr[i];
      a->sin_family = AF_INET;
      a->sin_port = htons((uint16_t)meta[1]);
      memcpy(&a->sin_addr, meta + 8, 4);
      m->msg_namelen = sizeof *a;
    } else if (meta[2] == 4) { /* IPv4 peer on a dual-stack socket: IPv4-mapped */
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s->saddr[i];
      a->sin6_family = AF_INET6;
      a->sin6_port = htons((uint16_t)meta[1]);
      a->sin6_addr.s6_addr[10] = 0xff;
      a->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&a->sin6_addr.s6_addr[12], meta + 8, 4);
      m->msg_namelen = sizeof *a;
    } else {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s->saddr[i];
      a->sin6_family = AF_INET6;
      a->sin6_port = htons((uint16_t)meta[1]);
      memcpy(&a->sin6_addr, meta + 8, 16);
      m->msg_namelen = sizeof *a;
    }
  }
  int done = 0, sent = 0, first_err = 0;
  while (done < count) {
    int w = sendmmsg(s->fd, s->smsgs + done, (unsigned)(count - done), MSG_DONTWAIT);
    if (w > 0) {
      done += w;
      sent += w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (!first_err) first_err = w < 0 ? errno : EIO;
    /* This reply cannot be sent (bad destination, or buffer full): skip it, try the rest. */
    done++;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) break;
  }
  napi_value out;
  CHECK(napi_create_int32(env, sent == 0 && first_err ? -first_err : sent, &out));
  return out;
}

/* close(handle): stop watching, close the socket; safe to call twice. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  if (napi_get_value_external(env, argv[0], &p) != napi_ok || !p) return NULL;
  sock_t *s = p;
  if (s->closing) return NULL;
  s->closing = 1;
  uv_poll_stop(&s->poll);
  napi_delete_reference(env, s->on_batch);
  for (int i = 0; i < 4; i++) napi_delete_reference(env, s->keep[i]);
  napi_async_destroy(env, s->actx);
  uv_close((uv_handle_t *)&s->poll, on_close);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localPort", NULL, js_local_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"flush", NULL, js_flush, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
