// A supplicant and its NAS in one, for tests of the live server's TLS-based EAP methods without
// eapol_test: Node's own tls client over an in-memory duplex (harness.ts) is the peer, its TLS
// records travel in EAP-TLS/PEAP/TTLS frames (fragmented and ACKed, RFC 5216 §3.1) inside
// EAP-Message attributes of Access-Requests with State and Message-Authenticator (RFC 3579).
import type tls from "node:tls";
import { randomBytes } from "node:crypto";
import { Attr, Code } from "../../../src/radius/codes.js";
import { encodeRequest, type AttributeInput } from "../../../src/radius/encode.js";
import { decodePacket, findAttribute, findVendorAttributes, type RadiusPacket } from "../../../src/radius/packet.js";
import { unhideTunnelPassword } from "../../../src/radius/authenticator.js";
import { decodeEap, encodeEap, EapCode, EapType, type EapPacket } from "../../../src/eap/packet.js";
import { fragmentEap, reassembleEap } from "../../../src/eap/radius.js";
import { TlsReassembler, ackFrame, fragmentTlsMessage, isAck } from "../../../src/eap/tls/fragment.js";
import { EapCode as InnerCode, EapType as InnerType, TlvResult, decodeInner, encodeInner, resultOf, resultTlvPacket } from "../../../src/eap/tls/peap.js";
import { authenticatorResponse, generateNtResponse, ntPasswordHash } from "../../../src/mschap/mschapv2.js";
import { UdpPeer } from "../../helpers/server.js";
import { startClient, type Client } from "./harness.js";

const SECRET = Buffer.from("testing123");

export interface Reply {
  code: number;
  packet: RadiusPacket;
  /** The EAP packet of the reply, when it carries one. */
  eap: EapPacket | undefined;
  /** Octets of that EAP packet. */
  eapLength: number;
  requestAuthenticator: Buffer;
}

/** One NAS port: Access-Requests from one UDP socket, State carried from reply to request. */
export class EapRadiusPeer {
  private readonly udp = new UdpPeer();
  private radiusId = 0;
  state: Buffer | undefined;
  /** Identifier of the last EAP-Request received: the next Response carries it. */
  eapId = 0;
  /** Octets of every EAP packet the server sent in an Access-Challenge. */
  readonly challengeSizes: number[] = [];

  constructor(
    private readonly port: number,
    private readonly o: { user?: string; framedMtu?: number; waitMs?: number } = {},
  ) {}

  async open(): Promise<this> {
    await this.udp.bind();
    return this;
  }

  close(): void {
    this.udp.close();
  }

  /** Sends one EAP packet (null: none) with the current State; null when no reply comes. */
  async exchange(eap: Buffer, opts: { state?: Buffer | null } = {}): Promise<Reply | null> {
    const attributes: AttributeInput[] = [{ type: Attr.UserName, value: Buffer.from(this.o.user ?? "anonymous") }, ...fragmentEap(eap)];
    const state = opts.state === undefined ? this.state : opts.state;
    if (state) attributes.push({ type: Attr.State, value: state });
    if (this.o.framedMtu !== undefined) {
      const mtu = Buffer.alloc(4);
      mtu.writeUInt32BE(this.o.framedMtu);
      attributes.push({ type: Attr.FramedMtu, value: mtu });
    }
    const authenticator = randomBytes(16);
    this.radiusId = (this.radiusId + 1) & 0xff;
    const raw = encodeRequest({ code: Code.AccessRequest, identifier: this.radiusId, secret: SECRET, authenticator, attributes, messageAuthenticator: true });
    const answer = await this.udp.request(raw, this.port, this.o.waitMs ?? 5000);
    if (!answer) return null;
    const packet = decodePacket(answer);
    const eapRaw = reassembleEap(packet);
    const reply: Reply = { code: packet.code, packet, eap: eapRaw && eapRaw.length > 0 ? decodeEap(eapRaw) : undefined, eapLength: eapRaw?.length ?? 0, requestAuthenticator: authenticator };
    if (packet.code === Code.AccessChallenge) {
      this.state = findAttribute(packet, Attr.State)?.value;
      if (reply.eap) this.eapId = reply.eap.identifier;
      this.challengeSizes.push(reply.eapLength);
    }
    return reply;
  }

  respond(type: number, data: Buffer): Promise<Reply | null> {
    return this.exchange(encodeEap({ code: EapCode.Response, identifier: this.eapId, type, data }));
  }

  identity(name: string): Promise<Reply | null> {
    this.state = undefined;
    return this.exchange(encodeEap({ code: EapCode.Response, identifier: 0, type: EapType.Identity, data: Buffer.from(name) }), { state: null });
  }

  /** MS-MPPE-Recv-Key and MS-MPPE-Send-Key of an Access-Accept, decrypted (RFC 2548 §2.4). */
  static mppeKeys(r: Reply): { recvKey: Buffer; sendKey: Buffer } | undefined {
    const vsas = findVendorAttributes(r.packet, 311);
    const recv = vsas.find((v) => v.vendorType === 17)?.value;
    const send = vsas.find((v) => v.vendorType === 16)?.value;
    if (!recv || !send) return undefined;
    return { recvKey: unhideTunnelPassword(recv, SECRET, r.requestAuthenticator), sendKey: unhideTunnelPassword(send, SECRET, r.requestAuthenticator) };
  }
}

