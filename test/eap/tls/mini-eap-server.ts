// A minimal RADIUS EAP server for tests only: just enough of RFC 3579 (EAP-Message, State,
// Message-Authenticator, MS-MPPE keys) to drive the src/eap/tls building blocks against a real
// supplicant (eapol_test). Methods: EAP-TLS, EAP-TTLS/PAP and PEAPv0/EAP-GTC (GTC needs no
// MS-CHAPv2 crypto, yet exercises the PEAP header compression, the identity round and the
// Result TLV). One user: alice / alice-pw. Not the product's EAP layer.
import { randomBytes, timingSafeEqual } from "node:crypto";
import dgram from "node:dgram";
import { Attr, Code } from "../../../src/radius/codes.js";
import { decodePacket, findAttribute, findAttributes, type RadiusPacket } from "../../../src/radius/packet.js";
import { hideTunnelPassword, verifyMessageAuthenticator } from "../../../src/radius/authenticator.js";
import { encodeResponse, type AttributeInput } from "../../../src/radius/encode.js";
import { EapTlsError } from "../../../src/eap/tls/errors.js";
import { OutgoingTlsMessage, TlsReassembler, isAck, startFrame, ackFrame } from "../../../src/eap/tls/fragment.js";
import { TlsServerSession, type TlsContexts, type TlsMethod } from "../../../src/eap/tls/session.js";
import { decodeAvps, parseTtlsInner } from "../../../src/eap/tls/ttls-avp.js";
import { EapCode, EapType, TlvResult, decodeInner, encodeInner, resultOf, resultTlvPacket, type TlvResultValue } from "../../../src/eap/tls/peap.js";

export type MiniMethod = "tls" | "ttls-pap" | "peap-gtc";
const TYPE: Record<MiniMethod, number> = { tls: 13, "ttls-pap": 21, "peap-gtc": 25 };
const GTC = 6;
const PASSWORD = Buffer.from("alice-pw");

interface Conv {
  method: MiniMethod;
  session: TlsServerSession;
  rx: TlsReassembler;
  out: OutgoingTlsMessage | undefined;
  peapResult: TlvResultValue | undefined;
}

type Outcome = { kind: "challenge"; eap: Buffer } | { kind: "accept"; eapId: number; session: TlsServerSession } | { kind: "reject"; eapId: number; reason: string };

export interface MiniServer {
  port: number;
  /** Reasons of the rejects sent, in order (EapTlsError codes or a short word). */
  rejects: string[];
  /** Subscriber names taken from client certificates (EAP-TLS). */
  names: string[];
  protocols: string[];
  close(): Promise<void>;
}

function eapPacket(code: number, id: number, type: number, typeData: Buffer): Buffer {
  const b = Buffer.alloc(5 + typeData.length);
  b[0] = code;
  b[1] = id & 0xff;
  b.writeUInt16BE(b.length, 2);
  b[4] = type;
  typeData.copy(b, 5);
  return b;
}

