// EAP-TLS (RFC 5216, RFC 9190), EAP-TTLSv0 with inner PAP or MS-CHAP-V2 (RFC 5281) and PEAPv0 with inner
// EAP-MSCHAPv2 (MS-PEAP, draft-kamath-pppext-peapv0-00, no crypto-binding), on the building
// blocks of src/eap/tls: one TLS session per conversation (inline or on a TLS worker thread), fragments out one per Request
// and ACKed by the peer (RFC 5216 §3.1), the peer's fragments reassembled and ACKed.
import { EapType } from "../packet.js";
import type { EapMethod, EapMethodContext, EapMethodSession, MethodStep } from "../method.js";
import type { RejectReason } from "../../handle/decision.js";
import type { Subscriber } from "../../store/subscriber.js";
import { eapMsChapV2 } from "./mschapv2.js";
import { EapCode as InnerCode, EapType as InnerType, TlvResult, decodeInner, encodeInner, resultOf, resultTlvPacket, unsupportedMandatoryTlvs } from "../tls/peap.js";
import { papRejectReason } from "../../handle/access-request.js";
import { EAP_TLS_REJECT_REASON, isEapTlsError } from "../tls/errors.js";
import { OutgoingTlsMessage, TlsReassembler, ackFrame, fragmentSizeForMtu, isAck, startFrame } from "../tls/fragment.js";
import { TlsServerSession, type TlsContexts } from "../tls/session.js";
import type { TlsEndpoint, TlsEndpointFactory } from "../tls/endpoint.js";
import { checkMsChapV2Challenge, decodeAvps, msChap2SuccessAvp, parseTtlsInner, type TtlsInner } from "../tls/ttls-avp.js";
import { authenticatorResponse, challengeUserName, ntResponseMatches, subscriberNtHash } from "../../mschap/mschapv2.js";

type Kind = "tls" | "ttls" | "peap";

/** PEAP phase 2: where the inner conversation stands. */
type PeapPhase =
  | { at: "handshake" }
  | { at: "identity" }
  | { at: "inner"; identity: string; inner: EapMethodSession }
  | { at: "result-sent"; identity: string; outcome: { ok: true; subscriber: Subscriber | undefined } | { ok: false; reason: RejectReason } };

/** A Response the method cannot take at this point (an ACK with nothing to send, no TLS answer...). */
const OUT_OF_SEQUENCE: MethodStep = { kind: "failure", reason: "eap_method_error" };
/** Inner data (PEAP phase 2, TTLS AVPs) that is not what the tunnel expects now. */
const TUNNEL_ERROR: MethodStep = { kind: "failure", reason: "eap_tls_tunnel_error" };

class TlsMethodSession implements EapMethodSession {
  private readonly session: TlsEndpoint;
  private readonly rx: TlsReassembler;
  private out: OutgoingTlsMessage | undefined;
  private peap: PeapPhase = { at: "handshake" };
  /** TTLS/MS-CHAP-V2: MS-CHAP2-Success sent, the peer's (empty) answer ends in EAP-Success. */
  private ttlsPending: { identity: string; subscriber: Subscriber } | undefined;
  /** PEAP/TTLS carry a version in the flags (RFC 5281 §9.1): only version 0 is offered. */
  private readonly version = 0;
  /** The NAS's latest Framed-MTU: the server's fragments are cut to fit it. */
  private framedMtu: number | undefined;

  constructor(
    private readonly kind: Kind,
    sessions: TlsEndpointFactory,
  ) {
    // Inline or on a TLS worker thread (config eap.tls.placement).
    this.session = sessions(kind);
    this.rx = new TlsReassembler(kind === "tls" ? {} : { versioned: true, version: this.version });
  }

  start(ctx: EapMethodContext): MethodStep {
    this.framedMtu = ctx.framedMtu ?? this.framedMtu;
    // RFC 5216 §2.1.1 / RFC 5281 §9.2: the server starts with S set and no data.
    return { kind: "request", data: startFrame(this.version) };
  }

