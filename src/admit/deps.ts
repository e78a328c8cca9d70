// What the scheduler is given besides its configuration: a clock, an optional timer, client
// weights, process signals and tuning constants that are not configuration keys.

/** Process signals, sampled by the caller (e.g. every 100 ms) and passed to `setSignals`. */
export interface SchedulerSignals {
  /** Event-loop delay (ms), e.g. the mean of perf_hooks.monitorEventLoopDelay over the last period. */
  loopDelayMs?: number;
  /** Event-loop utilisation (0..1) over the last period (performance.eventLoopUtilization). */
  loopUtilization?: number;
  /** Store commands in flight as the store counts them (timed-out ones included). */
  storeInFlight?: number;
  /** The store's own round-trip figure (reported in stats only). */
  storeRttMs?: number;
}

/** An interval timer, injected (tests drive `tick` by hand instead). */
export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface SchedulerTuning {
  /**
   * Smoothing of the per-class expected service time, per sample (default 0.1): it follows the
   * last few completions, which share whatever delays them now (docs/scheduler.md).
   */
  ewmaAlpha: number;
  /**
   * A request is started only if its remaining time covers the expected service time plus this
   * many mean deviations of it (default 2; 0: the mean alone). Capped, with the mean, at half the
   * class's budget.
   */
  serviceDeviations: number;
  /** Window of the sojourn percentiles in stats (ms, default 10 000). */
  sojournWindowMs: number;
  /** Sojourn samples kept for the percentiles (default 4096). */
  sojournMaxSamples: number;
  /** A running job that has not ended after this long is released from its slot (default 30 000 ms). */
  leakAfterMs: number;
  /** Queues are swept for expired entries at most this often outside `tick` (default 1 ms). */
  sweepEveryMs: number;
  /** Round trips needed before a limiter window closes (default 8). */
  limiterMinSamples: number;
  /** The limiter probes for the no-load round trip when it saw none for this long (default 10 000 ms). */
  limiterProbeEveryMs: number;
  /** No-load round-trip measurements are forgotten after this long (default 30 000 ms). */
  limiterBaselineHorizonMs: number;
}

export const DEFAULT_TUNING: Readonly<SchedulerTuning> = {
  ewmaAlpha: 0.1,
  serviceDeviations: 2,
  sojournWindowMs: 10_000,
  sojournMaxSamples: 4096,
  leakAfterMs: 30_000,
  sweepEveryMs: 1,
  limiterMinSamples: 8,
  limiterProbeEveryMs: 10_000,
  limiterBaselineHorizonMs: 30_000,
};

export interface SchedulerDeps {
  /** Monotonic clock in ms: the one arrival stamps and deadlines are expressed in. */
  clock: () => number;
  /** When given, `tick` runs every `tickMs` on it; otherwise the caller calls `tick`. */
  timers?: Timers;
  tickMs?: number;
  /** Per-client weights (default 1); see `setClientWeights`. */
  clientWeights?: ReadonlyMap<string, number>;
  /** A `start` or `shed` callback threw: the scheduler carries on; log it here. */
  onCallbackError?: (err: unknown, where: "start" | "shed") => void;
  tuning?: Partial<SchedulerTuning>;
}
