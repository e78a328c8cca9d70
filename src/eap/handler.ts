// EAP over RADIUS (RFC 3579, RFC 3748), the authenticator side: one call per Access-Request that
// carries EAP-Message. Pure apart from what is injected (clock, random, store): no sockets.
//   no State + EAP-Response/Identity -> a new conversation, the first configured method starts;
//   State -> the conversation it names continues (Nak picks another method);
//   a method's Request -> Access-Challenge; its success -> Access-Accept with EAP-Success and the
//   MSK as MS-MPPE keys; its failure -> Access-Reject with EAP-Failure.
// Message-Authenticator: verify.ts drops an Access-Request with EAP-Message without one, and
// every reply carries one, first (RFC 3579 §3.2; reply/reply.ts).
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { Attr } from "../radius/codes.js";
import { findAttribute } from "../radius/packet.js";
import type { AttributeInput } from "../radius/encode.js";
import type { Decision, RejectReason } from "../handle/decision.js";
import { checkPapPassword, replyAttributes, type AccessRequestDeps, type AccessRequestInput } from "../handle/access-request.js";
import { mppeKeyAttributes } from "../reply/mppe.js";
import type { Metrics } from "../metrics/counters.js";
import { ConversationStore, STATE_LENGTH, type Conversation } from "./conversations.js";
import { decodeEap, encodeEap, EapCode, EapError, EapType, type EapPacket } from "./packet.js";
import { fragmentEap, reassembleEap } from "./radius.js";
import type { EapMethod, EapMethodContext, MethodStep, SubscriberLookup } from "./method.js";

/** Rounds one conversation may take; EAP-TLS with a long chain needs about 10. */
export const MAX_ROUNDS = 50;

export interface EapServerOptions {
  /** Methods offered, in the order of preference (config `eap.methods`). */
  methods: readonly EapMethod[];
  maxConversations: number;
  timeoutMs: number;
  /** Monotonic clock (ms): conversation timeouts and deadlines. */
  now: () => number;
  random?: (n: number) => Buffer;
  /**
   * serve --workers N: this worker's index (0..N-1), put in the first octet of every State issued
   * so that the kernel steers the next rounds to this process (transport/steering.ts). The other
   * 15 octets stay random (120 bits). Unset in a single process: all 16 octets random.
   */
  stateTag?: number;
  maxRounds?: number;
  metrics?: Metrics;
}

/** What a round needs from the access-request handler of the current configuration. */
export type EapDeps = Pick<AccessRequestDeps, "store" | "dictionary" | "wallClock" | "sessions"> & Partial<Pick<AccessRequestDeps, "verifyHash">>;

class DeadlinePassed extends Error {}

type Outcome = Decision;

/** The final answer of an ended conversation, for one Access-Request carrying its last Response. */
type Answer = (input: AccessRequestInput, deps: EapDeps) => Promise<Outcome>;

export class EapServer {
  readonly conversations: ConversationStore<Answer>;
  // A conversation's final answer, from end() until handle() files it with the Response's digest.
  private readonly ending = new WeakMap<Conversation, Answer>();
  private readonly random: (n: number) => Buffer;
  private readonly maxRounds: number;
  private readonly byType = new Map<number, EapMethod>();

  constructor(private readonly o: EapServerOptions) {
    this.conversations = new ConversationStore<Answer>({ maxConversations: o.maxConversations, timeoutMs: o.timeoutMs });
    this.random = o.random ?? randomBytes;
    this.maxRounds = o.maxRounds ?? MAX_ROUNDS;
    for (const m of o.methods) this.byType.set(m.type, m);
    o.metrics?.gauge("aaa_eap_conversations", "EAP conversations in progress (awaiting the peer's next response).", () => [{ labels: {}, value: this.conversations.size }]);
    o.metrics?.gauge("aaa_eap_conversations_expired_total", "EAP conversations freed at their timeout (abandoned by the peer or the NAS).", () => [{ labels: {}, value: this.conversations.expired }], "counter");
  }

  /** Frees conversations past their timeout (the server calls it every second). */
  sweep(): number {
    return this.conversations.sweep(this.o.now());
  }

