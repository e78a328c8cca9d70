/** Sorting the errors Node's TLSSocket emits (OpenSSL reason codes) into EapTlsError codes. */
import { EapTlsError, isEapTlsError } from "./errors.js";

/**
 * OpenSSL reasons (Node's err.code) that mean the peer's bytes are not well-formed TLS: a
 * record or handshake message that cannot be parsed, a record with a bad MAC, a message where
 * none can come. Garbage inside well-framed records ends here.
 */
const MALFORMED_TLS_CODES: ReadonlySet<string> = new Set([
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "ERR_SSL_UNEXPECTED_MESSAGE",
  "ERR_SSL_UNEXPECTED_RECORD",
  "ERR_SSL_UNKNOWN_PROTOCOL",
  "ERR_SSL_HTTP_REQUEST",
  "ERR_SSL_HTTPS_PROXY_REQUEST",
  "ERR_SSL_PACKET_LENGTH_TOO_LONG",
  "ERR_SSL_RECORD_LENGTH_MISMATCH",
  "ERR_SSL_ENCRYPTED_LENGTH_TOO_LONG",
  "ERR_SSL_DATA_LENGTH_TOO_LONG",
  "ERR_SSL_BAD_PACKET_LENGTH",
  "ERR_SSL_BAD_LENGTH",
  "ERR_SSL_LENGTH_MISMATCH",
  "ERR_SSL_LENGTH_TOO_SHORT",
  "ERR_SSL_BAD_PACKET",
  "ERR_SSL_EXCESSIVE_MESSAGE_SIZE",
  "ERR_SSL_BAD_RECORD_TYPE",
  "ERR_SSL_RECORD_LAYER_FAILURE",
  "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
  "ERR_SSL_DECRYPTION_FAILED",
  "ERR_SSL_BAD_DECRYPT",
  "ERR_SSL_BLOCK_CIPHER_PAD_IS_WRONG",
  "ERR_SSL_BAD_HANDSHAKE_LENGTH",
  "ERR_SSL_BAD_MESSAGE_TYPE",
  "ERR_SSL_BAD_EXTENSION",
  "ERR_SSL_NOT_ON_RECORD_BOUNDARY",
  "ERR_SSL_CCS_RECEIVED_EARLY",
]);

/**
 * Maps an error emitted by Node's TLSSocket to a typed error (OpenSSL's code kept as detail):
 * a received alert (OpenSSL's SSLV3_ALERT_* / TLSV1_ALERT_* reasons are the peer's alerts),
 * malformed TLS, or any other handshake failure (no common version or cipher suite, ...).
 */
export function tlsErrorToEapTls(e: unknown): EapTlsError {
  if (isEapTlsError(e)) return e;
  const code = typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : "UNKNOWN";
  if (code.includes("_ALERT_")) return new EapTlsError("EAPTLS_ERR_PEER_ALERT", `peer sent a TLS alert (${code})`, code);
  if (MALFORMED_TLS_CODES.has(code)) return new EapTlsError("EAPTLS_ERR_BAD_RECORD", `malformed TLS from the peer (${code})`, code);
  return new EapTlsError("EAPTLS_ERR_TLS_FAILED", `TLS failed (${code})`, code);
}
