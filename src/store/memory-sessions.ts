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

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Entry {
  session: Session;
  startSeen: boolean;
  stopSeen: boolean;
  fingerprints: string[];
  /** Live: stale deadline; closed: when the record is forgotten. */
  deadline: number;
}

const SESSION_FIELDS = [
  "nasIp",
  "nasIdentifier",
  "nasPort",
  "nasPortId",
  "framedIp",
  "framedIpv6Prefix",
  "callingStationId",
  "calledStationId",
  "sessionTime",
  "inputOctets",
  "outputOctets",
  "inputPackets",
  "outputPackets",
  "terminateCause",
  "interimInterval",
  "multiSessionId",
  "class",
] as const;

export class MemorySessionStore implements SessionStore {
  readonly kind = "memory" as const;
  private state: "new" | "started" | "closed" = "new";
  private readonly sessions = new Map<string, Entry>();
  private readonly claims = new Map<string, number[]>();
  private readonly onOffSeen = new Map<string, number>();
  private historyBuf: HistoryEntry[] = [];
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
    const now = this.d.wallClock();
    const id = `${now}-${this.seq++}`;
    this.historyBuf.push({ ...e, id } as HistoryEntry);
    const max = this.d.config.streamMaxLen;
    if (this.historyBuf.length > max + Math.max(100, max / 10)) this.historyBuf = this.historyBuf.slice(-max);
  }

  async record(rec: AccountingRecord, timeoutMs: number): Promise<RecordResult> {
    this.check(timeoutMs);
    this.forgetExpired();
    if (rec.kind === "on" || rec.kind === "off") return this.onOff(rec);
    const key = MemorySessionStore.key(rec.nas, rec.sessionId, rec.user);
    let e = this.sessions.get(key);
    if (e) {
      if (rec.kind === "start" && e.startSeen) return { result: "duplicate" };
      if (rec.kind === "stop" && e.stopSeen) return { result: "duplicate" };
      if (rec.kind === "interim" && e.fingerprints.includes(interimFingerprint(rec))) return { result: "duplicate" };
    }
    this.append({ ...rec });
    if (!e) {
      e = {
        session: {
          nas: rec.nas,
          nasAddress: rec.nasAddress,
          sessionId: rec.sessionId,
          user: rec.user,
          status: "live",
          startedAt: startGuess(rec),
          updatedAt: rec.eventTime,
        },
        startSeen: false,
        stopSeen: false,
        fingerprints: [],
        deadline: 0,
      };
      this.sessions.set(key, e);
      if (rec.kind !== "stop") this.consumeClaim(rec.user);
    }
    const s = e.session;
    if (rec.kind === "interim") {
      e.fingerprints.push(interimFingerprint(rec));
      if (e.fingerprints.length > FINGERPRINTS_KEPT) e.fingerprints.shift();
    }
    if (rec.kind === "start") {
      e.startSeen = true;
      s.startedAt = rec.eventTime;
    }
    if (e.stopSeen) return { result: "stored" }; // a late record of a closed session: history only
    if (rec.eventTime >= s.updatedAt || rec.kind === "stop") {
      s.nasAddress = rec.nasAddress;
      for (const f of SESSION_FIELDS) if (rec[f] !== undefined) (s as unknown as Record<string, unknown>)[f] = rec[f];
      s.updatedAt = Math.max(s.updatedAt, rec.eventTime);
    }
    if (rec.kind === "stop") {
      e.stopSeen = true;
      s.status = "closed";
      s.closedAt = rec.eventTime;
      s.closeReason = "stop";
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
      const s = e.session;
      if (s.nas !== rec.nas || s.status !== "live" || s.updatedAt > rec.eventTime) continue;
      this.closeEntry(e, reason, rec.eventTime);
      closed++;
    }
    const dupKey = `${rec.nas}\n${rec.sessionId}\n${rec.kind}`;
    const seen = this.onOffSeen.get(dupKey);
    if (seen !== undefined && seen > this.d.wallClock()) return { result: "duplicate", closed };
    this.onOffSeen.set(dupKey, this.d.wallClock() + this.d.config.retainClosedSeconds * 1000);
    this.append({ ...rec });
    return { result: "stored", closed };
  }

  private closeEntry(e: Entry, reason: CloseReason, at: number): void {
    const s = e.session;
    s.status = "closed";
    s.closedAt = at;
    s.closeReason = reason;
    e.stopSeen = true;
    e.deadline = this.d.wallClock() + this.d.config.retainClosedSeconds * 1000;
    this.append({ kind: "close", nas: s.nas, sessionId: s.sessionId, user: s.user, reason, eventTime: at });
  }

  private liveCount(user: string): number {
    let n = 0;
    for (const e of this.sessions.values()) if (e.session.user === user && e.session.status === "live") n++;
    return n;
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
    const inUse = this.liveCount(user) + held.length;
    if (inUse >= maxSessions) {
      this.claims.set(user, held);
      return { ok: false, inUse };
    }
    held.push(now + this.d.config.claimTtlSeconds * 1000);
    this.claims.set(user, held);
    return { ok: true, inUse };
  }

  async listSessions(filter: SessionFilter = {}): Promise<Session[]> {
    this.check();
    const out: Session[] = [];
    for (const e of this.sessions.values()) {
      if (e.session.status === "live" && matchesFilter(e.session, filter)) out.push({ ...e.session });
    }
    return out.sort((a, b) => a.startedAt - b.startedAt);
  }

  async getSession(nas: string, sessionId: string, user: string): Promise<Session | null> {
    this.check();
    const e = this.sessions.get(MemorySessionStore.key(nas, sessionId, user));
    return e ? { ...e.session } : null;
  }

  async sweepStale(): Promise<number> {
    this.check();
    const now = this.d.wallClock();
    let n = 0;
    for (const e of this.sessions.values()) {
      if (e.session.status === "live" && e.deadline <= now) {
        this.closeEntry(e, "stale", now);
        n++;
      }
    }
    this.forgetExpired();
    return n;
  }

  async history(count = 100_000): Promise<HistoryEntry[]> {
    this.check();
    return this.historyBuf.slice(-count).map((h) => ({ ...h }));
  }

  private forgetExpired(): void {
    // Cheap enough for the embedded store's scale; bounded work per call would need an index.
    if (this.seq % 1024 !== 0) return;
    const now = this.d.wallClock();
    for (const [k, e] of this.sessions) if (e.session.status === "closed" && e.deadline <= now) this.sessions.delete(k);
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