  async process(data: Buffer, ctx: EapMethodContext): Promise<MethodStep> {
    this.framedMtu = ctx.framedMtu ?? this.framedMtu;
    try {
      const r = this.rx.push(Buffer.from(data));
      // RFC 5216 §3.1: each fragment with M set is ACKed by an empty Request.
      if (r.kind === "fragment") return { kind: "request", data: ackFrame(this.version) };
      if (isAck(r.frame)) return await this.afterAck(ctx);
      await this.session.feed(r.message);
      // RFC 5281 §11.2.4: after MS-CHAP2-Success the peer answers with no inner data.
      if (this.ttlsPending) return this.session.takeInner().length === 0 ? this.ttlsDone() : TUNNEL_ERROR;
      if (this.kind !== "tls" && this.session.handshakeDone) {
        const inner = this.session.takeInner();
        if (inner.length > 0) return this.kind === "ttls" ? await this.ttlsInner(inner, ctx) : await this.peapInner(inner, ctx);
      }
      return this.sendOutput();
    } catch (e) {
      // Every EapTlsError code has its named reason (tls/errors.ts).
      if (isEapTlsError(e)) return { kind: "failure", reason: EAP_TLS_REJECT_REASON[e.code] };
      throw e;
    }
  }

  private sendOutput(): MethodStep {
    const output = this.session.takeOutput();
    if (output.length === 0) return OUT_OF_SEQUENCE;
    // RFC 3579 §2.2, RFC 5216 §2.1.5: each EAP-Request, header and TLS Message Length
    // included, fits the NAS's Framed-MTU (at most 1020 and at least 64 octets of TLS data).
    this.out = new OutgoingTlsMessage(output, { version: this.version, fragmentSize: fragmentSizeForMtu(this.framedMtu) });
    return this.next();
  }

  private next(): MethodStep {
    const frame = this.out?.next();
    return frame === undefined ? OUT_OF_SEQUENCE : { kind: "request", data: frame };
  }

  private async afterAck(ctx: EapMethodContext): Promise<MethodStep> {
    if (this.out && this.out.remaining > 0) return this.next();
    if (!this.session.handshakeDone) return OUT_OF_SEQUENCE;
    if (this.kind === "peap" && this.peap.at === "handshake") {
      // Phase 2 starts with the inner EAP-Request/Identity (full header, see tls/peap.ts).
      this.peap = { at: "identity" };
      return this.writeInner(encodeInner({ code: InnerCode.Request, identifier: ctx.nextIdentifier, type: InnerType.Identity, typeData: Buffer.alloc(0) }));
    }
    if (this.ttlsPending) return this.ttlsDone();
    if (this.kind !== "tls") return OUT_OF_SEQUENCE;
    // The peer ACKed the server's last flight (TLS 1.3: the commitment message, RFC 9190 §2.5).
    // The session has checked the chain against eap.tls.caFile, the dates and clientAuth.
    const name = this.session.peerCertificate?.subscriberName;
    if (name === undefined) return { kind: "failure", reason: "eap_tls_cert_no_name" };
    // RFC 5216 §2.3: MSK = the first 64 octets of the key material; the framework looks the
    // subscriber up (enabled, expiresAt) under the certificate's name.
    return { kind: "success", identity: name, msk: this.session.eapKeys().msk };
  }

  private ttlsDone(): MethodStep {
    const p = this.ttlsPending!;
    this.ttlsPending = undefined;
    // RFC 5281 §8: keys exported with "ttls keying material".
    return { kind: "success", identity: p.identity, msk: this.session.eapKeys().msk, subscriber: p.subscriber };
  }

