/*
 * radius-common.h: what the C load generators (radius-load.c, storm-load.c) share: error exit,
 * the monotonic clock, lib/radius.ts's mulberry32 draw, kernel UDP counters, the reply check
 * (RFC 2865 §3 Response Authenticator, RFC 3579 §3.2 Message-Authenticator), the MD5 self-test,
 * --server parsing and the epoll + recvmmsg receive path. Header-only, like radius-md5.h;
 * define PROG (the program's name for error messages) before including it.
 */
#ifndef RADIUS_COMMON_H
#define RADIUS_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "radius-md5.h"

#ifndef PROG
#error "define PROG before including radius-common.h"
#endif

#define MAX_PKT 4096
#define RECV_BATCH 64

enum { V_BAD_AUTH = 1, V_BAD_MA = 2, V_MALFORMED = 4, V_NO_MA = 8, V_MA_NOT_FIRST = 16 };
/* Verification failures, as opposed to the informational V_NO_MA / V_MA_NOT_FIRST. */
#define V_FAILED (V_BAD_AUTH | V_BAD_MA | V_MALFORMED)

static void die(const char *fmt, const char *arg) {
    fprintf(stderr, PROG ": ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}

static double mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* mulberry32, bit-identical to lib/radius.ts: the same draws as the Node generator for a seed. */
static uint32_t mb_state;
static double mb_next(void) {
    uint32_t a = (mb_state += 0x6d2b79f5u);
    uint32_t t = (a ^ (a >> 15)) * (1u | a);
    t = (t + ((t ^ (t >> 7)) * (61u | t))) ^ t;
    return (double)(t ^ (t >> 14)) / 4294967296.0;
}

/* ---------------------------------------------------------------------------------------- */
/* UDP counters (same names as nstat) and per-socket drops */

#define MAXCTR 32
typedef struct {
    char name[MAXCTR][64];
    long long val[MAXCTR];
    int n;
} counters_t;

static void read_counters(counters_t *c) {
    c->n = 0;
    char a[1024], b[1024];
    FILE *f = fopen("/proc/net/snmp", "r");
    if (f) {
        while (fgets(a, sizeof a, f)) {
            if (strncmp(a, "Udp:", 4) != 0) continue;
            if (!fgets(b, sizeof b, f)) break;
            char *sa, *sb;
            char *ta = strtok_r(a + 4, " \n", &sa), *tb = strtok_r(b + 4, " \n", &sb);
            while (ta && tb && c->n < MAXCTR) {
                snprintf(c->name[c->n], 64, "Udp%s", ta);
                c->val[c->n++] = atoll(tb);
                ta = strtok_r(NULL, " \n", &sa);
                tb = strtok_r(NULL, " \n", &sb);
            }
            break;
        }
        fclose(f);
    }
    f = fopen("/proc/net/snmp6", "r");
    if (f) {
        char nm[64];
        long long v;
        while (fscanf(f, "%63s %lld", nm, &v) == 2 && c->n < MAXCTR)
            if (strncmp(nm, "Udp6", 4) == 0) {
                snprintf(c->name[c->n], 64, "%s", nm);
                c->val[c->n++] = v;
            }
        fclose(f);
    }
}

/* Sum drops of sockets with local port in ports[0..np) (np = 0: listeners on `lport`). */
static long long socket_drops(const int *ports, int np, int lport) {
    long long sum = 0;
    const char *files[2] = {"/proc/net/udp", "/proc/net/udp6"};
    char line[512];
    for (int fi = 0; fi < 2; fi++) {
        FILE *f = fopen(files[fi], "r");
        if (!f) continue;
        if (!fgets(line, sizeof line, f)) { fclose(f); continue; }
        while (fgets(line, sizeof line, f)) {
            char local[64], remote[64];
            unsigned long long drops = 0;
            if (sscanf(line, "%*s %63s %63s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu", local, remote, &drops) != 3) continue;
            int lp = (int)strtol(strrchr(local, ':') + 1, NULL, 16);
            int rp = (int)strtol(strrchr(remote, ':') + 1, NULL, 16);
            if (np == 0) {
                if (lp == lport && rp == 0) sum += (long long)drops;
            } else {
                for (int i = 0; i < np; i++)
                    if (ports[i] == lp) { sum += (long long)drops; break; }
            }
        }
        fclose(f);
    }
    return sum;
}

/* A counter read by read_counters (e.g. "UdpRcvbufErrors"), or -1 when absent. */
static inline long long counter_value(const counters_t *c, const char *name) {
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->name[i], name) == 0) return c->val[i];
    return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Reply check (RFC 2865 §3, RFC 3579 §3.2), as ReplyVerifier in lib/radius.ts. */

static uint8_t secret[256];
static size_t secretlen;
static hmac_md5_key hkey;

static int verify_reply(const uint8_t *r, size_t rlen, const uint8_t *reqauth) {
    static uint8_t s[MAX_PKT + 256];
    if (rlen < 20) return V_MALFORMED;
    size_t len = ((size_t)r[2] << 8) | r[3];
    if (len < 20 || len > MAX_PKT || len > rlen) return V_MALFORMED;
    memcpy(s, r, len);
    memcpy(s + 4, reqauth, 16);
    int flags = 0, first = 1;
    long ma = -1;
    for (size_t p = 20; p < len;) {
        if (p + 2 > len) return V_MALFORMED;
        uint8_t t = s[p], al = s[p + 1];
        if (al < 2 || p + al > len) return V_MALFORMED;
        if (t == 80) {
            if (al != 18 || ma >= 0) return V_MALFORMED;
            ma = (long)p;
            if (!first) flags |= V_MA_NOT_FIRST;
        }
        first = 0;
        p += al;
    }
    uint8_t d[16];
    if (ma >= 0) {
        uint8_t saved[16];
        memcpy(saved, s + ma + 2, 16);
        memset(s + ma + 2, 0, 16);
        hmac_md5(&hkey, s, len, d);
        if (memcmp(d, saved, 16) != 0) flags |= V_BAD_MA;
        memcpy(s + ma + 2, saved, 16);
    } else {
        flags |= V_NO_MA;
    }
    memcpy(s + len, secret, secretlen);
    md5(s, len + secretlen, d);
    if (memcmp(d, r + 4, 16) != 0) flags |= V_BAD_AUTH;
    return flags;
}

/* The shared secret of every request and reply (1..128 octets). */
static void set_secret(const char *s) {
    secretlen = strlen(s);
    if (secretlen < 1 || secretlen > 128) die("secret length must be 1..128%s", "");
    memcpy(secret, s, secretlen);
    hmac_md5_key_init(&hkey, secret, secretlen);
}

static int selftest(void) {
    /* RFC 1321 and RFC 2202 vectors. */
    static const char *m[] = {"", "a", "abc", "message digest", "12345678901234567890123456789012345678901234567890123456789012345678901234567890"};
    static const char *h[] = {"d41d8cd98f00b204e9800998ecf8427e", "0cc175b9c0f1b6a831c399e269772661", "900150983cd24fb0d6963f7d28e17f72",
                              "f96b697d7cb7938d525a2f31aaf161d0", "57edf4a22be3c955ac49da2e2107b67a"};
    uint8_t d[16];
    char hex[33];
    int bad = 0;
    for (int i = 0; i < 5; i++) {
        md5((const uint8_t *)m[i], strlen(m[i]), d);
        for (int j = 0; j < 16; j++) sprintf(hex + 2 * j, "%02x", d[j]);
        if (strcmp(hex, h[i]) != 0) { fprintf(stderr, "md5 vector %d failed\n", i); bad = 1; }
    }
    hmac_md5_key k;
    hmac_md5_key_init(&k, (const uint8_t *)"Jefe", 4);
    hmac_md5(&k, (const uint8_t *)"what do ya want for nothing?", 28, d);
    for (int j = 0; j < 16; j++) sprintf(hex + 2 * j, "%02x", d[j]);
    if (strcmp(hex, "750c783e6ab0b503eaa86e310a5db738") != 0) { fprintf(stderr, "hmac-md5 vector failed\n"); bad = 1; }
    uint8_t key80[80];
    memset(key80, 0xaa, sizeof key80);
    hmac_md5_key_init(&k, key80, 80);
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    hmac_md5(&k, (const uint8_t *)msg, strlen(msg), d);
    for (int j = 0; j < 16; j++) sprintf(hex + 2 * j, "%02x", d[j]);
    if (strcmp(hex, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd") != 0) { fprintf(stderr, "hmac-md5 long key vector failed\n"); bad = 1; }
    printf(bad ? "selftest FAILED\n" : "selftest ok\n");
    return bad;
}

/* --server as [v6]:port, host:port or port: the host into host[cap], the port returned. */
static int parse_server(const char *server, char *host, size_t cap) {
    int port = 1812;
    if (server[0] == '[') {
        const char *e = strchr(server, ']');
        if (!e || (size_t)(e - server - 1) >= cap) die("bad --server %s", server);
        memcpy(host, server + 1, (size_t)(e - server - 1));
        host[e - server - 1] = 0;
        if (e[1] == ':') port = atoi(e + 2);
    } else if (strchr(server, ':')) {
        const char *c = strrchr(server, ':');
        if ((size_t)(c - server) >= cap) die("bad --server %s", server);
        memcpy(host, server, (size_t)(c - server));
        host[c - server] = 0;
        port = atoi(c + 1);
    } else {
        port = atoi(server);
    }
    if (port < 1 || port > 65535) die("bad port in --server %s", server);
    return port;
}

/* ---------------------------------------------------------------------------------------- */
/* Receive path: one epoll set of the generator's sockets plus a timerfd for the send grid;
 * replies read with recvmmsg in batches of RECV_BATCH. */

static uint8_t rx_bufs[RECV_BATCH][MAX_PKT];
static struct mmsghdr rx_msgs[RECV_BATCH];
static struct iovec rx_iov[RECV_BATCH];

typedef struct {
    int ep, tfd;
    uint32_t ready[64]; /* sockets (their index) with replies, from the last rx_wait */
    int nready, at;     /* ready[at] is being read */
    int got, k;         /* its current batch: rx_msgs[k..got) still to hand out */
} rx_t;

/* Registers the timerfd with epoll set `ep` (its event carries UINT32_MAX) and the signals. */
static void rx_init(rx_t *rx, int ep, void (*on_signal)(int)) {
    memset(rx, 0, sizeof *rx);
    rx->ep = ep;
    rx->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct epoll_event tev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(ep, EPOLL_CTL_ADD, rx->tfd, &tev);
    for (int i = 0; i < RECV_BATCH; i++) {
        rx_iov[i].iov_base = rx_bufs[i];
        rx_iov[i].iov_len = MAX_PKT;
        memset(&rx_msgs[i], 0, sizeof rx_msgs[i]);
        rx_msgs[i].msg_hdr.msg_iov = &rx_iov[i];
        rx_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
}

/* Sleep until `wake` (ms since the start, rounded up to the tick grid; t0_abs_ns is the start
 * on CLOCK_MONOTONIC) or a reply, whichever comes first; not at all when `now_too`. */
static void rx_wait(rx_t *rx, double wake, int now_too, double t0_abs_ns, double tick_ms) {
    int wait_ms = 0;
    if (!now_too) {
        double w = ceil(wake / tick_ms) * tick_ms;
        struct itimerspec its;
        memset(&its, 0, sizeof its);
        double abs_ns = t0_abs_ns + w * 1e6;
        its.it_value.tv_sec = (time_t)(abs_ns / 1e9);
        its.it_value.tv_nsec = (long)(abs_ns - (double)its.it_value.tv_sec * 1e9);
        timerfd_settime(rx->tfd, TFD_TIMER_ABSTIME, &its, NULL);
        wait_ms = -1;
    }
    struct epoll_event evs[64];
    int ne = epoll_wait(rx->ep, evs, 64, wait_ms);
    rx->nready = rx->at = rx->got = rx->k = 0;
    for (int e = 0; e < ne; e++) {
        if (evs[e].data.u32 == UINT32_MAX) {
            uint64_t x;
            ssize_t rr = read(rx->tfd, &x, sizeof x);
            (void)rr;
        } else {
            rx->ready[rx->nready++] = evs[e].data.u32;
        }
    }
}

/* One datagram of this wake-up (see rx_next), whatever its length. */
static long rx_take(rx_t *rx, const int *fds, uint32_t *sock, const uint8_t **r, long long *send_errors) {
    while (rx->k >= rx->got) {
        /* A short batch drained its socket; a full one may have more behind it. */
        if (rx->got > 0 && rx->got < RECV_BATCH) rx->at++;
        rx->got = rx->k = 0;
        if (rx->at >= rx->nready) return -1;
        int got = recvmmsg(fds[rx->ready[rx->at]], rx_msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
        if (got < 0 && errno == ECONNREFUSED) { (*send_errors)++; continue; }
        if (got <= 0) { rx->at++; continue; }
        rx->got = got;
    }
    *sock = rx->ready[rx->at];
    *r = rx_bufs[rx->k];
    return (long)rx_msgs[rx->k++].msg_len;
}

/* The next reply of this wake-up: its socket index in *sock, its bytes in *r, its length
 * returned; -1 when every ready socket is drained. Datagrams shorter than a RADIUS header count
 * in *malformed and are skipped; ECONNREFUSED (an ICMP error for an earlier send) counts in
 * *send_errors. */
static long rx_next(rx_t *rx, const int *fds, uint32_t *sock, const uint8_t **r, long long *send_errors, long long *malformed) {
    for (;;) {
        long len = rx_take(rx, fds, sock, r, send_errors);
        if (len < 0 || len >= 20) return len;
        (*malformed)++;
    }
}

#endif
