// The contract between the EAP framework (handler.ts) and an EAP method. A method sees only its
// own Type-Data: the framework owns the EAP header (Code, Identifier, Length, Type), Nak, the
// State attribute, the conversation store, RADIUS fragmentation and the final Accept/Reject.
import type { RejectReason } from "../handle/decision.js";
import type { Subscriber } from "../store/subscriber.js";
import type { PapVerdict } from "../handle/access-request.js";

/** Result of the subscriber lookup a method may ask for (enabled and expiresAt already applied). */
export type SubscriberLookup =
  | { result: "found"; sub: Subscriber }
  | { result: "reject"; reason: Extract<RejectReason, "unknown_user" | "disabled" | "expired"> };

/** What a method gets on every call. */
export interface EapMethodContext {
  /** Identity from the EAP-Response/Identity (the outer one: it may be anonymous). */
  readonly identity: string;
  /**
   * Identifier of the EAP Response being processed (for start: the Identity response, or the
   * Nak). The Request a method returns goes out with `(identifier + 1) & 0xff` (nextIdentifier).
   */
  readonly identifier: number;
  readonly nextIdentifier: number;
  /**
   * Framed-MTU of the Access-Request (RFC 2865 §5.12), when it carries a valid one: the largest
   * EAP packet the NAS can pass to the peer (RFC 3579 §2.2). Undefined otherwise.
   */
  readonly framedMtu: number | undefined;
  /** Deadline of this round on the core's monotonic clock (ms); a lookup is bounded by it. */
  readonly deadline: number;
  /** Monotonic clock (ms), injected. */
  now(): number;
  /** Cryptographically strong random octets (injected in tests). */
  random(n: number): Buffer;
  /** Looks a subscriber up and applies enabled/expiresAt. Rejects with StoreError on store failure. */
  lookup(username: string): Promise<SubscriberLookup>;
  /** A cleartext password (TTLS inner PAP) against the subscriber's stored credential, as PAP checks it. */
  checkPap(sub: Subscriber, password: Buffer): Promise<PapVerdict>;
}

/** What a method answers to each call. */
export type MethodStep =
  /** The Type-Data of the next EAP-Request of this method's type (framework adds the header). */
  | { kind: "request"; data: Buffer }
  /**
   * Authenticated. `identity` is the one looked up, logged and accounted (the inner one for a
   * tunnelled method). `msk`: 64 octets (RFC 5216 §2.3: MS-MPPE-Recv-Key = msk[0..31],
   * MS-MPPE-Send-Key = msk[32..63]) or, for EAP-MSCHAPv2, 32 (16 + 16, as hostapd derives it);
   * absent for a method without keys (EAP-MD5). `subscriber`: the record already looked up with
   * ctx.lookup for `identity`, which saves the framework a second lookup; absent: it looks it up.
   */
  | { kind: "success"; identity: string; msk?: Buffer; subscriber?: Subscriber }
  /** Not authenticated: EAP-Failure in an Access-Reject, counted under `reason`. */
  | { kind: "failure"; reason: RejectReason; identity?: string };

/** One conversation's state for one method: an object of the method's own. */
export interface EapMethodSession {
  /** The first Request after the method was chosen (its first step may already end it). */
  start(ctx: EapMethodContext): MethodStep | Promise<MethodStep>;
  /** An EAP-Response of this method's type: its Type-Data (a view: copy what you keep). */
  process(data: Buffer, ctx: EapMethodContext): MethodStep | Promise<MethodStep>;
  /** The conversation ended, timed out or was evicted: free what the session holds. */
  dispose?(): void;
}

/** Configuration names of the methods (`eap.methods`). */
export type EapMethodName = "md5" | "mschapv2" | "tls" | "peap" | "ttls";

export interface EapMethod {
  readonly name: EapMethodName;
  /** EAP Type (RFC 3748 §5, IANA). */
  readonly type: number;
  /** A new session for a conversation whose peer gave `identity`. */
  create(identity: string): EapMethodSession;
  /**
   * True while the method cannot take a new conversation in time (TLS worker threads
   * backlogged): the conversation is not started and its request dropped (eap_tls_busy); the
   * NAS sends it again.
   */
  busy?(): boolean;
}
