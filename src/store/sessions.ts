// Live sessions and accounting history (RFC 2866), shared by the Redis implementation (production,
// many servers) and the memory implementation (embedded default, one server, nothing persisted).
// test/store/sessions-contract.test.ts runs the same suite against both. Key design and the
// retransmission rules: docs/accounting.md.
import { crc32 } from "node:zlib";
import type { SessionsConfig } from "./sessions-config.js";
import type { StoreLogger } from "./util.js";

/** Acct-Status-Type values handled (RFC 2866 §5.1). */
export const ACCT_STATUS = { start: 1, stop: 2, interim: 3, on: 7, off: 8 } as const;
export type AcctKind = keyof typeof ACCT_STATUS;

export function acctKind(statusType: number): AcctKind | undefined {
  switch (statusType) {
    case 1:
      return "start";
    case 2:
      return "stop";
    case 3:
      return "interim";
    case 7:
      return "on";
    case 8:
      return "off";
    default:
      return undefined;
  }
}

/** One Accounting-Request, as stored. Counters include their Gigawords (RFC 2869 §5.1-5.2). */
export interface AccountingRecord {
  kind: AcctKind;
  /** Client (NAS) name from the configuration. */
  nas: string;
  /** Source address of the datagram: where CoA/Disconnect-Requests for the session go. */
  nasAddress: string;
  /** Acct-Session-Id: the text when printable, else "0x" + hex. */
  sessionId: string;
  /** User-Name, "" when absent. */
  user: string;
  /** When the event happened: arrival (wall clock, ms) minus Acct-Delay-Time. */
  eventTime: number;
  /** Wall clock (ms) when the server received it. */
  receivedAt: number;
  delayTime?: number | undefined;
  nasIp?: string | undefined;
  nasIdentifier?: string | undefined;
  nasPort?: number | undefined;
  nasPortId?: string | undefined;
  framedIp?: string | undefined;
  framedIpv6Prefix?: string | undefined;
  callingStationId?: string | undefined;
  calledStationId?: string | undefined;
  sessionTime?: number | undefined;
  inputOctets?: number | undefined;
  outputOctets?: number | undefined;
  inputPackets?: number | undefined;
  outputPackets?: number | undefined;
  terminateCause?: number | undefined;
  interimInterval?: number | undefined;
  multiSessionId?: string | undefined;
  /** Class attribute (RFC 2865 §5.25), hex. */
  class?: string | undefined;
}

export type CloseReason = "stop" | "nas-on" | "nas-off" | "stale";

/** A session as the store holds it. */
export interface Session {
  nas: string;
  nasAddress: string;
  sessionId: string;
  user: string;
  status: "live" | "closed";
  /** ms since the epoch. */
  startedAt: number;
  updatedAt: number;
  closedAt?: number | undefined;
  closeReason?: CloseReason | undefined;
  nasIp?: string | undefined;
  nasIdentifier?: string | undefined;
  nasPort?: number | undefined;
  nasPortId?: string | undefined;
  framedIp?: string | undefined;
  framedIpv6Prefix?: string | undefined;
  callingStationId?: string | undefined;
  calledStationId?: string | undefined;
  sessionTime?: number | undefined;
  inputOctets?: number | undefined;
  outputOctets?: number | undefined;
  inputPackets?: number | undefined;
  outputPackets?: number | undefined;
  terminateCause?: number | undefined;
  interimInterval?: number | undefined;
  multiSessionId?: string | undefined;
  class?: string | undefined;
}

/** An entry of the accounting history: a record as received, or a close decided by the server. */
export type HistoryEntry =
  | ({ id: string } & AccountingRecord)
  | { id: string; kind: "close"; nas: string; sessionId: string; user: string; reason: CloseReason; eventTime: number };

export interface RecordResult {
  /** stored: applied and appended to the history; duplicate: recognised as a retransmission, nothing changed. */
  result: "stored" | "duplicate";
  /** Accounting-On/Off: sessions of that NAS closed. */
  closed?: number;
}

export interface ClaimResult {
  /** true: a slot is held for this Access-Accept until its Accounting-Start (or claimTtlSeconds). */
  ok: boolean;
  /** Live sessions plus slots held, before this claim. */
  inUse: number;
}

