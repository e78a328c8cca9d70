// EAP packet codec (RFC 3748 §4). Strict: the Length field must equal the octets given (a RADIUS
// server sees the whole packet, reassembled from EAP-Message attributes: RFC 3579 §3.1), and a
// Request/Response must carry a Type. Throws EapError, and nothing else, for any input.

export const EapCode = { Request: 1, Response: 2, Success: 3, Failure: 4 } as const;

/** Method types (IANA "EAP Method Types"). */
export const EapType = {
  Identity: 1,
  Notification: 2,
  Nak: 3,
  Md5Challenge: 4,
  Tls: 13,
  Ttls: 21,
  Peap: 25,
  MsChapV2: 26,
  Expanded: 254,
} as const;

export const EAP_HEADER_LENGTH = 4;

export const EAP_ERROR_CODES = [
  /** Fewer than 4 octets (RFC 3748 §4). */
  "EAP_ERR_TOO_SHORT",
  /** The Length field disagrees with the octets received (RFC 3748 §4, RFC 3579 §3.1). */
  "EAP_ERR_LENGTH_MISMATCH",
  /** A code other than Request, Response, Success, Failure (RFC 3748 §4: silently discarded). */
  "EAP_ERR_BAD_CODE",
  /** A Request or Response without its Type octet (RFC 3748 §4.1). */
  "EAP_ERR_NO_TYPE",
  /** A Success or Failure with data (RFC 3748 §4.2: Length is 4). */
  "EAP_ERR_SUCCESS_FAILURE_LENGTH",
  /** EAP-Message attributes that cannot form one packet (count, empty fragment). */
  "EAP_ERR_FRAGMENTS",
] as const;
export type EapErrorCode = (typeof EAP_ERROR_CODES)[number];

export class EapError extends Error {
  readonly code: EapErrorCode;
  constructor(code: EapErrorCode, message: string) {
    super(message);
    this.name = "EapError";
    this.code = code;
  }
}

export interface EapPacket {
  code: number;
  identifier: number;
  /** Request/Response only. */
  type?: number;
  /** Type-Data (Request/Response); empty for Success/Failure. A view of the input. */
  data: Buffer;
}

export function decodeEap(buf: Buffer): EapPacket {
  if (buf.length < EAP_HEADER_LENGTH) throw new EapError("EAP_ERR_TOO_SHORT", `EAP packet of ${buf.length} octets is shorter than its 4-octet header`);
  const code = buf[0] as number;
  const identifier = buf[1] as number;
  const length = buf.readUInt16BE(2);
  if (length !== buf.length) throw new EapError("EAP_ERR_LENGTH_MISMATCH", `EAP Length field ${length} but ${buf.length} octets received`);
  if (code === EapCode.Success || code === EapCode.Failure) {
    if (length !== EAP_HEADER_LENGTH) throw new EapError("EAP_ERR_SUCCESS_FAILURE_LENGTH", `EAP Success/Failure of length ${length}`);
    return { code, identifier, data: buf.subarray(4, 4) };
  }
  if (code !== EapCode.Request && code !== EapCode.Response) throw new EapError("EAP_ERR_BAD_CODE", `EAP code ${code}`);
  if (length < EAP_HEADER_LENGTH + 1) throw new EapError("EAP_ERR_NO_TYPE", "EAP Request/Response without a Type");
  return { code, identifier, type: buf[4] as number, data: buf.subarray(5) };
}

/** Encodes a packet; the caller keeps the total within 65535 (RADIUS limits it far below). */
export function encodeEap(p: { code: number; identifier: number; type?: number; data?: Buffer }): Buffer {
  const withType = p.code === EapCode.Request || p.code === EapCode.Response;
  const data = withType ? (p.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
  const length = EAP_HEADER_LENGTH + (withType ? 1 + data.length : 0);
  if (length > 0xffff) throw new EapError("EAP_ERR_LENGTH_MISMATCH", `EAP packet of ${length} octets does not fit its Length field`);
  const out = Buffer.allocUnsafe(length);
  out[0] = p.code;
  out[1] = p.identifier & 0xff;
  out.writeUInt16BE(length, 2);
  if (withType) {
    out[4] = p.type ?? 0;
    data.copy(out, 5);
  }
  return out;
}
