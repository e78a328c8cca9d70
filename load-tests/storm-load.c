/*
 * storm-load.c: a reconnect storm, as a NAS or BNG sends it after a reboot.
 *
 * N subscribers (user000001.., password pw-<username>, as lib/radius.ts) each authenticate
 * ONCE: one PAP Access-Request with Message-Authenticator first (HMAC-MD5, RFC 3579 §3.2)
 * and NAS-IP-Address. First attempts are spread evenly over S seconds (subscriber i at
 * i * S / N). A request without an answer is retransmitted UNCHANGED (same bytes, so the
 * same Identifier and Request Authenticator, from the same source port: RFC 5080 §2.2.1)
 * after each wait of --retransmit (default 3000,6000,12000 ms: three retransmissions), then
 * abandoned after --final-wait (default 12000 ms).
 *
 * Identifiers: subscriber i uses socket i % P with Identifier (i / P) % 256, and P * 256 >= N,
 * so no (source port, Identifier) pair is ever used twice in a storm: a reply names exactly
 * one subscriber. Replies are read with recvmmsg and verified (Response Authenticator, and
 * the Message-Authenticator when present); an Access-Accept or Access-Reject is an answer.
 *
 * Figures: t50/t90/t99/t100 = time from the storm's start until that share of ALL subscribers
 * had its answer (null: never reached); answers by attempt number (how many attempts had been
 * sent when the answer came); datagrams sent (first attempts and retransmissions apart);
 * latency of an answer = from the LAST send of its request (what the NAS's timer sees);
 * a per-interval timeline of sends and answers. JSON on stdout (--json), summary on stderr.
 *
 * Build: cc -O2 -Wall -o storm-load load-tests/storm-load.c -lm   (no libssl needed)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define PROG "storm-load"
#include "radius-common.h"

#define MAX_RETX 8

enum { S_PENDING = 0, S_ANSWERED = 1, S_ABANDONED = 2 };

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}
/* The q-quantile of n sorted values; NaN when empty. */
static double pct_f(const float *s, size_t n, double q) {
    if (!n) return NAN;
    long i = (long)ceil(q * (double)n) - 1;
    if (i < 0) i = 0;
    if ((size_t)i >= n) i = (long)n - 1;
    return s[i];
}
static void jnum(FILE *o, const char *k, double v, const char *sep) {
    if (isnan(v)) fprintf(o, "\"%s\":null%s", k, sep);
    else fprintf(o, "\"%s\":%.3f%s", k, v, sep);
}
static void hnum(char *out, size_t cap, double v) {
    if (isnan(v)) snprintf(out, cap, "-");
    else snprintf(out, cap, "%.2f", v);
}

/* ---------------------------------------------------------------------------------------- */

static const char *USAGE =
    "Usage: storm-load [options]\n"
    "  --server HOST:PORT     IPv4 server (default 127.0.0.1:1812)\n"
    "  --secret S             shared secret (default testing123)\n"
    "  --subscribers N        subscribers user000001..userN, one authentication each (default 100000)\n"
    "  --first N              number of the first subscriber (default 1)\n"
    "  --user-prefix S        username prefix (default user); password pw-<username>\n"
    "  --spread S             first attempts spread evenly over S seconds (default 2)\n"
    "  --retransmit LIST      waits (ms) before each retransmission (default 3000,6000,12000; none)\n"
    "  --final-wait MS        wait after the last retransmission before giving up (default 12000)\n"
    "  --wrong-ratio X        share of subscribers sending a wrong password (default 0)\n"
    "  --budget MS            an answer within MS of its request's last send is within budget (50)\n"
    "  --sockets P            source sockets (default ceil(1.25 * N / 256); at least N / 256)\n"
    "  --bind ADDR            source address (default 127.0.0.1), also NAS-IP-Address\n"
    "  --rcvbuf B --sndbuf B  per-socket buffers (default 1 MiB / 256 KiB)\n"
    "  --timeline-ms MS       timeline interval of the JSON report (default 1000)\n"
    "  --seed N               wrong-password draws (default 1)\n"
    "  --tick-us U            send-schedule wake-up granularity (default 100)\n"
    "  --json  --quiet  --selftest\n";

