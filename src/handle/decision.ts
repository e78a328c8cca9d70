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
  // EAP-TLS and tunnelled methods: the TLS handshake or the client certificate failed.
  | "eap_tls_failed";
