/*
 * Batched UDP I/O for the RADIUS listeners: recvmmsg/sendmmsg on sockets of our own, watched by
 * the Node event loop (libuv poll), driven from JavaScript through Node-API.
 *
 * Why: on a virtual machine each syscall and each crossing from C++ into JavaScript is expensive.
 * node:dgram pays one recvmsg, one JavaScript callback, one Buffer and one address object per
 * datagram, and one sendmsg plus a write request per reply. Here one readable event reads up to
 * `batch` datagrams with one recvmmsg and makes one call into JavaScript; replies are collected
 * by JavaScript and written with one sendmmsg per event-loop turn.
 *
 * Kernel queues: open() may bind several sockets to the same address and port (SO_REUSEPORT) and
 * attach a classic BPF program that chooses, per datagram, which socket's receive queue it joins
 * (SO_ATTACH_REUSEPORT_CBPF). JavaScript writes the program (src/transport/steering.ts). Each
 * socket is watched separately and every readable event reads at most `batch` datagrams from that
 * socket, so the queues are served in turn; when the process cannot keep up, each queue
 * overflows on its own and the kernel drops the excess of the busiest ones, at no cost to us.
 *
 * Memory is owned by JavaScript: the receive and send slots and their metadata are buffers that
 * JavaScript allocates and passes to open(); this file only reads and writes them. The sockets
 * share them: their callbacks run one at a time on the event loop.
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
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

#define SLOT_META 16
#define CMSG_BYTES 64
#define MAX_SOCKETS 64

struct group_s;

typedef struct {
  int fd;
  int index;
  uv_poll_t poll;
  struct group_s *g;
} member_t;

typedef struct group_s {
  int nsock;
  int open_polls;
  member_t socks[MAX_SOCKETS];
  int family;
  int batch;
  int slot_size;
  int closing;
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
} group_t;

#define CHECK(call)                                                          \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      napi_throw_error(env, "ERR_UDP_MMSG", "Node-API call failed: " #call); \
      return NULL;                                                           \
    }                                                                        \
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

static void free_group(group_t *g) {
  free(g->rmsgs);
  free(g->smsgs);
  free(g->riov);
  free(g->siov);
  free(g->raddr);
  free(g->saddr);
  free(g->cmsg);
  free(g);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)events;
  member_t *m = (member_t *)h->data;
  group_t *g = m->g;
  if (g->closing) return;
  int n;
  if (status < 0) {
    n = status; /* a libuv error code (negative errno); JavaScript reports it */
  } else {
    for (int i = 0; i < g->batch; i++) {
      struct msghdr *hdr = &g->rmsgs[i].msg_hdr;
      hdr->msg_namelen = sizeof(struct sockaddr_storage);
      hdr->msg_controllen = CMSG_BYTES;
      hdr->msg_flags = 0;
    }
    n = recvmmsg(m->fd, g->rmsgs, (unsigned)g->batch, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      n = -errno;
    } else if (n == 0) {
      return;
    } else {
      int64_t now = realtime_us();
      for (int i = 0; i < n; i++) {
        int32_t *meta = g->rmeta + i * SLOT_META;
        struct msghdr *hdr = &g->rmsgs[i].msg_hdr;
        meta[0] = (int32_t)g->rmsgs[i].msg_len;
        meta[3] = (hdr->msg_flags & MSG_TRUNC) ? 1 : 0;
        meta[4] = -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(hdr); c; c = CMSG_NXTHDR(hdr, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            int64_t age = now - ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
            meta[4] = age < 0 ? 0 : (age > 2000000000 ? 2000000000 : (int32_t)age);
          }
        }
        struct sockaddr_storage *a = &g->raddr[i];
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
  napi_env env = g->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, args[2];
  if (napi_get_reference_value(env, g->on_batch, &cb) == napi_ok && napi_get_global(env, &recv) == napi_ok &&
      napi_create_int32(env, n, &args[0]) == napi_ok && napi_create_int32(env, m->index, &args[1]) == napi_ok) {
    napi_status st = napi_make_callback(env, g->actx, recv, cb, 2, args, NULL);
    if (st == napi_pending_exception) {
      napi_value e;
      napi_get_and_clear_last_exception(env, &e);
      napi_fatal_exception(env, e);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void on_close(uv_handle_t *h) {
  member_t *m = (member_t *)h->data;
  group_t *g = m->g;
  close(m->fd);
  if (--g->open_polls == 0) free_group(g);
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

static void close_fds(int *fds, int n) {
  for (int i = 0; i < n; i++) close(fds[i]);
}

/* Reads a Uint32Array of classic BPF instructions (two words each: (code << 16) | (jt << 8) | jf,
 * then k) into `filter`; null/undefined leaves prog->len 0. Returns 0, or -1 with a JS error. */
static int read_program(napi_env env, napi_value v, struct sock_filter *filter, struct sock_fprog *prog, const char *fn) {
  napi_valuetype ptype;
  prog->len = 0;
  prog->filter = filter;
  if (napi_typeof(env, v, &ptype) != napi_ok) return -1;
  if (ptype == napi_null || ptype == napi_undefined) return 0;
  void *words;
  size_t plen;
  if (get_bytes(env, v, &words, &plen) != 0 || plen % 8 != 0 || plen == 0 || plen / 8 > 1024) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s: program must be a Uint32Array of 1..1024 instructions", fn);
    napi_throw_type_error(env, "ERR_UDP_MMSG", msg);
    return -1;
  }
  const uint32_t *w = words;
  prog->len = (unsigned short)(plen / 8);
  for (unsigned i = 0; i < prog->len; i++) {
    filter[i].code = (uint16_t)(w[2 * i] >> 16);
    filter[i].jt = (uint8_t)(w[2 * i] >> 8);
    filter[i].jf = (uint8_t)w[2 * i];
    filter[i].k = w[2 * i + 1];
  }
  return 0;
}

/* host:port as a socket address of `family` (4 or 6); 0 or EINVAL. */
static int make_addr(int family, const char *host, int port, struct sockaddr_storage *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)out;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return EINVAL;
    *len = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return EINVAL;
    *len = sizeof *a;
  }
  return 0;
}

/*
 * Creates, configures and binds `nsock` UDP sockets sharing host:port (SO_REUSEPORT when more than
 * one; `prog`, when it has instructions, steers datagrams between them). The sockets are
 * non-blocking and close-on-exec, and registered with nothing. On failure every socket made so
 * far is closed, *what names the failing step and the errno is returned.
 */
static int bind_group(int family, const char *host, int port, int rcvbuf, int sndbuf, int nsock, const struct sock_fprog *prog, int *fds,
                      const char **what) {
  struct sockaddr_storage bind_addr;
  socklen_t bind_len;
  if (make_addr(family, host, port, &bind_addr, &bind_len) != 0) {
    *what = family == 4 ? "not an IPv4 address" : "not an IPv6 address";
    return EINVAL;
  }
  int opened = 0;
  for (int k = 0; k < nsock; k++) {
    int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      int err = errno;
      close_fds(fds, opened);
      *what = "socket";
      return err;
    }
    fds[opened++] = fd;
    int one = 1, zero = 0;
    if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero); /* as node:dgram: dual stack */
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (nsock > 1 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      int err = errno;
      close_fds(fds, opened);
      *what = "setsockopt(SO_REUSEPORT)";
      return err;
    }
    if (nsock > 1 && k == 0 && prog->len > 0 && setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, prog, sizeof *prog) != 0) {
      int err = errno;
      close_fds(fds, opened);
      *what = "setsockopt(SO_ATTACH_REUSEPORT_CBPF)";
      return err;
    }
    if (bind(fd, (struct sockaddr *)&bind_addr, bind_len) != 0) {
      int err = errno;
      close_fds(fds, opened);
      *what = "bind";
      return err;
    }
    if (k == 0 && port == 0 && nsock > 1) {
      /* The others join the port the kernel chose for the first. */
      struct sockaddr_storage got;
      socklen_t len = sizeof got;
      getsockname(fd, (struct sockaddr *)&got, &len);
      uint16_t chosen = family == 4 ? ((struct sockaddr_in *)&got)->sin_port : ((struct sockaddr_in6 *)&got)->sin6_port;
      if (family == 4) ((struct sockaddr_in *)&bind_addr)->sin_port = chosen;
      else ((struct sockaddr_in6 *)&bind_addr)->sin6_port = chosen;
    }
  }
  return 0;
}

