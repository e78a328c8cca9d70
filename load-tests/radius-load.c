/*
 * radius-load.c: the open-loop RADIUS load generator of load-tests/radius-load.ts, in C.
 *
 * Why a second one: a Node process pays ~7 us per datagram sent and ~10 us per datagram
 * received through dgram on this machine, so one core cannot both offer 60k+/s and read and
 * verify the replies. This version does the same thing with the same options, timetable
 * (same PRNG and seed), packets, checks and JSON report, at a few us per request:
 *  - every packet is built before the run (random Request Authenticator, hidden
 *    User-Password, HMAC-MD5 Message-Authenticator first);
 *  - packet k goes out on socket k % P with Identifier floor(k / P) % 256;
 *  - sends follow the Poisson timetable, waking on a timerfd at most every --tick-us;
 *  - replies are read with recvmmsg and each is verified (Response Authenticator, and the
 *    Message-Authenticator when present) against the request it answers;
 *  - latency is measured from the INTENDED send time (no coordinated omission).
 *
 * Build: cc -O2 -Wall -o radius-load load-tests/radius-load.c -lm   (no libssl needed)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

#define PROG "radius-load"
#include "radius-common.h"

enum { ST_UNSENT = 0, ST_INFLIGHT = 1, ST_ANSWERED = 2, ST_TIMEDOUT = 3 };

/* ---------------------------------------------------------------------------------------- */
/* Users */

typedef struct {
    char *name;
    char *pw;
    uint8_t namelen, pwlen, hidlen;
} user_t;

static user_t *users;
static size_t nusers;

static void add_user(const char *name, size_t nl, const char *pw, size_t pl) {
    if (nl < 1 || nl > 253) die("bad username length in users file%s", "");
    if (pl > 128) die("password over 128 bytes%s", "");
    static size_t cap;
    if (nusers == cap) {
        cap = cap ? cap * 2 : 1024;
        users = realloc(users, cap * sizeof *users);
        if (!users) die("out of memory%s", "");
    }
    user_t *u = &users[nusers++];
    u->name = strndup(name, nl);
    u->namelen = (uint8_t)nl;
    if (pw) {
        u->pw = strndup(pw, pl);
        u->pwlen = (uint8_t)pl;
    } else { /* derived password, as passwordFor() in lib/radius.ts */
        u->pw = malloc(nl + 4);
        memcpy(u->pw, "pw-", 3);
        memcpy(u->pw + 3, name, nl);
        u->pw[nl + 3] = 0;
        u->pwlen = (uint8_t)(nl + 3);
    }
    u->hidlen = u->pwlen <= 16 ? 16 : (uint8_t)((u->pwlen + 15) / 16 * 16);
}

/* Value of "key":"..." in a flat JSON line (no escape handling: generated data is plain). */
static int json_str(const char *line, const char *key, const char **v, size_t *vl) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(line, pat);
    if (!p) return 0;
    p += strlen(pat);
    while (*p == ' ' || *p == ':') p++;
    if (*p != '"') return 0;
    const char *e = strchr(++p, '"');
    if (!e) return 0;
    *v = p;
    *vl = (size_t)(e - p);
    return 1;
}

static void load_users_file(const char *file) {
    FILE *f = fopen(file, "r");
    if (!f) die("cannot open users file %s", file);
    char *line = NULL;
    size_t cap = 0;
    ssize_t r;
    while ((r = getline(&line, &cap, f)) >= 0) {
        while (r > 0 && (line[r - 1] == '\n' || line[r - 1] == '\r' || line[r - 1] == ' ')) line[--r] = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') continue;
        if (*p == '{') {
            const char *n, *w;
            size_t nl, wl;
            if (!json_str(p, "username", &n, &nl) || !json_str(p, "password", &w, &wl)) die("JSON line without username/password in %s", file);
            add_user(n, nl, w, wl);
        } else {
            char *sp = p + strcspn(p, " \t");
            if (*sp) {
                char *w = sp + strspn(sp, " \t");
                add_user(p, (size_t)(sp - p), w, strcspn(w, " \t"));
            } else {
                add_user(p, strlen(p), NULL, 0);
            }
        }
    }
    free(line);
    fclose(f);
    if (nusers == 0) die("no users in %s", file);
}

/* ---------------------------------------------------------------------------------------- */
/* Log histogram for the per-second progress line (as lib/histogram.ts). */

#define HSUB 16
#define HBUCKETS (HSUB * 30)
typedef struct {
    uint32_t c[HBUCKETS];
    uint32_t total;
} hist_t;
static void hist_add(hist_t *h, double ms) {
    double us = ms * 1000;
    int b = us <= 1 ? 0 : (int)floor(log2(us) * HSUB);
    if (b >= HBUCKETS) b = HBUCKETS - 1;
    h->c[b]++;
    h->total++;
}
static double hist_pct(const hist_t *h, double q) {
    if (!h->total) return NAN;
    uint32_t rank = (uint32_t)ceil(q * h->total), seen = 0;
    if (rank < 1) rank = 1;
    for (int b = 0; b < HBUCKETS; b++) {
        seen += h->c[b];
        if (seen >= rank) return pow(2, (b + 1) / (double)HSUB) / 1000;
    }
    return NAN;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}
static double pct_d(const double *s, size_t n, double q) {
    if (!n) return NAN;
    long i = (long)ceil(q * n) - 1;
    if (i < 0) i = 0;
    if ((size_t)i >= n) i = (long)n - 1;
    return s[i];
}
static double pct_f(const float *s, size_t n, double q) {
    if (!n) return NAN;
    long i = (long)ceil(q * n) - 1;
    if (i < 0) i = 0;
    if ((size_t)i >= n) i = (long)n - 1;
    return s[i];
}

/* JSON number: NaN is not JSON, print null. */
static void jnum(FILE *o, const char *k, double v, int last) {
    if (isnan(v)) fprintf(o, "\"%s\":null%s", k, last ? "" : ",");
    else fprintf(o, "\"%s\":%.3f%s", k, v, last ? "" : ",");
}