static volatile sig_atomic_t interrupted;
static void on_sig(int s) { (void)s; interrupted = 1; }

int main(int argc, char **argv) {
    const char *server = "127.0.0.1:1812", *secret_s = "testing123", *prefix = "user", *bind_addr = NULL;
    const char *retx_spec = "3000,6000,12000";
    long nsub = 100000, first = 1, nsock = -1, seed = 1, tick_us = 100;
    double spread = 2, final_wait = 12000, wrong_ratio = 0, budget = 50, tl_ms = 1000;
    int rcvbuf = 1 << 20, sndbuf = 1 << 18, json = 0, quiet = 0;
    static struct option lo[] = {
        {"server", 1, 0, 's'}, {"secret", 1, 0, 'S'}, {"subscribers", 1, 0, 'n'}, {"first", 1, 0, 'f'}, {"user-prefix", 1, 0, 'U'},
        {"spread", 1, 0, 'd'}, {"retransmit", 1, 0, 'r'}, {"final-wait", 1, 0, 'F'}, {"wrong-ratio", 1, 0, 'w'}, {"budget", 1, 0, 'b'},
        {"sockets", 1, 0, 'p'}, {"bind", 1, 0, 'B'}, {"rcvbuf", 1, 0, 'R'}, {"sndbuf", 1, 0, 'W'}, {"timeline-ms", 1, 0, 'L'},
        {"seed", 1, 0, 'e'}, {"tick-us", 1, 0, 'T'}, {"json", 0, 0, 'j'}, {"quiet", 0, 0, 'q'}, {"selftest", 0, 0, 'x'},
        {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (o) {
        case 's': server = optarg; break;
        case 'S': secret_s = optarg; break;
        case 'n': nsub = atol(optarg); break;
        case 'f': first = atol(optarg); break;
        case 'U': prefix = optarg; break;
        case 'd': spread = atof(optarg); break;
        case 'r': retx_spec = optarg; break;
        case 'F': final_wait = atof(optarg); break;
        case 'w': wrong_ratio = atof(optarg); break;
        case 'b': budget = atof(optarg); break;
        case 'p': nsock = atol(optarg); break;
        case 'B': bind_addr = optarg; break;
        case 'R': rcvbuf = atoi(optarg); break;
        case 'W': sndbuf = atoi(optarg); break;
        case 'L': tl_ms = atof(optarg); break;
        case 'e': seed = atol(optarg); break;
        case 'T': tick_us = atol(optarg); break;
        case 'j': json = 1; break;
        case 'q': quiet = 1; break;
        case 'x': return selftest();
        case 'h': fputs(USAGE, stdout); return 0;
        default: fputs(USAGE, stderr); return 64;
        }
    }
    if (nsub < 1 || nsub > 10000000 || first < 0 || spread <= 0 || final_wait < 0 || wrong_ratio < 0 || wrong_ratio > 1 || budget <= 0 || tl_ms <= 0 || tick_us < 1)
        die("bad numeric option%s", "");
    if (strlen(prefix) > 200) die("--user-prefix too long%s", "");
    /* Retransmission waits. */
    double waits[MAX_RETX];
    int nretx = 0;
    if (strcmp(retx_spec, "none") != 0) {
        char *dup = strdup(retx_spec), *save = NULL;
        for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (nretx == MAX_RETX) die("at most 8 retransmissions in --retransmit %s", retx_spec);
            double w = atof(tok);
            if (!(w > 0)) die("bad --retransmit %s (e.g. 3000,6000,12000)", retx_spec);
            waits[nretx++] = w;
        }
        free(dup);
    }
    /* offs[a] = time of attempt a (0 = first) after the first attempt; offs[nretx+1] = abandon. */
    double offs[MAX_RETX + 2];
    offs[0] = 0;
    for (int a = 0; a < nretx; a++) offs[a + 1] = offs[a] + waits[a];
    offs[nretx + 1] = offs[nretx] + final_wait;
    int nattempts = nretx + 1;

    set_secret(secret_s);

    char host[64] = "127.0.0.1";
    int port = parse_server(server, host, sizeof host);
    struct sockaddr_in dst;
    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &dst.sin_addr) != 1) die("--server must be IPv4:port, got %s", server);
    struct in_addr src;
    src.s_addr = htonl(INADDR_LOOPBACK);
    if (bind_addr && inet_pton(AF_INET, bind_addr, &src) != 1) die("--bind must be an IPv4 address: %s", bind_addr);

    long min_sock = (nsub + 255) / 256;
    if (nsock < 0) nsock = (long)ceil(1.25 * (double)nsub / 256);
    if (nsock < min_sock) die("--sockets must be at least subscribers / 256 (every request its own port and Identifier)%s", "");
    /* One descriptor per socket, plus epoll, timerfd, stdio and /proc reads. */
    {
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rlim_t need = (rlim_t)nsock + 64;
        if (rl.rlim_cur < need) {
            rl.rlim_cur = need <= rl.rlim_max ? need : rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
            if (rl.rlim_cur < need) die("RLIMIT_NOFILE too low for the sockets (raise the hard limit, or lower --sockets)%s", "");
        }
    }

    /* ---- Build every request. ---- */
    double b0 = mono_ms();
    size_t n = (size_t)nsub;
    uint32_t *off = malloc(sizeof(uint32_t) * n);
    uint16_t *plen = malloc(sizeof(uint16_t) * n);
    uint8_t *wrong = calloc(n, 1);
    if (!off || !plen || !wrong) die("out of memory%s", "");
    mb_state = (uint32_t)seed ^ 0x570a3u;
    size_t total = 0, pfx = strlen(prefix);
    for (size_t i = 0; i < n; i++) {
        wrong[i] = wrong_ratio > 0 && mb_next() < wrong_ratio;
        char nm[300];
        int nl = snprintf(nm, sizeof nm, "%s%06ld", prefix, first + (long)i);
        size_t pwl = (size_t)nl + 3 + (wrong[i] ? 1 : 0);
        size_t hid = pwl <= 16 ? 16 : (pwl + 15) / 16 * 16;
        if (nl > 253 || pwl > 128) die("username too long%s", "");
        size_t l = 20 + 18 + 2 + (size_t)nl + 2 + hid + 6;
        off[i] = (uint32_t)total;
        plen[i] = (uint16_t)l;
        total += l;
    }
    (void)pfx;
    uint8_t *buf = malloc(total);
    if (!buf) die("out of memory%s", "");
    for (size_t i = 0; i < n; i++) {
        uint8_t *p0 = buf + off[i], *p = p0 + 20;
        if (getrandom(p0 + 4, 16, 0) != 16) die("getrandom failed%s", "");
        p0[0] = 1; /* Access-Request */
        p0[1] = (uint8_t)((i / (size_t)nsock) & 0xff);
        p0[2] = (uint8_t)(plen[i] >> 8);
        p0[3] = (uint8_t)plen[i];
        uint8_t *ma = p; /* Message-Authenticator first (BlastRADIUS hardening) */
        p[0] = 80;
        p[1] = 18;
        memset(p + 2, 0, 16);
        p += 18;
        char nm[300], pw[300];
        int nl = snprintf(nm, sizeof nm, "%s%06ld", prefix, first + (long)i);
        int pwl = snprintf(pw, sizeof pw, "pw-%s%s", nm, wrong[i] ? "x" : "");
        p[0] = 1;
        p[1] = (uint8_t)(2 + nl);
        memcpy(p + 2, nm, (size_t)nl);
        p += 2 + nl;
        /* RFC 2865 §5.2: User-Password hidden with MD5(secret + RA), chained per 16 bytes. */
        int hid = pwl <= 16 ? 16 : (pwl + 15) / 16 * 16;
        p[0] = 2;
        p[1] = (uint8_t)(2 + hid);
        p += 2;
        uint8_t hin[256 + 16], b[16];
        memcpy(hin, secret, secretlen);
        memcpy(hin + secretlen, p0 + 4, 16);
        for (int blk = 0; blk < hid; blk += 16) {
            md5(hin, secretlen + 16, b);
            for (int k = 0; k < 16; k++) {
                uint8_t c = (uint8_t)((blk + k < pwl ? (uint8_t)pw[blk + k] : 0) ^ b[k]);
                p[k] = c;
                hin[secretlen + k] = c;
            }
            p += 16;
        }
        p[0] = 4; /* NAS-IP-Address */
        p[1] = 6;
        memcpy(p + 2, &src.s_addr, 4);
        p += 6;
        if ((size_t)(p - p0) != plen[i]) die("packet layout mismatch%s", "");
        hmac_md5(&hkey, p0, plen[i], ma + 2);
    }
    double build_ms = mono_ms() - b0;

    /* ---- Sockets, connected: the kernel filters replies from anything else. ---- */
    int *fds = malloc(sizeof(int) * (size_t)nsock), *lports = malloc(sizeof(int) * (size_t)nsock);
    int ep = epoll_create1(0);
    if (!fds || !lports || ep < 0) die("out of memory / epoll%s", "");
    for (long s = 0; s < nsock; s++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) die("socket: %s", strerror(errno));
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        struct sockaddr_in la;
        memset(&la, 0, sizeof la);
        la.sin_family = AF_INET;
        la.sin_addr = src;
        socklen_t ll = sizeof la;
        if (bind(fd, (struct sockaddr *)&la, ll) < 0) die("bind: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) die("connect: %s", strerror(errno));
        getsockname(fd, (struct sockaddr *)&la, &ll);
        lports[s] = ntohs(la.sin_port);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)s};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        fds[s] = fd;
    }
    rx_t rx;
    rx_init(&rx, ep, on_sig);
    if (!quiet)
        fprintf(stderr, "storm-load: %ld subscribers over %g s to %s, %ld sockets, retransmit after %s ms, give up %g ms later; built in %.0f ms\n", nsub, spread,
                server, nsock, nretx ? retx_spec : "(none)", final_wait, build_ms);

    /* ---- Per-subscriber state. ---- */
    uint8_t *st = calloc(n, 1), *attempts = calloc(n, 1), *code = calloc(n, 1);
    float *t_ans = malloc(sizeof(float) * n), *lat = malloc(sizeof(float) * n);
    float *t_last = malloc(sizeof(float) * n); /* time of the last send */
    if (!st || !attempts || !code || !t_ans || !lat || !t_last) die("out of memory%s", "");
    /* Send lag (actual - scheduled send time) of every datagram: a starved generator shows here. */
    float *lagv = malloc(sizeof(float) * n * (size_t)nattempts);
    size_t nlag = 0;
    if (!lagv) die("out of memory%s", "");
    double span = spread * 1000;
    double gap = span / (double)n; /* subscriber i's first attempt at i * gap */
    size_t cursor[MAX_RETX + 2];   /* per attempt number (and abandon), next subscriber to look at */
    memset(cursor, 0, sizeof cursor);
    size_t ans_by_attempt[MAX_RETX + 1];
    memset(ans_by_attempt, 0, sizeof ans_by_attempt);
    long long sent_first = 0, sent_retx = 0, send_errors = 0, answered = 0, abandoned = 0, accept = 0, reject = 0, other_code = 0;
    long long bad_auth = 0, bad_ma = 0, malformed = 0, strays = 0, dups = 0, after_abandon = 0, within = 0;
    long long right_rejected = 0, wrong_accepted = 0, pending = (long long)n;
    /* Timeline by event time. */
    size_t ntl = 16, tl_cap = 0;
    long long *tl_first = NULL, *tl_retx = NULL, *tl_ans = NULL, *tl_within = NULL;
