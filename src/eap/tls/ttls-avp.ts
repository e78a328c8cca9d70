/**
 * EAP-TTLSv0 inner data: Diameter-format AVPs (RFC 5281 §10) and the inner PAP / MS-CHAP-V2
 * pieces (RFC 5281 §11.2.4, §11.2.5), plus the implicit challenge (RFC 5281 §11.1).
 *
 *   AVP Code (4) | Flags (1: V=0x80, M=0x40) | AVP Length (3) | [Vendor-ID (4) if V] | Data
 *   AVP Length counts header, Vendor-ID and Data, not the padding; each AVP is padded with
 *   zeros to a 4-octet boundary (RFC 5281 §10.2).
 *
 * Pure: Buffers in, Buffers out, EapTlsError on malformed input. Passwords are returned as
 * Buffers for the caller to compare and drop; they never appear in an error message.
 */
import { timingSafeEqual } from "node:crypto";
import { EapTlsError } from "./errors.js";
import { LABEL, type KeyExporter } from "./session.js";

export const AvpFlag = { V: 0x80, M: 0x40 } as const;
/** RADIUS attribute numbers used as AVP codes (RFC 5281 §10.1: codes 1-255 are RADIUS's). */
export const AvpCode = { UserName: 1, UserPassword: 2, EapMessage: 79 } as const;
export const VENDOR_MICROSOFT = 311;
/** Microsoft vendor attributes (RFC 2548 §2.1.2, §2.3). */
export const MsAvp = { ChapError: 2, ChapChallenge: 11, Chap2Response: 25, Chap2Success: 26 } as const;

/** One message seldom holds more than 4 AVPs; 64 bounds the work a peer can ask for. */
export const DEFAULT_MAX_AVPS = 64;

export interface Avp {
  code: number;
  /** Present when the V bit is set. */
  vendorId?: number;
  mandatory: boolean;
  data: Buffer;
}

/** Decodes a sequence of AVPs (RFC 5281 §10.1-10.2). */
export function decodeAvps(buf: Buffer, maxAvps = DEFAULT_MAX_AVPS): Avp[] {
  const out: Avp[] = [];
  let off = 0;
  while (off < buf.length) {
    if (out.length >= maxAvps) throw new EapTlsError("TTLS_ERR_AVP_COUNT", `more than ${maxAvps} AVPs`);
    if (buf.length - off < 8) throw new EapTlsError("TTLS_ERR_AVP_LENGTH", `AVP header truncated at offset ${off}`);
    const code = buf.readUInt32BE(off);
    const flags = buf[off + 4] ?? 0;
    const length = buf.readUIntBE(off + 5, 3);
    const vendor = (flags & AvpFlag.V) !== 0;
    const headerLen = vendor ? 12 : 8;
    if (length < headerLen) throw new EapTlsError("TTLS_ERR_AVP_LENGTH", `AVP Length ${length} below its header at offset ${off}`);
    if (off + length > buf.length) throw new EapTlsError("TTLS_ERR_AVP_LENGTH", `AVP at offset ${off} runs past the data`);
    const avp: Avp = { code, mandatory: (flags & AvpFlag.M) !== 0, data: buf.subarray(off + headerLen, off + length) };
    if (vendor) avp.vendorId = buf.readUInt32BE(off + 8);
    out.push(avp);
    // RFC 5281 §10.2: the next AVP starts on a 4-octet boundary. A last AVP without its
    // padding is accepted.
    off = Math.min(buf.length, off + length + ((4 - (length % 4)) % 4));
  }
  return out;
}

/** Encodes one AVP with its padding. */
export function encodeAvp(avp: Avp): Buffer {
  const vendor = avp.vendorId !== undefined;
  const headerLen = vendor ? 12 : 8;
  const length = headerLen + avp.data.length;
  if (!Number.isInteger(avp.code) || avp.code < 0 || avp.code > 0xffffffff || length > 0xffffff) {
    throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", "AVP code or length out of range");
  }
  const out = Buffer.alloc(length + ((4 - (length % 4)) % 4));
  out.writeUInt32BE(avp.code, 0);
  out[4] = (vendor ? AvpFlag.V : 0) | (avp.mandatory ? AvpFlag.M : 0);
  out.writeUIntBE(length, 5, 3);
  if (avp.vendorId !== undefined) out.writeUInt32BE(avp.vendorId, 8);
  avp.data.copy(out, headerLen);
  return out;
}

export function encodeAvps(avps: readonly Avp[]): Buffer {
  return Buffer.concat(avps.map(encodeAvp));
}

/** MS-CHAP2-Response value (RFC 2548 §2.3.2): 50 octets. */
export interface MsChap2Response {
  ident: number;
  flags: number;
  peerChallenge: Buffer;
  ntResponse: Buffer;
}

/** What the inner AVPs of a TTLS message say (the fields a method uses). */
export interface TtlsInner {
  userName?: string;
  /** Inner PAP password with its NUL padding removed (RFC 5281 §11.2.5). Secret. */
  userPassword?: Buffer;
  msChapChallenge?: Buffer;
  msChap2Response?: MsChap2Response;
  /** Inner EAP (RFC 5281 §11.2.1), not handled by these helpers but passed on. */
  eapMessage?: Buffer;
  /** AVPs with M set that are not understood: RFC 5281 §10.1 says the negotiation then fails. */
  unsupportedMandatory: Array<{ code: number; vendorId?: number }>;
}

const MAX_PASSWORD = 256;

function setOnce<K extends keyof TtlsInner>(inner: TtlsInner, key: K, value: TtlsInner[K], what: string): void {
  if (inner[key] !== undefined) throw new EapTlsError("TTLS_ERR_AVP_VALUE", `${what} appears twice`);
  inner[key] = value;
}

