/**
 * Errors raised by the TLS-based EAP building blocks (framing, TLS session, TTLS AVPs, PEAP).
 * Every failure is an EapTlsError whose `code` is one of the stable strings below, so the EAP
 * layer can end the conversation with a named, counted reason. Messages never carry key
 * material, passwords or decrypted inner data.
 */
import type { RejectReason } from "../../handle/decision.js";

export const EAP_TLS_ERROR_CODES = [
  // --- framing (fragment.ts), RFC 5216 §3.1-3.2 ---
  /** Type-Data shorter than the Flags octet, or than Flags + TLS Message Length when L is set. */
  "EAPTLS_ERR_TRUNCATED",
  /** TLS Message Length (or the data reassembled so far) exceeds the configured cap. */
  "EAPTLS_ERR_TOO_BIG",
  /** More fragments than the configured cap for one message (fragment flood). */
  "EAPTLS_ERR_TOO_MANY_FRAGMENTS",
  /** Reassembled length differs from TLS Message Length, or L changed between fragments. */
  "EAPTLS_ERR_LENGTH_MISMATCH",
  /** Flags not allowed here (S in a peer Response, S with M, L without M on a fragment run...). */
  "EAPTLS_ERR_BAD_FLAGS",
  /** PEAP/TTLS version bits other than the version negotiated (only 0 is supported). */
  "EAPTLS_ERR_VERSION",
  /** A caller passed an argument the module refuses (fragment size, cap...). */
  "EAPTLS_ERR_BAD_ARGUMENT",
  // --- TLS session (session.ts) ---
  /**
   * Bytes fed to TLS are not TLS records (bad content type, version or record length), or
   * OpenSSL could not parse them (garbage in a record, a bad record MAC, a message out of place).
   */
  "EAPTLS_ERR_BAD_RECORD",
  /** OpenSSL refused the handshake otherwise (no common TLS version or cipher suite...). */
  "EAPTLS_ERR_TLS_FAILED",
  /** The peer sent a fatal TLS alert (e.g. it does not trust the server certificate). */
  "EAPTLS_ERR_PEER_ALERT",
  /** The handshake ended on a TLS version the method does not allow (PEAP/TTLS: TLS 1.2 only). */
  "EAPTLS_ERR_PROTOCOL_VERSION",
  /** EAP-TLS: the peer sent no certificate. */
  "EAPTLS_ERR_NO_PEER_CERT",
  /** EAP-TLS: the peer certificate does not chain to the configured CA. */
  "EAPTLS_ERR_CERT_UNTRUSTED",
  /** EAP-TLS: the peer certificate (or one in its chain) has expired. */
  "EAPTLS_ERR_CERT_EXPIRED",
  /** EAP-TLS: the peer certificate is not valid yet. */
  "EAPTLS_ERR_CERT_NOT_YET_VALID",
  /** EAP-TLS: the peer certificate's extendedKeyUsage does not allow clientAuth. */
  "EAPTLS_ERR_CERT_PURPOSE",
  /** EAP-TLS: any other verification failure reported by OpenSSL (revoked, bad signature...). */
  "EAPTLS_ERR_CERT_INVALID",
  /** EAP-TLS: no subject CN or SAN yields a subscriber name. */
  "EAPTLS_ERR_CERT_NO_NAME",
  /** Operation not possible in the session's state (closed, failed, handshake not done...). */
  "EAPTLS_ERR_STATE",
  /** The runtime lacks a TLS facility the session needs (fails closed). */
  "EAPTLS_ERR_UNSUPPORTED",
  /** The TLS worker thread holding the session died (worker-client.ts): its state is lost. */
  "EAPTLS_ERR_WORKER_FAILED",
  // --- TTLS AVPs (ttls-avp.ts), RFC 5281 §10 ---
  /** AVP header or data runs past the end of the buffer, or AVP Length is below its header. */
  "TTLS_ERR_AVP_LENGTH",
  /** Too many AVPs in one message. */
  "TTLS_ERR_AVP_COUNT",
  /** A known AVP has an impossible value (wrong size, empty name...). */
  "TTLS_ERR_AVP_VALUE",
  /** The peer's MS-CHAP-Challenge / Ident differ from the implicit challenge (RFC 5281 §11.2.4). */
  "TTLS_ERR_CHALLENGE_MISMATCH",
  // --- PEAP (peap.ts) ---
  /** Inner PEAP data that is neither a compressed EAP packet nor a full EAP-TLV packet. */
  "PEAP_ERR_INNER",
  /** EAP-TLV Type-Data with a TLV running past its end, or a Result TLV of the wrong size. */
  "PEAP_ERR_TLV",
] as const;

