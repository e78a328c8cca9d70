// Stage 4, handle: Access-Request with PAP (RFC 2865 §5.2), CHAP (RFC 2865 §5.3, RFC 1994) or
// MS-CHAPv2 (RFC 2548 §2.3, RFC 2759) against the subscriber store; EAP (RFC 3579) is handed to
// src/eap. Inline on the event loop except the scrypt verification of a hashed password, which is
// registered on the worker placement (MS-CHAPv2's MD4/DES/SHA-1 cost microseconds: inline).
import { timingSafeEqual } from "node:crypto";
import { Attr } from "../radius/codes.js";
import { RadiusError } from "../radius/errors.js";
import { findAttribute, type RadiusPacket } from "../radius/packet.js";
import { chapMatches, unhidePassword } from "../radius/authenticator.js";
import { attributesFromObject } from "../radius/values.js";
import type { Dictionary } from "../radius/dictionary.js";
import type { AttributeInput } from "../radius/encode.js";
import { resolveReply, type SubscriberStore } from "../store/store.js";
import type { Reply, Subscriber } from "../store/subscriber.js";
import type { Client } from "../verify/clients.js";
import type { Handler } from "../core/handler.js";
import type { Decision } from "./decision.js";
import type { DropReason, RejectReason } from "../core/outcomes.js";
import type { VerifyHashInput } from "./password-hash.js";
import type { SessionStore } from "../store/sessions.js";
import { ntPasswordHash, ntResponseMatches, subscriberNtHash, challengeUserName } from "../mschap/mschapv2.js";
import { mschapV2AcceptAttributes, mschapV2ErrorAttribute, parseMschapV2, type MschapV2Request } from "./mschap.js";

export interface AccessRequestDeps {
  store: SubscriberStore;
  dictionary: Dictionary;
  verifyHash: Handler<VerifyHashInput, "match" | "mismatch" | "bad-hash">;
  /** Wall clock for expiry checks (ms since epoch); injected so tests can move it. */
  wallClock: () => number;
  /** Monotonic clock, the one deadlines are expressed in. */
  now: () => number;
  /** Simultaneous-Use (subscriber maxSessions); null: not enforced. */
  sessions?: SessionStore | null;
  /** EAP; absent or null: an Access-Request with EAP-Message is rejected (unsupported_method). */
  eap?: EapResponder | null;
}

/** What this handler needs of EAP (src/eap/handler.ts EapServer), declared here so that src/eap can import this file. */
export interface EapResponder {
  handle(input: AccessRequestInput, deps: AccessRequestDeps): Promise<Decision>;
}

export interface AccessRequestInput {
  packet: RadiusPacket;
  client: Client;
  deadline: number;
}

// PAP passwords are at most 128 octets (RFC 2865 §5.2): both sides are copied into fixed
// 128-octet buffers so that the comparison takes the same time whatever the lengths.
const padA = Buffer.alloc(128);
const padB = Buffer.alloc(128);

/** Constant-time comparison of a received password with the stored one. */
function samePassword(received: Buffer, stored: string): boolean {
  padA.fill(0);
  padB.fill(0);
  received.copy(padA, 0, 0, 128);
  const storedLength = padB.write(stored, 0, 128, "utf8");
  const equal = timingSafeEqual(padA, padB);
  return equal && received.length === storedLength && Buffer.byteLength(stored, "utf8") === storedLength;
}

export type PapVerdict = "match" | "mismatch" | "bad-hash" | "not-possible";
const PAP_REJECT: Record<Exclude<PapVerdict, "match">, RejectReason> = { mismatch: "bad_password", "bad-hash": "bad_stored_hash", "not-possible": "method_not_possible" };

/** The reject reason of a PAP verdict other than "match". */
export function papRejectReason(v: Exclude<PapVerdict, "match">): RejectReason {
  return PAP_REJECT[v];
}

/**
 * A cleartext password (PAP, or TTLS inner PAP) against the subscriber's stored credential:
 * cleartext, scrypt hash (in the worker pool) or NT hash.
 */
