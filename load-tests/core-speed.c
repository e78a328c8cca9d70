/*
 * Core speed probe for the benchmarks: how fast this CPU runs now, against itself.
 *
 * On a virtual machine the host can run a vCPU slower for a while (other guests on the same
 * physical core, power management): measured on the benchmark machine, a core ran at 60-70 % of
 * its usual speed for 10-90 s at a time, with nothing of ours running. A server held to a CPU
 * quota then has a third less capacity during that time, and a benchmark step measured then says
 * nothing about the server. This probe lets the benchmark see it.
 *
 * Every --interval-ms it spins for --spin-ms of its own thread CPU time (CLOCK_THREAD_CPUTIME_ID:
 * time the guest's scheduler gives to other tasks does not count, time the host takes from the
 * vCPU does), in slices of 0.1 ms, and prints one line: "<unix time ms> <best slice> <all slices>",
 * loop iterations per CPU millisecond. The best slice is the figure to use: interrupts (the
 * network's softirq work on a busy core) are charged to whatever thread they interrupt and slow
 * some slices, while a slower vCPU slows every slice.
 * Pin it with taskset. Runs until killed, or for --duration-s.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double ms(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  double interval = 100, spin = 1, duration = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    double v = atof(argv[i + 1]);
    if (strcmp(argv[i], "--interval-ms") == 0) interval = v;
    else if (strcmp(argv[i], "--spin-ms") == 0) spin = v;
    else if (strcmp(argv[i], "--duration-s") == 0) duration = v;
    else {
      fprintf(stderr, "core-speed: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (interval <= 0 || spin < 0.1 || spin >= interval || duration < 0) {
    fprintf(stderr, "core-speed: need 0.1 <= --spin-ms < --interval-ms and --duration-s >= 0\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  volatile unsigned long sink = 0;
  double start = ms(CLOCK_MONOTONIC);
  while (duration == 0 || ms(CLOCK_MONOTONIC) - start < duration * 1000) {
    double t0 = ms(CLOCK_THREAD_CPUTIME_ID), best = 0, c0 = t0, c1;
    unsigned long total = 0;
    do {
      unsigned long loops = 0;
      do {
        for (int i = 0; i < 1000; i++) sink += (unsigned long)i;
        loops++;
      } while ((c1 = ms(CLOCK_THREAD_CPUTIME_ID)) - c0 < 0.1);
      if ((double)loops / (c1 - c0) > best) best = (double)loops / (c1 - c0);
      total += loops;
      c0 = c1;
    } while (c1 - t0 < spin);
    printf("%.0f %.0f %.0f\n", ms(CLOCK_REALTIME), best, (double)total / (c1 - t0));
    usleep((useconds_t)((interval - spin) * 1000));
  }
  return (int)(sink & 0);
}
