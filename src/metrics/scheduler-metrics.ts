// Makes every scheduling decision visible: scheduler state as Prometheus gauges and counters,
// and one summary log line per second while the server is shedding.
import type { Metrics } from "./counters.js";
import type { Scheduler, RequestClass } from "../admit/scheduler.js";
import { REQUEST_CLASSES } from "../admit/scheduler.js";
import type { SignalSampler } from "../admit/signals.js";
import type { SubscriberStore } from "../store/store.js";
import type { Logger } from "../log.js";

const perClass = (f: (c: RequestClass) => number) => REQUEST_CLASSES.map((c) => ({ labels: { class: c }, value: f(c) }));

/** `duplicateEntries`: the number of entries in the duplicate-detection cache, read at each scrape. */
export function registerSchedulerMetrics(metrics: Metrics, scheduler: Scheduler, store: SubscriberStore, signals: SignalSampler, duplicateEntries: () => number): void {
  metrics.gauge("aaa_scheduler_enabled", "1 when the scheduler runs (scheduler.enabled: deadlines, priorities, fairness, shedding), 0 when it is off.", () => [
    { labels: {}, value: scheduler.enabled ? 1 : 0 },
  ]);
  metrics.gauge("aaa_scheduler_cpu_bound", "1 while the event loop had no idle time in the last sample (utilisation >= scheduler.eventLoop.maxUtilization): only then are reads held back.", () => [
    { labels: {}, value: scheduler.cpuBound ? 1 : 0 },
  ]);
  metrics.gauge("aaa_scheduler_limit", "Current adaptive concurrency limit on store-bound requests.", () => [{ labels: {}, value: scheduler.limit }]);
  metrics.gauge("aaa_scheduler_in_flight", "Store-bound requests running.", () => [{ labels: {}, value: scheduler.stats().inFlight }]);
  metrics.gauge("aaa_scheduler_queued", "Requests waiting in the scheduler, by class.", () => {
    const s = scheduler.stats();
    return perClass((c) => s.queued[c]);
  });
  metrics.gauge("aaa_scheduler_shed", "Requests shed by the scheduler since start, by class and reason (the pipeline's outcome counter has them too).", () => {
    const s = scheduler.stats();
    return REQUEST_CLASSES.flatMap((c) => Object.entries(s.shed[c]).filter(([, v]) => v > 0).map(([reason, v]) => ({ labels: { class: c, reason }, value: v })));
  });
  metrics.gauge("aaa_scheduler_overloaded", "1 while a standing queue exists or the event loop is saturated.", () => [{ labels: {}, value: scheduler.stats().overloaded ? 1 : 0 }]);
  metrics.gauge("aaa_scheduler_sojourn_seconds", "Queue sojourn of started requests over the last window.", () => {
    const s = scheduler.stats().sojournMs;
    return [
      { labels: { quantile: "0.5" }, value: s.p50 / 1000 },
      { labels: { quantile: "0.99" }, value: s.p99 / 1000 },
      { labels: { quantile: "1" }, value: s.max / 1000 },
    ];
  });
  metrics.gauge("aaa_scheduler_expected_service_seconds", "Expected service time by class (EWMA).", () => {
    const s = scheduler.stats();
    return perClass((c) => s.expectedServiceMs[c] / 1000);
  });
  metrics.gauge("aaa_event_loop_delay_seconds", "Mean event-loop delay over the last 100 ms.", () => [{ labels: {}, value: signals.last.loopDelayMs / 1000 }]);
  metrics.gauge("aaa_event_loop_utilization", "Event-loop utilisation over the last 100 ms.", () => [{ labels: {}, value: signals.last.loopUtilization }]);
  metrics.gauge("aaa_store_in_flight", "Store commands in flight (timed-out ones until their reply arrives).", () => [{ labels: {}, value: store.stats().inFlight }]);
  metrics.gauge("aaa_store_rtt_seconds", "Store round trip over the last samples.", () => {
    const r = store.stats().rtt;
    return r ? [{ labels: { quantile: "0.5" }, value: r.p50Ms / 1000 }, { labels: { quantile: "0.99" }, value: r.p99Ms / 1000 }] : [];
  });
  metrics.gauge("aaa_store_up", "1 while the store is available.", () => [{ labels: {}, value: store.isAvailable() ? 1 : 0 }]);
  metrics.gauge("aaa_duplicate_cache_entries", "Entries in the duplicate-detection cache.", () => [{ labels: {}, value: duplicateEntries() }]);
}

/**
 * While shedding, one warn line per second that says how much was shed, why, and the state; on
 * stop, one more for what was shed since the last line. A second in which requests were dropped
 * but none shed (bad input, store failures or timeouts) gets a "requests dropped" line with the
 * reasons instead. `extra` adds fields of other parts (the listener's per-flow hold-back).
 */
export function startShedSummary(
  metrics: Metrics,
  scheduler: Scheduler,
  log: Logger,
  everyMs = 1000,
  extra: () => Record<string, unknown> | undefined = () => undefined,
): { stop(): void } {
  let lastShed = metrics.sum("aaa_datagrams_total", { outcome: "shed" });
  let lastDropped = metrics.sum("aaa_datagrams_total", { outcome: "dropped" });
  let lastAnswered = metrics.sum("aaa_datagrams_total", { outcome: "answered" });
  const report = (): void => {
    const shed = metrics.sum("aaa_datagrams_total", { outcome: "shed" });
    const dropped = metrics.sum("aaa_datagrams_total", { outcome: "dropped" });
    const answered = metrics.sum("aaa_datagrams_total", { outcome: "answered" });
    const shedNow = shed - lastShed;
    const droppedNow = dropped - lastDropped;
    if (shedNow > 0) {
      const s = scheduler.stats();
      const byReason: Record<string, number> = {};
      for (const c of REQUEST_CLASSES) for (const [r, v] of Object.entries(s.shed[c])) if (v > 0) byReason[`${c}/${r}`] = v;
      log.warn(
        { shed: shedNow, dropped: droppedNow, answered: answered - lastAnswered, limit: s.limit, inFlight: s.inFlight, queued: s.queuedTotal, expectedAccessMs: Math.round(s.expectedServiceMs.access * 10) / 10, sojournP99Ms: s.sojournMs.p99, loopSaturated: s.loopSaturated, shedTotalByReason: byReason, ...extra() },
        "shedding load",
      );
    } else if (droppedNow > 0) {
      log.warn({ dropped: droppedNow, answered: answered - lastAnswered, droppedTotalByReason: metrics.sumBy("aaa_datagrams_total", "reason", { outcome: "dropped" }) }, "requests dropped");
    }
    lastShed = shed;
    lastDropped = dropped;
    lastAnswered = answered;
  };
  const timer = setInterval(report, everyMs);
  timer.unref();
  // The last, partial interval too: a process that stops (a worker replaced in a rolling
  // restart) does not take its last shedding out of the log with it.
  return {
    stop: () => {
      clearInterval(timer);
      report();
    },
  };
}
