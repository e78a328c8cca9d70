// What a caller hands the scheduler (a Job) and what it learns back: when it starts (RunInfo),
// how it ended (CompletionReport), or why it was shed (ShedReason, ShedInfo).
import type { RequestClass } from "./classes.js";

/**
 * Why a request was shed. The scheduler reports all but `late_reply`, which is the pipeline's
 * (a result ready after the deadline is not sent) and is listed here so that one type covers both.
 */
export type ShedReason =
  | "deadline" // remaining time < expected service time (at submission, in the queue, at its turn)
  | "sojourn" // waited longer than the CoDel target in a standing queue
  | "queue_full" // the queue was full and nothing of lower standing could make room
  | "class_priority" // evicted from a full queue by a request of a higher class
  | "fair_share" // evicted from a full queue by a request of a client with a shorter weighted queue
  | "limit" // over the concurrency limit with no queue configured (maxQueue 0)
  | "shutdown" // still waiting when the scheduler was closed
  | "late_reply"; // (pipeline) the result came after the deadline

export const SHED_REASONS: readonly ShedReason[] = ["deadline", "sojourn", "queue_full", "class_priority", "fair_share", "limit", "shutdown", "late_reply"];

/** What a job learns when it is started. */
export interface RunInfo {
  readonly class: RequestClass;
  readonly client: string;
  /** Deadline (clock ms): give the store the remaining time; a result after it must not be sent. */
  readonly deadline: number;
  readonly startedAt: number;
  /** Time spent waiting in the scheduler's queue (ms). */
  readonly sojournMs: number;
}

/** Optional report a job's `start` may resolve with. */
export interface CompletionReport {
  /**
   * false: this run says nothing about the store's load (a fast failure such as "store
   * disconnected", or no store call at all); it then feeds neither the limiter nor the class's
   * expected service time. Default true.
   */
  sample?: boolean;
  /** The store round trip measured by the caller (ms); default: start to completion. */
  rttMs?: number;
}

export interface ShedInfo {
  readonly class: RequestClass;
  readonly client: string;
  readonly reason: ShedReason;
  /** Time since arrival (ms). */
  readonly waitedMs: number;
}

export interface Job {
  readonly class: RequestClass;
  /** The client (NAS) name: the unit of fair queuing. */
  readonly client: string;
  /** Arrival stamp (clock ms). */
  readonly arrivedAt: number;
  /** Explicit deadline; default arrivedAt + the class's budget. */
  readonly deadline?: number;
  /**
   * Run the request. Called at most once, never together with `shed`. Resolve (or return) when
   * the request has ended, including its store command: a command that timed out but was sent
   * should keep its slot until its reply arrives. Resolve rather than reject; a rejection counts
   * as `failed` and feeds no sample.
   */
  start(run: RunInfo): PromiseLike<CompletionReport | void> | CompletionReport | void;
  /** The request was shed: drop it silently (no reply, RFC 5080 §2.6.1) and count it. */
  shed(reason: ShedReason, info: ShedInfo): void;
}

export type SubmitResult = "started" | "queued" | "shed";
