// Dynamic Authorization client (RFC 5176): the server sends Disconnect-Request or CoA-Request to a
// NAS and reports its ACK or NAK (with Error-Cause). Retransmission follows RFC 5080 §2.2.1:
// RT = IRT + RAND*IRT, then RT = 2*RTprev + RAND*RTprev, capped at MRT + RAND*MRT, with RAND
// uniform in [-0.1, 0.1]; at most MRC transmissions and MRD in all. A retransmission is the very
// same datagram (same Identifier and Request Authenticator), so the NAS can recognise it.
import dgram from "node:dgram";
import { isIP } from "node:net";
import { randomBytes } from "node:crypto";
import { Attr, Code, codeName } from "../radius/codes.js";
import { decodePacket, findAttribute, type RadiusPacket } from "../radius/packet.js";
import { encodeRequest, type AttributeInput } from "../radius/encode.js";
import { verifyMessageAuthenticator, verifyResponseAuthenticator } from "../radius/authenticator.js";
import type { Session } from "../store/sessions.js";

export interface RetransmitTimers {
  /** Initial retransmission time, ms (RFC 5080: 2 s). */
  irtMs: number;
  /** Maximum transmissions (RFC 5080: 5). */
  mrc: number;
  /** Cap on the retransmission time, ms (RFC 5080: 16 s). */
  mrtMs: number;
  /** Give up after this long in all, ms (RFC 5080: 30 s). */
  mrdMs: number;
}

export const RFC5080_TIMERS: RetransmitTimers = { irtMs: 2000, mrc: 5, mrtMs: 16_000, mrdMs: 30_000 };

/**
 * The waits after each transmission (ms), RFC 5080 §2.2.1. `rand` returns values in [0, 1);
 * RAND = (rand() * 2 - 1) * 0.1. The last wait is cut so the total never exceeds MRD.
 */
export function retransmissionSchedule(t: RetransmitTimers, rand: () => number = Math.random): number[] {
  const r = (): number => (rand() * 2 - 1) * 0.1;
  const waits: number[] = [];
  let rt = t.irtMs + r() * t.irtMs;
  let total = 0;
  for (let i = 0; i < t.mrc; i++) {
    if (i > 0) {
      rt = 2 * rt + r() * rt;
      if (rt > t.mrtMs) rt = t.mrtMs + r() * t.mrtMs;
    }
    const wait = Math.min(rt, t.mrdMs - total);
    if (wait <= 0) break;
    waits.push(wait);
    total += wait;
  }
  return waits;
}

/** Error-Cause values (RFC 5176 §3.6). */
export const ERROR_CAUSES: ReadonlyMap<number, string> = new Map([
  [201, "Residual-Session-Context-Removed"],
  [202, "Invalid-EAP-Packet"],
  [401, "Unsupported-Attribute"],
  [402, "Missing-Attribute"],
  [403, "NAS-Identification-Mismatch"],
  [404, "Invalid-Request"],
  [405, "Unsupported-Service"],
  [406, "Unsupported-Extension"],
  [407, "Invalid-Attribute-Value"],
  [501, "Administratively-Prohibited"],
  [502, "Request-Not-Routable"],
  [503, "Session-Context-Not-Found"],
  [504, "Session-Context-Not-Removable"],
  [505, "Other-Proxy-Processing-Error"],
  [506, "Resources-Unavailable"],
  [507, "Request-Initiated"],
  [508, "Multiple-Session-Selection-Unsupported"],
]);

export type DynamicKind = "disconnect" | "coa";

export interface DynamicRequest {
  kind: DynamicKind;
  host: string;
  port: number;
  secret: Buffer;
  attributes: readonly AttributeInput[];
  /** Sign with a Message-Authenticator (default true). */
  messageAuthenticator?: boolean;
  timers?: RetransmitTimers;
  rand?: () => number;
  identifier?: number;
}

export interface DynamicResult {
  outcome: "ack" | "nak" | "timeout";
  /** The reply's code name, e.g. "Disconnect-ACK". */
  reply?: string;
  errorCause?: number;
  errorCauseName?: string;
  /** Transmissions made (1 = no retransmission). */
  attempts: number;
  /** Replies ignored: wrong Identifier, code or authenticator. */
  ignored: number;
}

const EXPECTED: Record<DynamicKind, { request: number; ack: number; nak: number }> = {
  disconnect: { request: Code.DisconnectRequest, ack: Code.DisconnectACK, nak: Code.DisconnectNAK },
  coa: { request: Code.CoARequest, ack: Code.CoAACK, nak: Code.CoANAK },
};

const ZERO16 = Buffer.alloc(16);

/** Is this the verified answer to our request? MA checked when present (over the request's
 *  authenticator, RFC 5176 §3.4, or over zeros as FreeRADIUS-based NASes compute it). */