  /** One Access-Request with EAP-Message. Never rejects except with a store error (the pipeline drops). */
  async handle(input: AccessRequestInput, deps: EapDeps): Promise<Outcome> {
    const { packet, client } = input;
    const now = this.o.now();
    const user = findAttribute(packet, Attr.UserName)?.value.toString("utf8");
    let raw: Buffer | null;
    let eap: EapPacket;
    try {
      raw = reassembleEap(packet);
      if (raw === null) return { result: "drop", reason: "eap_malformed:EAP_ERR_FRAGMENTS", user };
      if (raw.length === 0) return this.eapStart(client.name, findAttribute(packet, Attr.State) !== undefined, user);
      eap = decodeEap(raw);
    } catch (err) {
      if (err instanceof EapError) return { result: "drop", reason: `eap_malformed:${err.code}`, user };
      throw err;
    }
    // RFC 3748 §4.1: the authenticator acts on Responses only.
    if (eap.code !== EapCode.Response) return { result: "drop", reason: "eap_not_response", user };

    const state = findAttribute(packet, Attr.State);
    let conv: Conversation | undefined;
    if (!state) {
      // A conversation starts with the peer's identity (RFC 3748 §5.1, RFC 3579 §2.1).
      if (eap.type !== EapType.Identity) return this.reject("eap_unknown_state", eap.identifier, user);
      conv = this.newConversation(client.name);
      conv.lastId = eap.identifier;
      if (!this.conversations.add(conv, now)) return { result: "drop", reason: "eap_conversations_full", user };
    } else {
      const key = state.value.length === STATE_LENGTH ? state.value.toString("hex") : undefined;
      conv = key === undefined ? undefined : this.conversations.get(key, now);
      const ended = !conv && key !== undefined ? this.conversations.getEnded(key, now) : undefined;
      // The last Response of an ended conversation sent again (its reply was lost or too late):
      // the same final answer, its keys encrypted for this request.
      if (ended && ended.client === client.name && eap.identifier === ended.identifier && timingSafeEqual(digest(raw), ended.digest)) {
        if (ended.busy) return { result: "drop", reason: "eap_busy", user };
        ended.busy = true;
        try {
          return await ended.answer(input, deps);
        } catch (err) {
          if (err instanceof DeadlinePassed) return { result: "drop", reason: "deadline_passed", user };
          throw err;
        } finally {
          ended.busy = false;
        }
      }
      // RFC 2865 §5.24: State continues the conversation the server's Access-Challenge began. One
      // the server does not hold (unknown, timed out, ended, or another NAS's) cannot continue:
      // Access-Reject with EAP-Failure lets the NAS restart authentication at once, where
      // silence would have it retransmit to no end (FreeRADIUS answers the same).
      if (!conv || conv.client !== client.name) return this.reject("eap_unknown_state", eap.identifier, user);
      if (conv.busy) return { result: "drop", reason: "eap_busy", user: conv.identity };
      if (eap.identifier !== conv.lastId) {
        // The Response to the previous Request sent again (our Access-Challenge was lost, or
        // computed too late to be sent): the same Request again, without running the method.
        const p = conv.previous;
        if (p && eap.identifier === p.identifier && timingSafeEqual(digest(raw), p.digest)) {
          this.conversations.touch(conv, now);
          return { result: "challenge", attributes: p.attributes, user: conv.identity };
        }
        // RFC 3748 §4.1: a Response whose Identifier is not that of the last Request is discarded.
        return { result: "drop", reason: "eap_id_mismatch", user: conv.identity };
      }
    }
    conv.busy = true;
    try {
      const out = await this.round(conv, eap, input, deps);
      if (out.result === "challenge") conv.previous = { identifier: eap.identifier, digest: digest(raw), attributes: out.attributes };
      return out;
    } catch (err) {
      this.conversations.remove(conv);
      if (err instanceof DeadlinePassed) return { result: "drop", reason: "deadline_passed", user: conv.identity };
      throw err;
    } finally {
      conv.busy = false;
      const answer = this.ending.get(conv);
      if (answer) {
        this.ending.delete(conv);
        this.conversations.end(conv, { identifier: eap.identifier, digest: digest(raw), answer }, this.o.now());
      }
    }
  }

  private newConversation(client: string): Conversation {
    const s = this.random(STATE_LENGTH);
    if (this.o.stateTag !== undefined) s[0] = this.o.stateTag;
    return { key: s.toString("hex"), state: s, client, identity: "", method: null, session: null, tried: new Set(), lastId: 0, nakAllowed: false, rounds: 0, previous: null, busy: false, expiresAt: 0 };
  }

  /** RFC 3579 §2.1 EAP-Start (an empty EAP-Message): answer with EAP-Request/Identity. */
  private eapStart(client: string, withState: boolean, user: string | undefined): Outcome {
    if (withState) return { result: "drop", reason: "eap_malformed:EAP_ERR_TOO_SHORT", user };
    const conv = this.newConversation(client);
    conv.lastId = this.random(1)[0] as number;
    if (!this.conversations.add(conv, this.o.now())) return { result: "drop", reason: "eap_conversations_full", user };
    conv.rounds = 1;
    const req = encodeEap({ code: EapCode.Request, identifier: conv.lastId, type: EapType.Identity });
    return { result: "challenge", attributes: [...fragmentEap(req), { type: Attr.State, value: conv.state }], user };
  }

