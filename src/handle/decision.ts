import type { AttributeInput } from "../radius/encode.js";
import type { DropReason, RejectReason } from "../core/outcomes.js";

/**
 * What a handler decided. `drop` ends without a reply (never a Reject: RFC 5080 §2.6.1).
 * `challenge` is an Access-Challenge (an EAP round, RFC 3579 §2.1). A reject may carry its own
 * attributes (EAP-Failure, MS-CHAP-Error), sent before the configured Reply-Message.
 */
export type Decision =
  | { result: "accept"; attributes: AttributeInput[]; user?: string }
  | { result: "challenge"; attributes: AttributeInput[]; user?: string }
  | { result: "reject"; reason: RejectReason; user?: string; attributes?: AttributeInput[] }
  | { result: "drop"; reason: DropReason; user?: string };

// The reasons live in the one registry; re-exported here, where handlers and EAP methods take them.
export type { RejectReason } from "../core/outcomes.js";
