// Samples the process signals the scheduler admits against: event-loop delay and utilisation
// (the kernel socket buffer is invisible to Node; a late loop stands in for it) and the store's
// commands in flight and round trip.
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from "node:perf_hooks";
import type { Scheduler } from "./scheduler.js";
import type { SubscriberStore } from "../store/store.js";

export interface SignalSampler {
  /** Latest sampled values, for metrics. */
  readonly last: { loopDelayMs: number; loopUtilization: number };
  stop(): void;
}

export function sampleSignals(scheduler: Scheduler, store: SubscriberStore, everyMs = 100): SignalSampler {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  const last = { loopDelayMs: 0, loopUtilization: 0 };
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const d = performance.eventLoopUtilization(now, elu);
    elu = now;
    // The histogram counts the timer's own resolution as delay: take it off.
    last.loopDelayMs = Math.max(0, delay.mean / 1e6 - 5);
    last.loopUtilization = d.utilization;
    delay.reset();
    const st = store.stats();
    scheduler.setSignals({
      loopDelayMs: last.loopDelayMs,
      loopUtilization: last.loopUtilization,
      storeInFlight: st.inFlight,
      ...(st.rtt ? { storeRttMs: st.rtt.p50Ms } : {}),
    });
  }, everyMs);
  timer.unref();
  return {
    last,
    stop: () => {
      clearInterval(timer);
      delay.disable();
    },
  };
}
