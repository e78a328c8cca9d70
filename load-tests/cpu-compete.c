/*
 * cpu-compete.c: a competing process that takes a set share of one core, as other work on a
 * production machine does. Every period it spins for --busy-ms of its OWN CPU time
 * (CLOCK_THREAD_CPUTIME_ID: time the scheduler gives to others does not count), then sleeps
 * until the next period starts. E.g. --busy-ms 3 --period-ms 10 takes 30 % of the core it is
 * pinned to (taskset), as long as the core can give it that. Runs until killed or --duration-s.
 *
 * Build: cc -O2 -Wall -o cpu-compete load-tests/cpu-compete.c
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(clockid_t c) {
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    double busy = 3, period = 10, duration = 3600;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--busy-ms") == 0) busy = atof(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--period-ms") == 0) period = atof(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--duration-s") == 0) duration = atof(argv[++i]);
        else {
            fprintf(stderr, "Usage: cpu-compete [--busy-ms 3] [--period-ms 10] [--duration-s 3600]\n");
            return 64;
        }
    }
    if (!(busy >= 0 && period > 0 && busy <= period && duration > 0)) {
        fprintf(stderr, "cpu-compete: need 0 <= busy-ms <= period-ms, duration-s > 0\n");
        return 64;
    }
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    double end = now_ms(CLOCK_MONOTONIC) + duration * 1000;
    volatile unsigned long sink = 0;
    while (now_ms(CLOCK_MONOTONIC) < end) {
        double c0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
        while (now_ms(CLOCK_THREAD_CPUTIME_ID) - c0 < busy)
            for (int k = 0; k < 1000; k++) sink += (unsigned long)k;
        long ns = next.tv_nsec + (long)(period * 1e6);
        next.tv_sec += ns / 1000000000L;
        next.tv_nsec = ns % 1000000000L;
        struct timespec cur;
        clock_gettime(CLOCK_MONOTONIC, &cur);
        if (cur.tv_sec > next.tv_sec || (cur.tv_sec == next.tv_sec && cur.tv_nsec >= next.tv_nsec)) next = cur; /* overran: start again now */
        else clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    return 0;
}