#define TL_GROW(b)                                                                                                   \
    do {                                                                                                             \
        if ((b) >= tl_cap) {                                                                                         \
            size_t nc = (b) + 64;                                                                                    \
            tl_first = realloc(tl_first, nc * sizeof(long long));                                                   \
            tl_retx = realloc(tl_retx, nc * sizeof(long long));                                                      \
            tl_ans = realloc(tl_ans, nc * sizeof(long long));                                                        \
            tl_within = realloc(tl_within, nc * sizeof(long long));                                                  \
            if (!tl_first || !tl_retx || !tl_ans || !tl_within) die("out of memory%s", "");                          \
            for (size_t z = tl_cap; z < nc; z++) tl_first[z] = tl_retx[z] = tl_ans[z] = tl_within[z] = 0;          \
            tl_cap = nc;                                                                                             \
        }                                                                                                            \
        if ((b) + 1 > ntl) ntl = (b) + 1;                                                                            \
    } while (0)
    TL_GROW(ntl);
    ntl = 1;

    counters_t ctr;
    read_counters(&ctr);
    long long udp_rcv0 = counter_value(&ctr, "UdpRcvbufErrors"), srv_drops0 = socket_drops(NULL, 0, port);

    double t0_abs_ns, tick_ms = tick_us / 1000.0, next_progress = 1000, last_event = 0;
    {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        t0_abs_ns = (double)ts.tv_sec * 1e9 + ts.tv_nsec + 20e6;
    }
    const double t0 = t0_abs_ns / 1e6;
    long long p_first = 0, p_retx = 0, p_ans = 0;
    int sec = 0;

    while (!interrupted && pending > 0) {
        double now = mono_ms() - t0;
        /* Sends due: first attempts (a = 0) and retransmissions (a >= 1), each in subscriber order. */
        for (int a = 0; a < nattempts; a++) {
            size_t i = cursor[a];
            int batch = 0;
            while (i < n && (double)i * gap + offs[a] <= now) {
                if (st[i] == S_PENDING && attempts[i] == a) {
                    size_t s = i % (size_t)nsock;
                    if (send(fds[s], buf + off[i], plen[i], 0) < 0) send_errors++;
                    attempts[i] = (uint8_t)(a + 1);
                    if ((++batch & 15) == 0) now = mono_ms() - t0;
                    t_last[i] = (float)now;
                    lagv[nlag++] = (float)(now - ((double)i * gap + offs[a]));
                    size_t b = (size_t)(now / tl_ms);
                    TL_GROW(b);
                    if (a == 0) { sent_first++; tl_first[b]++; }
                    else { sent_retx++; tl_retx[b]++; }
                }
                i++;
            }
            cursor[a] = i;
        }
        /* Give up on requests whose final wait is over. */
        {
            size_t i = cursor[nattempts];
            while (i < n && (double)i * gap + offs[nattempts] <= now) {
                if (st[i] == S_PENDING) {
                    st[i] = S_ABANDONED;
                    abandoned++;
                    pending--;
                }
                i++;
            }
            cursor[nattempts] = i;
        }
        if (now >= next_progress) {
            sec++;
            if (!quiet)
                fprintf(stderr, "[%3ds] sent %lld first + %lld retransmissions, answered %lld, pending %lld, abandoned %lld, bad %lld\n", sec, sent_first - p_first,
                        sent_retx - p_retx, answered - p_ans, pending, abandoned, bad_auth + bad_ma + malformed);
            p_first = sent_first;
            p_retx = sent_retx;
            p_ans = answered;
            next_progress += 1000;
        }
        if (pending == 0) break;

        /* Sleep until the next due event (on a --tick-us grid) or a reply. */
        double wake = next_progress;
        for (int a = 0; a <= nattempts; a++)
            if (cursor[a] < n) {
                double w = (double)cursor[a] * gap + offs[a];
                if (w < wake) wake = w;
            }
        rx_wait(&rx, wake, wake <= now, t0_abs_ns, tick_ms);
        uint32_t s;
        const uint8_t *r;
        long rl; /* each reply: its socket s, bytes r and length rl */
        while ((rl = rx_next(&rx, fds, &s, &r, &send_errors, &malformed)) >= 0) {
            double rnow = mono_ms() - t0;
            size_t i = (size_t)r[1] * (size_t)nsock + s; /* the one subscriber on (socket, Identifier) */
            if (i >= n) { strays++; continue; }
            int f = verify_reply(r, rl, buf + off[i] + 4);
            if (f & V_FAILED) {
                if (f & V_MALFORMED) malformed++;
                if (f & V_BAD_AUTH) bad_auth++;
                if (f & V_BAD_MA) bad_ma++;
                continue;
            }
            if (r[0] != 2 && r[0] != 3) { other_code++; continue; }
            if (st[i] == S_ANSWERED) { dups++; continue; }
            if (st[i] == S_ABANDONED) { after_abandon++; continue; }
            st[i] = S_ANSWERED;
            pending--;
            answered++;
            code[i] = r[0];
            t_ans[i] = (float)rnow;
            lat[i] = (float)(rnow - t_last[i]);
            ans_by_attempt[attempts[i] - 1]++;
            int ok = lat[i] <= budget;
            if (ok) within++;
            size_t b = (size_t)(rnow / tl_ms);
            TL_GROW(b);
            tl_ans[b]++;
            if (ok) tl_within[b]++;
            if (r[0] == 2) {
                accept++;
                if (wrong[i]) wrong_accepted++;
            } else {
                reject++;
                if (!wrong[i]) right_rejected++;
            }
            if (rnow > last_event) last_event = rnow;
        }
    }
    double end_ms = mono_ms() - t0;
    /* Late duplicates: read what is already queued, without waiting. */
    for (long s = 0; s < nsock; s++) {
        int got;
        while ((got = recvmmsg(fds[s], rx_msgs, RECV_BATCH, MSG_DONTWAIT, NULL)) > 0) dups += got;
    }
    long long gen_drops = socket_drops(lports, (int)nsock, 0);
    long long srv_drops = srv_drops0 >= 0 ? socket_drops(NULL, 0, port) - srv_drops0 : -1;
    read_counters(&ctr);
    long long udp_rcv = udp_rcv0 >= 0 ? counter_value(&ctr, "UdpRcvbufErrors") - udp_rcv0 : -1;
    for (long s = 0; s < nsock; s++) close(fds[s]);

    /* Quantiles over ALL subscribers: unanswered count as never. */
    float *ta = malloc(sizeof(float) * (n ? n : 1)), *la = malloc(sizeof(float) * (n ? n : 1));
    size_t na = 0;
    for (size_t i = 0; i < n; i++)
        if (st[i] == S_ANSWERED) {
            ta[na] = t_ans[i] / 1000.0f;
            la[na++] = lat[i];
        }
    qsort(ta, na, sizeof(float), cmp_float);
    qsort(la, na, sizeof(float), cmp_float);
    qsort(lagv, nlag, sizeof(float), cmp_float);
    double qs[4] = {0.5, 0.9, 0.99, 1.0}, tq[4];
    for (int q = 0; q < 4; q++) {
        size_t rank = (size_t)ceil(qs[q] * (double)n);
        if (rank < 1) rank = 1;
        tq[q] = rank <= na ? ta[rank - 1] : NAN;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;

    char h[4][16], hl[3][16];
    for (int q = 0; q < 4; q++) hnum(h[q], sizeof h[q], tq[q]);
    hnum(hl[0], 16, pct_f(la, na, 0.5));
    hnum(hl[1], 16, pct_f(la, na, 0.99));
    hnum(hl[2], 16, na ? la[na - 1] : NAN);
    fprintf(stderr, "storm-load: %ld subscribers over %g s: answered %lld (accept %lld, reject %lld), abandoned %lld%s\n", nsub, spread, answered, accept, reject,
            abandoned, interrupted ? " (interrupted)" : "");
    fprintf(stderr, "  t50 %s  t90 %s  t99 %s  t100 %s s; answered at attempt", h[0], h[1], h[2], h[3]);
    for (int a = 0; a < nattempts; a++) fprintf(stderr, " %d: %zu", a + 1, ans_by_attempt[a]);
    fprintf(stderr, "\n  sent %lld first attempts + %lld retransmissions; latency from last send p50 %s p99 %s max %s ms; within %g ms: %lld\n", sent_first,
            sent_retx, hl[0], hl[1], hl[2], budget, within);
    fprintf(stderr, "  bad: authenticator %lld, message-authenticator %lld, malformed %lld; other code %lld; duplicates %lld, after give-up %lld; "
                    "reject for a right password %lld, accept for a wrong one %lld\n",
            bad_auth, bad_ma, malformed, other_code, dups, after_abandon, right_rejected, wrong_accepted);
    fprintf(stderr, "  kernel drops: server socket %lld, generator sockets %lld, UdpRcvbufErrors %+lld\n", srv_drops, gen_drops, udp_rcv);
    fprintf(stderr, "  send lag (behind schedule) p50 %.2f p99 %.2f max %.2f ms%s\n", pct_f(lagv, nlag, 0.5), pct_f(lagv, nlag, 0.99), nlag ? lagv[nlag - 1] : NAN,
            nlag && pct_f(lagv, nlag, 0.99) > 5 ? "  (the generator lagged: times include its delay)" : "");

    if (json) {
        FILE *out = stdout;
        fprintf(out, "{\"generator\":\"storm-load\",\"server\":\"%s\",\"subscribers\":%ld,\"spreadS\":%g,\"retransmitMs\":[", server, nsub, spread);
        for (int a = 0; a < nretx; a++) fprintf(out, "%s%g", a ? "," : "", waits[a]);
        fprintf(out, "],\"finalWaitMs\":%g,\"wrongRatio\":%g,\"sockets\":%ld,\"budgetMs\":%g,\"buildMs\":%.0f,", final_wait, wrong_ratio, nsock, budget, build_ms);
        fprintf(out, "\"sent\":{\"first\":%lld,\"retransmissions\":%lld,\"total\":%lld},\"sendErrors\":%lld,", sent_first, sent_retx, sent_first + sent_retx, send_errors);
        fprintf(out, "\"answered\":%lld,\"accept\":%lld,\"reject\":%lld,\"abandoned\":%lld,\"unfinished\":%lld,", answered, accept, reject, abandoned, pending);
        fprintf(out, "\"rejectForRightPassword\":%lld,\"acceptForWrongPassword\":%lld,", right_rejected, wrong_accepted);
        fprintf(out, "\"tS\":{");
        jnum(out, "t50", tq[0], ",");
        jnum(out, "t90", tq[1], ",");
        jnum(out, "t99", tq[2], ",");
        jnum(out, "t100", tq[3], "},");
        fprintf(out, "\"answeredByAttempt\":[");
        for (int a = 0; a < nattempts; a++) fprintf(out, "%s%zu", a ? "," : "", ans_by_attempt[a]);
        fprintf(out, "],\"latencyFromLastSendMs\":{");
        jnum(out, "p50", pct_f(la, na, 0.5), ",");
        jnum(out, "p99", pct_f(la, na, 0.99), ",");
        jnum(out, "max", na ? la[na - 1] : NAN, "},");
        fprintf(out, "\"sendLagMs\":{");
        jnum(out, "p50", pct_f(lagv, nlag, 0.5), ",");
        jnum(out, "p99", pct_f(lagv, nlag, 0.99), ",");
        jnum(out, "max", nlag ? lagv[nlag - 1] : NAN, "},");
        fprintf(out, "\"withinBudget\":%lld,\"bad\":{\"authenticator\":%lld,\"messageAuthenticator\":%lld,\"malformed\":%lld,\"otherCode\":%lld,\"strays\":%lld},",
                within, bad_auth, bad_ma, malformed, other_code, strays);
        fprintf(out, "\"duplicates\":%lld,\"answeredAfterAbandon\":%lld,\"lastAnswerS\":%.3f,\"endS\":%.3f,", dups, after_abandon, last_event / 1000, end_ms / 1000);
        fprintf(out, "\"serverSocketDrops\":%lld,\"generatorSocketDrops\":%lld,\"udpRcvbufErrors\":%lld,\"cpuMs\":%.0f,", srv_drops, gen_drops, udp_rcv, cpu);
        fprintf(out, "\"timeline\":{\"intervalMs\":%g", tl_ms);
        const char *names[4] = {"first", "retransmissions", "answered", "withinBudget"};
        long long *cols[4] = {tl_first, tl_retx, tl_ans, tl_within};
        for (int c = 0; c < 4; c++) {
            fprintf(out, ",\"%s\":[", names[c]);
            for (size_t b = 0; b < ntl; b++) fprintf(out, "%s%lld", b ? "," : "", cols[c][b]);
            fprintf(out, "]");
        }
        fprintf(out, "}}\n");
    }
    return interrupted ? 130 : 0;
}