/* Acct-Session-Id of a request: prefix + slot in base 36 + "-" + generation (as lib/radius.ts). */
static size_t session_id(char *out, size_t cap, const char *prefix, uint32_t slot, uint32_t gen) {
    char b36[16];
    int i = 15;
    b36[i] = 0;
    do {
        b36[--i] = "0123456789abcdefghijklmnopqrstuvwxyz"[slot % 36];
        slot /= 36;
    } while (slot && i > 0);
    int l = snprintf(out, cap, "%s%s-%u", prefix, b36 + i, gen);
    if (l < 0 || (size_t)l >= cap) die("session id too long%s", "");
    return (size_t)l;
}

static uint8_t *put_u32(uint8_t *p, uint8_t type, uint32_t v) {
    p[0] = type;
    p[1] = 6;
    p[2] = (uint8_t)(v >> 24);
    p[3] = (uint8_t)(v >> 16);
    p[4] = (uint8_t)(v >> 8);
    p[5] = (uint8_t)v;
    return p + 6;
}

static uint8_t *put_octets(uint8_t *p, uint8_t type, const uint8_t *v, size_t len) {
    p[0] = type;
    p[1] = (uint8_t)(2 + len);
    memcpy(p + 2, v, len);
    return p + 2 + len;
}

/* ---------------------------------------------------------------------------------------- */
/* Overload-benchmark additions: --mode mix (class mix), --steps (piecewise rate), --bind,
 * --timeline-ms. Figures below are computed after the run from per-request records. */

enum { C_STATUS = 0, C_STATE = 1, C_PAP = 2, NCLASS = 3 };
static const char *CLASS_NAME[NCLASS] = {"status", "state", "pap"};

/* "status:2,state:18,pap:80" -> cumulative shares in cum[]; returns 0 on a bad spec. */
static int parse_mix(const char *spec, double cum[NCLASS]) {
    double w[NCLASS] = {0, 0, 0}, sum = 0;
    char *dup = strdup(spec), *save = NULL;
    for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon) { free(dup); return 0; }
        *colon = 0;
        int c = -1;
        for (int i = 0; i < NCLASS; i++)
            if (strcmp(tok, CLASS_NAME[i]) == 0) c = i;
        double v = atof(colon + 1);
        if (c < 0 || v < 0) { free(dup); return 0; }
        w[c] += v;
        sum += v;
    }
    free(dup);
    if (sum <= 0) return 0;
    double acc = 0;
    for (int i = 0; i < NCLASS; i++) cum[i] = (acc += w[i] / sum);
    cum[NCLASS - 1] = 1.0;
    return 1;
}

/* "10000:5,20000:5,10000:5" (rate/s : seconds) -> arrays; returns the number of steps (0: bad). */
#define MAX_STEPS 64
static int parse_steps(const char *spec, double *r, double *sec) {
    int n = 0;
    char *dup = strdup(spec), *save = NULL;
    for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == MAX_STEPS || sscanf(tok, "%lf:%lf", &r[n], &sec[n]) != 2 || r[n] <= 0 || sec[n] <= 0) { free(dup); return 0; }
        n++;
    }
    free(dup);
    return n;
}

/* Per-class figures (mix mode): sent, answered, within budget, accepts, latency of answers. */
static void report_classes(FILE *o, int json, const uint8_t *cls, const float *lat_k, const uint8_t *rc, size_t sent, double budget) {
    float *tmp = malloc(sizeof(float) * (sent ? sent : 1));
    if (json) fprintf(o, ",\"classes\":{");
    int firstc = 1;
    for (int c = 0; c < NCLASS; c++) {
        size_t ns = 0, na = 0, within = 0, acc = 0, acc_within = 0;
        for (size_t k = 0; k < sent; k++) {
            if (cls[k] != c) continue;
            ns++;
            if (isnan(lat_k[k])) continue;
            tmp[na++] = lat_k[k];
            if (lat_k[k] <= budget) within++;
            if (rc[k] == 2) {
                acc++;
                if (lat_k[k] <= budget) acc_within++;
            }
        }
        if (ns == 0) continue;
        qsort(tmp, na, sizeof(float), cmp_float);
        double share = (double)within / (double)ns;
        if (json) {
            fprintf(o, "%s\"%s\":{\"sent\":%zu,\"answered\":%zu,\"timeouts\":%zu,\"accept\":%zu,\"withinBudget\":%zu,\"acceptWithinBudget\":%zu,", firstc ? "" : ",",
                    CLASS_NAME[c], ns, na, ns - na, acc, within, acc_within);
            jnum(o, "successWithinBudget", share, 0);
            fprintf(o, "\"latencyMs\":{");
            jnum(o, "p50", pct_f(tmp, na, 0.5), 0);
            jnum(o, "p99", pct_f(tmp, na, 0.99), 1);
            fprintf(o, "}}");
        } else {
            fprintf(o, "class %-7s     sent %zu answered %zu (accept %zu) within budget %zu (%.1f %%) p50 %.2f p99 %.2f ms\n", CLASS_NAME[c], ns, na, acc,
                    within, 100 * share, pct_f(tmp, na, 0.5), pct_f(tmp, na, 0.99));
        }
        firstc = 0;
    }
    if (json) fprintf(o, "}");
    free(tmp);
}

