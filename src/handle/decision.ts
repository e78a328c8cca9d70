import type { AttributeInput } from "../radius/encode.js";

/** What a handler decided. `drop` ends without a reply (never a Reject: RFC 5080 §2.6.1). */
export type Decision =
  | { result: "accept"; attributes: AttributeInput[]; user?: string }
  | { result: "reject"; reason: RejectReason; user?: string }
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
  | "max_sessions";