/* An array of socket fds from JavaScript (1..MAX_SOCKETS integers >= 0); its length, or -1 with a JS error. */
static int read_fds(napi_env env, napi_value v, int *fds, const char *fn) {
  bool is_array = false;
  uint32_t n = 0;
  char msg[96];
  if (napi_is_array(env, v, &is_array) != napi_ok || !is_array || napi_get_array_length(env, v, &n) != napi_ok || n < 1 || n > MAX_SOCKETS) {
    snprintf(msg, sizeof msg, "%s: fds must be an array of 1..%d file descriptors", fn, MAX_SOCKETS);
    napi_throw_type_error(env, "ERR_UDP_MMSG", msg);
    return -1;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    int32_t fd;
    if (napi_get_element(env, v, i, &e) != napi_ok || napi_get_value_int32(env, e, &fd) != napi_ok || fd < 0) {
      snprintf(msg, sizeof msg, "%s: fds[%u] is not a file descriptor", fn, i);
      napi_throw_type_error(env, "ERR_UDP_MMSG", msg);
      return -1;
    }
    fds[i] = fd;
  }
  return (int)n;
}

/*
 * Makes inherited fds safe to use here: each must be a UDP socket of `family`; it is set
 * non-blocking and close-on-exec (an fd passed to a child process arrives without
 * close-on-exec, and a process this one starts must not keep the socket alive). 0 or an errno.
 */