export interface TlsRunOptions {
  /** EAP type to run: 13 (TLS), 21 (TTLS) or 25 (PEAP); another one offered first is Naked. */
  type: 13 | 21 | 25;
  client: tls.ConnectionOptions;
  identity?: string;
  /** Octets of TLS data per fragment the peer sends (default 1000). */
  fragmentSize?: number;
  /** Plaintext from the tunnel (PEAP/TTLS) -> the plaintext to answer with. */
  inner?: (plain: Buffer, outerId: number) => Buffer;
  /** Stop (abandon the conversation) after this many Access-Challenges. */
  stopAfter?: number;
  /** Called with the count of Access-Challenges so far, before the peer answers the latest. */
  onChallenge?: (n: number) => Promise<void>;
  /** Replaces the client's n-th TLS message (0: ClientHello) with other bytes. */
  tamper?: (out: Buffer, n: number) => Buffer;
}

export interface TlsRun {
  /** The last reply: Access-Accept, Access-Reject, the last Challenge when stopped, or null (dropped). */
  final: Reply | null;
  client: Client | undefined;
  challenges: number;
}

/** Runs one conversation of a TLS-based method to its end. */
export async function runTlsMethod(peer: EapRadiusPeer, o: TlsRunOptions): Promise<TlsRun> {
  const versioned = o.type !== EapType.Tls;
  const rx = new TlsReassembler({ versioned, allowStart: true });
  let client: Client | undefined;
  let pending: Buffer[] = [];
  let challenges = 0;
  let r = await peer.identity(o.identity ?? "anonymous");
  const wire = () => (client as Client & { wire: { write(b: Buffer): void } }).wire;
  /** What the client wrote, fragmented: the first fragment now, the rest on the server's ACKs. */
  let flights = 0;
  const sendClientOutput = (): Promise<Reply | null> => {
    let out = client!.takeOutput();
    if (out.length > 0 && o.tamper) out = o.tamper(out, flights++);
    if (out.length === 0) return peer.respond(o.type, ackFrame(0));
    pending = fragmentTlsMessage(out, { fragmentSize: o.fragmentSize ?? 1000, version: 0 });
    return peer.respond(o.type, pending.shift()!);
  };
  for (;;) {
    if (!r || r.code !== Code.AccessChallenge || !r.eap) return { final: r, client, challenges };
    challenges++;
    if (o.stopAfter !== undefined && challenges >= o.stopAfter) return { final: r, client, challenges };
    await o.onChallenge?.(challenges);
    if (r.eap.type !== o.type) {
      // RFC 3748 §5.3.1: a Nak naming the wanted method.
      r = await peer.respond(EapType.Nak, Buffer.of(o.type));
      continue;
    }
    const got = rx.push(r.eap.data);
    if (got.kind === "fragment") {
      r = await peer.respond(o.type, ackFrame(0));
      continue;
    }
    if (got.frame.start) {
      client = startClient(o.client);
      await client.settle();
      r = await sendClientOutput();
      continue;
    }
    if (isAck(got.frame)) {
      // The server ACKed a fragment of ours: the next one.
      const next = pending.shift();
      if (!next) throw new Error("the server ACKed with no fragment pending");
      r = await peer.respond(o.type, next);
      continue;
    }
    wire().write(got.message);
    await client!.settle();
    if (client!.inner.length > 0 && o.inner) {
      const plain = Buffer.concat(client!.inner.splice(0));
      client!.socket.write(o.inner(plain, r.eap.identifier));
      await client!.settle();
    }
    r = await sendClientOutput();
  }
}

/** PEAPv0 phase 2 peer side: Identity, EAP-MSCHAPv2 (RFC 2759), Result TLV (MS-PEAP). */
export function peapMsChapV2Peer(user: string, password: string): { inner: (plain: Buffer, outerId: number) => Buffer; authenticated: () => boolean } {
  let authChallenge: Buffer = Buffer.alloc(0);
  let ok = false;
  const peerChallenge = randomBytes(16);
  const hash = ntPasswordHash(password);
  let nt: Buffer = Buffer.alloc(0);
  const inner = (plain: Buffer, outerId: number): Buffer => {
    const p = decodeInner(plain, { code: InnerCode.Request, identifier: outerId });
    const answer = (type: number, typeData: Buffer) => encodeInner({ code: InnerCode.Response, identifier: p.identifier, type, typeData });
    if (p.type === InnerType.Identity) return answer(InnerType.Identity, Buffer.from(user));
    if (p.type === InnerType.MsChapV2 && p.typeData[0] === 1) {
      // Challenge: OpCode 1, MS-CHAPv2-ID, MS-Length, Value-Size 16, Challenge, Name.
      authChallenge = Buffer.from(p.typeData.subarray(5, 21));
      nt = generateNtResponse(authChallenge, peerChallenge, Buffer.from(user), hash);
      const body = Buffer.concat([Buffer.of(49), peerChallenge, Buffer.alloc(8), nt, Buffer.of(0), Buffer.from(user)]);
      const data = Buffer.concat([Buffer.of(2, p.typeData[1] ?? 0, 0, 0), body]);
      data.writeUInt16BE(data.length, 2);
      return answer(InnerType.MsChapV2, data);
    }
    if (p.type === InnerType.MsChapV2 && p.typeData[0] === 3) {
      // Success Request: "S=<authenticator response> M=...", checked before answering Success.
      const expected = authenticatorResponse(hash, nt, peerChallenge, authChallenge, Buffer.from(user));
      ok = p.typeData.subarray(4).toString("ascii").startsWith(expected);
      return answer(InnerType.MsChapV2, Buffer.of(ok ? 3 : 4));
    }
    if (p.type === InnerType.MsChapV2) return answer(InnerType.MsChapV2, Buffer.of(4));
    if (p.type === InnerType.Tlv) return resultTlvPacket(InnerCode.Response, p.identifier, resultOf(p) === TlvResult.Success && ok ? TlvResult.Success : TlvResult.Failure);
    throw new Error(`unexpected inner type ${p.type}`);
  };
  return { inner, authenticated: () => ok };
}
