// The subscriber store contract, shared by the Redis store (production, many servers) and the
// memory store (embedded default, one server). test/store/contract.test.ts runs the same suite
// against both; behaviour that differs is documented on the member.
// The implementations are built by factory.ts (createStore, createSessionStore): this file
// imports none of them.
import type { Group, Reply, Subscriber } from "./subscriber.js";

export { StoreError, isStoreError, type StoreErrorCode, type StoreErrorDetail } from "./errors.js";
export type { StoreLogger } from "./util.js";

/**
 * Outcome of a bulk write. Records are written in input order, in atomic batches, and writing
 * stops at the first failed batch: records [0, written) are stored, the rest are not
 * (except `uncertain` ones, see below). Writes are idempotent, so re-running the same import is
 * always safe.
 */
export interface WriteReport {
  /** Records confirmed written: exactly input[0 .. written-1]. */
  written: number;
  /** Records not written (written + failed === input length). */
  failed: number;
  /**
   * Of `failed`, records whose batch was sent but whose confirmation was lost with the
   * connection: they may or may not be stored. Absent when 0.
   */
  uncertain?: number;
  /** What went wrong first (no record contents). */
  firstError?: string;
}

export interface StoreStats {
  /** Lookups sent to the backend whose reply has not arrived yet (timed-out ones included). */
  inFlight: number;
  /** Failed lookups other than timeouts (unavailable, corrupt, backend errors). */
  errors: number;
  /** Lookups rejected with STORE_TIMEOUT. */
  timeouts: number;
  /** Lookups that found a record failing the schema (also counted in errors). */
  corrupt: number;
  /** Round-trip times of recent lookups (Redis only; the last 256 replies). */
  rtt?: { samples: number; p50Ms: number; p99Ms: number; maxMs: number };
}

export interface ListOptions {
  /** Opaque cursor from the previous page; omit for the first page. */
  cursor?: string;
  /** Page size hint (Redis SCAN COUNT semantics: pages may be smaller or larger). Default 100. */
  count?: number;
}

export interface ListPage {
  subscribers: Subscriber[];
  /** Usernames whose stored record failed the schema (Redis only). */
  corrupt: string[];
  /** Cursor for the next page; undefined when the listing is complete. */
  cursor: string | undefined;
}

export interface SubscriberStore {
  readonly kind: "redis" | "memory";
  /**
   * One round trip for Redis. Resolves null for an unknown user (also for a name that cannot be
   * stored, e.g. empty or with control characters). timeoutMs: the caller's remaining deadline,
   * capped by commandTimeoutMs; on expiry (or when already <= 0) rejects with STORE_TIMEOUT. The
   * command still counts as in flight until its reply arrives. Rejects STORE_UNAVAILABLE at once
   * while the backend is down, STORE_CORRUPT_RECORD for a record failing the schema.
   * The result is the caller's own copy.
   */
  getSubscriber(username: string, timeoutMs?: number): Promise<Subscriber | null>;
  /** Group profiles are few: cached in process, synchronous. The result is a copy. */
  getGroup(name: string): Group | undefined;
  /**
   * Insert or replace (whole records, by username). Every record is validated first: one invalid
   * record rejects the call with STORE_INVALID_RECORD and nothing is written. Backend failures
   * do not reject: the report says exactly what was written.
   */
  putSubscribers(subs: readonly Subscriber[]): Promise<WriteReport>;
  /** As putSubscribers, by group name. getGroup reflects the write when this resolves. */
  putGroups(groups: readonly Group[]): Promise<WriteReport>;
  /** True when the user existed. Rejects STORE_UNAVAILABLE / STORE_WRITE_FAILED on failure. */
  deleteSubscriber(username: string): Promise<boolean>;
  /** True when the group existed. getGroup reflects the delete when this resolves. */
  deleteGroup(name: string): Promise<boolean>;
  /**
   * Cursor-based listing for the admin API. Like Redis SCAN: every record present for the whole
   * listing is returned at least once; records changed meanwhile may be missed or repeated.
   */
  listSubscribers(opts?: ListOptions): Promise<ListPage>;
  /**
   * Every group profile, sorted by name, from the in-process cache (the admin API's listing).
   * Redis: as fresh as getGroup, i.e. within groupRefreshMs of a write made elsewhere.
   */
  listGroups(): Group[];
  /**
   * Re-read what the store caches or loaded at start (live reload): memory re-reads its files,
   * all or nothing (rejects STORE_LOAD_FAILED on an invalid line, keeping the current data);
   * Redis re-reads the group profiles (rejects when Redis cannot be read, keeping the cache).
   */
  reload(): Promise<void>;
  /** Current health, for readiness and for dropping requests fast while down. */
  isAvailable(): boolean;
  /**
   * Lasting problems that keep the store from serving every request although it is reachable
   * (e.g. Redis commands the configured user may not run), for /readyz; empty when none.
   */
  problems?(): string[];
  stats(): StoreStats;
  /**
   * Connect / load. Redis: resolves even when Redis is down (retrying in the background) so the
   * server can start; waits at most about connectTimeoutMs. Memory: rejects STORE_LOAD_FAILED on
   * a missing, unreadable or invalid file (unless created with `createMissing`, for imports).
   */
  start(): Promise<void>;
  /** Waits for pending writes, then releases connections/timers. Lookups then reject STORE_UNAVAILABLE. */
  close(): Promise<void>;
}

/**
 * The attributes to send for a subscriber:
 * 1. the reply of each group in `sub.groups`, in that order, and when two groups set the same
 *    attribute the LATER group wins (the whole value is replaced, arrays are not merged);
 * 2. then the subscriber's own reply replaces any group attribute of the same name.
 * Unknown groups are skipped (reported through onMissingGroup, e.g. to log or count them).
 * The result is a fresh object the caller may modify.
 */
export function resolveReply(
  sub: Pick<Subscriber, "groups" | "reply">,
  store: Pick<SubscriberStore, "getGroup">,
  onMissingGroup?: (name: string) => void,
): Reply {
  const out: Reply = {};
  for (const name of sub.groups) {
    const group = store.getGroup(name);
    if (group === undefined) {
      onMissingGroup?.(name);
      continue;
    }
    assignReply(out, group.reply);
  }
  assignReply(out, sub.reply);
  return out;
}

function assignReply(out: Reply, from: Reply): void {
  for (const key of Object.keys(from)) {
    const v = from[key];
    if (v === undefined) continue;
    out[key] = Array.isArray(v) ? v.slice() : v;
  }
}