  private async round(conv: Conversation, eap: EapPacket, input: AccessRequestInput, deps: EapDeps): Promise<Outcome> {
    const type = eap.type as number;
    if (conv.method === null) {
      if (type !== EapType.Identity) return { result: "drop", reason: "eap_unexpected_type", user: conv.identity };
      // RFC 3748 §5.1: the identity may be followed by a NUL and options; keep what precedes it.
      const nul = eap.data.indexOf(0);
      conv.identity = (nul < 0 ? eap.data : eap.data.subarray(0, nul)).toString("utf8");
      return this.startMethod(conv, this.o.methods, eap, input, deps);
    }
    if (type === EapType.Nak) {
      // RFC 3748 §5.3.1: a Nak answers only a method's first Request; it lists the types the
      // peer wants (0: none). The server picks, in its own order, the first one it may offer.
      if (!conv.nakAllowed) return this.end(conv, { kind: "failure", reason: "eap_method_error" }, eap, input, deps);
      const wanted = new Set(eap.data);
      const next = this.o.methods.filter((m) => wanted.has(m.type) && !conv.tried.has(m.type));
      conv.session?.dispose?.();
      conv.session = null;
      if (next.length === 0) return this.end(conv, { kind: "failure", reason: "eap_no_common_method" }, eap, input, deps);
      return this.startMethod(conv, next, eap, input, deps);
    }
    if (type !== conv.method.type || !conv.session) return { result: "drop", reason: "eap_unexpected_type", user: conv.identity };
    conv.nakAllowed = false;
    const step = await conv.session.process(eap.data, this.context(conv, eap, input, deps));
    return this.end(conv, step, eap, input, deps);
  }

  private async startMethod(conv: Conversation, candidates: readonly EapMethod[], eap: EapPacket, input: AccessRequestInput, deps: EapDeps): Promise<Outcome> {
    const method = candidates.find((m) => !conv.tried.has(m.type));
    if (!method) return this.end(conv, { kind: "failure", reason: "eap_no_common_method" }, eap, input, deps);
    if (conv.method === null && method.busy?.()) {
      // A new conversation is not started now: the peer's next try may find room (inline, the
      // scheduler sheds it instead). One begun with State (after EAP-Start) stays for that try;
      // a Nak (method already chosen) always gets its method.
      if (conv.rounds === 0) this.conversations.remove(conv);
      return { result: "drop", reason: "eap_tls_busy", user: conv.identity };
    }
    conv.tried.add(method.type);
    conv.method = method;
    conv.session = method.create(conv.identity);
    const step = await conv.session.start(this.context(conv, eap, input, deps));
    conv.nakAllowed = step.kind === "request";
    return this.end(conv, step, eap, input, deps);
  }

  private context(conv: Conversation, eap: EapPacket, input: AccessRequestInput, deps: EapDeps): EapMethodContext {
    return {
      identity: conv.identity,
      identifier: eap.identifier,
      nextIdentifier: (eap.identifier + 1) & 0xff,
      framedMtu: framedMtu(input.packet),
      deadline: input.deadline,
      now: this.o.now,
      random: this.random,
      lookup: (username) => this.lookup(username, input.deadline, deps),
      checkPap: (sub, password) => checkPapPassword(password, sub, deps.verifyHash, input.deadline),
    };
  }

  /** The subscriber check shared with PAP/CHAP: found, enabled, not expired. */
  private async lookup(username: string, deadline: number, deps: EapDeps): Promise<SubscriberLookup> {
    const remaining = deadline - this.o.now();
    if (remaining <= 0) throw new DeadlinePassed();
    const sub = await deps.store.getSubscriber(username, remaining);
    if (!sub) return { result: "reject", reason: "unknown_user" };
    if (!sub.enabled) return { result: "reject", reason: "disabled" };
    if (sub.expiresAt !== undefined && Date.parse(sub.expiresAt) <= deps.wallClock()) return { result: "reject", reason: "expired" };
    return { result: "found", sub };
  }

