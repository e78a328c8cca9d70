/*
 * echo-responder.c: the trivial responder of load-tests/echo-responder.ts, in C, for
 * calibrating a generator above what a Node responder can answer on one core (~30k/s here).
 * It answers every Access-Request / Status-Server with an Access-Accept (Message-Authenticator
 * first, then Session-Timeout) carrying a correct Response Authenticator; --max-rate answers
 * at most R/s and silently drops the rest, like a server at capacity. It does not check
 * requests: use echo-responder.ts --verify (node:crypto) for that.
 *
 * Build: cc -O2 -Wall -o echo-responder load-tests/echo-responder.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "radius-md5.h"

#define BATCH 64
#define MAX_PKT 4096
#define REPLY_LEN 44

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    const char *listen_s = "127.0.0.1:18999", *secret_s = "testing123";
    double max_rate = 0, max_seconds = 900;
    int rcvbuf = 4 << 20, quiet = 0;
    static struct option lo[] = {{"listen", 1, 0, 'l'}, {"secret", 1, 0, 's'}, {"max-rate", 1, 0, 'r'}, {"max-seconds", 1, 0, 'm'},
                                 {"rcvbuf", 1, 0, 'b'}, {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (o) {
        case 'l': listen_s = optarg; break;
        case 's': secret_s = optarg; break;
        case 'r': max_rate = atof(optarg); break;
        case 'm': max_seconds = atof(optarg); break;
        case 'b': rcvbuf = atoi(optarg); break;
        case 'q': quiet = 1; break;
        case 'h':
            puts("Usage: echo-responder [--listen HOST:PORT] [--secret S] [--max-rate R] [--max-seconds S] [--rcvbuf B] [--quiet]");
            return 0;
        default: return 64;
        }
    }
    char host[128] = "127.0.0.1";
    int port = 18999;
    const char *c = strrchr(listen_s, ':');
    if (listen_s[0] == '[') {
        const char *e = strchr(listen_s, ']');
        if (!e || (size_t)(e - listen_s - 1) >= sizeof host) return 64;
        memcpy(host, listen_s + 1, (size_t)(e - listen_s - 1));
        host[e - listen_s - 1] = 0;
        if (e[1] == ':') port = atoi(e + 2);
    } else if (c) {
        if ((size_t)(c - listen_s) >= sizeof host) return 64;
        memcpy(host, listen_s, (size_t)(c - listen_s));
        host[c - listen_s] = 0;
        port = atoi(c + 1);
    } else {
        port = atoi(listen_s);
    }
    struct sockaddr_storage la;
    memset(&la, 0, sizeof la);
    socklen_t ll;
    int family;
    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&la)->sin_addr) == 1) {
        family = AF_INET;
        ((struct sockaddr_in *)&la)->sin_family = AF_INET;
        ((struct sockaddr_in *)&la)->sin_port = htons((uint16_t)port);
        ll = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&la)->sin6_addr) == 1) {
        family = AF_INET6;
        ((struct sockaddr_in6 *)&la)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&la)->sin6_port = htons((uint16_t)port);
        ll = sizeof(struct sockaddr_in6);
    } else {
        fprintf(stderr, "echo-responder: --listen needs an IP literal\n");
        return 64;
    }
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (bind(fd, (struct sockaddr *)&la, ll) < 0) {
        fprintf(stderr, "echo-responder: bind %s: %s\n", listen_s, strerror(errno));
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig; /* no SA_RESTART: a signal interrupts the blocking recvmmsg */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    size_t sl = strlen(secret_s);
    hmac_md5_key key;
    hmac_md5_key_init(&key, (const uint8_t *)secret_s, sl);

    static uint8_t in[BATCH][MAX_PKT], outb[BATCH][REPLY_LEN + 256];
    static struct sockaddr_storage from[BATCH];
    struct mmsghdr rm[BATCH], sm[BATCH];
    struct iovec riov[BATCH], siov[BATCH];
    for (int i = 0; i < BATCH; i++) {
        riov[i].iov_base = in[i];
        riov[i].iov_len = MAX_PKT;
        memset(&rm[i], 0, sizeof rm[i]);
        rm[i].msg_hdr.msg_iov = &riov[i];
        rm[i].msg_hdr.msg_iovlen = 1;
        rm[i].msg_hdr.msg_name = &from[i];
    }
    fprintf(stderr, "echo-responder (C) listening on %s\n", listen_s);
    double start = mono_s(), last_print = start, refill = start, burst = max_rate > 0 ? (max_rate / 100 > 1 ? max_rate / 100 : 1) : 0, tokens = burst;
    unsigned long long answered = 0, shed = 0, dropped = 0, last_total = 0;
    while (!stop) {
        /* Wake at least every 200 ms to print counters and honour --max-seconds. */
        struct timespec tmo = {0, 200 * 1000 * 1000};
        for (int i = 0; i < BATCH; i++) rm[i].msg_hdr.msg_namelen = sizeof from[i];
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int pr = ppoll(&pfd, 1, &tmo, NULL);
        int got = pr > 0 ? recvmmsg(fd, rm, BATCH, MSG_DONTWAIT, NULL) : 0;
        double now = mono_s();
        int ns = 0;
        for (int i = 0; i < got; i++) {
            const uint8_t *q = in[i];
            size_t len = rm[i].msg_len;
            size_t plen = len >= 4 ? (((size_t)q[2] << 8) | q[3]) : 0;
            if (len < 20 || (q[0] != 1 && q[0] != 12) || plen < 20 || plen > len) {
                dropped++;
                continue;
            }
            if (max_rate > 0) {
                tokens += (now - refill) * max_rate;
                if (tokens > burst) tokens = burst;
                refill = now;
                if (tokens < 1) {
                    shed++;
                    continue;
                }
                tokens -= 1;
            }
            uint8_t *r = outb[ns];
            r[0] = 2;
            r[1] = q[1];
            r[2] = 0;
            r[3] = REPLY_LEN;
            memcpy(r + 4, q + 4, 16);
            r[20] = 80;
            r[21] = 18;
            memset(r + 22, 0, 16);
            r[38] = 27; /* Session-Timeout = 3600 */
            r[39] = 6;
            r[40] = 0; r[41] = 0; r[42] = 0x0e; r[43] = 0x10;
            hmac_md5(&key, r, REPLY_LEN, r + 22);
            memcpy(r + REPLY_LEN, secret_s, sl);
            md5(r, REPLY_LEN + sl, r + 4);
            siov[ns].iov_base = r;
            siov[ns].iov_len = REPLY_LEN;
            memset(&sm[ns], 0, sizeof sm[ns]);
            sm[ns].msg_hdr.msg_iov = &siov[ns];
            sm[ns].msg_hdr.msg_iovlen = 1;
            sm[ns].msg_hdr.msg_name = &from[i];
            sm[ns].msg_hdr.msg_namelen = rm[i].msg_hdr.msg_namelen;
            ns++;
        }
        for (int done = 0; done < ns;) {
            int w = sendmmsg(fd, sm + done, (unsigned)(ns - done), 0);
            if (w <= 0) { dropped += (unsigned)(ns - done); break; }
            done += w;
            answered += (unsigned)w;
        }
        if (now - last_print >= 1) {
            unsigned long long total = answered + shed + dropped;
            if (!quiet && total != last_total)
                fprintf(stderr, "echo-responder: %llu answered, %llu shed, %llu dropped, +%.0f/s\n", answered, shed, dropped, (total - last_total) / (now - last_print));
            last_total = total;
            last_print = now;
        }
        if (now - start > max_seconds) break;
    }
    fprintf(stderr, "echo-responder: done: %llu answered, %llu shed, %llu dropped\n", answered, shed, dropped);
    close(fd);
    return 0;
}
