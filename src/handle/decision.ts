import type { AttributeInput } from "../radius/encode.js";

/**
 * What a handler decided. `drop` ends without a reply (never a Reject: RFC 5080 §2.6.1).
 * `challenge` is an Access-Challenge (an EAP round, RFC 3579 §2.1). A reject may carry its own
 * attributes (EAP-Failure, MS-CHAP-Error), sent before the configured Reply-Message.
 */
export type Decision =
  | { result: "accept"; attributes: AttributeInput[]; user?: string }
  | { result: "challenge"; attributes: AttributeInput[]; user?: string }
  | { result: "reject"; reason: RejectReason; user?: string; attributes?: AttributeInput[] }
  | { result: "drop"; reason: string; user?: string };

export type RejectReason =
  | "unknown_user"
  | "bad_password"
  | "disabled"
  | "expired"
  | "method_not_possible"
  | "no_credentials"
  | "unsupported_method"
  | "bad_user_name"
  | "bad_stored_hash"
  | "max_sessions"
  // EAP (src/eap): a State the server does not hold (unknown, timed out or already ended).
  | "eap_unknown_state"
  // EAP: the peer refused (Nak) every method the server may offer it.
  | "eap_no_common_method"
  // EAP: the conversation took more rounds than allowed.
  | "eap_too_many_rounds"
  // EAP: a method ended the conversation on malformed or out-of-sequence method data.
  | "eap_method_error"
  // EAP-TLS, TTLS and PEAP (src/eap/tls/errors.ts maps each EapTlsError code to one of these):
  // the client certificate does not chain to eap.tls.caFile (other CA, self-signed, bad signature);
  | "eap_tls_cert_untrusted"
  // ... has expired, or is not valid yet;
  | "eap_tls_cert_expired"
  | "eap_tls_cert_not_yet_valid"
  // ... is refused otherwise (no clientAuth purpose, revoked, other verify failure);
  | "eap_tls_cert_invalid"
  // ... was not sent, or names no subscriber (no usable CN or SAN);
  | "eap_tls_no_cert"
  | "eap_tls_cert_no_name"
  // not TLS records, or records TLS cannot parse (garbage, wrong record version, bad MAC);
  | "eap_tls_bad_record"
  // the peer sent a fatal TLS alert (e.g. it does not trust the server certificate);
  | "eap_tls_peer_alert"
  // the handshake failed otherwise (no common TLS version or cipher suite, ...);
  | "eap_tls_handshake_failed"
  // EAP-TLS framing that breaks RFC 5216 §3.1 (flags, TLS Message Length, version bits);
  | "eap_tls_bad_framing"
  // a TLS message over the reassembly caps (64 KiB, 128 fragments): a fragment flood;
  | "eap_tls_fragment_flood"
  // malformed or unexpected data inside the PEAP/TTLS tunnel;
  | "eap_tls_tunnel_error"
  // any other TLS failure (the session in a state where it cannot go on).
  | "eap_tls_failed";
