/**
 * Errors raised by the RADIUS codec. Every failure the codec detects is a RadiusError whose
 * `code` is one of the stable strings below, so callers (metrics, logs, the subscriber importer)
 * can switch on it without parsing messages.
 */

export const RADIUS_ERROR_CODES = [
  /** Datagram shorter than the 20-octet header (RFC 2865 §3). */
  "RADIUS_ERR_TOO_SHORT",
  /** Length field < 20 or > 4096 (RFC 2865 §3). */
  "RADIUS_ERR_BAD_LENGTH",
  /** Datagram shorter than its Length field says (RFC 2865 §3: silently discard). */
  "RADIUS_ERR_TRUNCATED",
  /** An attribute's Length octet is < 2 (RFC 2865 §5). */
  "RADIUS_ERR_ATTR_LENGTH",
  /** An attribute (or its header) runs past the packet Length (RFC 2865 §5). */
  "RADIUS_ERR_ATTR_OVERRUN",
  /** A typed value has the wrong size or format. */
  "RADIUS_ERR_BAD_VALUE",
  /** A hidden password has an impossible length (RFC 2865 §5.2, RFC 2868 §3.5). */
  "RADIUS_ERR_PASSWORD_LENGTH",
  /** Attribute name or number not in the dictionary. */
  "RADIUS_ERR_UNKNOWN_ATTRIBUTE",
  /** Encoded packet would exceed 4096 octets (RFC 2865 §3). */
  "RADIUS_ERR_TOO_BIG",
  /** Dictionary text could not be parsed (message carries file:line). */
  "RADIUS_ERR_DICTIONARY",
  /** An attribute value is longer than fits in one attribute (253 octets, 247 in a VSA). */
  "RADIUS_ERR_ATTR_TOO_LONG",
  /** A caller passed an argument the codec refuses (wrong authenticator size, bad code, ...). */
  "RADIUS_ERR_BAD_ARGUMENT",
  /** The dictionary describes something this codec deliberately does not handle (tlv, struct, encrypt=3...). */
  "RADIUS_ERR_UNSUPPORTED",
  /** An encrypted attribute was encoded without the secret / request authenticator it needs. */
  "RADIUS_ERR_MISSING_SECRET",
] as const;

export type RadiusErrorCode = (typeof RADIUS_ERROR_CODES)[number];

export interface RadiusErrorDetails {
  /** Dictionary file and 1-based line, for RADIUS_ERR_DICTIONARY. */
  file?: string;
  line?: number;
  /** Attribute name the problem is about, when there is one. */
  attribute?: string;
  /** Byte offset in the packet, for structural decode errors. */
  offset?: number;
}

export class RadiusError extends Error {
  readonly code: RadiusErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly attribute: string | undefined;
  readonly offset: number | undefined;

  constructor(code: RadiusErrorCode, message: string, details?: RadiusErrorDetails) {
    super(message);
    this.name = "RadiusError";
    this.code = code;
    this.file = details?.file;
    this.line = details?.line;
    this.attribute = details?.attribute;
    this.offset = details?.offset;
  }
}
