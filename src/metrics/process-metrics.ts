// Process metrics for /metrics: memory, heap, CPU, event-loop delay percentiles, handles. Read
// when scraped, except the event-loop delay, which a histogram records continuously (windows of
// 10 s: the last complete window is exported, so two scrapers see the same figures).
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { readdirSync } from "node:fs";
import v8 from "node:v8";
import type { Metrics } from "./counters.js";

export interface ProcessMetrics {
  stop(): void;
}

const WINDOW_MS = 10_000;

export function registerProcessMetrics(metrics: Metrics, startedAtEpochMs: number = Date.now()): ProcessMetrics {
  const one = (value: number) => [{ labels: {}, value }];
  metrics.gauge("process_resident_memory_bytes", "Resident set size.", () => one(process.memoryUsage.rss()));
  metrics.gauge("process_cpu_seconds_total", "User and system CPU time spent by the process (all threads).", () => {
    const u = process.cpuUsage();
    return one((u.user + u.system) / 1e6);
  }, "counter");
  metrics.gauge("process_cpu_user_seconds_total", "User CPU time spent by the process.", () => one(process.cpuUsage().user / 1e6), "counter");
  metrics.gauge("process_cpu_system_seconds_total", "System CPU time spent by the process.", () => one(process.cpuUsage().system / 1e6), "counter");
  metrics.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch.", () => one(Math.floor(startedAtEpochMs / 1000)));
  metrics.gauge("process_open_fds", "Open file descriptors (Linux).", () => {
    try {
      return one(readdirSync("/proc/self/fd").length);
    } catch {
      return [];
    }
  });
  metrics.gauge("nodejs_heap_used_bytes", "V8 heap in use.", () => one(process.memoryUsage().heapUsed));
  metrics.gauge("nodejs_heap_total_bytes", "V8 heap allocated.", () => one(process.memoryUsage().heapTotal));
  metrics.gauge("nodejs_heap_size_limit_bytes", "V8 heap size limit (--max-old-space-size).", () => one(v8.getHeapStatistics().heap_size_limit));
  metrics.gauge("nodejs_external_memory_bytes", "Memory of C++ objects bound to JavaScript (Buffers included).", () => one(process.memoryUsage().external));

  // Event-loop delay, 1 ms resolution; the timer's own resolution is not delay: subtracted.
  const hist: IntervalHistogram = monitorEventLoopDelay({ resolution: 1 });
  hist.enable();
  let last = { p50: 0, p99: 0, max: 0 };
  const rotate = (): void => {
    const toMs = (ns: number): number => Math.max(0, ns / 1e6 - 1);
    last = hist.count > 0 ? { p50: toMs(hist.percentile(50)), p99: toMs(hist.percentile(99)), max: toMs(hist.max) } : { p50: 0, p99: 0, max: 0 };
    hist.reset();
  };
  const timer = setInterval(rotate, WINDOW_MS);
  timer.unref();
  metrics.gauge("nodejs_eventloop_delay_seconds", "Event-loop delay over the last complete 10 s window, by quantile (1 = max).", () => [
    { labels: { quantile: "0.5" }, value: last.p50 / 1000 },
    { labels: { quantile: "0.99" }, value: last.p99 / 1000 },
    { labels: { quantile: "1" }, value: last.max / 1000 },
  ]);
  return {
    stop: () => {
      clearInterval(timer);
      hist.disable();
    },
  };
}