static int adopt_fds(int family, const int *fds, int n, const char **what) {
  for (int k = 0; k < n; k++) {
    int type = 0;
    socklen_t tl = sizeof type;
    struct sockaddr_storage a;
    socklen_t al = sizeof a;
    if (getsockopt(fds[k], SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || getsockname(fds[k], (struct sockaddr *)&a, &al) != 0) {
      *what = "adopt: not a socket";
      return errno;
    }
    if (type != SOCK_DGRAM || a.ss_family != (family == 4 ? AF_INET : AF_INET6)) {
      *what = "adopt: not a UDP socket of the listener's address family";
      return EINVAL;
    }
    int fl = fcntl(fds[k], F_GETFL);
    int fdfl = fcntl(fds[k], F_GETFD);
    if (fl < 0 || fdfl < 0 || fcntl(fds[k], F_SETFL, fl | O_NONBLOCK) != 0 || fcntl(fds[k], F_SETFD, fdfl | FD_CLOEXEC) != 0) {
      *what = "adopt: fcntl";
      return errno;
    }
  }
  return 0;
}

/*
 * bindGroup(family, host, port, rcvbuf, sndbuf, sockets, program) -> fds
 * The sockets open() would make (see there), bound but not watched: for a process that only
 * holds them open while child processes read them (open() with `fds`).
 */
static napi_value js_bind_group(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 7) {
    napi_throw_type_error(env, "ERR_UDP_MMSG", "bindGroup: 7 arguments expected");
    return NULL;
  }
  int32_t family, port, rcvbuf, sndbuf, nsock;
  char host[64];
  size_t hostlen;
  CHECK(napi_get_value_int32(env, argv[0], &family));
  CHECK(napi_get_value_string_utf8(env, argv[1], host, sizeof host, &hostlen));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  CHECK(napi_get_value_int32(env, argv[3], &rcvbuf));
  CHECK(napi_get_value_int32(env, argv[4], &sndbuf));
  CHECK(napi_get_value_int32(env, argv[5], &nsock));
  if ((family != 4 && family != 6) || port < 0 || port > 65535 || nsock < 1 || nsock > MAX_SOCKETS) {
    napi_throw_range_error(env, "ERR_UDP_MMSG", "bindGroup: bad family, port or socket count");
    return NULL;
  }
  struct sock_filter filter[1024];
  struct sock_fprog prog;
  if (read_program(env, argv[6], filter, &prog, "bindGroup") != 0) return NULL;
  int fds[MAX_SOCKETS];
  const char *what = "bindGroup";
  int err = bind_group(family, host, port, rcvbuf, sndbuf, nsock, &prog, fds, &what);
  if (err) return throw_errno(env, what, err);
  napi_value out;
  if (napi_create_array_with_length(env, (size_t)nsock, &out) != napi_ok) {
    close_fds(fds, nsock);
    napi_throw_error(env, "ERR_UDP_MMSG", "bindGroup: could not return the fds");
    return NULL;
  }
  for (int k = 0; k < nsock; k++) {
    napi_value v;
    if (napi_create_int32(env, fds[k], &v) != napi_ok || napi_set_element(env, out, (uint32_t)k, v) != napi_ok) {
      close_fds(fds, nsock);
      napi_throw_error(env, "ERR_UDP_MMSG", "bindGroup: could not return the fds");
      return NULL;
    }
  }
  return out;
}