export async function checkPapPassword(password: Buffer, sub: Subscriber, verifyHash: AccessRequestDeps["verifyHash"] | undefined, deadline: number): Promise<PapVerdict> {
  if (sub.password !== undefined) return samePassword(password, sub.password) ? "match" : "mismatch";
  if (sub.passwordHash !== undefined) {
    // The scrypt check runs in the worker pool; without one (unit tests) it cannot be made.
    if (!verifyHash) return "not-possible";
    const verdict = await verifyHash.invoke({ password, phc: sub.passwordHash }, deadline);
    return verdict === "match" ? "match" : verdict === "bad-hash" ? "bad-hash" : "mismatch";
  }
  if (sub.ntHash !== undefined) {
    // The NT hash of the password received, against the stored one (RFC 2759 §8.3).
    const got = ntPasswordHash(password.toString("utf8"));
    return timingSafeEqual(got, Buffer.from(sub.ntHash, "hex")) ? "match" : "mismatch";
  }
  return "not-possible";
}

/** What the requester proved: a PAP password (cleartext, after unhiding), a CHAP or an MS-CHAPv2 response. */
export type Credentials =
  | { kind: "pap"; password: Buffer }
  | { kind: "chap"; response: Buffer; challenge: Buffer }
  | { kind: "mschapv2"; req: MschapV2Request; userName: Buffer };

/** The subscriber check's verdict; an accept carries the record so each front end builds its own reply. */
export type Verdict =
  | { result: "accept"; sub: Subscriber; user: string }
  | { result: "reject"; reason: RejectReason; user: string }
  | { result: "drop"; reason: DropReason; user: string };

/**
 * The decision shared by every front end (RADIUS Access-Request, POST /v1/auth): look the user up
 * within the deadline, check enabled/expiry, then the credentials.
 */
export function createSubscriberCheck(deps: AccessRequestDeps) {
  return async function checkSubscriber(username: string, cred: Credentials, deadline: number): Promise<Verdict> {
    const remaining = deadline - deps.now();
    if (remaining <= 0) return { result: "drop", reason: "deadline_passed", user: username };
    const sub = await deps.store.getSubscriber(username, remaining);
    if (!sub) return { result: "reject", reason: "unknown_user", user: username };
    if (!sub.enabled) return { result: "reject", reason: "disabled", user: username };
    if (sub.expiresAt !== undefined && Date.parse(sub.expiresAt) <= deps.wallClock()) {
      return { result: "reject", reason: "expired", user: username };
    }

    if (cred.kind === "pap") {
      const verdict = await checkPapPassword(cred.password, sub, deps.verifyHash, deadline);
      if (verdict !== "match") return { result: "reject", reason: PAP_REJECT[verdict], user: username };
    } else if (cred.kind === "mschapv2") {
      // MS-CHAPv2 needs the NT hash: the cleartext or `ntHash`, not an scrypt hash.
      const nt = subscriberNtHash(sub);
      if (!nt) return { result: "reject", reason: "method_not_possible", user: username };
      const r = cred.req;
      if (!ntResponseMatches(r.ntResponse, r.authenticatorChallenge, r.peerChallenge, challengeUserName(cred.userName), nt)) {
        return { result: "reject", reason: "bad_password", user: username };
      }
    } else {
      // CHAP needs the cleartext: a hashed password cannot answer a CHAP challenge.
      if (sub.password === undefined) return { result: "reject", reason: "method_not_possible", user: username };
      if (!chapMatches(cred.response, cred.challenge, Buffer.from(sub.password, "utf8"))) {
        return { result: "reject", reason: "bad_password", user: username };
      }
    }
    return { result: "accept", sub, user: username };
  };
}