  /** RFC 5281 §11.2.4: MS-CHAP-V2 on the implicit challenge; the server answers MS-CHAP2-Success. */
  private async innerMsChapV2(t: TtlsInner, identity: string, ctx: EapMethodContext): Promise<MethodStep> {
    const { challenge, response } = checkMsChapV2Challenge(this.session, t);
    const found = await ctx.lookup(identity);
    if (found.result === "reject") return { kind: "failure", reason: found.reason, identity };
    // MS-CHAPv2 needs the NT hash: the cleartext or ntHash, not an scrypt hash.
    const nt = subscriberNtHash(found.sub);
    if (!nt) return { kind: "failure", reason: "method_not_possible", identity };
    try {
      const userName = challengeUserName(Buffer.from(identity, "utf8"));
      if (!ntResponseMatches(response.ntResponse, challenge, response.peerChallenge, userName, nt)) return { kind: "failure", reason: "bad_password", identity };
      const s = authenticatorResponse(nt, response.ntResponse, response.peerChallenge, challenge, userName);
      this.ttlsPending = { identity, subscriber: found.sub };
      return await this.writeInner(msChap2SuccessAvp(response.ident, s));
    } finally {
      nt.fill(0);
    }
  }

  /** TTLS phase 2: inner PAP (RFC 5281 §11.2.5: User-Name, User-Password) or MS-CHAP-V2 (§11.2.4). */
  private async ttlsInner(inner: Buffer, ctx: EapMethodContext): Promise<MethodStep> {
    const t = parseTtlsInner(decodeAvps(inner));
    if (t.unsupportedMandatory.length === 0 && t.userName !== undefined && t.userPassword === undefined && t.msChap2Response !== undefined) {
      return this.innerMsChapV2(t, t.userName, ctx);
    }
    // RFC 5281 §10.1: an unsupported mandatory AVP ends the negotiation.
    if (t.unsupportedMandatory.length > 0 || t.userName === undefined || t.userPassword === undefined) {
      return { kind: "failure", reason: "method_not_possible", ...(t.userName !== undefined ? { identity: t.userName } : {}) };
    }
    const identity = t.userName;
    try {
      const found = await ctx.lookup(identity);
      if (found.result === "reject") return { kind: "failure", reason: found.reason, identity };
      const verdict = await ctx.checkPap(found.sub, t.userPassword);
      if (verdict !== "match") return { kind: "failure", reason: papRejectReason(verdict), identity };
      // RFC 5281 §8: keys exported with "ttls keying material".
      return { kind: "success", identity, msk: this.session.eapKeys().msk, subscriber: found.sub };
    } finally {
      t.userPassword.fill(0);
    }
  }

  private async writeInner(data: Buffer): Promise<MethodStep> {
    await this.session.writeInner(data);
    return this.sendOutput();
  }

  /** One inner packet of PEAP phase 2 (MS-PEAP §3.1.5.6 header compression, see tls/peap.ts). */
  private async peapInner(data: Buffer, ctx: EapMethodContext): Promise<MethodStep> {
    const p = decodeInner(data, { code: InnerCode.Response, identifier: ctx.identifier });
    if (p.code !== InnerCode.Response) return TUNNEL_ERROR;
    const phase = this.peap;
    if (phase.at === "identity") {
      if (p.type !== InnerType.Identity) return TUNNEL_ERROR;
      const identity = p.typeData.toString("utf8");
      // The inner method gets a context of its own: the inner identity, same identifiers.
      const inner = eapMsChapV2.create(identity);
      this.peap = { at: "inner", identity, inner };
      return this.innerStep(await inner.start(innerContext(ctx, identity)), identity, ctx);
    }
    if (phase.at === "inner") {
      // RFC 3748 §5.3.1: a Nak inside means the peer does not do EAP-MSCHAPv2.
      if (p.type === InnerType.Nak) return this.sendResult({ ok: false, reason: "eap_no_common_method" }, phase.identity, ctx);
      if (p.type !== InnerType.MsChapV2) return TUNNEL_ERROR;
      return this.innerStep(await phase.inner.process(p.typeData, innerContext(ctx, phase.identity)), phase.identity, ctx);
    }
    if (phase.at === "result-sent") {
      // MS-PEAP §2.2.8.1.2: the peer echoes the Result TLV; the outer EAP-Success/Failure follows.
      if (p.type !== InnerType.Tlv || unsupportedMandatoryTlvs(p).length > 0) return TUNNEL_ERROR;
      const result = resultOf(p);
      const { outcome, identity } = phase;
      if (!outcome.ok) return { kind: "failure", reason: outcome.reason, identity };
      // The peer answered the server's Success with a Failure Result TLV.
      if (result !== TlvResult.Success) return { kind: "failure", reason: "eap_tls_tunnel_error", identity };
      // MSK from "client EAP encryption" over the tunnel (TLS 1.2), not the inner MS-CHAPv2 keys.
      return { kind: "success", identity, msk: this.session.eapKeys().msk, ...(outcome.subscriber ? { subscriber: outcome.subscriber } : {}) };
    }
    return TUNNEL_ERROR;
  }