/*
 * listenTcp(family, host, port, backlog) -> fd: a listening TCP socket (SO_REUSEADDR, non-blocking,
 * close-on-exec) that this process holds without accepting on it, for child processes that serve
 * HTTP on it (node: server.listen({ fd })).
 */
static napi_value js_listen_tcp(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 4) {
    napi_throw_type_error(env, "ERR_UDP_MMSG", "listenTcp: 4 arguments expected");
    return NULL;
  }
  int32_t family, port, backlog;
  char host[64];
  size_t hostlen;
  CHECK(napi_get_value_int32(env, argv[0], &family));
  CHECK(napi_get_value_string_utf8(env, argv[1], host, sizeof host, &hostlen));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  CHECK(napi_get_value_int32(env, argv[3], &backlog));
  if ((family != 4 && family != 6) || port < 0 || port > 65535 || backlog < 1) {
    napi_throw_range_error(env, "ERR_UDP_MMSG", "listenTcp: bad family, port or backlog");
    return NULL;
  }
  struct sockaddr_storage addr;
  socklen_t len;
  if (make_addr(family, host, port, &addr, &len) != 0) return throw_errno(env, family == 4 ? "listenTcp: not an IPv4 address" : "listenTcp: not an IPv6 address", EINVAL);
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "listenTcp: socket", errno);
  int one = 1, zero = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (bind(fd, (struct sockaddr *)&addr, len) != 0 || listen(fd, backlog) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "listenTcp: bind/listen", err);
  }
  napi_value out;
  CHECK(napi_create_int32(env, fd, &out));
  return out;
}

/* socketPort(fd) -> the port a socket is bound to. */
static napi_value js_socket_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  struct sockaddr_storage a;
  socklen_t len = sizeof a;
  if (getsockname(fd, (struct sockaddr *)&a, &len) != 0) return throw_errno(env, "getsockname", errno);
  int port = a.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&a)->sin_port) : ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
  napi_value out;
  CHECK(napi_create_int32(env, port, &out));
  return out;
}

/* closeFds(fds): close file descriptors held by this process (bindGroup, listenTcp). */
static napi_value js_close_fds(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int fds[MAX_SOCKETS];
  int n = read_fds(env, argv[0], fds, "closeFds");
  if (n < 0) return NULL;
  close_fds(fds, n);
  return NULL;
}