/** Reads the AVPs a TTLS method needs; unknown non-mandatory AVPs are ignored. */
export function parseTtlsInner(avps: readonly Avp[]): TtlsInner {
  const inner: TtlsInner = { unsupportedMandatory: [] };
  for (const a of avps) {
    if (a.vendorId === undefined) {
      if (a.code === AvpCode.UserName) {
        const name = a.data.toString("utf8");
        if (a.data.length === 0 || a.data.length > 253 || name.includes("\u0000")) throw new EapTlsError("TTLS_ERR_AVP_VALUE", "User-Name empty, over 253 octets or holding NUL");
        setOnce(inner, "userName", name, "User-Name");
        continue;
      }
      if (a.code === AvpCode.UserPassword) {
        let end = a.data.length;
        while (end > 0 && a.data[end - 1] === 0) end--;
        if (end > MAX_PASSWORD) throw new EapTlsError("TTLS_ERR_AVP_VALUE", `User-Password over ${MAX_PASSWORD} octets`);
        setOnce(inner, "userPassword", Buffer.from(a.data.subarray(0, end)), "User-Password");
        continue;
      }
      if (a.code === AvpCode.EapMessage) {
        setOnce(inner, "eapMessage", Buffer.from(a.data), "EAP-Message");
        continue;
      }
    } else if (a.vendorId === VENDOR_MICROSOFT) {
      if (a.code === MsAvp.ChapChallenge) {
        if (a.data.length !== 16) throw new EapTlsError("TTLS_ERR_AVP_VALUE", "MS-CHAP-Challenge must be 16 octets");
        setOnce(inner, "msChapChallenge", Buffer.from(a.data), "MS-CHAP-Challenge");
        continue;
      }
      if (a.code === MsAvp.Chap2Response) {
        // RFC 2548 §2.3.2: Ident(1) Flags(1) Peer-Challenge(16) Reserved(8) Response(24).
        if (a.data.length !== 50) throw new EapTlsError("TTLS_ERR_AVP_VALUE", "MS-CHAP2-Response must be 50 octets");
        setOnce(inner, "msChap2Response", {
          ident: a.data[0] ?? 0,
          flags: a.data[1] ?? 0,
          peerChallenge: Buffer.from(a.data.subarray(2, 18)),
          ntResponse: Buffer.from(a.data.subarray(26, 50)),
        }, "MS-CHAP2-Response");
        continue;
      }
    }
    if (a.mandatory) inner.unsupportedMandatory.push(a.vendorId === undefined ? { code: a.code } : { code: a.code, vendorId: a.vendorId });
  }
  return inner;
}

/**
 * MS-CHAP2-Success AVP (RFC 5281 §11.2.4; value per RFC 2548 §2.3.3): Ident then the
 * 42-character "S=<40 hex digits>" authenticator response.
 */
export function msChap2SuccessAvp(ident: number, authenticatorResponse: string): Buffer {
  if (!/^S=[0-9A-F]{40}$/.test(authenticatorResponse)) {
    throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", "authenticator response must be S= and 40 upper-case hex digits");
  }
  return encodeAvp({
    code: MsAvp.Chap2Success, vendorId: VENDOR_MICROSOFT, mandatory: true,
    data: Buffer.concat([Buffer.of(ident & 0xff), Buffer.from(authenticatorResponse, "ascii")]),
  });
}

/** MS-CHAP-Error AVP (RFC 2548 §2.1.5): Ident then text such as "E=691 R=0 C=... V=3 M=...". */
export function msChapErrorAvp(ident: number, text: string): Buffer {
  return encodeAvp({
    code: MsAvp.ChapError, vendorId: VENDOR_MICROSOFT, mandatory: true,
    data: Buffer.concat([Buffer.of(ident & 0xff), Buffer.from(text, "ascii")]),
  });
}

/**
 * The implicit MS-CHAP-V2 challenge (RFC 5281 §11.1, §11.2.4): 17 octets exported with label
 * "ttls challenge" (TLS PRF over client.random + server.random, no context); the first 16
 * are the MS-CHAP-Challenge, the 17th is the Ident.
 */
export function ttlsImplicitChallenge(session: KeyExporter): { challenge: Buffer; ident: number } {
  const m = session.exportKeyingMaterial(LABEL.ttlsChallenge, 17);
  return { challenge: Buffer.from(m.subarray(0, 16)), ident: m[16] ?? 0 };
}

/**
 * RFC 5281 §11.2.4: the server MUST check that MS-CHAP-Challenge and the Ident of
 * MS-CHAP2-Response equal the implicit challenge; a peer that made up its own challenge is
 * refused (TTLS_ERR_CHALLENGE_MISMATCH).
 */
export function checkMsChapV2Challenge(session: KeyExporter, inner: TtlsInner): { challenge: Buffer; response: MsChap2Response } {
  const { msChapChallenge, msChap2Response } = inner;
  if (!msChapChallenge || !msChap2Response) throw new EapTlsError("TTLS_ERR_AVP_VALUE", "MS-CHAP-Challenge or MS-CHAP2-Response missing");
  const expected = ttlsImplicitChallenge(session);
  const sameChallenge = timingSafeEqual(expected.challenge, msChapChallenge);
  if (!sameChallenge || expected.ident !== msChap2Response.ident) {
    throw new EapTlsError("TTLS_ERR_CHALLENGE_MISMATCH", "MS-CHAP-Challenge or Ident differ from the implicit challenge");
  }
  return { challenge: expected.challenge, response: msChap2Response };
}
