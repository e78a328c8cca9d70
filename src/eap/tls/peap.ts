/**
 * PEAPv0 phase 2, Microsoft flavour (MS-PEAP; draft-kamath-pppext-peapv0-00), as Windows,
 * Android/wpa_supplicant and iOS speak it, without crypto-binding.
 *
 * Wire forms implemented (the inner data is what travels in the TLS application data):
 * - Header compression (MS-PEAP §3.1.5.6): an inner EAP packet goes without its Code,
 *   Identifier and Length, i.e. as Type + Type-Data. The receiver restores Code and Identifier
 *   from the outer EAP packet and Length = inner length + 4. This applies to every inner type
 *   except EAP-TLV (type 33), which always carries its full 4-octet header.
 *   (Capabilities Negotiation and SoH, the other two exceptions, are not implemented.)
 * - The identity round: the server's inner EAP-Request/Identity goes, by default, with its full
 *   header (5 octets: 01 id 00 05 01), as FreeRADIUS sends it and wpa_supplicant explicitly
 *   accepts (eap_peap.c: "FreeRADIUS seems to send full EAP header with EAP Request Identity");
 *   `identityForm: "compressed"` sends the single octet 01 that MS-PEAP §3.1.5.6 prescribes.
 *   The peer's Identity Response comes compressed (01 + identity); a full-header one is also
 *   accepted.
 * - The MS-CHAPv2 rounds (Challenge, Response, Success/Failure request and the peer's
 *   Success/Failure response, RFC 2759 inside EAP type 26) all go compressed.
 * - The result: never an inner EAP-Success/Failure (MS-PEAP §3.1.5.6); the server sends an
 *   EAP-TLV packet with a Result TLV (MS-PEAP §2.2.8.1.2: M=1, type 3, length 2, value
 *   1 = Success / 2 = Failure), full header; the peer answers with the same TLV, full header;
 *   the outer EAP-Success/Failure follows, outside the tunnel.
 *
 * Round by round, inner data (S = server, P = peer; `id` is the outer EAP Identifier):
 *   S: 01 id 00 05 01                  Identity Request (full; or 01 compressed)
 *   P: 01 "alice"                      Identity Response, compressed
 *   S: 1a 01 ...                       EAP-MSCHAPv2 Challenge, compressed
 *   P: 1a 02 ...                       EAP-MSCHAPv2 Response, compressed
 *   S: 1a 03 ... "S=... M=..."         EAP-MSCHAPv2 Success Request (or 1a 04 ... "E=691 ...")
 *   P: 1a 03                           EAP-MSCHAPv2 Success Response (or 1a 04)
 *   S: 01 id 00 0b 21 80 03 00 02 00 01   EAP-TLV Result Success (00 02: Failure)
 *   P: 02 id 00 0b 21 80 03 00 02 00 01   the peer's Result TLV
 *   then the outer EAP-Success with the MSK from "client EAP encryption" (TLS 1.2).
 */
import { EapTlsError } from "./errors.js";

export const EapCode = { Request: 1, Response: 2, Success: 3, Failure: 4 } as const;
export const EapType = { Identity: 1, Notification: 2, Nak: 3, MsChapV2: 26, Tlv: 33 } as const;
/** EAP-TLV types (MS-PEAP §2.2.8.1). */
export const TlvType = { Result: 3, Cryptobinding: 12 } as const;
export const TlvResult = { Success: 1, Failure: 2 } as const;
export type TlvResultValue = (typeof TlvResult)[keyof typeof TlvResult];

/** An inner EAP Request or Response with its header restored. */
export interface InnerEap {
  code: number;
  identifier: number;
  type: number;
  typeData: Buffer;
}

/** MS-PEAP §3.1.5.6: which inner packets keep their full header (EAP-TLV only, here). */
export function carriesFullHeader(type: number): boolean {
  return type === EapType.Tlv;
}

export interface EncodeInnerOptions {
  /** How the server's Identity Request goes (see the header). Default "full". */
  identityForm?: "full" | "compressed";
}

function fullPacket(p: InnerEap): Buffer {
  const len = 5 + p.typeData.length;
  if (len > 0xffff) throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", "inner EAP packet over 65535 octets");
  const out = Buffer.alloc(len);
  out[0] = p.code;
  out[1] = p.identifier & 0xff;
  out.writeUInt16BE(len, 2);
  out[4] = p.type;
  p.typeData.copy(out, 5);
  return out;
}

/** The bytes to write into the tunnel for an inner packet (compressed unless it keeps its header). */
export function encodeInner(p: InnerEap, opts: EncodeInnerOptions = {}): Buffer {
  if (p.code !== EapCode.Request && p.code !== EapCode.Response) {
    // MS-PEAP §3.1.5.6: EAP-Success/Failure never travel inside the tunnel.
    throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", "only Requests and Responses go inside the PEAP tunnel");
  }
  const identityFull = p.type === EapType.Identity && p.code === EapCode.Request && (opts.identityForm ?? "full") === "full";
  if (carriesFullHeader(p.type) || identityFull) return fullPacket(p);
  return Buffer.concat([Buffer.of(p.type), p.typeData]);
}