/*
 * open(family, host, port, rcvbuf, sndbuf, batch, slotSize, rbuf, rmeta, sbuf, smeta, onBatch,
 *      sockets, program[, fds]) -> handle
 * sockets: how many sockets share the port (1 = a plain socket); program: null, or a Uint32Array
 * of classic BPF instructions, two words each ((code << 16) | (jt << 8) | jf, k), that returns the
 * index of the socket a datagram goes to (sockets > 1 only).
 * fds (optional): adopt these already bound sockets (from bindGroup, in a parent process) instead
 * of making new ones; host, port, buffers, sockets and program are then ignored (the sockets were
 * configured when they were made). close() closes this process's fds only: the sockets, and the
 * datagrams waiting in their queues, live on while another process holds them.
 */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 14 && argc != 15) {
    napi_throw_type_error(env, "ERR_UDP_MMSG", "open: 14 or 15 arguments expected");
    return NULL;
  }
  int32_t family, port, rcvbuf, sndbuf, batch, slot, nsock;
  char host[64];
  size_t hostlen;
  CHECK(napi_get_value_int32(env, argv[0], &family));
  CHECK(napi_get_value_string_utf8(env, argv[1], host, sizeof host, &hostlen));
  CHECK(napi_get_value_int32(env, argv[2], &port));
  CHECK(napi_get_value_int32(env, argv[3], &rcvbuf));
  CHECK(napi_get_value_int32(env, argv[4], &sndbuf));
  CHECK(napi_get_value_int32(env, argv[5], &batch));
  CHECK(napi_get_value_int32(env, argv[6], &slot));
  CHECK(napi_get_value_int32(env, argv[12], &nsock));
  int fds[MAX_SOCKETS];
  int adopted = 0;
  if (argc == 15) {
    napi_valuetype ftype;
    CHECK(napi_typeof(env, argv[14], &ftype));
    if (ftype != napi_null && ftype != napi_undefined) {
      nsock = read_fds(env, argv[14], fds, "open");
      if (nsock < 0) return NULL;
      adopted = 1;
    }
  }
  if ((family != 4 && family != 6) || port < 0 || port > 65535 || batch < 1 || batch > 1024 || slot < 20 || slot > 65536 ||
      nsock < 1 || nsock > MAX_SOCKETS) {
    napi_throw_range_error(env, "ERR_UDP_MMSG", "open: bad family, port, batch, slot size or socket count");
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
  const char *what = "open";
  if (adopted) {
    int err = adopt_fds(family, fds, nsock, &what);
    if (err) return throw_errno(env, what, err);
  } else {
    struct sock_filter filter[1024];
    struct sock_fprog prog;
    if (read_program(env, argv[13], filter, &prog, "open") != 0) return NULL;
    int err = bind_group(family, host, port, rcvbuf, sndbuf, nsock, &prog, fds, &what);
    if (err) return throw_errno(env, what, err);
  }
  int opened = nsock;

  group_t *g = calloc(1, sizeof *g);
  if (!g) {
    close_fds(fds, opened);
    return throw_errno(env, "open", ENOMEM);
  }
  g->nsock = nsock;
  g->family = family;
  g->batch = batch;
  g->slot_size = slot;
  g->env = env;
  g->rbuf = bufs[0];
  g->rmeta = bufs[1];
  g->sbuf = bufs[2];
  g->smeta = bufs[3];
  g->rmsgs = calloc((size_t)batch, sizeof *g->rmsgs);
  g->smsgs = calloc((size_t)batch, sizeof *g->smsgs);
  g->riov = calloc((size_t)batch, sizeof *g->riov);
  g->siov = calloc((size_t)batch, sizeof *g->siov);
  g->raddr = calloc((size_t)batch, sizeof *g->raddr);
  g->saddr = calloc((size_t)batch, sizeof *g->saddr);
  g->cmsg = calloc((size_t)batch, CMSG_BYTES);
  if (!g->rmsgs || !g->smsgs || !g->riov || !g->siov || !g->raddr || !g->saddr || !g->cmsg) {
    close_fds(fds, opened);
    free_group(g);
    return throw_errno(env, "open", ENOMEM);
  }
  for (int i = 0; i < batch; i++) {
    g->riov[i].iov_base = g->rbuf + (size_t)i * (size_t)slot;
    g->riov[i].iov_len = (size_t)slot;
    g->rmsgs[i].msg_hdr.msg_iov = &g->riov[i];
    g->rmsgs[i].msg_hdr.msg_iovlen = 1;
    g->rmsgs[i].msg_hdr.msg_name = &g->raddr[i];
    g->rmsgs[i].msg_hdr.msg_control = g->cmsg + (size_t)i * CMSG_BYTES;
    g->siov[i].iov_base = g->sbuf + (size_t)i * (size_t)slot;
    g->smsgs[i].msg_hdr.msg_iov = &g->siov[i];
    g->smsgs[i].msg_hdr.msg_iovlen = 1;
    g->smsgs[i].msg_hdr.msg_name = &g->saddr[i];
  }
  int ok = napi_create_reference(env, argv[11], 1, &g->on_batch) == napi_ok;
  for (int i = 0; ok && i < 4; i++) ok = napi_create_reference(env, argv[7 + i], 1, &g->keep[i]) == napi_ok;
  napi_value name, resource;
  ok = ok && napi_create_string_utf8(env, "carrier-aaa:udp", NAPI_AUTO_LENGTH, &name) == napi_ok;
  ok = ok && napi_create_object(env, &resource) == napi_ok;
  ok = ok && napi_async_init(env, resource, name, &g->actx) == napi_ok;
  uv_loop_t *loop = NULL;
  ok = ok && napi_get_uv_event_loop(env, &loop) == napi_ok;
  int inited = 0;
  for (int k = 0; ok && k < nsock; k++) {
    member_t *m = &g->socks[k];
    m->fd = fds[k];
    m->index = k;
    m->g = g;
    ok = uv_poll_init_socket(loop, &m->poll, m->fd) == 0;
    if (ok) {
      m->poll.data = m;
      inited++;
    }
  }
  if (!ok) {
    /* A start-up failure: close what was registered, then the rest. */
    g->closing = 1;
    g->open_polls = inited;
    for (int k = inited; k < nsock; k++) close(fds[k]);
    for (int k = 0; k < inited; k++) uv_close((uv_handle_t *)&g->socks[k].poll, on_close);
    if (inited == 0) free_group(g);
    napi_throw_error(env, "ERR_UDP_MMSG", "open: could not register the sockets with the event loop");
    return NULL;
  }
  g->open_polls = nsock;
  napi_value handle;
  CHECK(napi_create_external(env, g, NULL, NULL, &handle));
  return handle;
}