export function createAccessRequestHandler(deps: AccessRequestDeps) {
  const check = createSubscriberCheck(deps);
  return async function handleAccessRequest({ packet, client, deadline }: AccessRequestInput): Promise<Decision> {
    const userAttr = findAttribute(packet, Attr.UserName);
    if (!userAttr || userAttr.value.length === 0) return { result: "reject", reason: "bad_user_name" };
    const username = userAttr.value.toString("utf8");

    // RFC 3579 §3.1: EAP-Message, with or without other credentials, makes it an EAP round.
    if (deps.eap && findAttribute(packet, Attr.EapMessage)) return deps.eap.handle({ packet, client, deadline }, deps);
    const papAttr = findAttribute(packet, Attr.UserPassword);
    const chapAttr = findAttribute(packet, Attr.ChapPassword);
    const ms = papAttr || chapAttr ? { kind: "none" as const } : parseMschapV2(packet);
    let cred: Credentials;
    if (papAttr) {
      try {
        cred = { kind: "pap", password: unhidePassword(papAttr.value, client.secret, packet.authenticator) };
      } catch (err) {
        if (err instanceof RadiusError) return { result: "drop", reason: `malformed:${err.code}`, user: username };
        throw err;
      }
    } else if (chapAttr) {
      // RFC 2865 §2.2: the challenge is CHAP-Challenge when present, else the Request Authenticator.
      cred = { kind: "chap", response: chapAttr.value, challenge: findAttribute(packet, Attr.ChapChallenge)?.value ?? packet.authenticator };
    } else if (ms.kind === "ok") {
      cred = { kind: "mschapv2", req: ms.req, userName: userAttr.value };
    } else if (ms.kind === "malformed") {
      return { result: "drop", reason: "malformed:mschapv2", user: username };
    } else {
      // EAP is not enabled: say so with a reason rather than pretend a bad password.
      if (findAttribute(packet, Attr.EapMessage)) return { result: "reject", reason: "unsupported_method", user: username };
      return { result: "reject", reason: "no_credentials", user: username };
    }

    const v = await check(username, cred, deadline);
    if (v.result !== "accept") {
      // RFC 2548 §2.1.5: a failed MS-CHAPv2 authentication is answered with MS-CHAP-Error.
      if (v.result === "reject" && cred.kind === "mschapv2") return { ...v, attributes: [mschapV2ErrorAttribute(cred.req)] };
      return v;
    }
    // Simultaneous-Use: hold one of the subscriber's slots for this Accept, atomically against
    // concurrent requests (the store counts live sessions plus slots held by recent Accepts).
    if (v.sub.maxSessions !== undefined && deps.sessions) {
      const left = deadline - deps.now();
      if (left <= 0) return { result: "drop", reason: "deadline_passed", user: username };
      const claim = await deps.sessions.claim(username, v.sub.maxSessions, left);
      if (!claim.ok) return { result: "reject", reason: "max_sessions", user: username };
    }
    const attributes = replyAttributes(deps, v.sub);
    if (cred.kind === "mschapv2") {
      const nt = subscriberNtHash(v.sub);
      if (nt) attributes.unshift(...mschapV2AcceptAttributes(cred.req, cred.userName, nt, client.secret, packet.authenticator));
    }
    return { result: "accept", attributes, user: username };
  };
}

/** Input of the JSON front end (POST /v1/auth): a PAP check without a packet. */
export interface JsonAuthInput {
  username: string;
  password: Buffer;
  deadline: number;
}

/** The JSON front end's decision: an accept carries the reply attributes by dictionary name. */
export type JsonDecision =
  | { result: "accept"; reply: Reply; user: string }
  | { result: "reject"; reason: RejectReason; user: string }
  | { result: "drop"; reason: DropReason; user: string };

export function createJsonAuthHandler(deps: AccessRequestDeps) {
  const check = createSubscriberCheck(deps);
  return async function handleJsonAuth({ username, password, deadline }: JsonAuthInput): Promise<JsonDecision> {
    const v = await check(username, { kind: "pap", password }, deadline);
    if (v.result !== "accept") return v;
    return { result: "accept", reply: resolveReply(v.sub, deps.store), user: username };
  };
}

/** Reply attributes: group profiles first, the subscriber's own override them (resolveReply). */
export function replyAttributes(deps: Pick<AccessRequestDeps, "store" | "dictionary">, sub: Subscriber): AttributeInput[] {
  const reply = resolveReply(sub, deps.store);
  if (Object.keys(reply).length === 0) return [];
  return attributesFromObject(deps.dictionary, reply);
}
