// The supplicant and NAS side of one EAP authentication over RADIUS, for the EAP benchmark:
// PEAPv0 with inner EAP-MSCHAPv2, or EAP-TLS, each a full TLS handshake (no resumption) with
// Node's tls client over an in-memory duplex. The RADIUS side does what a NAS does: the peer's
// EAP-Response in EAP-Message attributes, State echoed, Message-Authenticator on every request,
// and every reply checked (Response Authenticator, Message-Authenticator). The MPPE keys of the
// Access-Accept are compared with the MSK the client derives from its own TLS session.
//
// Wire formats: RFC 2865/3579 (RADIUS, EAP-Message), RFC 3748 (EAP, Nak), RFC 5216 (EAP-TLS
// framing and keys), MS-PEAP (PEAPv0 header compression, Result TLV), RFC 2759 and
// draft-kamath-pppext-eap-mschapv2 (EAP-MSCHAPv2), RFC 2548 (MS-MPPE key hiding).
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import dgram from "node:dgram";
import tls from "node:tls";
import { createDuplexPair, settle } from "../../src/eap/tls/duplex.js";
import { OutgoingTlsMessage, TlsReassembler, ackFrame } from "../../src/eap/tls/fragment.js";
import { authenticatorResponse, challengeUserName, generateNtResponse, ntPasswordHash } from "../../src/mschap/mschapv2.js";

const ATTR_USER_NAME = 1;
const ATTR_NAS_IP_ADDRESS = 4;
const ATTR_NAS_PORT = 5;
const ATTR_STATE = 24;
const ATTR_VENDOR_SPECIFIC = 26;
const ATTR_CALLING_STATION_ID = 31;
const ATTR_NAS_PORT_TYPE = 61;
const ATTR_EAP_MESSAGE = 79;
const ATTR_MESSAGE_AUTHENTICATOR = 80;
const MS_VENDOR = 311;
const MS_MPPE_SEND_KEY = 16;
const MS_MPPE_RECV_KEY = 17;

const ACCESS_REQUEST = 1;
const ACCESS_ACCEPT = 2;
const ACCESS_REJECT = 3;
const ACCESS_CHALLENGE = 11;

const EAP_REQUEST = 1;
const EAP_RESPONSE = 2;
const EAP_SUCCESS = 3;
const EAP_FAILURE = 4;
const T_IDENTITY = 1;
const T_NAK = 3;
const T_TLS = 13;
const T_PEAP = 25;
const T_MSCHAPV2 = 26;
const T_TLV = 33;

export type EapBenchMethod = "peap" | "tls";

/** How one conversation ended. `admitted`: the server answered its first request. */
export interface ConversationResult {
  ok: boolean;
  /** "accept" or why not: timeout, reject, bad_reply, keys_mismatch, tls_error, protocol. */
  outcome: string;
  rounds: number;
  /** ms from the first Access-Request to the Access-Accept/Reject (or the failure). */
  ms: number;
  admitted: boolean;
  /** The MS-MPPE keys matched the client's MSK (Accept only). */
  keysChecked: boolean;
}

// ---------------------------------------------------------------------------------------------
// RADIUS transport: a few UDP sockets, each with 256 Identifiers; one request outstanding per
// Identifier, answered or given up after a timeout (no retransmission: a lost round fails the
// conversation and is counted).

interface Pending {
  resolve(reply: Buffer | null): void;
  timer: NodeJS.Timeout;
  reqAuth: Buffer;
}

class Slot {
  pending = new Map<number, Pending>();
  free: number[] = [];
  constructor(readonly sock: dgram.Socket) {
    for (let i = 0; i < 256; i++) this.free.push(i);
  }
}

export class RadiusEapClient {
  private readonly slots: Slot[] = [];
  private waiters: Array<() => void> = [];
  /** Replies that failed the Response Authenticator or Message-Authenticator check. */
  badReplies = 0;
  /** Replies for no outstanding request (late, after the give-up time). */
  lateReplies = 0;

  private constructor(
    readonly host: string,
    readonly port: number,
    readonly secret: Buffer,
  ) {}