/** True if `data` is a whole EAP packet (header included) of type TLV or Identity. */
function looksFull(data: Buffer): boolean {
  if (data.length < 5) return false;
  const code = data[0];
  const type = data[4];
  return (code === EapCode.Request || code === EapCode.Response) && data.readUInt16BE(2) === data.length &&
    (type === EapType.Tlv || type === EapType.Identity);
}

/**
 * Restores an inner packet from the tunnel data (MS-PEAP §3.1.5.6), taking Code and Identifier
 * from the outer packet when the header was compressed. A full-header EAP-TLV (or Identity)
 * packet is read as it is. Type 2 (Notification) is never sent in phase 2, so a leading 02
 * with a matching Length is a header, not a compressed Notification.
 */
export function decodeInner(data: Buffer, outer: { code: number; identifier: number }): InnerEap {
  if (data.length === 0) throw new EapTlsError("PEAP_ERR_INNER", "empty inner data");
  if (looksFull(data)) {
    return { code: data[0] ?? 0, identifier: data[1] ?? 0, type: data[4] ?? 0, typeData: Buffer.from(data.subarray(5)) };
  }
  const type = data[0] ?? 0;
  if (type === 0) throw new EapTlsError("PEAP_ERR_INNER", "inner EAP type 0");
  if (data.length + 4 > 0xffff) throw new EapTlsError("PEAP_ERR_INNER", "inner EAP packet over 65535 octets");
  return { code: outer.code, identifier: outer.identifier, type, typeData: Buffer.from(data.subarray(1)) };
}

export interface Tlv {
  mandatory: boolean;
  type: number;
  value: Buffer;
}

/** EAP-TLV Type-Data: TLVs of M(1) R(1) Type(14) Length(16) Value (MS-PEAP §2.2.4). */
export function decodeTlvs(typeData: Buffer, maxTlvs = 16): Tlv[] {
  const out: Tlv[] = [];
  let off = 0;
  while (off < typeData.length) {
    if (out.length >= maxTlvs) throw new EapTlsError("PEAP_ERR_TLV", `more than ${maxTlvs} TLVs`);
    if (typeData.length - off < 4) throw new EapTlsError("PEAP_ERR_TLV", `TLV header truncated at offset ${off}`);
    const head = typeData.readUInt16BE(off);
    const len = typeData.readUInt16BE(off + 2);
    if (off + 4 + len > typeData.length) throw new EapTlsError("PEAP_ERR_TLV", `TLV at offset ${off} runs past the data`);
    out.push({ mandatory: (head & 0x8000) !== 0, type: head & 0x3fff, value: Buffer.from(typeData.subarray(off + 4, off + 4 + len)) });
    off += 4 + len;
  }
  return out;
}

export function encodeTlv(t: Tlv): Buffer {
  if (t.type < 0 || t.type > 0x3fff || t.value.length > 0xffff) throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", "TLV type or length out of range");
  const out = Buffer.alloc(4 + t.value.length);
  out.writeUInt16BE((t.mandatory ? 0x8000 : 0) | t.type, 0);
  out.writeUInt16BE(t.value.length, 2);
  t.value.copy(out, 4);
  return out;
}

/** A full EAP-TLV packet holding one Result TLV (MS-PEAP §2.2.8.1.2), 11 octets. */
export function resultTlvPacket(code: typeof EapCode.Request | typeof EapCode.Response, identifier: number, result: TlvResultValue): Buffer {
  const value = Buffer.alloc(2);
  value.writeUInt16BE(result, 0);
  return encodeInner({ code, identifier, type: EapType.Tlv, typeData: encodeTlv({ mandatory: true, type: TlvType.Result, value }) });
}

/**
 * The Result a TLV packet carries, or undefined if it has none. A Result TLV of the wrong size
 * or value, or two Result TLVs, are refused (PEAP_ERR_TLV).
 */
export function resultOf(p: InnerEap): TlvResultValue | undefined {
  if (p.type !== EapType.Tlv) return undefined;
  let result: TlvResultValue | undefined;
  for (const t of decodeTlvs(p.typeData)) {
    if (t.type !== TlvType.Result) continue;
    if (t.value.length !== 2) throw new EapTlsError("PEAP_ERR_TLV", "Result TLV length must be 2");
    const v = t.value.readUInt16BE(0);
    if (v !== TlvResult.Success && v !== TlvResult.Failure) throw new EapTlsError("PEAP_ERR_TLV", `Result TLV value ${v}`);
    if (result !== undefined) throw new EapTlsError("PEAP_ERR_TLV", "two Result TLVs");
    result = v;
  }
  return result;
}

/** Mandatory TLVs other than Result (e.g. a Cryptobinding TLV this server does not do). */
export function unsupportedMandatoryTlvs(p: InnerEap): number[] {
  if (p.type !== EapType.Tlv) return [];
  return decodeTlvs(p.typeData).filter((t) => t.mandatory && t.type !== TlvType.Result).map((t) => t.type);
}
