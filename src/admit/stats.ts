// The scheduler's counters by class and the shape of its `stats()` snapshot.
import { REQUEST_CLASSES, type RequestClass } from "./classes.js";
import type { SchedulerSignals } from "./deps.js";
import { SHED_REASONS, type ShedReason } from "./job.js";
import type { SojournSummary } from "./sojourn-window.js";

export type ClassCounts = Record<RequestClass, number>;

export interface SchedulerStats {
  enabled: boolean;
  /** Current concurrency limit on store-bound requests. */
  limit: number;
  /** Store-bound requests running (all classes but Status-Server). */
  inFlight: number;
  /** Every running request, Status-Server included. */
  running: number;
  /** Store commands in flight beyond our running requests (timed out, still awaiting a reply). */
  orphanedStoreCommands: number;
  queued: ClassCounts;
  queuedTotal: number;
  /** Waiting requests by client (only clients with some). */
  queuedByClient: Record<string, number>;
  submitted: ClassCounts;
  started: ClassCounts;
  completed: ClassCounts;
  /** Completed after their deadline (the pipeline does not send these). */
  late: ClassCounts;
  /** Ended by rejecting (see Job.start). */
  failed: ClassCounts;
  /** Released from their slot by the leak guard. */
  abandoned: ClassCounts;
  shed: Record<RequestClass, Record<ShedReason, number>>;
  /** Client queues currently standing (CoDel overload state). */
  standingQueues: number;
  loopSaturated: boolean;
  /** Some queue standing or the loop saturated. */
  overloaded: boolean;
  /** EWMA of service time by class (ms). */
  expectedServiceMs: ClassCounts;
  /** Queue sojourn of started store-bound requests over the last window. */
  sojournMs: SojournSummary;
  limiter: {
    /** Median round trip of the last window (ms). */
    rttMs: number | undefined;
    /** No-load round trip (ms). */
    baselineMs: number | undefined;
    gradient: number | undefined;
    windows: number;
    probes: number;
    probing: boolean;
  };
  signals: Readonly<SchedulerSignals>;
  callbackErrors: number;
}

/** A count per class from a function of the class and its rank. */
export function classCounts(f: (cls: RequestClass, rank: number) => number): ClassCounts {
  const out = {} as ClassCounts;
  REQUEST_CLASSES.forEach((c, i) => (out[c] = f(c, i)));
  return out;
}

const zeros = (): number[] => new Array<number>(REQUEST_CLASSES.length).fill(0);

/** Lifetime counters, indexed by class rank. */
export class Counters {
  readonly submitted = zeros();
  readonly started = zeros();
  readonly completed = zeros();
  readonly late = zeros();
  readonly failed = zeros();
  readonly abandoned = zeros();
  readonly shed: Record<ShedReason, number>[] = REQUEST_CLASSES.map(() => Object.fromEntries(SHED_REASONS.map((r) => [r, 0])) as Record<ShedReason, number>);

  snapshot(): Pick<SchedulerStats, "submitted" | "started" | "completed" | "late" | "failed" | "abandoned" | "shed"> {
    const byRank = (a: number[]) => classCounts((_, i) => a[i] as number);
    return {
      submitted: byRank(this.submitted),
      started: byRank(this.started),
      completed: byRank(this.completed),
      late: byRank(this.late),
      failed: byRank(this.failed),
      abandoned: byRank(this.abandoned),
      shed: Object.fromEntries(REQUEST_CLASSES.map((c, i) => [c, { ...(this.shed[i] as Record<ShedReason, number>) }])) as Record<RequestClass, Record<ShedReason, number>>,
    };
  }
}
