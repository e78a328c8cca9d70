/**
 * Packet encoding for replies and requests. One pass validates and sizes the attributes, one
 * allocation holds the packet, then the Message-Authenticator and the packet authenticator are
 * filled in, in the order the RFCs require. Inputs are never mutated.
 */
import { randomBytes } from "node:crypto";
import { Attr, Code, hasComputedRequestAuthenticator, isResponseCode } from "./codes.js";
import { RadiusError } from "./errors.js";
import { signMessageAuthenticator, signPacketAuthenticator } from "./authenticator.js";
import { AUTHENTICATOR_LENGTH, HEADER_LENGTH, MAX_PACKET_LENGTH } from "./packet.js";

export type AttributeInput = { type: number; value: Buffer } | { vendorId: number; vendorType: number; value: Buffer };

/** Longest value in one attribute: 255 - Type - Length (RFC 2865 §5). */
export const MAX_ATTRIBUTE_VALUE = 253;
/** Longest value in a standard-format VSA: 255 - 2 - Vendor-Id(4) - Vendor-Type - Vendor-Length. */
export const MAX_VSA_VALUE = 247;
const MA_ATTRIBUTE_LENGTH = 18;

export interface EncodeResponseOptions {
  code: number;
  identifier: number;
  /** Authenticator of the request being answered. */
  requestAuthenticator: Buffer;
  secret: Buffer;
  attributes: readonly AttributeInput[];
  /** Put a Message-Authenticator first (BlastRADIUS / CVE-2024-3596 mitigation). */
  messageAuthenticator: boolean;
  /**
   * What the authenticator field holds while the Message-Authenticator is computed: the request's
   * authenticator (default; RFC 3579 §3.2, RFC 5176 §3.4) or 16 zero octets, which is what
   * FreeRADIUS computes and checks for Accounting-Response (measured with radclient).
   */
  maAuthenticator?: "request" | "zero";
}

export interface EncodeRequestOptions {
  code: number;
  identifier: number;
  secret: Buffer;
  attributes: readonly AttributeInput[];
  messageAuthenticator: boolean;
  /** Access-Request / Status-Server only: use this authenticator instead of a random one. */
  authenticator?: Buffer;
}

function badArg(message: string): RadiusError {
  return new RadiusError("RADIUS_ERR_BAD_ARGUMENT", message);
}

function checkHeader(code: number, identifier: number, secret: Buffer): void {
  if (!Number.isInteger(code) || code < 1 || code > 255) throw badArg(`packet code ${String(code)} is not 1..255`);
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 255) {
    throw badArg(`identifier ${String(identifier)} is not 0..255`);
  }
  // RFC 2865 §3: the shared secret MUST NOT be empty.
  if (!Buffer.isBuffer(secret) || secret.length === 0) throw badArg("shared secret must be a non-empty Buffer");
}

function isOctet(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 255;
}

/**
 * Validate every attribute and return the packet length. Also enforces RFC 3579 §3.3: a packet
 * carrying EAP-Message must carry a Message-Authenticator.
 */
function measure(attributes: readonly AttributeInput[], withMa: boolean): number {
  if (!Array.isArray(attributes)) throw badArg("attributes must be an array");
  let total = HEADER_LENGTH + (withMa ? MA_ATTRIBUTE_LENGTH : 0);
  let hasEap = false;
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes[i] as AttributeInput;
    if (a === null || typeof a !== "object" || !Buffer.isBuffer(a.value)) {
      throw badArg(`attribute #${i} must have a Buffer value`);
    }
    if ("vendorId" in a) {
      // RFC 2865 §5.26: the high-order octet of the Vendor-Id is 0.
      if (!Number.isInteger(a.vendorId) || a.vendorId < 0 || a.vendorId > 0xffffff) {
        throw badArg(`attribute #${i}: vendor id ${String(a.vendorId)} is not 0..16777215`);
      }
      if (!isOctet(a.vendorType)) throw badArg(`attribute #${i}: vendor type ${String(a.vendorType)} is not 0..255`);
      if (a.value.length > MAX_VSA_VALUE) {
        throw new RadiusError(
          "RADIUS_ERR_ATTR_TOO_LONG",
          `vendor ${a.vendorId} attribute ${a.vendorType}: value of ${a.value.length} octets exceeds ${MAX_VSA_VALUE}`,
        );
      }
      total += 8 + a.value.length;
    } else {
      if (!isOctet(a.type) || a.type === 0) throw badArg(`attribute #${i}: type ${String(a.type)} is not 1..255`);
      if (a.type === Attr.MessageAuthenticator) {
        throw badArg("Message-Authenticator is added by the encoder: set messageAuthenticator: true instead");
      }
      if (a.type === Attr.EapMessage) hasEap = true;
      if (a.value.length > MAX_ATTRIBUTE_VALUE) {
        throw new RadiusError(
          "RADIUS_ERR_ATTR_TOO_LONG",
          `attribute ${a.type}: value of ${a.value.length} octets exceeds ${MAX_ATTRIBUTE_VALUE} (split it)`,
        );
      }
      total += 2 + a.value.length;
    }
  }
  if (hasEap && !withMa) {
    throw badArg("a packet with EAP-Message must carry a Message-Authenticator (RFC 3579 §3.3)");
  }
  // RFC 2865 §3: maximum length 4096.
  if (total > MAX_PACKET_LENGTH) {
    throw new RadiusError("RADIUS_ERR_TOO_BIG", `encoded packet would be ${total} octets (> ${MAX_PACKET_LENGTH})`);
  }
  return total;
}

