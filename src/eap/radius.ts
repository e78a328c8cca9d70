// EAP over RADIUS (RFC 3579 §3.1): an EAP packet travels in one or more EAP-Message attributes,
// concatenated in order; on the way out it is cut into attributes of at most 253 octets.
import { Attr } from "../radius/codes.js";
import { findAttributes, type RadiusPacket } from "../radius/packet.js";
import { MAX_ATTRIBUTE_VALUE, type AttributeInput } from "../radius/encode.js";
import { EapError } from "./packet.js";

/**
 * At most this many EAP-Message attributes in one Access-Request: 4096 octets of RADIUS packet
 * hold 16 full ones and a part. More can only be a flood of tiny fragments.
 */
export const MAX_EAP_FRAGMENTS = 17;

/**
 * The EAP packet carried by an Access-Request: null without EAP-Message, an empty Buffer for the
 * EAP-Start of RFC 3579 §2.1 (one EAP-Message of length 2), else the concatenated values.
 * Throws EapError EAP_ERR_FRAGMENTS for too many attributes or an empty one among others.
 */
export function reassembleEap(packet: RadiusPacket): Buffer | null {
  const parts = findAttributes(packet, Attr.EapMessage);
  if (parts.length === 0) return null;
  if (parts.length > MAX_EAP_FRAGMENTS) throw new EapError("EAP_ERR_FRAGMENTS", `${parts.length} EAP-Message attributes (at most ${MAX_EAP_FRAGMENTS})`);
  if (parts.length === 1) return parts[0]!.value;
  for (const p of parts) if (p.value.length === 0) throw new EapError("EAP_ERR_FRAGMENTS", "an empty EAP-Message among several");
  return Buffer.concat(parts.map((p) => p.value));
}

/** EAP-Message attributes for one EAP packet, each at most 253 octets (RFC 3579 §3.1). */
export function fragmentEap(eap: Buffer): AttributeInput[] {
  const out: AttributeInput[] = [];
  for (let off = 0; off < eap.length; off += MAX_ATTRIBUTE_VALUE) {
    out.push({ type: Attr.EapMessage, value: eap.subarray(off, Math.min(eap.length, off + MAX_ATTRIBUTE_VALUE)) });
  }
  return out;
}