function isAnswer(p: RadiusPacket, request: RadiusPacket, secret: Buffer, kind: DynamicKind): boolean {
  const e = EXPECTED[kind];
  if (p.identifier !== request.identifier || (p.code !== e.ack && p.code !== e.nak)) return false;
  if (!verifyResponseAuthenticator(p, request.authenticator, secret)) return false;
  const ma = verifyMessageAuthenticator(p, secret, request.authenticator);
  if (ma === "valid" || ma === "absent") return true;
  return ma === "invalid" && verifyMessageAuthenticator(p, secret, ZERO16) === "valid";
}

export async function sendDynamicRequest(o: DynamicRequest): Promise<DynamicResult> {
  const e = EXPECTED[o.kind];
  const secret = o.secret;
  const identifier = o.identifier ?? (randomBytes(1)[0] as number);
  const bytes = encodeRequest({ code: e.request, identifier, secret, attributes: o.attributes, messageAuthenticator: o.messageAuthenticator ?? true });
  const request = decodePacket(bytes);
  const waits = retransmissionSchedule(o.timers ?? RFC5080_TIMERS, o.rand);
  const socket = dgram.createSocket(isIP(o.host) === 6 ? "udp6" : "udp4");
  let attempts = 0;
  let ignored = 0;
  try {
    const reply = await new Promise<RadiusPacket | null>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const transmit = (): void => {
        if (attempts >= waits.length) return resolve(null);
        const wait = waits[attempts] as number;
        attempts++;
        socket.send(bytes, o.port, o.host);
        timer = setTimeout(transmit, wait);
      };
      socket.on("message", (msg) => {
        let p: RadiusPacket;
        try {
          p = decodePacket(msg);
        } catch {
          ignored++;
          return;
        }
        if (!isAnswer(p, request, secret, o.kind)) {
          ignored++;
          return;
        }
        clearTimeout(timer);
        resolve(p);
      });
      socket.on("error", () => {
        clearTimeout(timer);
        resolve(null);
      });
      transmit();
    });
    if (!reply) return { outcome: "timeout", attempts, ignored };
    const cause = findAttribute(reply, Attr.ErrorCause);
    const errorCause = cause && cause.value.length === 4 ? cause.value.readUInt32BE(0) : undefined;
    const out: DynamicResult = { outcome: reply.code === e.ack ? "ack" : "nak", reply: codeName(reply.code), attempts, ignored };
    if (errorCause !== undefined) {
      out.errorCause = errorCause;
      out.errorCauseName = ERROR_CAUSES.get(errorCause) ?? `Error-Cause-${errorCause}`;
    }
    return out;
  } finally {
    socket.close();
  }
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/**
 * The attributes that identify a session to its NAS (RFC 5176 §3): NAS-IP-Address or
 * NAS-Identifier as the NAS reported them, then User-Name, Acct-Session-Id and, when known,
 * NAS-Port, Framed-IP-Address and Calling-Station-Id.
 */
export function sessionIdentification(s: Session): AttributeInput[] {
  const out: AttributeInput[] = [];
  if (s.nasIp) out.push({ type: Attr.NasIpAddress, value: Buffer.from(s.nasIp.split(".").map(Number)) });
  if (s.nasIdentifier) out.push({ type: Attr.NasIdentifier, value: Buffer.from(s.nasIdentifier, "utf8") });
  if (s.user) out.push({ type: Attr.UserName, value: Buffer.from(s.user, "utf8") });
  // The inverse of sessionIdText (src/handle/accounting.ts).
  const sid = /^0x([0-9a-f]{2})+$/.test(s.sessionId) ? Buffer.from(s.sessionId.slice(2), "hex") : Buffer.from(s.sessionId, "latin1");
  out.push({ type: Attr.AcctSessionId, value: sid });
  if (s.nasPort !== undefined) out.push({ type: Attr.NasPort, value: u32(s.nasPort) });
  if (s.framedIp) out.push({ type: Attr.FramedIpAddress, value: Buffer.from(s.framedIp.split(".").map(Number)) });
  if (s.callingStationId) out.push({ type: Attr.CallingStationId, value: Buffer.from(s.callingStationId, "utf8") });
  return out;
}

/** One line for an operator. */
export function describeResult(kind: DynamicKind, r: DynamicResult, where: string): string {
  const tries = `${r.attempts} transmission${r.attempts === 1 ? "" : "s"}`;
  if (r.outcome === "timeout") return `${kind === "disconnect" ? "Disconnect" : "CoA"}-Request to ${where}: no answer after ${tries}`;
  const cause = r.errorCause !== undefined ? ` Error-Cause = ${r.errorCauseName} (${r.errorCause})` : "";
  return `${r.reply} from ${where} after ${tries}${cause}`;
}