  private async innerStep(step: MethodStep, identity: string, ctx: EapMethodContext): Promise<MethodStep> {
    if (step.kind === "request") {
      return this.writeInner(encodeInner({ code: InnerCode.Request, identifier: ctx.nextIdentifier, type: InnerType.MsChapV2, typeData: step.data }));
    }
    if (step.kind === "success") return this.sendResult({ ok: true, subscriber: step.subscriber }, step.identity, ctx);
    return this.sendResult({ ok: false, reason: step.reason }, step.identity ?? identity, ctx);
  }

  private async sendResult(outcome: { ok: true; subscriber: Subscriber | undefined } | { ok: false; reason: RejectReason }, identity: string, ctx: EapMethodContext): Promise<MethodStep> {
    if (this.peap.at === "inner") this.peap.inner.dispose?.();
    this.peap = { at: "result-sent", identity, outcome };
    return this.writeInner(resultTlvPacket(InnerCode.Request, ctx.nextIdentifier, outcome.ok ? TlvResult.Success : TlvResult.Failure));
  }

  dispose(): void {
    if (this.peap.at === "inner") this.peap.inner.dispose?.();
    this.session.close();
  }
}

/** The context of the method inside the tunnel: the inner identity, the outer identifiers. */
function innerContext(ctx: EapMethodContext, identity: string): EapMethodContext {
  return { ...ctx, identity };
}

/**
 * Where a method takes its secure contexts: fixed ones, or a holder that a reload swaps. Each
 * new conversation reads the holder once; one in progress keeps the context it started with.
 */
export type TlsContextSource = TlsContexts | { readonly current: TlsContexts };

function contextsOf(source: TlsContextSource): TlsContexts {
  return "current" in source ? source.current : source;
}

/** Sessions on the event loop: each new conversation reads the contexts in force once. */
export function inlineTlsSessions(source: TlsContextSource): TlsEndpointFactory {
  return (method) => {
    const contexts = contextsOf(source);
    // EAP-TLS asks for and checks a client certificate; TTLS authenticates the peer inside.
    // PEAP and TTLS run over TLS 1.2 only: contexts.tunnel.
    return new TlsServerSession({ method, secureContext: method === "tls" ? contexts.eapTls : contexts.tunnel, requestCert: method === "tls" });
  };
}

/**
 * Secure contexts (inline sessions) or a factory of sessions (on TLS worker threads), with
 * `busy` telling when new conversations should wait.
 */
export type TlsSessionSource = TlsContextSource | { readonly sessions: TlsEndpointFactory; busy(): boolean };

function factoryOf(source: TlsSessionSource): TlsEndpointFactory {
  return "sessions" in source ? source.sessions : inlineTlsSessions(source);
}

function busyOf(source: TlsSessionSource): { busy?: () => boolean } {
  return "sessions" in source ? { busy: () => source.busy() } : {};
}

export function eapPeapMethod(source: TlsSessionSource): EapMethod {
  const f = factoryOf(source);
  return { name: "peap", type: EapType.Peap, create: () => new TlsMethodSession("peap", f), ...busyOf(source) };
}

export function eapTlsMethod(source: TlsSessionSource): EapMethod {
  const f = factoryOf(source);
  return { name: "tls", type: EapType.Tls, create: () => new TlsMethodSession("tls", f), ...busyOf(source) };
}

export function eapTtlsMethod(source: TlsSessionSource): EapMethod {
  const f = factoryOf(source);
  return { name: "ttls", type: EapType.Ttls, create: () => new TlsMethodSession("ttls", f), ...busyOf(source) };
}
