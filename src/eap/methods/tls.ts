// EAP-TLS (RFC 5216, RFC 9190) and EAP-TTLSv0 with inner PAP (RFC 5281), on the building
// blocks of src/eap/tls: one TlsServerSession per conversation, fragments out one per Request
// and ACKed by the peer (RFC 5216 §3.1), the peer's fragments reassembled and ACKed.
import { EapType } from "../packet.js";
import type { EapMethod, EapMethodContext, EapMethodSession, MethodStep } from "../method.js";
import { papRejectReason } from "../../handle/access-request.js";
import { isEapTlsError } from "../tls/errors.js";
import { OutgoingTlsMessage, TlsReassembler, ackFrame, isAck, startFrame } from "../tls/fragment.js";
import { TlsServerSession, type TlsContexts } from "../tls/session.js";
import { decodeAvps, parseTtlsInner } from "../tls/ttls-avp.js";

type Kind = "tls" | "ttls";

const FAILED: MethodStep = { kind: "failure", reason: "eap_tls_failed" };

class TlsMethodSession implements EapMethodSession {
  private readonly session: TlsServerSession;
  private readonly rx: TlsReassembler;
  private out: OutgoingTlsMessage | undefined;
  /** PEAP/TTLS carry a version in the flags (RFC 5281 §9.1): only version 0 is offered. */
  private readonly version = 0;

  constructor(
    private readonly kind: Kind,
    contexts: TlsContexts,
  ) {
    // EAP-TLS asks for and checks a client certificate; TTLS authenticates the peer inside.
    this.session = new TlsServerSession({ method: kind, secureContext: kind === "tls" ? contexts.eapTls : contexts.tunnel, requestCert: kind === "tls" });
    this.rx = new TlsReassembler(kind === "tls" ? {} : { versioned: true, version: this.version });
  }

  start(): MethodStep {
    // RFC 5216 §2.1.1 / RFC 5281 §9.2: the server starts with S set and no data.
    return { kind: "request", data: startFrame(this.version) };
  }

  async process(data: Buffer, ctx: EapMethodContext): Promise<MethodStep> {
    try {
      const r = this.rx.push(Buffer.from(data));
      // RFC 5216 §3.1: each fragment with M set is ACKed by an empty Request.
      if (r.kind === "fragment") return { kind: "request", data: ackFrame(this.version) };
      if (isAck(r.frame)) return this.afterAck();
      await this.session.feed(r.message);
      if (this.kind === "ttls" && this.session.handshakeDone) {
        const inner = this.session.takeInner();
        if (inner.length > 0) return await this.innerPap(inner, ctx);
      }
      return this.sendOutput();
    } catch (e) {
      if (isEapTlsError(e)) return FAILED;
      throw e;
    }
  }

  private sendOutput(): MethodStep {
    const output = this.session.takeOutput();
    if (output.length === 0) return FAILED;
    this.out = new OutgoingTlsMessage(output, { version: this.version });
    return this.next();
  }

  private next(): MethodStep {
    const frame = this.out?.next();
    return frame === undefined ? FAILED : { kind: "request", data: frame };
  }

  private afterAck(): MethodStep {
    if (this.out && this.out.remaining > 0) return this.next();
    if (!this.session.handshakeDone || this.kind !== "tls") return FAILED;
    // The peer ACKed the server's last flight (TLS 1.3: the commitment message, RFC 9190 §2.5).
    // The session has checked the chain against eap.tls.caFile, the dates and clientAuth.
    const name = this.session.peerCertificate?.subscriberName;
    if (name === undefined) return FAILED;
    // RFC 5216 §2.3: MSK = the first 64 octets of the key material; the framework looks the
    // subscriber up (enabled, expiresAt) under the certificate's name.
    return { kind: "success", identity: name, msk: this.session.eapKeys().msk };
  }

  /** RFC 5281 §11.2.5: inner User-Name and User-Password AVPs. */
  private async innerPap(inner: Buffer, ctx: EapMethodContext): Promise<MethodStep> {
    const t = parseTtlsInner(decodeAvps(inner));
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

  dispose(): void {
    this.session.close();
  }
}

export function eapTlsMethod(contexts: TlsContexts): EapMethod {
  return { name: "tls", type: EapType.Tls, create: () => new TlsMethodSession("tls", contexts) };
}

export function eapTtlsMethod(contexts: TlsContexts): EapMethod {
  return { name: "ttls", type: EapType.Ttls, create: () => new TlsMethodSession("ttls", contexts) };
}