/** Write header (with authenticator field left as-is), the zeroed MA if any, then attributes. */
function layout(code: number, identifier: number, length: number, attributes: readonly AttributeInput[], withMa: boolean): Buffer {
  const buf = Buffer.allocUnsafe(length);
  buf[0] = code;
  buf[1] = identifier;
  buf[2] = length >>> 8;
  buf[3] = length & 0xff;
  let off = HEADER_LENGTH;
  if (withMa) {
    buf[off] = Attr.MessageAuthenticator;
    buf[off + 1] = MA_ATTRIBUTE_LENGTH;
    buf.fill(0, off + 2, off + MA_ATTRIBUTE_LENGTH);
    off += MA_ATTRIBUTE_LENGTH;
  }
  for (const a of attributes) {
    const v = a.value;
    if ("vendorId" in a) {
      buf[off] = Attr.VendorSpecific;
      buf[off + 1] = 8 + v.length;
      buf.writeUInt32BE(a.vendorId, off + 2);
      buf[off + 6] = a.vendorType;
      buf[off + 7] = 2 + v.length;
      v.copy(buf, off + 8);
      off += 8 + v.length;
    } else {
      buf[off] = a.type;
      buf[off + 1] = 2 + v.length;
      v.copy(buf, off + 2);
      off += 2 + v.length;
    }
  }
  return buf;
}

const MA_VALUE_OFFSET = HEADER_LENGTH + 2;

/**
 * Encode a reply. With messageAuthenticator, the Message-Authenticator is the first attribute
 * (BlastRADIUS, CVE-2024-3596) and is computed with the request authenticator in the
 * authenticator field (RFC 3579 §3.2, RFC 5176 §3.4); then the Response Authenticator
 * MD5(Code+ID+Length+RequestAuth+Attributes+Secret) replaces it (RFC 2865 §3).
 */
export function encodeResponse(o: EncodeResponseOptions): Buffer {
  checkHeader(o.code, o.identifier, o.secret);
  if (o.code === Code.AccessRequest || o.code === Code.StatusServer || o.code === Code.StatusClient ||
      hasComputedRequestAuthenticator(o.code)) {
    throw badArg(`code ${o.code} is a request: use encodeRequest`);
  }
  if (!Buffer.isBuffer(o.requestAuthenticator) || o.requestAuthenticator.length !== AUTHENTICATOR_LENGTH) {
    throw badArg("request authenticator must be a 16-octet Buffer");
  }
  const withMa = o.messageAuthenticator === true;
  const length = measure(o.attributes, withMa);
  const buf = layout(o.code, o.identifier, length, o.attributes, withMa);
  if (withMa && o.maAuthenticator === "zero") {
    buf.fill(0, 4, HEADER_LENGTH);
    signMessageAuthenticator(buf, MA_VALUE_OFFSET, o.secret);
    o.requestAuthenticator.copy(buf, 4);
  } else {
    o.requestAuthenticator.copy(buf, 4);
    if (withMa) signMessageAuthenticator(buf, MA_VALUE_OFFSET, o.secret);
  }
  signPacketAuthenticator(buf, o.secret);
  return buf;
}

/**
 * Encode a request.
 *  - Access-Request, Status-Server (and other non-reply codes): the authenticator is random
 *    (RFC 2865 §3) unless given; the MA is computed over the packet with it (RFC 3579 §3.2).
 *  - Accounting-Request, CoA-Request, Disconnect-Request: the MA is computed with 16 zero
 *    octets in the authenticator field, then the Request Authenticator
 *    MD5(Code+ID+Length+16 zeros+Attributes+Secret) is filled in (RFC 2866 §3, RFC 5176 §2.3
 *    and §3.4). A caller-supplied authenticator is refused for these codes.
 * Status-Server must carry a Message-Authenticator (RFC 5997 §3).
 */
export function encodeRequest(o: EncodeRequestOptions): Buffer {
  checkHeader(o.code, o.identifier, o.secret);
  if (isResponseCode(o.code)) throw badArg(`code ${o.code} is a reply: use encodeResponse`);
  const withMa = o.messageAuthenticator === true;
  if (o.code === Code.StatusServer && !withMa) {
    throw badArg("Status-Server must carry a Message-Authenticator (RFC 5997 §3)");
  }
  const computed = hasComputedRequestAuthenticator(o.code);
  if (o.authenticator !== undefined) {
    if (computed) throw badArg(`code ${o.code} has a computed Request Authenticator: do not pass one`);
    if (!Buffer.isBuffer(o.authenticator) || o.authenticator.length !== AUTHENTICATOR_LENGTH) {
      throw badArg("authenticator must be a 16-octet Buffer");
    }
  }
  const length = measure(o.attributes, withMa);
  const buf = layout(o.code, o.identifier, length, o.attributes, withMa);
  if (computed) {
    buf.fill(0, 4, HEADER_LENGTH);
    if (withMa) signMessageAuthenticator(buf, MA_VALUE_OFFSET, o.secret);
    signPacketAuthenticator(buf, o.secret);
  } else {
    (o.authenticator ?? randomBytes(AUTHENTICATOR_LENGTH)).copy(buf, 4);
    if (withMa) signMessageAuthenticator(buf, MA_VALUE_OFFSET, o.secret);
  }
  return buf;
}
