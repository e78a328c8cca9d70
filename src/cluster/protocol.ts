// Messages between the primary of `serve --workers N` and its workers (child_process IPC,
// serialization "advanced"). One place for both sides, so that a field cannot drift.
import type { InheritedListener } from "../server/types.js";

/** What a worker is told at fork time (env CARRIER_AAA_WORKER, JSON). */
export interface WorkerSpec {
  /** Slot 0..N-1: the `worker` log field and metrics label; kept by a replacement. */
  index: number;
  configFile: string;
  /** The radius section the primary bound: restart-only, a worker never binds its own sockets. */
  radius: unknown;
  /** Fd numbers in the worker (stdio entries after "ipc" are fds 4, 5, ...). */
  auth: InheritedListener;
  acct: InheritedListener | null;
  httpFd: number | null;
}

export const WORKER_ENV = "CARRIER_AAA_WORKER";

/**
 * How a duplicate-cache dump travels: in a file (mode 0600, removed by the reader), so that a few
 * MB do not go through the IPC pipes and the primary at the moment of a hand-over; inline only
 * when the file could not be written; `none` when there is nothing to hand over.
 */
export type DuplicateHandover = { dump: string } | { bytes: Uint8Array } | { none: true };

/** Calls either side can make; the answer is a Reply with the same id. */
export type CallOp = "metrics" | "reload" | "restart";

export type ToWorker =
  /** Read the sockets. */
  | { t: "start" }
  /** The retiring worker's duplicate cache (DuplicateCache.dump), after its requests in flight finished. */
  | ({ t: "duplicates" } & DuplicateHandover)
  /** Hand over: stop reading, send "handover", finish what is in flight, exit 0. */
  | { t: "retire" }
  /** Graceful stop of the whole server (SIGTERM to the primary). */
  | { t: "shutdown" }
  | { t: "call"; id: number; op: CallOp }
  | { t: "reply"; id: number; value: unknown };

export type FromWorker =
  /** Store connected, sockets adopted, not reading yet. */
  | { t: "ready" }
  /** Reading the sockets. */
  | { t: "reading" }
  /** A retiring worker's duplicate cache for the replacement, sent after its requests in flight finished. */
  | ({ t: "handover" } & DuplicateHandover)
  | { t: "call"; id: number; op: CallOp }
  | { t: "reply"; id: number; value: unknown };