export async function startMiniServer(method: MiniMethod, contexts: TlsContexts, secret: Buffer): Promise<MiniServer> {
  const sock = dgram.createSocket("udp4");
  const convs = new Map<string, Conv>();
  const replies = new Map<string, Buffer>();
  const state: MiniServer = { port: 0, rejects: [], names: [], protocols: [], close: async () => new Promise<void>((r) => sock.close(() => r())) };

  const tlsMethod: TlsMethod = method === "tls" ? "tls" : method === "ttls-pap" ? "ttls" : "peap";
  const versioned = method !== "tls";

  async function sendTls(conv: Conv, id: number): Promise<Outcome> {
    const frame = conv.out?.next();
    if (frame === undefined) return { kind: "reject", eapId: id - 1, reason: "nothing to send" };
    return { kind: "challenge", eap: eapPacket(EapCode.Request, id, TYPE[method], frame) };
  }

  async function afterHandshakeData(conv: Conv, id: number): Promise<Outcome> {
    const s = conv.session;
    const inner = s.takeInner();
    if (s.handshakeDone && inner.length > 0) {
      if (method === "ttls-pap") {
        const t = parseTtlsInner(decodeAvps(inner));
        const ok = t.userName === "alice" && t.userPassword !== undefined && t.userPassword.length === PASSWORD.length && timingSafeEqual(t.userPassword, PASSWORD);
        return ok ? { kind: "accept", eapId: id - 1, session: s } : { kind: "reject", eapId: id - 1, reason: "bad_password" };
      }
      if (method === "peap-gtc") {
        const p = decodeInner(inner, { code: EapCode.Response, identifier: id - 1 });
        if (p.type === EapType.Identity) {
          await s.writeInner(encodeInner({ code: EapCode.Request, identifier: id, type: GTC, typeData: Buffer.from("Password: ") }));
        } else if (p.type === GTC) {
          const ok = p.typeData.length === PASSWORD.length && timingSafeEqual(p.typeData, PASSWORD);
          conv.peapResult = ok ? TlvResult.Success : TlvResult.Failure;
          await s.writeInner(resultTlvPacket(EapCode.Request, id, conv.peapResult));
        } else if (p.type === EapType.Tlv) {
          const r = resultOf(p);
          if (r === TlvResult.Success && conv.peapResult === TlvResult.Success) return { kind: "accept", eapId: id - 1, session: s };
          return { kind: "reject", eapId: id - 1, reason: "bad_password" };
        } else return { kind: "reject", eapId: id - 1, reason: `inner type ${p.type}` };
      }
    }
    const output = s.takeOutput();
    if (output.length === 0) return { kind: "reject", eapId: id - 1, reason: "no output" };
    conv.out = new OutgoingTlsMessage(output, { version: 0 });
    return sendTls(conv, id);
  }

  async function afterAck(conv: Conv, id: number): Promise<Outcome> {
    if (conv.out && conv.out.remaining > 0) return sendTls(conv, id);
    const s = conv.session;
    if (!s.handshakeDone) return { kind: "reject", eapId: id - 1, reason: "ack before handshake end" };
    if (method === "tls") {
      state.names.push(s.peerCertificate?.subscriberName ?? "");
      return { kind: "accept", eapId: id - 1, session: s };
    }
    if (method === "peap-gtc" && conv.peapResult === undefined) {
      // Phase 2 starts with the inner Identity Request (full-header form by default).
      await s.writeInner(encodeInner({ code: EapCode.Request, identifier: id, type: EapType.Identity, typeData: Buffer.alloc(0) }));
      conv.out = new OutgoingTlsMessage(s.takeOutput(), { version: 0 });
      return sendTls(conv, id);
    }
    return { kind: "reject", eapId: id - 1, reason: "unexpected ack" };
  }

  async function handle(req: RadiusPacket): Promise<{ outcome: Outcome; state?: Buffer }> {
    const eap = Buffer.concat(findAttributes(req, Attr.EapMessage).map((a) => a.value));
    if (eap.length < 5 || eap[0] !== EapCode.Response) return { outcome: { kind: "reject", eapId: eap[1] ?? 0, reason: "not an EAP response" } };
    const id = eap[1] ?? 0;
    const type = eap[4] ?? 0;
    const next = (id + 1) & 0xff;
    const stateAttr = findAttribute(req, Attr.State)?.value;
    const key = stateAttr?.toString("hex");
    const conv = key ? convs.get(key) : undefined;
    if (!conv) {
      if (type !== EapType.Identity) return { outcome: { kind: "reject", eapId: id, reason: "no conversation" } };
      const session = new TlsServerSession({ method: tlsMethod, secureContext: method === "tls" ? contexts.eapTls : contexts.tunnel });
      const c: Conv = { method, session, rx: new TlsReassembler({ versioned, version: 0 }), out: undefined, peapResult: undefined };
      const st = randomBytes(16);
      convs.set(st.toString("hex"), c);
      return { outcome: { kind: "challenge", eap: eapPacket(EapCode.Request, next, TYPE[method], startFrame(0)) }, state: st };
    }
    try {
      if (type !== TYPE[method]) return { outcome: { kind: "reject", eapId: id, reason: `type ${type}` } };
      const len = eap.readUInt16BE(2);
      const r = conv.rx.push(eap.subarray(5, len));
      if (r.kind === "fragment") return { outcome: { kind: "challenge", eap: eapPacket(EapCode.Request, next, TYPE[method], ackFrame(0)) }, state: stateAttr };
      if (isAck(r.frame)) return { outcome: await afterAck(conv, next), state: stateAttr };
      await conv.session.feed(r.message);
      if (conv.session.protocol) state.protocols.push(conv.session.protocol);
      return { outcome: await afterHandshakeData(conv, next), state: stateAttr };
    } catch (e) {
      return { outcome: { kind: "reject", eapId: id, reason: e instanceof EapTlsError ? e.code : "error" } };
    }
  }

  sock.on("message", (msg, rinfo) => {
    void (async () => {
      let req: RadiusPacket;
      try {
        req = decodePacket(msg);
      } catch {
        return;
      }
      if (req.code !== Code.AccessRequest || verifyMessageAuthenticator(req, secret) !== "valid") return;
      const cacheKey = req.authenticator.toString("hex");
      const cached = replies.get(cacheKey);
      if (cached) {
        sock.send(cached, rinfo.port, rinfo.address);
        return;
      }
      const { outcome, state: st } = await handle(req);
      const attrs: AttributeInput[] = [];
      let code: number;
      let eap: Buffer;
      if (outcome.kind === "challenge") {
        code = Code.AccessChallenge;
        eap = outcome.eap;
      } else if (outcome.kind === "accept") {
        code = Code.AccessAccept;
        eap = Buffer.from([EapCode.Success, outcome.eapId & 0xff, 0, 4]);
        const keys = outcome.session.eapKeys();
        // RFC 2548 §2.4.2-2.4.3, salted and hidden with the secret and Request Authenticator.
        attrs.push({ vendorId: 311, vendorType: 17, value: hideTunnelPassword(keys.recvKey, secret, req.authenticator) });
        attrs.push({ vendorId: 311, vendorType: 16, value: hideTunnelPassword(keys.sendKey, secret, req.authenticator) });
      } else {
        code = Code.AccessReject;
        state.rejects.push(outcome.reason);
        eap = Buffer.from([EapCode.Failure, outcome.eapId & 0xff, 0, 4]);
      }
      for (let off = 0; off < eap.length; off += 253) attrs.push({ type: Attr.EapMessage, value: eap.subarray(off, off + 253) });
      if (st && outcome.kind === "challenge") attrs.push({ type: Attr.State, value: st });
      const reply = encodeResponse({ code, identifier: req.identifier, requestAuthenticator: req.authenticator, secret, attributes: attrs, messageAuthenticator: true });
      replies.set(cacheKey, reply);
      sock.send(reply, rinfo.port, rinfo.address);
    })();
  });
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", () => resolve()));
  state.port = sock.address().port;
  return state;
}
