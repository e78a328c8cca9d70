// In-process sessions for the embedded memory store: the same rules as the Redis store (see
// docs/accounting.md), kept in Maps. Nothing is persisted: a restart forgets every session and the
// history (NASes re-create live sessions with their next Interim-Update).
import { randomBytes } from "node:crypto";
import { StoreError } from "./errors.js";
import {
  FINGERPRINTS_KEPT,
  interimFingerprint,
  matchesFilter,
  sessionMember,
  staleDeadline,
  type AccountingRecord,
  type ClaimResult,
  type CloseReason,
  type HistoryEntry,
  type RecordResult,
  type Session,
  type SessionFilter,
  type SessionStore,
  type SessionStoreDeps,
} from "./sessions.js";

/** The memory store keeps at most this much accounting history (the Redis store: streamMaxLen). */
export const MEMORY_HISTORY_MAX = 1_000;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * One session. Records are kept by reference (the handler builds a fresh one per request and
 * never touches it again): the session's attributes are those of `first` (its Start, or the
 * record that opened it) overlaid with `last` (the latest), merged only when someone reads it.
 */
interface Entry {
  nas: string;
  sessionId: string;
  user: string;
  nasAddress: string;
  status: "live" | "closed";
  startedAt: number;
  updatedAt: number;
  closedAt: number | undefined;
  closeReason: CloseReason | undefined;
  first: AccountingRecord;
  last: AccountingRecord;
  startSeen: boolean;
  stopSeen: boolean;
  fingerprints: string[];
  /** Live: stale deadline; closed: when the record is forgotten. */
  deadline: number;
}

/** Record fields that describe the request, not the session. */
const NOT_SESSION_FIELDS = new Set(["kind", "eventTime", "receivedAt", "delayTime"]);

function toSession(e: Entry): Session {
  const out: Record<string, unknown> = {};
  for (const rec of [e.first, e.last]) {
    for (const k of Object.keys(rec)) {
      const v = (rec as unknown as Record<string, unknown>)[k];
      if (v !== undefined && !NOT_SESSION_FIELDS.has(k)) out[k] = v;
    }
  }
  out["nasAddress"] = e.nasAddress;
  out["status"] = e.status;
  out["startedAt"] = e.startedAt;
  out["updatedAt"] = e.updatedAt;
  if (e.closedAt !== undefined) out["closedAt"] = e.closedAt;
  if (e.closeReason !== undefined) out["closeReason"] = e.closeReason;
  return out as unknown as Session;
}

export class MemorySessionStore implements SessionStore {
  readonly kind = "memory" as const;
  private state: "new" | "started" | "closed" = "new";
  private readonly sessions = new Map<string, Entry>();
  private readonly claims = new Map<string, number[]>();
  private readonly onOffSeen = new Map<string, number>();
  private historyBuf: Array<{ id: string; e: DistributiveOmit<HistoryEntry, "id"> }> = [];
  private nextForget = 0;
  private seq = 0;

  constructor(private readonly d: SessionStoreDeps) {}

  private static key(nas: string, sessionId: string, user: string): string {
    return sessionMember(nas, sessionId, user);
  }

  async start(): Promise<void> {
    if (this.state === "closed") throw new StoreError("STORE_UNAVAILABLE", "session store is closed");
    this.state = "started";
  }

  async close(): Promise<void> {
    this.state = "closed";
  }

  isAvailable(): boolean {
    return this.state === "started";
  }

  private check(timeoutMs?: number): void {
    if (this.state !== "started") throw new StoreError("STORE_UNAVAILABLE", `session store ${this.state === "new" ? "not started" : "closed"}`);
    if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new StoreError("STORE_TIMEOUT", "accounting write: deadline already expired");
  }

  private append(e: DistributiveOmit<HistoryEntry, "id">): void {
    this.historyBuf.push({ id: `${this.d.wallClock()}-${this.seq++}`, e });
    // In process the history is only for tests and tools: a long one is a heap of long-lived
    // objects for the GC to walk.
    const max = Math.min(this.d.config.streamMaxLen, MEMORY_HISTORY_MAX);
    if (this.historyBuf.length >= 2 * max) this.historyBuf = this.historyBuf.slice(-max);
  }

  async record(rec: AccountingRecord, timeoutMs: number): Promise<RecordResult> {
    this.check(timeoutMs);
    this.forgetExpired();
    if (rec.kind === "on" || rec.kind === "off") return this.onOff(rec);
    const key = MemorySessionStore.key(rec.nas, rec.sessionId, rec.user);
    let e = this.sessions.get(key);
    const fp = rec.kind === "interim" ? interimFingerprint(rec) : "";
    if (e) {
      if (rec.kind === "start" && e.startSeen) return { result: "duplicate" };
      if (rec.kind === "stop" && e.stopSeen) return { result: "duplicate" };
      if (rec.kind === "interim" && e.fingerprints.includes(fp)) return { result: "duplicate" };
    }
    this.append(rec);
    if (!e) {
      e = {
        nas: rec.nas,
        sessionId: rec.sessionId,
        user: rec.user,
        nasAddress: rec.nasAddress,
        status: "live",
        startedAt: startGuess(rec),
        updatedAt: rec.eventTime,
        closedAt: undefined,
        closeReason: undefined,
        first: rec,
        last: rec,
        startSeen: false,
        stopSeen: false,
        fingerprints: [],
        deadline: 0,
      };
      this.sessions.set(key, e);
      this.userLive(rec.user, 1);
      if (rec.kind !== "stop") this.consumeClaim(rec.user);
    }
    if (rec.kind === "interim") {
      e.fingerprints.push(fp);
      if (e.fingerprints.length > FINGERPRINTS_KEPT) e.fingerprints.shift();
    }
    if (rec.kind === "start") {
      e.startSeen = true;
      e.startedAt = rec.eventTime;
      e.first = rec;
    }
    if (e.stopSeen) return { result: "stored" }; // a late record of a closed session: history only
    if (rec.eventTime >= e.updatedAt || rec.kind === "stop") {
      e.last = rec;
      e.nasAddress = rec.nasAddress;
      e.updatedAt = Math.max(e.updatedAt, rec.eventTime);
    }
    if (rec.kind === "stop") {
      e.stopSeen = true;
      this.userLive(e.user, -1);
      e.status = "closed";
      e.closedAt = rec.eventTime;
      e.closeReason = "stop";
      e.deadline = this.d.wallClock() + this.d.config.retainClosedSeconds * 1000;
    } else {
      e.deadline = staleDeadline(rec, this.d.config);
    }
    return { result: "stored" };
  }

