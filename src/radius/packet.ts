/**
 * Structural RADIUS packet decoding (RFC 2865 §3 and §5).
 *
 * decodePacket only checks framing: header, Length, and that every attribute's Type/Length
 * pair tiles the packet exactly. It does no dictionary lookups and copies nothing: the packet,
 * its authenticator and every attribute value are views (subarray) of the datagram, so callers
 * must not reuse the receive buffer while the packet is in use.
 */
import { RadiusError } from "./errors.js";

export const HEADER_LENGTH = 20;
export const MAX_PACKET_LENGTH = 4096;
export const AUTHENTICATOR_LENGTH = 16;
const VENDOR_SPECIFIC = 26;

export interface RawAttribute {
  type: number;
  /** Value octets (view into raw). */
  value: Buffer;
  /** Offset of this attribute's Type octet within raw. */
  offset: number;
}

export interface RadiusPacket {
  code: number;
  identifier: number;
  /** The 16-octet authenticator field, as received (view). */
  authenticator: Buffer;
  /** Attributes in wire order. */
  attributes: RawAttribute[];
  /** Exactly Length octets: a view of the datagram without any trailing padding. */
  raw: Buffer;
}

/**
 * Decode the framing of a datagram. Throws RadiusError, and nothing else, for any input.
 * The packet code is not restricted here: unknown codes are the caller's policy (RFC 2865 §3
 * says to silently discard them, which the server does after counting them).
 */
export function decodePacket(datagram: Buffer): RadiusPacket {
  if (!Buffer.isBuffer(datagram)) {
    const input: unknown = datagram;
    if (!(input instanceof Uint8Array)) {
      throw new RadiusError("RADIUS_ERR_BAD_ARGUMENT", "decodePacket expects a Buffer");
    }
    // A plain Uint8Array: wrap it without copying so values are Buffers as promised.
    datagram = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  }
  const size = datagram.length;
  // RFC 2865 §3: the minimum packet is the 20-octet header.
  if (size < HEADER_LENGTH) {
    throw new RadiusError("RADIUS_ERR_TOO_SHORT", `datagram of ${size} octets is shorter than the 20-octet header`);
  }
  const length = ((datagram[2] as number) << 8) | (datagram[3] as number);
  // RFC 2865 §3: "The minimum length is 20 and maximum length is 4096."
  if (length < HEADER_LENGTH || length > MAX_PACKET_LENGTH) {
    throw new RadiusError("RADIUS_ERR_BAD_LENGTH", `Length field ${length} is outside 20..4096`);
  }
  // RFC 2865 §3: shorter than Length -> silently discard; longer -> the rest is padding.
  if (size < length) {
    throw new RadiusError("RADIUS_ERR_TRUNCATED", `datagram of ${size} octets is shorter than its Length field (${length})`);
  }
  const raw = size === length ? datagram : datagram.subarray(0, length);

  const attributes: RawAttribute[] = [];
  let off = HEADER_LENGTH;
  while (off < length) {
    // RFC 2865 §5: each attribute is Type(1) Length(1) Value(Length-2) and must lie within Length.
    if (off + 2 > length) {
      throw new RadiusError("RADIUS_ERR_ATTR_OVERRUN", `attribute header at offset ${off} runs past Length ${length}`, { offset: off });
    }
    const alen = raw[off + 1] as number;
    if (alen < 2) {
      throw new RadiusError("RADIUS_ERR_ATTR_LENGTH", `attribute at offset ${off} has Length ${alen} (< 2)`, { offset: off });
    }
    const end = off + alen;
    if (end > length) {
      throw new RadiusError("RADIUS_ERR_ATTR_OVERRUN", `attribute at offset ${off} (Length ${alen}) runs past packet Length ${length}`, { offset: off });
    }
    attributes.push({ type: raw[off] as number, value: raw.subarray(off + 2, end), offset: off });
    off = end;
  }

  return {
    code: raw[0] as number,
    identifier: raw[1] as number,
    authenticator: raw.subarray(4, HEADER_LENGTH),
    attributes,
    raw,
  };
}

/** First attribute of the given type, in wire order. */
export function findAttribute(p: RadiusPacket, type: number): RawAttribute | undefined {
  const attrs = p.attributes;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs[i] as RawAttribute;
    if (a.type === type) return a;
  }
  return undefined;
}

/** Every attribute of the given type, in wire order. */
export function findAttributes(p: RadiusPacket, type: number): RawAttribute[] {
  const out: RawAttribute[] = [];
  for (const a of p.attributes) if (a.type === type) out.push(a);
  return out;
}

export interface VendorAttribute {
  vendorType: number;
  /** Value octets (view into raw). */
  value: Buffer;
}

/**
 * Sub-attributes of every Vendor-Specific attribute from `vendorId`, in the standard
 * format of RFC 2865 §5.26 (Vendor-Id(4) then Vendor-Type(1) Vendor-Length(1) Value).
 * A VSA whose contents do not tile exactly is skipped as a whole: its vendor may use
 * another layout, and a half-parsed VSA would be misleading.
 */
export function findVendorAttributes(p: RadiusPacket, vendorId: number): VendorAttribute[] {
  const out: VendorAttribute[] = [];
  for (const a of p.attributes) {
    if (a.type !== VENDOR_SPECIFIC) continue;
    const v = a.value;
    // Vendor-Id plus at least one sub-attribute header.
    if (v.length < 6 || v.readUInt32BE(0) !== vendorId) continue;
    const start = out.length;
    let pos = 4;
    let ok = true;
    while (pos < v.length) {
      if (pos + 2 > v.length) { ok = false; break; }
      const sl = v[pos + 1] as number;
      if (sl < 2 || pos + sl > v.length) { ok = false; break; }
      out.push({ vendorType: v[pos] as number, value: v.subarray(pos + 2, pos + sl) });
      pos += sl;
    }
    if (!ok) out.length = start;
  }
  return out;
}