export interface SessionFilter {
  user?: string | undefined;
  nas?: string | undefined;
  /** At most this many (default 10000). */
  limit?: number | undefined;
}

export interface SessionStore {
  readonly kind: "redis" | "memory";
  /**
   * Apply one accounting record: update the live session, append the record to the history, all
   * or nothing (Redis: one Lua script, one round trip). Resolves only once the write is
   * acknowledged by the backend; rejects STORE_UNAVAILABLE / STORE_TIMEOUT / STORE_WRITE_FAILED.
   * After a STORE_TIMEOUT the write may still land: a retransmission is then a duplicate.
   */
  record(rec: AccountingRecord, timeoutMs: number): Promise<RecordResult>;
  /**
   * Simultaneous-Use: atomically count the subscriber's live sessions plus the slots held by
   * recent Access-Accepts, and hold one more when that is below maxSessions.
   */
  claim(user: string, maxSessions: number, timeoutMs: number): Promise<ClaimResult>;
  /** Live sessions, optionally of one user and/or one NAS. */
  listSessions(filter?: SessionFilter): Promise<Session[]>;
  /** A session, live or recently closed. */
  getSession(nas: string, sessionId: string, user: string): Promise<Session | null>;
  /** Close live sessions without a record for staleMultiple interim intervals; returns how many. */
  sweepStale(): Promise<number>;
  /** The accounting history, oldest first (at most `count` entries per bucket); for tools and tests. */
  history(count?: number): Promise<HistoryEntry[]>;
  isAvailable(): boolean;
  /**
   * Lasting problems that keep the store from serving every request although it is reachable
   * (e.g. Redis commands the configured user may not run), for /readyz; empty when none.
   */
  problems?(): string[];
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Hash-tag bucket of a subscriber (docs/accounting.md). */
export function sessionBucket(user: string, buckets: number): number {
  return crc32(Buffer.from(user, "utf8")) % buckets;
}

/**
 * The identity of a session within the store: NAS name, Acct-Session-Id and User-Name joined by
 * newlines (none of the three can contain one: client names are [A-Za-z0-9._-], session ids are
 * printable or hex, user names have no control characters).
 */
export function sessionMember(nas: string, sessionId: string, user: string): string {
  return `${nas}\n${sessionId}\n${user}`;
}

export function parseSessionMember(m: string): { nas: string; sessionId: string; user: string } | null {
  const a = m.indexOf("\n");
  const b = a < 0 ? -1 : m.indexOf("\n", a + 1);
  if (b < 0) return null;
  return { nas: m.slice(0, a), sessionId: m.slice(a + 1, b), user: m.slice(b + 1) };
}

/** A live session stays live until this (wall clock ms) without a new record. */
export function staleDeadline(rec: Pick<AccountingRecord, "receivedAt" | "interimInterval">, cfg: SessionsConfig): number {
  const interval = rec.interimInterval && rec.interimInterval > 0 ? rec.interimInterval : cfg.interimIntervalSeconds;
  return rec.receivedAt + Math.round(cfg.staleMultiple * interval * 1000);
}

/** Identifies one Interim-Update among the session's others (docs/accounting.md, "Retransmissions"). */
export function interimFingerprint(rec: AccountingRecord): string {
  const n = (v: number | undefined): string => (v === undefined ? "-" : String(v));
  return `${n(rec.sessionTime)}/${n(rec.inputOctets)}/${n(rec.outputOctets)}/${n(rec.inputPackets)}/${n(rec.outputPackets)}`;
}

/** Interim fingerprints remembered per session. */
export const FINGERPRINTS_KEPT = 8;

export function matchesFilter(s: Pick<Session, "user" | "nas">, f: SessionFilter): boolean {
  return (f.user === undefined || s.user === f.user) && (f.nas === undefined || s.nas === f.nas);
}

export interface SessionStoreDeps {
  config: SessionsConfig;
  log: StoreLogger;
  /** Wall clock, ms since the epoch (tests move it). */
  wallClock: () => number;
}