/* Timeline by intended send time: per interval sent, answered, within budget, p99 of answers. */
static void report_timeline(FILE *o, const double *times, const float *lat_k, size_t sent, double span_ms, double iv, double budget) {
    size_t nb = (size_t)ceil(span_ms / iv);
    if (nb < 1) nb = 1;
    float *tmp = malloc(sizeof(float) * (sent ? sent : 1));
    size_t *ns = calloc(nb, sizeof(size_t)), *na = calloc(nb, sizeof(size_t)), *nw = calloc(nb, sizeof(size_t));
    double *p99 = malloc(sizeof(double) * nb);
    if (!tmp || !ns || !na || !nw || !p99) die("out of memory%s", "");
    size_t k = 0;
    for (size_t b = 0; b < nb; b++) {
        size_t m = 0;
        /* times[] is sorted: interval b holds a contiguous run of requests (the last takes the rest) */
        for (; k < sent && (times[k] < (double)(b + 1) * iv || b == nb - 1); k++) {
            ns[b]++;
            if (isnan(lat_k[k])) continue;
            tmp[m++] = lat_k[k];
            if (lat_k[k] <= budget) nw[b]++;
        }
        na[b] = m;
        qsort(tmp, m, sizeof(float), cmp_float);
        p99[b] = pct_f(tmp, m, 0.99);
    }
    const size_t *cols[3] = {ns, na, nw};
    const char *names[3] = {"sent", "answered", "withinBudget"};
    fprintf(o, ",\"timeline\":{\"intervalMs\":%g", iv);
    for (int c = 0; c < 3; c++) {
        fprintf(o, ",\"%s\":[", names[c]);
        for (size_t b = 0; b < nb; b++) fprintf(o, "%s%zu", b ? "," : "", cols[c][b]);
        fprintf(o, "]");
    }
    fprintf(o, ",\"p99Ms\":[");
    for (size_t b = 0; b < nb; b++) {
        if (isnan(p99[b])) fprintf(o, "%snull", b ? "," : "");
        else fprintf(o, "%s%.3f", b ? "," : "", p99[b]);
    }
    fprintf(o, "]}");
    free(ns);
    free(na);
    free(nw);
    free(p99);
    free(tmp);
}

/* ---------------------------------------------------------------------------------------- */

static const char *USAGE =
    "Usage: radius-load [options]   (same options as load-tests/radius-load.ts)\n"
    "  --server HOST:PORT  --secret S  --mode pap|status|acct  --rate R  --duration S  --count N\n"
    "  acct: --sessions N  --stop-ratio X  --session-prefix S  --prestarted  --acked FILE\n"
    "  --arrivals poisson|uniform  --timeout MS  --budget MS  --ports P  --users FILE\n"
    "  --user-prefix S  --users-count N  --seed N  --rcvbuf B  --sndbuf B  --max-packets N\n"
    "  --tick-us U (max wake-up granularity of the send schedule, default 100)\n"
    "  --json  --quiet  --selftest\n"
    "  --mode mix --mix status:2,state:18,pap:80  class mix in percent (state: PAP Access-Request\n"
    "                       with a State attribute); per-class figures in the report\n"
    "  --steps R:S,R:S,...  piecewise rate (requests/s : seconds), replaces --rate/--duration\n"
    "  --bind ADDR          source address of every socket (default loopback), also NAS-IP-Address\n"
    "  --timeline-ms MS     per-interval timeline by intended send time in the JSON report\n";

static volatile sig_atomic_t interrupted;
static void on_sig(int s) { (void)s; interrupted = 1; }