  /** Turns a method's step into the reply. */
  private async end(conv: Conversation, step: MethodStep, eap: EapPacket, input: AccessRequestInput, deps: EapDeps): Promise<Outcome> {
    const now = this.o.now();
    if (step.kind === "request") {
      conv.rounds++;
      if (conv.rounds > this.maxRounds) return this.end(conv, { kind: "failure", reason: "eap_too_many_rounds" }, eap, input, deps);
      const id = (eap.identifier + 1) & 0xff;
      conv.lastId = id;
      this.conversations.touch(conv, now);
      const req = encodeEap({ code: EapCode.Request, identifier: id, type: conv.method!.type, data: step.data });
      return { result: "challenge", attributes: [...fragmentEap(req), { type: Attr.State, value: conv.state }], user: conv.identity };
    }
    this.conversations.remove(conv);
    const answer = step.kind === "failure" ? this.failureAnswer(step.reason, eap.identifier, step.identity ?? conv.identity) : this.successAnswer(step, eap.identifier);
    this.ending.set(conv, answer);
    return answer(input, deps);
  }

  private failureAnswer(reason: RejectReason, identifier: number, user: string | undefined): Answer {
    const outcome = this.reject(reason, identifier, user);
    return () => Promise.resolve(outcome);
  }

  /**
   * Success: the identity the method authenticated is the one checked, logged and accounted. The
   * checks run once; a repeat of the answer only encrypts the MSK again for its own request.
   */
  private successAnswer(step: Extract<MethodStep, { kind: "success" }>, identifier: number): Answer {
    let decided: Outcome | null = null;
    return async (input, deps) => {
      if (!decided) {
        const out = await this.decideSuccess(step, identifier, input, deps);
        if (out.result === "drop") return out;
        decided = out;
      }
      if (decided.result !== "accept" || !step.msk) return decided;
      return { ...decided, attributes: [...decided.attributes, ...mppeKeyAttributes(splitMsk(step.msk), input.client.secret, input.packet.authenticator, this.random)] };
    };
  }

  private async decideSuccess(step: Extract<MethodStep, { kind: "success" }>, identifier: number, input: AccessRequestInput, deps: EapDeps): Promise<Outcome> {
    const identity = step.identity;
    let sub = step.subscriber;
    if (!sub) {
      const found = await this.lookup(identity, input.deadline, deps);
      if (found.result === "reject") return this.reject(found.reason, identifier, identity);
      sub = found.sub;
    }
    // Simultaneous-Use, as for PAP/CHAP (access-request.ts).
    if (sub.maxSessions !== undefined && deps.sessions) {
      const left = input.deadline - this.o.now();
      if (left <= 0) return { result: "drop", reason: "deadline_passed", user: identity };
      const claim = await deps.sessions.claim(identity, sub.maxSessions, left);
      if (!claim.ok) return this.reject("max_sessions", identifier, identity);
    }
    // RFC 3748 §4.2: Success carries the Identifier of the Response it answers.
    const attributes: AttributeInput[] = fragmentEap(encodeEap({ code: EapCode.Success, identifier }));
    // The NAS accounts under the User-Name of the Accept when it differs (an inner identity).
    const requestUser = findAttribute(input.packet, Attr.UserName)?.value;
    const idBuf = Buffer.from(identity, "utf8");
    if (idBuf.length > 0 && idBuf.length <= 253 && (!requestUser || !requestUser.equals(idBuf))) attributes.push({ type: Attr.UserName, value: idBuf });
    attributes.push(...replyAttributes(deps, sub));
    return { result: "accept", attributes, user: identity };
  }

  private reject(reason: RejectReason, identifier: number, user: string | undefined): Outcome {
    // RFC 3748 §4.2: Failure carries the Identifier of the Response it answers.
    const failure = encodeEap({ code: EapCode.Failure, identifier });
    return { result: "reject", reason, attributes: fragmentEap(failure), user };
  }

  close(): void {
    this.conversations.clear();
  }
}

/** Framed-MTU (attribute 12, a 4-octet integer), or undefined when absent or malformed. */
function framedMtu(packet: AccessRequestInput["packet"]): number | undefined {
  const a = findAttribute(packet, Attr.FramedMtu);
  return a && a.value.length === 4 ? a.value.readUInt32BE(0) : undefined;
}

/** Identifies a Response octet for octet without keeping it. */
function digest(raw: Buffer): Buffer {
  return createHash("sha256").update(raw).digest();
}

/**
 * MS-MPPE-Recv-Key is the first half of the MSK and MS-MPPE-Send-Key the second: octets 0..31
 * and 32..63 of a 64-octet MSK (RFC 5216 §2.3), 16 and 16 of EAP-MSCHAPv2's 32-octet one.
 */
export function splitMsk(msk: Buffer): { recvKey: Buffer; sendKey: Buffer } {
  if (msk.length !== 64 && msk.length !== 32) throw new RangeError(`an MSK of ${msk.length} octets (32 or 64 expected)`);
  const half = msk.length / 2;
  return { recvKey: msk.subarray(0, half), sendKey: msk.subarray(half) };
}
