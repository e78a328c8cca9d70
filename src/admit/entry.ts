// A submitted request as the scheduler tracks it, from submission to its end.
import type { Job, SubmitResult } from "./job.js";
import type { ClientQueue } from "./queues.js";

export interface Entry {
  readonly job: Job;
  readonly rank: number;
  readonly deadline: number;
  readonly enqueuedAt: number;
  /** Store-bound: counts against the concurrency limit (all but Status-Server). */
  readonly limited: boolean;
  queued: boolean;
  state: "new" | "queued" | "running" | "done";
  outcome: SubmitResult | undefined;
  startedAt: number;
  /** Store-bound requests in flight when this one started, itself included. */
  inFlightAtStart: number;
  cq: ClientQueue<Entry> | undefined;
  /** Neighbours in the list of running entries (in start order). */
  prev: Entry | undefined;
  next: Entry | undefined;
}

export function newEntry(job: Job, rank: number, deadline: number, limited: boolean, now: number): Entry {
  return {
    job,
    rank,
    deadline,
    enqueuedAt: now,
    limited,
    queued: false,
    state: "new",
    outcome: undefined,
    startedAt: 0,
    inFlightAtStart: 0,
    cq: undefined,
    prev: undefined,
    next: undefined,
  };
}