int main(int argc, char **argv) {
    const char *server = "127.0.0.1:1812", *mode = "pap", *arrivals = "poisson", *users_file = NULL, *prefix = "user";
    const char *secret_s = "testing123";
    double rate = 1000, duration = 10, timeout = 1000, budget = 50;
    long long count_cap = -1, max_packets = 5000000;
    long users_count = 100000, ports = -1, seed = 1, tick_us = 100;
    int rcvbuf = 1 << 20, sndbuf = 1 << 18, json = 0, quiet = 0;
    long sessions = 20000;
    double stop_ratio = 0.02;
    const char *session_prefix = NULL, *acked_file = NULL;
    int prestarted = 0, server_given = 0;
    const char *mix_spec = "status:2,state:18,pap:80", *steps_spec = NULL, *bind_addr = NULL;
    double timeline_ms = 0;
    static struct option lo[] = {
        {"server", 1, 0, 's'}, {"secret", 1, 0, 'S'}, {"mode", 1, 0, 'm'}, {"rate", 1, 0, 'r'}, {"duration", 1, 0, 'd'},
        {"count", 1, 0, 'c'}, {"arrivals", 1, 0, 'a'}, {"timeout", 1, 0, 't'}, {"budget", 1, 0, 'b'}, {"ports", 1, 0, 'p'},
        {"users", 1, 0, 'u'}, {"user-prefix", 1, 0, 'U'}, {"users-count", 1, 0, 'n'}, {"seed", 1, 0, 'e'}, {"rcvbuf", 1, 0, 'R'},
        {"sndbuf", 1, 0, 'W'}, {"max-packets", 1, 0, 'M'}, {"tick-us", 1, 0, 'T'}, {"json", 0, 0, 'j'}, {"quiet", 0, 0, 'q'},
        {"selftest", 0, 0, 'x'}, {"help", 0, 0, 'h'}, {"sessions", 1, 0, 1001}, {"stop-ratio", 1, 0, 1002},
        {"session-prefix", 1, 0, 1003}, {"prestarted", 0, 0, 1004}, {"acked", 1, 0, 1005},
        {"mix", 1, 0, 'X'}, {"steps", 1, 0, 'P'}, {"bind", 1, 0, 'B'}, {"timeline-ms", 1, 0, 'L'}, {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (o) {
        case 's': server = optarg; server_given = 1; break;
        case 1001: sessions = atol(optarg); break;
        case 1002: stop_ratio = atof(optarg); break;
        case 1003: session_prefix = optarg; break;
        case 1004: prestarted = 1; break;
        case 1005: acked_file = optarg; break;
        case 'S': secret_s = optarg; break;
        case 'm': mode = optarg; break;
        case 'r': rate = atof(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'c': count_cap = atoll(optarg); break;
        case 'a': arrivals = optarg; break;
        case 't': timeout = atof(optarg); break;
        case 'b': budget = atof(optarg); break;
        case 'p': ports = atol(optarg); break;
        case 'u': users_file = optarg; break;
        case 'U': prefix = optarg; break;
        case 'n': users_count = atol(optarg); break;
        case 'e': seed = atol(optarg); break;
        case 'R': rcvbuf = atoi(optarg); break;
        case 'W': sndbuf = atoi(optarg); break;
        case 'M': max_packets = atoll(optarg); break;
        case 'T': tick_us = atol(optarg); break;
        case 'j': json = 1; break;
        case 'q': quiet = 1; break;
        case 'X': mix_spec = optarg; break;
        case 'P': steps_spec = optarg; break;
        case 'B': bind_addr = optarg; break;
        case 'L': timeline_ms = atof(optarg); break;
        case 'x': return selftest();
        case 'h': fputs(USAGE, stdout); return 0;
        default: fputs(USAGE, stderr); return 64;
        }
    }
    int pap = strcmp(mode, "pap") == 0, mix = strcmp(mode, "mix") == 0;
    int acct = strcmp(mode, "acct") == 0;
    if (!pap && !mix && !acct && strcmp(mode, "status") != 0) die("--mode must be pap, status, mix or acct, got %s", mode);
    if (acct && !server_given) server = "127.0.0.1:1813";
    if (acct && (sessions < 1 || stop_ratio < 0 || stop_ratio > 1)) die("bad --sessions / --stop-ratio%s", "");
    char prefix_buf[64];
    if (!session_prefix) {
        snprintf(prefix_buf, sizeof prefix_buf, "s%ld-", seed);
        session_prefix = prefix_buf;
    }
    double mix_cum[NCLASS];
    if (mix && !parse_mix(mix_spec, mix_cum)) die("bad --mix %s (e.g. status:2,state:18,pap:80)", mix_spec);
    double step_r[MAX_STEPS], step_s[MAX_STEPS];
    int nsteps = 0;
    if (steps_spec) {
        nsteps = parse_steps(steps_spec, step_r, step_s);
        if (!nsteps) die("bad --steps %s (e.g. 10000:5,20000:5,10000:5)", steps_spec);
        rate = 0;
        duration = 0;
        for (int i = 0; i < nsteps; i++) {
            if (step_r[i] > rate) rate = step_r[i]; /* the peak sizes the ports */
            duration += step_s[i];
        }
    }
    if (timeline_ms < 0) die("bad --timeline-ms%s", "");
    if (rate <= 0 || duration <= 0 || timeout <= 0 || budget < 0 || users_count < 1 || tick_us < 1) die("bad numeric option%s", "");
    int poisson = strcmp(arrivals, "poisson") == 0;
    if (!poisson && strcmp(arrivals, "uniform") != 0) die("--arrivals must be poisson or uniform%s", "");
    set_secret(secret_s);

    char host[128] = "127.0.0.1";
    int port = parse_server(server, host, sizeof host);
    struct sockaddr_storage dst;
    memset(&dst, 0, sizeof dst);
    socklen_t dstlen;
    int family;
    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&dst)->sin_addr) == 1) {
        family = AF_INET;
        ((struct sockaddr_in *)&dst)->sin_family = AF_INET;
        ((struct sockaddr_in *)&dst)->sin_port = htons((uint16_t)port);
        dstlen = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&dst)->sin6_addr) == 1) {
        family = AF_INET6;
        ((struct sockaddr_in6 *)&dst)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&dst)->sin6_port = htons((uint16_t)port);
        dstlen = sizeof(struct sockaddr_in6);
    } else {
        die("--server host must be an IP literal: %s", host);
    }
    long auto_ports = (long)ceil(rate * (timeout / 1000) * 1.25 / 256);
    if (auto_ports < 256) auto_ports = 256;
    if (ports < 0) ports = auto_ports;
    if (ports < 1 || ports > 20000) die("--ports must be 1..20000%s", "");
    if (ports * 256.0 < rate * timeout / 1000 && !quiet)
        fprintf(stderr, "warning: %ld ports x 256 Identifiers < rate x timeout: Identifiers will be reused while in flight\n", ports);

    if (users_file) {
        load_users_file(users_file);
    } else {
        for (long i = 1; i <= users_count; i++) {
            char nm[300];
            int l = snprintf(nm, sizeof nm, "%s%06ld", prefix, i);
            add_user(nm, (size_t)l, NULL, 0);
        }
    }

    /* Timetable and user picks (same draws as the TypeScript generator). */
    double expected = rate * duration;
    if (nsteps) {
        expected = 0;
        for (int i = 0; i < nsteps; i++) expected += step_r[i] * step_s[i];
    }
    long long cap = (long long)ceil(expected + 6 * sqrt(expected) + 16);
    if (count_cap > 0 && count_cap < cap) cap = count_cap;
    if (cap > max_packets) die("too many packets to precompute; lower --rate/--duration or raise --max-packets%s", "");
    double *times = malloc(sizeof(double) * (size_t)cap);
    if (!times) die("out of memory%s", "");
    double period = 1000.0 / rate, dur_ms = duration * 1000, t = 0;
    size_t n = 0;
    mb_state = (uint32_t)seed;
    if (nsteps) { /* piecewise rate: a new law from each step's start (memoryless for Poisson) */
        double seg_start = 0;
        for (int i = 0; i < nsteps && (long long)n < cap; i++) {
            double per = 1000.0 / step_r[i], seg_end = seg_start + step_s[i] * 1000;
            for (t = seg_start;;) {
                t += poisson ? -log(1 - mb_next()) * per : per;
                if (t >= seg_end || (long long)n >= cap) break;
                times[n++] = t;
            }
            seg_start = seg_end;
        }
    } else
    for (;;) {
        t += poisson ? -log(1 - mb_next()) * period : period;
        if (t >= dur_ms || (long long)n >= cap) break;
        times[n++] = t;
    }
    uint8_t *cls = calloc(n ? n : 1, 1); /* class per request (mix mode) */
    if (!cls) die("out of memory%s", "");
    if (mix) {
        mb_state = (uint32_t)seed ^ 0xc1a55u;
        for (size_t k = 0; k < n; k++) {
            double x = mb_next();
            int c = 0;
            while (c < NCLASS - 1 && x >= mix_cum[c]) c++;
            cls[k] = (uint8_t)c;
        }
    } else {
        memset(cls, pap ? C_PAP : C_STATUS, n ? n : 1);
    }
    uint8_t nas_ip[4] = {127, 0, 0, 1};
    if (bind_addr && family == AF_INET && inet_pton(AF_INET, bind_addr, nas_ip) != 1) die("--bind must be an IPv4 address here: %s", bind_addr);
    mb_state = (uint32_t)seed ^ 0x5eedu;
    uint32_t *pick = malloc(sizeof(uint32_t) * (n ? n : 1));
    for (size_t k = 0; k < n; k++) pick[k] = (uint32_t)floor(mb_next() * (double)nusers);

    /* Accounting: the same session draws as buildAccounting() in lib/radius.ts. */
    uint8_t *akind = NULL;
    uint32_t *aslot = NULL, *agen = NULL, *astime = NULL;
    long long acct_mix[4] = {0, 0, 0, 0};
    if (acct) {
        akind = malloc(n ? n : 1);
        aslot = malloc(sizeof(uint32_t) * (n ? n : 1));
        agen = malloc(sizeof(uint32_t) * (n ? n : 1));
        astime = malloc(sizeof(uint32_t) * (n ? n : 1));
        uint32_t *sstate = calloc((size_t)sessions, sizeof(uint32_t)), *sgen = calloc((size_t)sessions, sizeof(uint32_t));
        if (!akind || !aslot || !agen || !astime || !sstate || !sgen) die("out of memory%s", "");
        mb_state = (uint32_t)seed ^ 0xacc7u;
        if (prestarted)
            for (long s = 0; s < sessions; s++) sstate[s] = 1 + (uint32_t)floor(mb_next() * 60);
        for (size_t k = 0; k < n; k++) {
            uint32_t s = (uint32_t)floor(mb_next() * (double)sessions);
            aslot[k] = s;
            uint32_t st = sstate[s];
            astime[k] = 0;
            if (st == 0) {
                akind[k] = 1;
                sstate[s] = 1;
            } else if (mb_next() < stop_ratio) {
                akind[k] = 2;
                astime[k] = st * 60;
                sstate[s] = 0;
            } else {
                akind[k] = 3;
                astime[k] = st * 60;
                sstate[s] = st + 1;
            }
            agen[k] = sgen[s];
            if (akind[k] == 2) sgen[s]++;
            acct_mix[akind[k]]++;
        }
        free(sstate);
        free(sgen);
    }

    /* Build every packet. */
    double b0 = mono_ms();
    uint32_t *off = malloc(sizeof(uint32_t) * (n ? n : 1));
    uint16_t *plen = malloc(sizeof(uint16_t) * (n ? n : 1));
    size_t fixed = 20 + 18 + (family == AF_INET ? 6 : 0), total = 0;
    char sid[128];
    for (size_t k = 0; k < n; k++) {
        size_t l = fixed;
        if (cls[k] != C_STATUS) l += 2 + users[pick[k]].namelen + 2 + users[pick[k]].hidlen;
        if (cls[k] == C_STATE) l += 2 + 16;
        if (acct) {
            size_t sl = session_id(sid, sizeof sid, session_prefix, aslot[k], agen[k]);
            l = 20 + 6 + 2 + sl + 2 + users[aslot[k] % nusers].namelen + (family == AF_INET ? 6 : 0) + (akind[k] == 1 ? 6 : 18);
        }
        off[k] = (uint32_t)total;
        plen[k] = (uint16_t)l;
        total += l;
    }
    uint8_t *buf = malloc(total ? total : 1);
    if (!times || !pick || !off || !plen || !buf) die("out of memory%s", "");
    for (size_t done = 0; done < n * 16;) { /* random authenticators, filled in place below */
        static uint8_t rb[65536];
        size_t want = n * 16 - done < sizeof rb ? n * 16 - done : sizeof rb;
        ssize_t got = getrandom(rb, want, 0);
        if (got <= 0) die("getrandom failed%s", "");
        for (ssize_t i = 0; i < got; i++) {
            size_t idx = done + (size_t)i;
            buf[off[idx / 16] + 4 + idx % 16] = rb[i];
        }
        done += (size_t)got;
    }
    for (size_t k = 0; acct && k < n; k++) {
        /* RFC 2866 §3: Request Authenticator = MD5(Code+Id+Length+16 zeros+Attributes+Secret). */
        uint8_t *p0 = buf + off[k], *p = p0 + 20;
        p0[0] = 4;
        p0[1] = (uint8_t)((k / (size_t)ports) & 0xff);
        p0[2] = (uint8_t)(plen[k] >> 8);
        p0[3] = (uint8_t)plen[k];
        memset(p0 + 4, 0, 16);
        p = put_u32(p, 40, akind[k]);
        size_t sl = session_id(sid, sizeof sid, session_prefix, aslot[k], agen[k]);
        p = put_octets(p, 44, (const uint8_t *)sid, sl);
        const user_t *u = &users[aslot[k] % nusers];
        p = put_octets(p, 1, (const uint8_t *)u->name, u->namelen);
        if (family == AF_INET) {
            const uint8_t lo4[4] = {127, 0, 0, 1};
            p = put_octets(p, 4, lo4, 4);
        }
        if (akind[k] == 1) {
            uint32_t s = aslot[k];
            const uint8_t ip[4] = {10, (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s};
            p = put_octets(p, 8, ip, 4);
        } else {
            p = put_u32(p, 46, astime[k]);
            p = put_u32(p, 42, astime[k] * 1000u);
            p = put_u32(p, 43, astime[k] * 4000u);
        }
        if ((size_t)(p - p0) != plen[k]) die("accounting packet layout mismatch%s", "");
        static uint8_t hin[MAX_PKT + 256];
        memcpy(hin, p0, plen[k]);
        memcpy(hin + plen[k], secret, secretlen);
        md5(hin, plen[k] + secretlen, p0 + 4);
    }
    for (size_t k = 0; !acct && k < n; k++) {
        uint8_t *p0 = buf + off[k], *p = p0 + 20;
        p0[0] = cls[k] != C_STATUS ? 1 : 12;
        p0[1] = (uint8_t)((k / (size_t)ports) & 0xff);
        p0[2] = (uint8_t)(plen[k] >> 8);
        p0[3] = (uint8_t)plen[k];
        uint8_t *ma = p;
        p[0] = 80;
        p[1] = 18;
        memset(p + 2, 0, 16);
        p += 18;
        if (cls[k] != C_STATUS) {
            const user_t *u = &users[pick[k]];
            p[0] = 1;
            p[1] = (uint8_t)(2 + u->namelen);
            memcpy(p + 2, u->name, u->namelen);
            p += 2 + u->namelen;
            p[0] = 2;
            p[1] = (uint8_t)(2 + u->hidlen);
            p += 2;
            uint8_t hin[256 + 16], b[16];
            memcpy(hin, secret, secretlen);
            memcpy(hin + secretlen, p0 + 4, 16);
            for (int blk = 0; blk < u->hidlen; blk += 16) {
                md5(hin, secretlen + 16, b);
                for (int i = 0; i < 16; i++) {
                    uint8_t c = (uint8_t)((blk + i < u->pwlen ? (uint8_t)u->pw[blk + i] : 0) ^ b[i]);
                    p[i] = c;
                    hin[secretlen + i] = c;
                }
                p += 16;
            }
        }
        if (cls[k] == C_STATE) { /* State (RFC 2865 §5.24): as if continuing a conversation */
            p[0] = 24;
            p[1] = 18;
            memcpy(p + 2, "bench-state-", 12);
            for (int i = 0; i < 4; i++) p[14 + i] = (uint8_t)(k >> (8 * i));
            p += 18;
        }
        if (family == AF_INET) {
            p[0] = 4;
            p[1] = 6;
            memcpy(p + 2, nas_ip, 4);
            p += 6;
        }
        hmac_md5(&hkey, p0, plen[k], ma + 2);
    }
    double build_ms = mono_ms() - b0;
    if (!quiet) fprintf(stderr, "built %zu %s requests in %.0f ms (%.1f MiB); opening %ld sockets\n", n, mode, build_ms, total / 1048576.0, ports);

    /* Sockets, connected so replies from anything else are filtered by the kernel. */
    int *fds = malloc(sizeof(int) * (size_t)ports), *lports = malloc(sizeof(int) * (size_t)ports);
    int ep = epoll_create1(0);
    for (long s = 0; s < ports; s++) {
        int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) die("socket: %s", strerror(errno));
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        struct sockaddr_storage la;
        memset(&la, 0, sizeof la);
        socklen_t ll;
        if (family == AF_INET) {
            ((struct sockaddr_in *)&la)->sin_family = AF_INET;
            ((struct sockaddr_in *)&la)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (bind_addr) memcpy(&((struct sockaddr_in *)&la)->sin_addr, nas_ip, 4);
            ll = sizeof(struct sockaddr_in);
        } else {
            ((struct sockaddr_in6 *)&la)->sin6_family = AF_INET6;
            ((struct sockaddr_in6 *)&la)->sin6_addr = in6addr_loopback;
            if (bind_addr && inet_pton(AF_INET6, bind_addr, &((struct sockaddr_in6 *)&la)->sin6_addr) != 1) die("bad --bind %s", bind_addr);
            ll = sizeof(struct sockaddr_in6);
        }
        if (bind(fd, (struct sockaddr *)&la, ll) < 0) die("bind: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *)&dst, dstlen) < 0) die("connect: %s", strerror(errno));
        getsockname(fd, (struct sockaddr *)&la, &ll);
        lports[s] = ntohs(family == AF_INET ? ((struct sockaddr_in *)&la)->sin_port : ((struct sockaddr_in6 *)&la)->sin6_port);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)s};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        fds[s] = fd;
    }
    rx_t rx;
    rx_init(&rx, ep, on_sig);

    uint8_t *state = calloc(n ? n : 1, 1);
    int32_t *owner = malloc(sizeof(int32_t) * (size_t)ports * 256);
    for (long i = 0; i < ports * 256; i++) owner[i] = -1;
    double *lat = malloc(sizeof(double) * (n ? n : 1)), *rtt = malloc(sizeof(double) * (n ? n : 1));
    float *lag = malloc(sizeof(float) * (n ? n : 1));
    if (!state || !lat || !rtt || !lag) die("out of memory%s", "");
    float *lat_k = malloc(sizeof(float) * (n ? n : 1)); /* per request: latency if answered, else NaN */
    uint8_t *rc_k = calloc(n ? n : 1, 1);               /* per request: reply code */
    if (!lat_k || !rc_k) die("out of memory%s", "");
    for (size_t k = 0; k < n; k++) lat_k[k] = NAN;
    size_t next = 0, expire_idx = 0, nans = 0, inflight = 0;
    long long acct_resp = 0;
    long long accept = 0, reject = 0, challenge = 0, other = 0, timeouts = 0, bad_auth = 0, bad_ma = 0, malformed = 0, late = 0;
    long long after_to = 0, dups = 0, strays = 0, reuse = 0, send_errors = 0, no_ma = 0, ma_not_first = 0;
    const size_t cycle = (size_t)ports * 256;

    counters_t before, after;
    read_counters(&before);
    long long srv_drops0 = socket_drops(NULL, 0, port);

    hist_t wlat, wlag;
    memset(&wlat, 0, sizeof wlat);
    memset(&wlag, 0, sizeof wlag);
    double t0, last_send_at = 0, next_progress = 1000;
    size_t p_sent = 0, p_ans = 0;
    long long p_to = 0;
    int sec = 0;
    double tick_ms = tick_us / 1000.0;
    double t0_abs_ns;
    {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        t0_abs_ns = (double)ts.tv_sec * 1e9 + ts.tv_nsec + 20e6;
        t0 = t0_abs_ns / 1e6;
    }

    while (!interrupted) {
        double now = mono_ms() - t0;
        int batch = 0;
        while (next < n && times[next] <= now && batch < 4096) {
            size_t k = next++;
            size_t s = k % (size_t)ports;
            size_t slot = s * 256 + ((k / (size_t)ports) & 0xff);
            int32_t prev = owner[slot];
            if (prev >= 0 && state[prev] == ST_INFLIGHT) {
                state[prev] = ST_TIMEDOUT;
                inflight--;
                timeouts++;
                reuse++;
            }
            owner[slot] = (int32_t)k;
            state[k] = ST_INFLIGHT;
            inflight++;
            if (send(fds[s], buf + off[k], plen[k], 0) < 0) send_errors++;
            if ((++batch & 15) == 0) now = mono_ms() - t0;
            lag[k] = (float)(now - times[k]);
            hist_add(&wlag, now - times[k]);
        }
        if (batch) last_send_at = now;
        double limit = now - timeout;
        while (expire_idx < next && times[expire_idx] <= limit) {
            if (state[expire_idx] == ST_INFLIGHT) {
                state[expire_idx] = ST_TIMEDOUT;
                inflight--;
                timeouts++;
            }
            expire_idx++;
        }
        if (now >= next_progress) {
            sec++;
            if (!quiet)
                fprintf(stderr, "[%3ds] sent %zu/s answered %zu/s timeouts %lld inflight %zu bad %lld | p50 %.2f p99 %.2f ms | send lag p99 %.2f ms\n", sec,
                        next - p_sent, nans - p_ans, timeouts - p_to, inflight, bad_auth + bad_ma + malformed, hist_pct(&wlat, 0.5), hist_pct(&wlat, 0.99),
                        hist_pct(&wlag, 0.99));
            p_sent = next;
            p_ans = nans;
            p_to = timeouts;
            memset(&wlat, 0, sizeof wlat);
            memset(&wlag, 0, sizeof wlag);
            next_progress += 1000;
        }
        if (next >= n && inflight == 0) break;

        /* Sleep until the next due send (on a --tick-us grid) or a reply, whichever first. */
        double wake = next < n ? times[next] : now + 5;
        if (wake > next_progress) wake = next_progress;
        rx_wait(&rx, wake, wake <= now || batch >= 4096, t0_abs_ns, tick_ms);
        uint32_t s;
        const uint8_t *r;
        long rl; /* each reply: its socket s, bytes r and length rl */
        while ((rl = rx_next(&rx, fds, &s, &r, &send_errors, &malformed)) >= 0) {
            double rnow = mono_ms() - t0;
            int32_t k = owner[s * 256 + r[1]];
            if (k < 0) { strays++; continue; }
            int f = verify_reply(r, rl, buf + off[k] + 4);
            if (f & V_FAILED) {
                long kp = (long)k - (long)cycle;
                if (kp >= 0 && (verify_reply(r, rl, buf + off[kp] + 4) & V_FAILED) == 0) {
                    if (state[kp] == ST_ANSWERED) dups++;
                    else after_to++;
                    continue;
                }
                if (f & V_MALFORMED) malformed++;
                if (f & V_BAD_AUTH) bad_auth++;
                if (f & V_BAD_MA) bad_ma++;
                continue;
            }
            if (f & V_NO_MA) no_ma++;
            if (f & V_MA_NOT_FIRST) ma_not_first++;
            if (state[k] == ST_INFLIGHT) {
                state[k] = ST_ANSWERED;
                inflight--;
                double l = rnow - times[k];
                rtt[nans] = l - lag[k];
                lat[nans++] = l;
                lat_k[k] = (float)l;
                rc_k[k] = r[0];
                hist_add(&wlat, l);
                if (l > budget) late++;
                if (r[0] == 2) accept++;
                else if (r[0] == 3) reject++;
                else if (r[0] == 11) challenge++;
                else if (r[0] == 5) acct_resp++;
                else other++;
            } else if (state[k] == ST_TIMEDOUT) {
                after_to++;
            } else {
                dups++;
            }
        }
    }

    if (acct && acked_file) {
        FILE *af = fopen(acked_file, "w");
        if (!af) die("cannot write %s", acked_file);
        static const char *kn[4] = {"?", "start", "stop", "interim"};
        for (size_t k = 0; k < n; k++) {
            if (state[k] != ST_ANSWERED) continue;
            session_id(sid, sizeof sid, session_prefix, aslot[k], agen[k]);
            fprintf(af, "%s\t%s\t%u\t%.*s\n", sid, kn[akind[k]], astime[k], (int)users[aslot[k] % nusers].namelen, users[aslot[k] % nusers].name);
        }
        fclose(af);
    }
    long long gen_drops = socket_drops(lports, (int)ports, 0);
    long long srv_drops = socket_drops(NULL, 0, port) - srv_drops0;
    read_counters(&after);
    for (long s = 0; s < ports; s++) close(fds[s]);

    qsort(lat, nans, sizeof(double), cmp_double);
    qsort(rtt, nans, sizeof(double), cmp_double);
    qsort(lag, next, sizeof(float), cmp_float);
    double sum = 0;
    for (size_t i = 0; i < nans; i++) sum += lat[i];
    double window_s = ((long long)n < cap) ? duration : (n ? (times[n - 1] > 1 ? times[n - 1] : 1) / 1000 : duration);
    double achieved = next / ((last_send_at > 1 ? last_send_at : 1) / 1000);
    char srv[160];
    snprintf(srv, sizeof srv, family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);

    FILE *out = stdout;
    if (json) {
        fprintf(out, "{\"generator\":\"c\",\"server\":\"%s\",\"mode\":\"%s\",\"arrivals\":\"%s\",\"offeredRate\":%g,\"durationS\":%g,\"ports\":%ld,", srv, mode, arrivals, rate,
                duration, ports);
        fprintf(out, "\"timeoutMs\":%g,\"budgetMs\":%g,\"users\":%zu,\"buildMs\":%.0f,\"requests\":%zu,\"sent\":%zu,\"intendedRate\":%.0f,\"achievedSendRate\":%.0f,", timeout,
                budget, nusers, build_ms, n, next, n / window_s, achieved);
        fprintf(out, "\"sendLagMs\":{");
        jnum(out, "p50", pct_f(lag, next, 0.5), 0);
        jnum(out, "p99", pct_f(lag, next, 0.99), 0);
        jnum(out, "max", next ? lag[next - 1] : NAN, 1);
        fprintf(out, "},\"answered\":%zu,\"answeredPerSec\":%.0f,\"accept\":%lld,\"reject\":%lld,\"challenge\":%lld,\"otherCode\":%lld,\"timeouts\":%lld,", nans,
                nans / window_s, accept, reject, challenge, other, timeouts);
        fprintf(out, "\"acctResponse\":%lld,", acct_resp);
        if (acct) fprintf(out, "\"acctMix\":{\"start\":%lld,\"interim\":%lld,\"stop\":%lld},", acct_mix[1], acct_mix[3], acct_mix[2]);
        fprintf(out, "\"badAuthenticator\":%lld,\"badMessageAuthenticator\":%lld,\"malformed\":%lld,\"late\":%lld,\"withinBudget\":%lld,\"goodput\":%.0f,", bad_auth,
                bad_ma, malformed, late, (long long)nans - late, (nans - late) / window_s);
        fprintf(out, "\"answeredAfterTimeout\":%lld,\"duplicates\":%lld,\"strays\":%lld,\"identifierReuseInFlight\":%lld,\"sendErrors\":%lld,", after_to, dups,
                strays, reuse, send_errors);
        fprintf(out, "\"repliesWithoutMA\":%lld,\"repliesMANotFirst\":%lld,\"latencyMs\":{", no_ma, ma_not_first);
        jnum(out, "p50", pct_d(lat, nans, 0.5), 0);
        jnum(out, "p90", pct_d(lat, nans, 0.9), 0);
        jnum(out, "p99", pct_d(lat, nans, 0.99), 0);
        jnum(out, "p999", pct_d(lat, nans, 0.999), 0);
        jnum(out, "max", nans ? lat[nans - 1] : NAN, 0);
        jnum(out, "mean", nans ? sum / nans : NAN, 1);
        fprintf(out, "},\"rttMs\":{");
        jnum(out, "p50", pct_d(rtt, nans, 0.5), 0);
        jnum(out, "p99", pct_d(rtt, nans, 0.99), 1);
        fprintf(out, "},\"generatorSocketDrops\":%lld,\"serverSocketDrops\":%lld,\"udp\":{", gen_drops, srv_drops);
        int firstc = 1;
        for (int i = 0; i < after.n; i++) {
            long long b = 0;
            for (int j = 0; j < before.n; j++)
                if (strcmp(before.name[j], after.name[i]) == 0) b = before.val[j];
            long long d = after.val[i] - b;
            if (d != 0 || strstr(after.name[i], "RcvbufErrors") || strstr(after.name[i], "SndbufErrors") || strstr(after.name[i], "InErrors")) {
                fprintf(out, "%s\"%s\":%lld", firstc ? "" : ",", after.name[i], d);
                firstc = 0;
            }
        }
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double cpu = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
        fprintf(out, "},\"cpuMs\":%.0f", cpu);
        if (mix) report_classes(out, 1, cls, lat_k, rc_k, next, budget);
        if (bind_addr) fprintf(out, ",\"bind\":\"%s\"", bind_addr);
        if (timeline_ms > 0) report_timeline(out, times, lat_k, next, duration * 1000, timeline_ms, budget);
        fprintf(out, "}\n");
    } else {
        fprintf(out, "radius-load (C): %s to %s, %g/s %s for %g s, %ld ports, timeout %g ms, budget %g ms, %zu users\n", mode, srv, rate, arrivals, duration, ports,
                timeout, budget, nusers);
        fprintf(out, "sent              %zu of %zu (achieved %.0f/s, intended %.0f/s; send lag p50 %.2f p99 %.2f max %.2f ms)\n", next, n, achieved, n / window_s,
                pct_f(lag, next, 0.5), pct_f(lag, next, 0.99), next ? lag[next - 1] : NAN);
        fprintf(out, "answered          %zu (%.0f/s)\n  accept          %lld\n  reject          %lld\n  challenge/other %lld/%lld\n", nans, nans / window_s, accept, reject,
                challenge, other);
        if (acct) fprintf(out, "  acct-response   %lld (offered: %lld Start, %lld Interim-Update, %lld Stop)\n", acct_resp, acct_mix[1], acct_mix[3], acct_mix[2]);
        fprintf(out, "timeouts          %lld (no valid answer within %g ms)\n", timeouts, timeout);
        fprintf(out, "bad authenticator %lld   bad message-authenticator %lld   malformed %lld\n", bad_auth, bad_ma, malformed);
        fprintf(out, "late              %lld (answered after %g ms)\n", late, budget);
        fprintf(out, "goodput           %.0f/s (answered within %g ms)\n", (nans - late) / window_s, budget);
        fprintf(out, "latency (ms)      p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  mean %.2f\n", pct_d(lat, nans, 0.5), pct_d(lat, nans, 0.9),
                pct_d(lat, nans, 0.99), pct_d(lat, nans, 0.999), nans ? lat[nans - 1] : NAN, nans ? sum / nans : NAN);
        fprintf(out, "from actual send  p50 %.2f  p99 %.2f (diagnostic only: hides generator lag)\n", pct_d(rtt, nans, 0.5), pct_d(rtt, nans, 0.99));
        fprintf(out, "after timeout     %lld   duplicates %lld   strays %lld   send errors %lld   Identifier reuse in flight %lld\n", after_to, dups, strays,
                send_errors, reuse);
        fprintf(out, "replies w/o MA    %lld   MA not first %lld\n", no_ma, ma_not_first);
        fprintf(out, "udp drops         generator sockets %lld, server socket %lld; delta:", gen_drops, srv_drops);
        for (int i = 0; i < after.n; i++) {
            long long b = 0;
            for (int j = 0; j < before.n; j++)
                if (strcmp(before.name[j], after.name[i]) == 0) b = before.val[j];
            if (after.val[i] != b || strstr(after.name[i], "RcvbufErrors")) fprintf(out, " %s %+lld", after.name[i], after.val[i] - b);
        }
        fprintf(out, "\nbuild             %.0f ms\n", build_ms);
        if (mix) report_classes(out, 0, cls, lat_k, rc_k, next, budget);
    }
    return interrupted ? 130 : 0;
}