static group_t *get_group(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) {
    napi_throw_type_error(env, "ERR_UDP_MMSG", "not a socket handle");
    return NULL;
  }
  group_t *g = p;
  if (g->closing) {
    napi_throw_error(env, "ERR_UDP_MMSG", "socket is closed");
    return NULL;
  }
  return g;
}

/* start(handle): begin (or resume) watching for datagrams on every socket. */
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  group_t *g = get_group(env, argv[0]);
  if (!g) return NULL;
  for (int k = 0; k < g->nsock; k++) {
    int r = uv_poll_start(&g->socks[k].poll, UV_READABLE, on_poll);
    if (r != 0) return throw_errno(env, "uv_poll_start", -r);
  }
  return NULL;
}

/* pause(handle, keep): stop reading every socket below index `keep`; those at `keep` and above
 * (the State and Status-Server queues, last in the group) are still read. -1 or nsock: none. */
static napi_value js_pause(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  group_t *g = get_group(env, argv[0]);
  if (!g) return NULL;
  int32_t keep;
  CHECK(napi_get_value_int32(env, argv[1], &keep));
  if (keep < 0) keep = g->nsock;
  for (int k = 0; k < g->nsock && k < keep; k++) uv_poll_stop(&g->socks[k].poll);
  return NULL;
}

/* poll(handle, index, on): start (on) or stop reading the one socket at `index`. A flow queue
 * held back on its own (src/admit/flow-holdback.ts) is stopped this way while the others are read. */
static napi_value js_poll(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  group_t *g = get_group(env, argv[0]);
  if (!g) return NULL;
  int32_t index;
  bool on = false;
  CHECK(napi_get_value_int32(env, argv[1], &index));
  CHECK(napi_get_value_bool(env, argv[2], &on));
  if (index < 0 || index >= g->nsock) {
    napi_throw_range_error(env, "ERR_UDP_MMSG", "poll: socket index out of range");
    return NULL;
  }
  if (on) {
    int r = uv_poll_start(&g->socks[index].poll, UV_READABLE, on_poll);
    if (r != 0) return throw_errno(env, "uv_poll_start", -r);
  } else {
    uv_poll_stop(&g->socks[index].poll);
  }
  return NULL;
}

/* receiveBuffer(handle, index, bytes): SO_RCVBUF of the one socket at `index` (the kernel doubles
 * it for its bookkeeping); datagrams already queued stay, new ones are dropped while the queue
 * holds more than the new size. */
static napi_value js_receive_buffer(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  group_t *g = get_group(env, argv[0]);
  if (!g) return NULL;
  int32_t index, bytes;
  CHECK(napi_get_value_int32(env, argv[1], &index));
  CHECK(napi_get_value_int32(env, argv[2], &bytes));
  if (index < 0 || index >= g->nsock || bytes <= 0) {
    napi_throw_range_error(env, "ERR_UDP_MMSG", "receiveBuffer: socket index or size out of range");
    return NULL;
  }
  if (setsockopt(g->socks[index].fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) != 0) return throw_errno(env, "setsockopt(SO_RCVBUF)", errno);
  return NULL;
}

/* localPort(handle) -> the bound port. */
static napi_value js_local_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  group_t *g = get_group(env, argv[0]);
  if (!g) return NULL;
  struct sockaddr_storage a;
  socklen_t len = sizeof a;
  if (getsockname(g->socks[0].fd, (struct sockaddr *)&a, &len) != 0) return throw_errno(env, "getsockname", errno);
  int port = a.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&a)->sin_port) : ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
  napi_value out;
  CHECK(napi_create_int32(env, port, &out));
  return out;
}