  static async open(host: string, port: number, secret: string, sockets: number): Promise<RadiusEapClient> {
    const c = new RadiusEapClient(host, port, Buffer.from(secret, "utf8"));
    for (let i = 0; i < sockets; i++) {
      const sock = dgram.createSocket({ type: "udp4", recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
      await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
      const slot = new Slot(sock);
      sock.on("message", (msg) => c.onMessage(slot, msg));
      sock.on("error", () => undefined);
      c.slots.push(slot);
    }
    return c;
  }

  private onMessage(slot: Slot, msg: Buffer): void {
    if (msg.length < 20) return;
    const p = slot.pending.get(msg[1]!);
    if (!p) {
      this.lateReplies++;
      return;
    }
    if (!verifyReply(msg, p.reqAuth, this.secret)) {
      this.badReplies++;
      return; // a forged or corrupted reply is ignored, as a NAS would; the timeout ends the round
    }
    slot.pending.delete(msg[1]!);
    clearTimeout(p.timer);
    slot.free.push(msg[1]!);
    this.wake();
    p.resolve(msg);
  }

  private wake(): void {
    const w = this.waiters.shift();
    if (w) w();
  }

  private async acquire(): Promise<{ slot: Slot; id: number }> {
    for (;;) {
      for (const slot of this.slots) {
        const id = slot.free.shift();
        if (id !== undefined) return { slot, id };
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Retransmissions sent (same Identifier and Request Authenticator, RFC 5080 §2.2.1). */
  retransmissions = 0;

  /**
   * Sends an Access-Request built around `attrs` and resolves with the verified reply, or null
   * when none came: as a NAS does, the same packet is sent again after `retransmitMs`, up to
   * `retries` times, and the round is given up `retransmitMs` after the last copy.
   */
  async request(attrs: Buffer[], retransmitMs: number, retries: number): Promise<{ reply: Buffer; reqAuth: Buffer } | null> {
    const { slot, id } = await this.acquire();
    const reqAuth = randomBytes(16);
    const pkt = encodeAccessRequest(id, reqAuth, attrs, this.secret);
    return new Promise((resolve) => {
      let left = retries;
      const expire = (): void => {
        if (left > 0) {
          left--;
          this.retransmissions++;
          slot.sock.send(pkt, this.port, this.host);
          p.timer = setTimeout(expire, retransmitMs);
          return;
        }
        slot.pending.delete(id);
        slot.free.push(id);
        this.wake();
        resolve(null);
      };
      const p: Pending = { resolve: (reply) => resolve(reply ? { reply, reqAuth } : null), timer: setTimeout(expire, retransmitMs), reqAuth };
      slot.pending.set(id, p);
      slot.sock.send(pkt, this.port, this.host);
    });
  }

  close(): void {
    for (const s of this.slots) {
      for (const p of s.pending.values()) clearTimeout(p.timer);
      s.sock.close();
    }
  }
}

function attr(type: number, value: Buffer): Buffer {
  if (value.length > 253) throw new RangeError(`attribute ${type} of ${value.length} octets`);
  return Buffer.concat([Buffer.of(type, value.length + 2), value]);
}

/** Message-Authenticator first (zeroed, then HMAC-MD5 over the whole packet, RFC 3579 §3.2). */
function encodeAccessRequest(id: number, reqAuth: Buffer, attrs: Buffer[], secret: Buffer): Buffer {
  const body = Buffer.concat([attr(ATTR_MESSAGE_AUTHENTICATOR, Buffer.alloc(16)), ...attrs]);
  const len = 20 + body.length;
  if (len > 4096) throw new RangeError(`Access-Request of ${len} octets`);
  const pkt = Buffer.alloc(len);
  pkt[0] = ACCESS_REQUEST;
  pkt[1] = id;
  pkt.writeUInt16BE(len, 2);
  reqAuth.copy(pkt, 4);
  body.copy(pkt, 20);
  createHmac("md5", secret).update(pkt).digest().copy(pkt, 22);
  return pkt;
}

/** RFC 2865 §3 Response Authenticator and RFC 3579 §3.2 Message-Authenticator (required). */
function verifyReply(msg: Buffer, reqAuth: Buffer, secret: Buffer): boolean {
  const len = msg.readUInt16BE(2);
  if (len < 20 || len > msg.length) return false;
  const pkt = msg.subarray(0, len);
  const respAuth = Buffer.from(pkt.subarray(4, 20));
  const expect = createHash("md5").update(pkt.subarray(0, 4)).update(reqAuth).update(pkt.subarray(20)).update(secret).digest();
  if (!timingSafeEqual(expect, respAuth)) return false;
  let maOff = -1;
  for (let off = 20; off + 2 <= len; ) {
    const l = pkt[off + 1]!;
    if (l < 2 || off + l > len) return false;
    if (pkt[off] === ATTR_MESSAGE_AUTHENTICATOR) {
      if (l !== 18) return false;
      maOff = off + 2;
    }
    off += l;
  }
  if (maOff < 0) return false;
  const copy = Buffer.from(pkt);
  const ma = Buffer.from(copy.subarray(maOff, maOff + 16));
  copy.fill(0, maOff, maOff + 16);
  reqAuth.copy(copy, 4);
  return timingSafeEqual(createHmac("md5", secret).update(copy).digest(), ma);
}

interface ReplyAttrs {
  code: number;
  eap: Buffer;
  state: Buffer | null;
  recvKey: Buffer | null;
  sendKey: Buffer | null;
}

function parseReply(msg: Buffer): ReplyAttrs {
  const len = msg.readUInt16BE(2);
  const eap: Buffer[] = [];
  let state: Buffer | null = null;
  let recvKey: Buffer | null = null;
  let sendKey: Buffer | null = null;
  for (let off = 20; off + 2 <= len; ) {
    const t = msg[off]!;
    const l = msg[off + 1]!;
    const v = msg.subarray(off + 2, off + l);
    if (t === ATTR_EAP_MESSAGE) eap.push(v);
    else if (t === ATTR_STATE) state = Buffer.from(v);
    else if (t === ATTR_VENDOR_SPECIFIC && v.length >= 6 && v.readUInt32BE(0) === MS_VENDOR) {
      const vt = v[4]!;
      const vv = v.subarray(6, 4 + v[5]!);
      if (vt === MS_MPPE_RECV_KEY) recvKey = Buffer.from(vv);
      else if (vt === MS_MPPE_SEND_KEY) sendKey = Buffer.from(vv);
    }
    off += l;
  }
  return { code: msg[0]!, eap: Buffer.concat(eap), state, recvKey, sendKey };
}

/** RFC 2548 §2.4.2: Salt(2) then the key's length octet, key and padding, hidden with MD5(S + R + A) chains. */
function unhideMppeKey(value: Buffer, secret: Buffer, reqAuth: Buffer): Buffer | null {
  if (value.length < 18 || (value.length - 2) % 16 !== 0) return null;
  const salt = value.subarray(0, 2);
  const c = value.subarray(2);
  const p = Buffer.alloc(c.length);
  let prev: Buffer = Buffer.concat([reqAuth, salt]);
  for (let i = 0; i < c.length; i += 16) {
    const b = createHash("md5").update(secret).update(prev).digest();
    for (let j = 0; j < 16; j++) p[i + j] = c[i + j]! ^ b[j]!;
    prev = c.subarray(i, i + 16);
  }
  const n = p[0]!;
  return n + 1 <= p.length ? p.subarray(1, 1 + n) : null;
}

function eapPacket(code: number, id: number, type: number | null, data: Buffer = Buffer.alloc(0)): Buffer {
  const len = 4 + (type === null ? 0 : 1 + data.length);
  const b = Buffer.alloc(len);
  b[0] = code;
  b[1] = id;
  b.writeUInt16BE(len, 2);
  if (type !== null) {
    b[4] = type;
    data.copy(b, 5);
  }
  return b;
}

function eapMessageAttrs(eap: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < eap.length; off += 253) out.push(attr(ATTR_EAP_MESSAGE, eap.subarray(off, Math.min(off + 253, eap.length))));
  return out;
}

// ---------------------------------------------------------------------------------------------
// One conversation.

export interface PeerConfig {
  method: EapBenchMethod;
  /** Secure context for the client side (CA if the server is verified; client certificate and key for EAP-TLS). */
  context: tls.SecureContext;
  /** Outer identity (EAP-Response/Identity, User-Name). */
  outerIdentity: string;
  /** Inner identity and password (PEAP/MSCHAPv2). */
  user: string;
  password: string;
  /** NAS retransmission: after this many ms without a reply, up to `retries` times. */
  retransmitMs: number;
  retries: number;
  /** Check the server's certificate chain against the CA in `context` (see startTlsClient). */
  verifyServer: boolean;
  /** Size of the TLS fragments the peer sends (octets of TLS data per EAP packet). */
  fragmentSize: number;
  nasPort: number;
}

class ConversationError extends Error {
  constructor(readonly outcome: string) {
    super(outcome);
  }
}

interface TlsClient {
  socket: tls.TLSSocket;
  wire: NodeJS.ReadWriteStream & { write(b: Buffer): boolean; destroy(): void };
  out: Buffer[];
  inner: Buffer[];
  error: Error | null;
  secure: boolean;
  activity: number;
}

function startTlsClient(context: tls.SecureContext, verifyServer: boolean): TlsClient {
  const [side, wire] = createDuplexPair();
  const c: TlsClient = {
    socket: tls.connect({
      socket: side,
      secureContext: context,
      // With verifyServer the server's chain is checked against the CA (its name is not:
      // supplicants that pin one are configured with it). Without, the chain is not checked:
      // once it is valid, Node turns the peer's chain into JS objects (getPeerCertificate, about
      // 0.6 ms a handshake), generator CPU that measures nothing about the server. The MSK
      // check at the end shows the handshake was with the server either way.
      rejectUnauthorized: verifyServer,
      checkServerIdentity: () => undefined,
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.2",
    }),
    wire: wire as unknown as TlsClient["wire"],
    out: [],
    inner: [],
    error: null,
    secure: false,
    activity: 0,
  };
  wire.on("data", (d: Buffer) => {
    c.out.push(d);
    c.activity++;
  });
  wire.on("error", () => undefined);
  side.on("error", () => undefined);
  c.socket.on("data", (d: Buffer) => {
    c.inner.push(d);
    c.activity++;
  });
  c.socket.on("error", (e: Error) => {
    c.error = e;
    c.activity++;
  });
  c.socket.on("secureConnect", () => {
    c.secure = true;
    c.activity++;
  });
  return c;
}

const take = (parts: Buffer[]): Buffer => {
  const b = Buffer.concat(parts);
  parts.length = 0;
  return b;
};

/** Runs one authentication; never throws. */
export async function runConversation(client: RadiusEapClient, cfg: PeerConfig): Promise<ConversationResult> {
  const t0 = performance.now();
  const res: ConversationResult = { ok: false, outcome: "protocol", rounds: 0, ms: 0, admitted: false, keysChecked: false };
  const wantType = cfg.method === "peap" ? T_PEAP : T_TLS;
  const versioned = cfg.method === "peap";
  const nasAttrs = [
    attr(ATTR_USER_NAME, Buffer.from(cfg.outerIdentity, "utf8")),
    attr(ATTR_NAS_IP_ADDRESS, Buffer.of(127, 0, 0, 1)),
    attr(ATTR_NAS_PORT, u32(cfg.nasPort)),
    attr(ATTR_NAS_PORT_TYPE, u32(19)), // Wireless-802.11
    attr(ATTR_CALLING_STATION_ID, Buffer.from(macOf(cfg.nasPort), "ascii")),
  ];
  let tlsc: TlsClient | null = null;
  const rx = new TlsReassembler({ versioned, allowStart: true });
  let outgoing: OutgoingTlsMessage | null = null;
  let state: Buffer | null = null;
  let msk: Buffer | null = null;
  // Inner (PEAP phase 2) MS-CHAPv2 state.
  let peerChallenge: Buffer | null = null;
  let authChallenge: Buffer | null = null;
  let ntResponse: Buffer | null = null;
  const ntHash = cfg.method === "peap" ? ntPasswordHash(cfg.password) : Buffer.alloc(0);

  const send = async (eap: Buffer): Promise<ReplyAttrs & { reqAuth: Buffer }> => {
    const attrs = [...nasAttrs, ...eapMessageAttrs(eap)];
    if (state) attrs.push(attr(ATTR_STATE, state));
    res.rounds++;
    const r = await client.request(attrs, cfg.retransmitMs, cfg.retries);
    if (!r) throw new ConversationError("timeout");
    res.admitted = true;
    return { ...parseReply(r.reply), reqAuth: r.reqAuth };
  };

  const tlsFrame = (id: number, typeData: Buffer): Buffer => eapPacket(EAP_RESPONSE, id, wantType, typeData);

  /** The peer's answer to one reassembled TLS message from the server. */
  const onServerTls = async (message: Buffer, start: boolean): Promise<Buffer> => {
    if (start) {
      tlsc = startTlsClient(cfg.context, cfg.verifyServer);
    } else {
      if (!tlsc) throw new ConversationError("protocol");
      tlsc.wire.write(message);
    }
    const c: TlsClient = tlsc;
    await settle(() => c.activity);
    if (c.error) throw new ConversationError("tls_error");
    if (cfg.method === "peap" && c.inner.length > 0) {
      const reply = innerReply(take(c.inner));
      if (reply) {
        c.socket.write(reply);
        await settle(() => c.activity);
      }
    }
    if (c.error) throw new ConversationError("tls_error");
    return take(c.out);
  };

  /** PEAP phase 2 (MS-PEAP §3.1.5.6 compression): the peer's inner response, or null. */
  const innerReply = (data: Buffer): Buffer | null => {
    let type: number;
    let id: number;
    let typeData: Buffer;
    const full = data.length >= 5 && (data[0] === EAP_REQUEST || data[0] === EAP_RESPONSE) && data.readUInt16BE(2) === data.length && (data[4] === T_TLV || data[4] === T_IDENTITY);
    if (full) {
      id = data[1]!;
      type = data[4]!;
      typeData = data.subarray(5);
    } else {
      id = 0;
      type = data[0]!;
      typeData = data.subarray(1);
    }
    if (type === T_IDENTITY) return Buffer.concat([Buffer.of(T_IDENTITY), Buffer.from(cfg.user, "utf8")]);
    if (type === T_TLV) {
      // Result TLV (M=1, type 3, length 2): echo the server's result, full header (MS-PEAP §2.2.8.1.2).
      const result = typeData.length >= 6 && (typeData.readUInt16BE(0) & 0x3fff) === 3 ? typeData.readUInt16BE(4) : 2;
      if (result !== 1) throw new ConversationError("reject");
      return eapPacket(EAP_RESPONSE, id, T_TLV, Buffer.of(0x80, 0x03, 0x00, 0x02, 0x00, 0x01));
    }
    if (type !== T_MSCHAPV2) throw new ConversationError("protocol");
    const op = typeData[0];
    const msId = typeData[1] ?? 0;
    if (op === 1) {
      // Challenge: OpCode, MS-CHAPv2-ID, MS-Length(2), Value-Size=16, Challenge(16), Name.
      if (typeData.length < 21 || typeData[4] !== 16) throw new ConversationError("protocol");
      authChallenge = Buffer.from(typeData.subarray(5, 21));
      peerChallenge = randomBytes(16);
      const name = Buffer.from(cfg.user, "utf8");
      ntResponse = generateNtResponse(authChallenge, peerChallenge, challengeUserName(name), ntHash);
      const body = Buffer.alloc(5 + 49 + name.length);
      body[0] = 2;
      body[1] = msId;
      body.writeUInt16BE(body.length, 2);
      body[4] = 49;
      peerChallenge.copy(body, 5);
      ntResponse.copy(body, 5 + 24);
      name.copy(body, 5 + 49);
      return Buffer.concat([Buffer.of(T_MSCHAPV2), body]);
    }
    if (op === 3) {
      // Success Request "S=<40 hex> M=...": check the server knew the password (RFC 2759 §8.7).
      const msg = typeData.subarray(4).toString("latin1");
      const m = /S=([0-9A-Fa-f]{40})/.exec(msg);
      if (!m || !authChallenge || !peerChallenge || !ntResponse) throw new ConversationError("protocol");
      const expect = authenticatorResponse(ntHash, ntResponse, peerChallenge, authChallenge, challengeUserName(Buffer.from(cfg.user, "utf8")));
      if (expect.toUpperCase() !== `S=${m[1]!.toUpperCase()}` && expect.toUpperCase() !== m[1]!.toUpperCase()) throw new ConversationError("bad_authenticator_response");
      return Buffer.of(T_MSCHAPV2, 3);
    }
    if (op === 4) throw new ConversationError("reject");
    throw new ConversationError("protocol");
  };

  try {
    // The NAS passes on the peer's EAP-Response/Identity (no State: a new conversation).
    let reply = await send(eapPacket(EAP_RESPONSE, 0, T_IDENTITY, Buffer.from(cfg.outerIdentity, "utf8")));
    let lastReqAuth = reply.reqAuth;
    for (let guard = 0; guard < 60; guard++) {
      if (reply.code === ACCESS_ACCEPT) {
        if (reply.eap.length < 4 || reply.eap[0] !== EAP_SUCCESS) throw new ConversationError("protocol");
        if (!msk || !reply.recvKey || !reply.sendKey) throw new ConversationError("keys_mismatch");
        const recv = unhideMppeKey(reply.recvKey, client.secret, lastReqAuth);
        const snd = unhideMppeKey(reply.sendKey, client.secret, lastReqAuth);
        if (!recv || !snd || !recv.equals(msk.subarray(0, 32)) || !snd.equals(msk.subarray(32, 64))) throw new ConversationError("keys_mismatch");
        res.keysChecked = true;
        res.ok = true;
        res.outcome = "accept";
        return res;
      }
      if (reply.code === ACCESS_REJECT) throw new ConversationError(reply.eap[0] === EAP_FAILURE ? "reject" : "reject");
      if (reply.code !== ACCESS_CHALLENGE) throw new ConversationError("bad_reply");
      state = reply.state;
      const e = reply.eap;
      if (e.length < 5 || e[0] !== EAP_REQUEST || e.readUInt16BE(2) !== e.length) throw new ConversationError("bad_reply");
      const id = e[1]!;
      const type = e[4]!;
      const data = e.subarray(5);
      let response: Buffer;
      if (type === T_IDENTITY) {
        response = eapPacket(EAP_RESPONSE, id, T_IDENTITY, Buffer.from(cfg.outerIdentity, "utf8"));
      } else if (type !== wantType) {
        // RFC 3748 §5.3.1: refuse the proposed method, name ours.
        if (tlsc) throw new ConversationError("protocol");
        response = eapPacket(EAP_RESPONSE, id, T_NAK, Buffer.of(wantType));
      } else {
        const r = rx.push(data);
        if (r.kind === "fragment") {
          response = tlsFrame(id, ackFrame(0));
        } else if (r.frame.start) {
          const out = await onServerTls(Buffer.alloc(0), true);
          outgoing = new OutgoingTlsMessage(out, { fragmentSize: cfg.fragmentSize, version: 0 });
          response = tlsFrame(id, outgoing.next()!);
        } else if (r.message.length === 0 && outgoing && outgoing.remaining > 0) {
          // The server ACKed our fragment: the next one.
          response = tlsFrame(id, outgoing.next()!);
        } else {
          const out = await onServerTls(r.message, false);
          const c = tlsc as TlsClient | null;
          if (c && !msk && c.secure) {
            // RFC 5216 §2.3 and PEAPv0 (TLS 1.2): MSK = first 64 octets of "client EAP encryption".
            // No context (use_context 0, RFC 5705 §4); @types/node makes the argument mandatory.
            const exporter = c.socket.exportKeyingMaterial as (length: number, label: string) => Buffer;
            msk = exporter.call(c.socket, 128, "client EAP encryption").subarray(0, 64);
          }
          if (out.length === 0) {
            response = tlsFrame(id, ackFrame(0));
          } else {
            outgoing = new OutgoingTlsMessage(out, { fragmentSize: cfg.fragmentSize, version: 0 });
            response = tlsFrame(id, outgoing.next()!);
          }
        }
      }
      reply = await send(response);
      lastReqAuth = reply.reqAuth;
    }
    throw new ConversationError("too_many_rounds");
  } catch (err) {
    res.outcome = err instanceof ConversationError ? err.outcome : `error:${(err as Error).message}`.slice(0, 60);
    return res;
  } finally {
    res.ms = performance.now() - t0;
    const c = tlsc as TlsClient | null;
    if (c) {
      c.socket.destroy();
      c.wire.destroy();
    }
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function macOf(n: number): string {
  const h = (n >>> 0).toString(16).padStart(8, "0");
  return `02-00-${h.slice(0, 2)}-${h.slice(2, 4)}-${h.slice(4, 6)}-${h.slice(6, 8)}`.toUpperCase();
}
