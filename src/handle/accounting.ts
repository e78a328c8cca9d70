// Stage 4, handle: Accounting-Request (RFC 2866). The packet is already verified (client, Request
// Authenticator, Message-Authenticator when present). Its attributes become one AccountingRecord,
// which the session store applies and appends to the history; the Accounting-Response is sent
// only once the store has acknowledged the write (RFC 2866 §4.1), never otherwise.
import { Attr } from "../radius/codes.js";
import type { RadiusPacket, RawAttribute } from "../radius/packet.js";
import { acctKind, type AccountingRecord, type AcctKind, type SessionStore } from "../store/sessions.js";
import type { Client } from "../verify/clients.js";
import type { DropReason } from "../core/outcomes.js";

export interface AccountingInput {
  packet: RadiusPacket;
  client: Client;
  /** Source address of the datagram. */
  from: string;
  deadline: number;
}

export type AccountingDecision =
  | { result: "accounting"; kind: AcctKind; duplicate: boolean; user: string }
  | { result: "drop"; reason: DropReason; user?: string };

export interface AccountingDeps {
  sessions: SessionStore;
  /** Monotonic clock, the one deadlines are expressed in. */
  now: () => number;
  /** Wall clock (ms since the epoch): event times. */
  wallClock: () => number;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_ALL = /[\\\u0000-\u001f\u007f-\u009f]/g;

/**
 * User-Name as recorded. Control characters (C0, DEL, C1) become "\xNN", and then so does a
 * backslash, so that keys, the history and log lines stay printable and one line each. A name
 * without control characters is kept as sent (backslashes included: "DOMAIN\user"). The record
 * is still written and acknowledged: dropping it would leave the NAS retransmitting it for ever
 * (RFC 2866 §4.1: no response means not recorded).
 */
export function recordedUserName(user: string): string {
  if (!CONTROL.test(user)) return user;
  return user.replace(CONTROL_ALL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function u32(a: RawAttribute | undefined): number | undefined {
  return a !== undefined && a.value.length === 4 ? a.value.readUInt32BE(0) : undefined;
}

function ipv4(a: RawAttribute | undefined): string | undefined {
  const v = a?.value;
  return v !== undefined && v.length === 4 ? `${v[0]}.${v[1]}.${v[2]}.${v[3]}` : undefined;
}

function text(a: RawAttribute | undefined): string | undefined {
  if (a === undefined || a.value.length === 0) return undefined;
  return a.value.toString("utf8");
}

/**
 * Printable ASCII as is, anything else as "0x" + hex, so the id is safe in keys and logs. An id
 * that itself starts with "0x" is hex-encoded too, so the text always maps back to the octets.
 */
export function sessionIdText(v: Buffer): string {
  if (v.length >= 2 && v[0] === 0x30 && (v[1] === 0x78 || v[1] === 0x58)) return `0x${v.toString("hex")}`;
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as number;
    if (c < 0x20 || c > 0x7e) return `0x${v.toString("hex")}`;
  }
  return v.toString("latin1");
}

/** A 64-bit counter from its low 32 bits and its Gigawords attribute (RFC 2869 §5.1, §5.2). */
function counter(low: number, giga: number): number | undefined {
  const lo = u32(FIRST[low]);
  if (lo === undefined) return undefined;
  const hi = u32(FIRST[giga]) ?? 0;
  return hi * 2 ** 32 + lo;
}

/** The record of a verified Accounting-Request, or why it cannot be one. */
export function parseAccounting(
  packet: RadiusPacket,
  client: Client,
  from: string,
  wallNow: number,
): { ok: true; record: AccountingRecord } | { ok: false; reason: DropReason; user?: string } {
  // First instance of each attribute, in one pass, into a table reused by every call (parsing is
  // synchronous) and cleared again before returning.
  const attrs = packet.attributes;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i] as RawAttribute;
    if (FIRST[a.type] === undefined) FIRST[a.type] = a;
  }
  try {
    return parseIndexed(client, from, wallNow);
  } finally {
    for (let i = 0; i < attrs.length; i++) FIRST[(attrs[i] as RawAttribute).type] = undefined;
  }
}

/** First attribute of each type of the packet being parsed (indexed by type). */
const FIRST: (RawAttribute | undefined)[] = new Array<RawAttribute | undefined>(256).fill(undefined);

function parseIndexed(client: Client, from: string, wallNow: number): { ok: true; record: AccountingRecord } | { ok: false; reason: DropReason; user?: string } {
  const userAttr = FIRST[Attr.UserName];
  const user = userAttr ? recordedUserName(userAttr.value.toString("utf8")) : "";

  const statusAttr = FIRST[Attr.AcctStatusType];
  if (statusAttr === undefined) return { ok: false, reason: "missing_acct_status_type", user };
  const status = u32(statusAttr);
  if (status === undefined) return { ok: false, reason: "malformed_acct_status_type", user };
  const kind = acctKind(status);
  if (kind === undefined) return { ok: false, reason: "unsupported_acct_status_type", user };

  const sidAttr = FIRST[Attr.AcctSessionId];
  if (sidAttr === undefined || sidAttr.value.length === 0) return { ok: false, reason: "missing_acct_session_id", user };

  const delay = u32(FIRST[Attr.AcctDelayTime]);
  const record: AccountingRecord = {
    kind,
    nas: client.name,
    nasAddress: from,
    sessionId: sessionIdText(sidAttr.value),
    user,
    eventTime: wallNow - (delay ?? 0) * 1000,
    receivedAt: wallNow,
    delayTime: delay,
    nasIp: ipv4(FIRST[Attr.NasIpAddress]),
    nasIdentifier: text(FIRST[Attr.NasIdentifier]),
    nasPort: u32(FIRST[Attr.NasPort]),
    nasPortId: text(FIRST[Attr.NasPortId]),
    framedIp: ipv4(FIRST[Attr.FramedIpAddress]),
    callingStationId: text(FIRST[Attr.CallingStationId]),
    calledStationId: text(FIRST[Attr.CalledStationId]),
    sessionTime: u32(FIRST[Attr.AcctSessionTime]),
    inputOctets: counter(Attr.AcctInputOctets, Attr.AcctInputGigawords),
    outputOctets: counter(Attr.AcctOutputOctets, Attr.AcctOutputGigawords),
    inputPackets: u32(FIRST[Attr.AcctInputPackets]),
    outputPackets: u32(FIRST[Attr.AcctOutputPackets]),
    terminateCause: u32(FIRST[Attr.AcctTerminateCause]),
    interimInterval: u32(FIRST[Attr.AcctInterimInterval]),
    multiSessionId: text(FIRST[Attr.AcctMultiSessionId]),
    class: FIRST[Attr.Class]?.value.toString("hex"),
  };
  // Absent attributes stay as undefined properties (one object shape for every record, no
  // `delete`): JSON.stringify leaves them out, and the stores skip them when reading.
  return { ok: true, record };
}

export function createAccountingHandler(deps: AccountingDeps) {
  return async function handleAccounting({ packet, client, from, deadline }: AccountingInput): Promise<AccountingDecision> {
    const parsed = parseAccounting(packet, client, from, deps.wallClock());
    if (!parsed.ok) return { result: "drop", reason: parsed.reason, ...(parsed.user !== undefined ? { user: parsed.user } : {}) };
    const rec = parsed.record;
    const remaining = deadline - deps.now();
    if (remaining <= 0) return { result: "drop", reason: "deadline_passed", user: rec.user };
    const r = await deps.sessions.record(rec, remaining);
    return { result: "accounting", kind: rec.kind, duplicate: r.result === "duplicate", user: rec.user };
  };
}