/* drops(handle) -> datagrams the kernel dropped on these sockets so far (full queue), summed. */
static napi_value js_drops(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  group_t *g = get_group(env, argv[0]);
  if (!g) return NULL;
  int32_t only = -1;
  napi_valuetype t = napi_undefined;
  if (argc >= 2) CHECK(napi_typeof(env, argv[1], &t));
  if (t == napi_number) CHECK(napi_get_value_int32(env, argv[1], &only));
  double total = 0;
  for (int k = 0; k < g->nsock; k++) {
    if (only >= 0 && k != only) continue;
    uint32_t mem[SK_MEMINFO_VARS];
    socklen_t len = sizeof mem;
    if (getsockopt(g->socks[k].fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 && len > SK_MEMINFO_DROPS * sizeof(uint32_t)) total += mem[SK_MEMINFO_DROPS];
  }
  napi_value out;
  CHECK(napi_create_double(env, total, &out));
  return out;
}

/* flush(handle, count) -> number of replies the kernel accepted; the rest could not be sent now
 * (socket buffer full) or were refused (the first error is returned as a negative errno in place
 * of the count when nothing at all was sent). */
static napi_value js_flush(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  group_t *g = get_group(env, argv[0]);
  if (!g) return NULL;
  int32_t count;
  CHECK(napi_get_value_int32(env, argv[1], &count));
  if (count < 0 || count > g->batch) {
    napi_throw_range_error(env, "ERR_UDP_MMSG", "flush: bad count");
    return NULL;
  }
  for (int i = 0; i < count; i++) {
    int32_t *meta = g->smeta + i * SLOT_META;
    int32_t len = meta[0];
    if (len < 0 || len > g->slot_size) len = 0;
    g->siov[i].iov_len = (size_t)len;
    struct msghdr *hdr = &g->smsgs[i].msg_hdr;
    memset(&g->saddr[i], 0, sizeof g->saddr[i]);
    if (meta[2] == 4 && g->family == 4) {
      struct sockaddr_in *a = (struct sockaddr_in *)&g->saddr[i];
      a->sin_family = AF_INET;
      a->sin_port = htons((uint16_t)meta[1]);
      memcpy(&a->sin_addr, meta + 8, 4);
      hdr->msg_namelen = sizeof *a;
    } else if (meta[2] == 4) { /* IPv4 peer on a dual-stack socket: IPv4-mapped */
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&g->saddr[i];
      a->sin6_family = AF_INET6;
      a->sin6_port = htons((uint16_t)meta[1]);
      a->sin6_addr.s6_addr[10] = 0xff;
      a->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&a->sin6_addr.s6_addr[12], meta + 8, 4);
      hdr->msg_namelen = sizeof *a;
    } else {
      struct sockaddr_in6 *a = (struct sockaddr_in6 *)&g->saddr[i];
      a->sin6_family = AF_INET6;
      a->sin6_port = htons((uint16_t)meta[1]);
      memcpy(&a->sin6_addr, meta + 8, 16);
      hdr->msg_namelen = sizeof *a;
    }
  }
  int fd = g->socks[0].fd;
  int done = 0, sent = 0, first_err = 0;
  while (done < count) {
    int w = sendmmsg(fd, g->smsgs + done, (unsigned)(count - done), MSG_DONTWAIT);
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

/* close(handle): stop watching, close the sockets; safe to call twice. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  if (napi_get_value_external(env, argv[0], &p) != napi_ok || !p) return NULL;
  group_t *g = p;
  if (g->closing) return NULL;
  g->closing = 1;
  napi_delete_reference(env, g->on_batch);
  for (int i = 0; i < 4; i++) napi_delete_reference(env, g->keep[i]);
  napi_async_destroy(env, g->actx);
  for (int k = 0; k < g->nsock; k++) {
    uv_poll_stop(&g->socks[k].poll);
    uv_close((uv_handle_t *)&g->socks[k].poll, on_close);
  }
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pause", NULL, js_pause, NULL, NULL, NULL, napi_enumerable, NULL},
      {"poll", NULL, js_poll, NULL, NULL, NULL, napi_enumerable, NULL},
      {"receiveBuffer", NULL, js_receive_buffer, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localPort", NULL, js_local_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"drops", NULL, js_drops, NULL, NULL, NULL, napi_enumerable, NULL},
      {"flush", NULL, js_flush, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bindGroup", NULL, js_bind_group, NULL, NULL, NULL, napi_enumerable, NULL},
      {"listenTcp", NULL, js_listen_tcp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"socketPort", NULL, js_socket_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeFds", NULL, js_close_fds, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
