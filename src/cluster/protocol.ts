// Messages between the primary of `serve --workers N` and its workers (child_process IPC,
// serialization "advanced"). One place for both sides, so that a field cannot drift.
import type { DuplicateSnapshot } from "../verify/duplicates.js";
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

/** Calls either side can make; the answer is a Reply with the same id. */
export type CallOp = "metrics" | "reload" | "restart";

export type ToWorker =
  /** Import the snapshot (if any), then read the sockets. */
  | { t: "start"; snapshot: DuplicateSnapshot | null }
  /** More answered entries, from the retiring worker after its requests in flight finished. */
  | { t: "snapshot"; snapshot: DuplicateSnapshot; file?: string | undefined; dump?: string | undefined }
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
  /** A retiring worker's duplicates, sent after its requests in flight finished. */
  /**
   * A duplicate snapshot for the replacement. With `file`, the records are in that file (mode
   * 0600, removed by the reader) and `snapshot.records` is empty: a few MB through the IPC pipes
   * and the primary cost the serving workers CPU at the moment of a hand-over.
   */
  /**
   * With `dump`, that file (mode 0600, removed by the reader) holds the whole duplicate cache
   * (DuplicateCache.dump) for the replacement to adopt as is; `snapshot` is then empty.
   */
  | { t: "handover"; snapshot: DuplicateSnapshot; final: boolean; file?: string | undefined; dump?: string | undefined }
  | { t: "call"; id: number; op: CallOp }
  | { t: "reply"; id: number; value: unknown };