export type EapTlsErrorCode = (typeof EAP_TLS_ERROR_CODES)[number];

export class EapTlsError extends Error {
  readonly code: EapTlsErrorCode;
  /** A non-secret detail from below (an OpenSSL error or verify code), when there is one. */
  readonly detail: string | undefined;

  constructor(code: EapTlsErrorCode, message: string, detail?: string) {
    super(message);
    this.name = "EapTlsError";
    this.code = code;
    this.detail = detail;
  }
}

export function isEapTlsError(e: unknown): e is EapTlsError {
  return e instanceof EapTlsError;
}

/** The Access-Reject reason each code ends a conversation with (counted in aaa_access_rejects_total). */
export const EAP_TLS_REJECT_REASON: Readonly<Record<EapTlsErrorCode, RejectReason>> = {
  EAPTLS_ERR_TRUNCATED: "eap_tls_bad_framing",
  EAPTLS_ERR_TOO_BIG: "eap_tls_fragment_flood",
  EAPTLS_ERR_TOO_MANY_FRAGMENTS: "eap_tls_fragment_flood",
  EAPTLS_ERR_LENGTH_MISMATCH: "eap_tls_bad_framing",
  EAPTLS_ERR_BAD_FLAGS: "eap_tls_bad_framing",
  EAPTLS_ERR_VERSION: "eap_tls_bad_framing",
  EAPTLS_ERR_BAD_ARGUMENT: "eap_tls_failed",
  EAPTLS_ERR_BAD_RECORD: "eap_tls_bad_record",
  EAPTLS_ERR_TLS_FAILED: "eap_tls_handshake_failed",
  EAPTLS_ERR_PEER_ALERT: "eap_tls_peer_alert",
  EAPTLS_ERR_PROTOCOL_VERSION: "eap_tls_handshake_failed",
  EAPTLS_ERR_NO_PEER_CERT: "eap_tls_no_cert",
  EAPTLS_ERR_CERT_UNTRUSTED: "eap_tls_cert_untrusted",
  EAPTLS_ERR_CERT_EXPIRED: "eap_tls_cert_expired",
  EAPTLS_ERR_CERT_NOT_YET_VALID: "eap_tls_cert_not_yet_valid",
  EAPTLS_ERR_CERT_PURPOSE: "eap_tls_cert_invalid",
  EAPTLS_ERR_CERT_INVALID: "eap_tls_cert_invalid",
  EAPTLS_ERR_CERT_NO_NAME: "eap_tls_cert_no_name",
  EAPTLS_ERR_STATE: "eap_tls_failed",
  EAPTLS_ERR_UNSUPPORTED: "eap_tls_failed",
  EAPTLS_ERR_WORKER_FAILED: "eap_tls_worker_failed",
  TTLS_ERR_AVP_LENGTH: "eap_tls_tunnel_error",
  TTLS_ERR_AVP_COUNT: "eap_tls_tunnel_error",
  TTLS_ERR_AVP_VALUE: "eap_tls_tunnel_error",
  TTLS_ERR_CHALLENGE_MISMATCH: "eap_tls_tunnel_error",
  PEAP_ERR_INNER: "eap_tls_tunnel_error",
  PEAP_ERR_TLV: "eap_tls_tunnel_error",
};