  private onOff(rec: AccountingRecord): RecordResult {
    let closed = 0;
    const reason: CloseReason = rec.kind === "on" ? "nas-on" : "nas-off";
    for (const e of this.sessions.values()) {
      if (e.nas !== rec.nas || e.status !== "live" || e.updatedAt > rec.eventTime) continue;
      this.closeEntry(e, reason, rec.eventTime);
      closed++;
    }
    const dupKey = `${rec.nas}\n${rec.sessionId}\n${rec.kind}`;
    const seen = this.onOffSeen.get(dupKey);
    if (seen !== undefined && seen > this.d.wallClock()) return { result: "duplicate", closed };
    this.onOffSeen.set(dupKey, this.d.wallClock() + this.d.config.retainClosedSeconds * 1000);
    this.append(rec);
    return { result: "stored", closed };
  }

  /** Live sessions per user, for Simultaneous-Use (kept in step with `status`). */
  private readonly liveByUser = new Map<string, number>();

  private closeEntry(e: Entry, reason: CloseReason, at: number): void {
    e.status = "closed";
    e.closedAt = at;
    e.closeReason = reason;
    e.stopSeen = true;
    e.deadline = this.d.wallClock() + this.d.config.retainClosedSeconds * 1000;
    this.userLive(e.user, -1);
    this.append({ kind: "close", nas: e.nas, sessionId: e.sessionId, user: e.user, reason, eventTime: at });
  }

  private userLive(user: string, delta: number): void {
    const n = (this.liveByUser.get(user) ?? 0) + delta;
    if (n <= 0) this.liveByUser.delete(user);
    else this.liveByUser.set(user, n);
  }

  private consumeClaim(user: string): void {
    const list = this.claims.get(user);
    if (!list) return;
    const now = this.d.wallClock();
    const live = list.filter((t) => t > now).sort((a, b) => a - b);
    live.shift();
    if (live.length === 0) this.claims.delete(user);
    else this.claims.set(user, live);
  }

  async claim(user: string, maxSessions: number, timeoutMs: number): Promise<ClaimResult> {
    this.check(timeoutMs);
    const now = this.d.wallClock();
    const held = (this.claims.get(user) ?? []).filter((t) => t > now);
    const inUse = (this.liveByUser.get(user) ?? 0) + held.length;
    if (inUse >= maxSessions) {
      if (held.length > 0) this.claims.set(user, held);
      else this.claims.delete(user);
      return { ok: false, inUse };
    }
    held.push(now + this.d.config.claimTtlSeconds * 1000);
    this.claims.set(user, held);
    return { ok: true, inUse };
  }

  async listSessions(filter: SessionFilter = {}): Promise<Session[]> {
    this.check();
    const limit = filter.limit ?? 10_000;
    const out: Session[] = [];
    for (const e of this.sessions.values()) {
      if (out.length >= limit) break;
      if (e.status === "live" && matchesFilter(e, filter)) out.push(toSession(e));
    }
    return out.sort((a, b) => a.startedAt - b.startedAt);
  }

  async getSession(nas: string, sessionId: string, user: string): Promise<Session | null> {
    this.check();
    const e = this.sessions.get(MemorySessionStore.key(nas, sessionId, user));
    return e ? toSession(e) : null;
  }

  async sweepStale(): Promise<number> {
    this.check();
    const now = this.d.wallClock();
    let n = 0;
    for (const e of this.sessions.values()) {
      if (e.status === "live" && e.deadline <= now) {
        this.closeEntry(e, "stale", now);
        n++;
      }
    }
    this.nextForget = 0;
    this.forgetExpired();
    return n;
  }

  async history(count = 100_000): Promise<HistoryEntry[]> {
    this.check();
    return this.historyBuf.slice(-Math.min(count, MEMORY_HISTORY_MAX)).map((h) => ({ ...h.e, id: h.id }) as HistoryEntry);
  }

  /** Forget closed sessions past their retention; a pass over all sessions, at most once a second. */
  private forgetExpired(): void {
    const now = this.d.wallClock();
    if (now < this.nextForget) return;
    this.nextForget = now + 1000;
    for (const [k, e] of this.sessions) if (e.status === "closed" && e.deadline <= now) this.sessions.delete(k);
    for (const [k, t] of this.onOffSeen) if (t <= now) this.onOffSeen.delete(k);
  }
}

/** Start of a session first seen in an Interim-Update or Stop: event time minus Acct-Session-Time. */
export function startGuess(rec: AccountingRecord): number {
  return rec.sessionTime !== undefined ? rec.eventTime - rec.sessionTime * 1000 : rec.eventTime;
}

/** A claim id, for the Redis store's sorted set members. */
export function claimId(): string {
  return randomBytes(8).toString("hex");
}
