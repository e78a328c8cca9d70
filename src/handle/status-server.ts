// Status-Server (RFC 5997 §3): a request that reached this point carried a valid
// Message-Authenticator; the answer on the authentication port is an Access-Accept.
import type { Decision } from "./decision.js";

export function handleStatusServer(): Decision {
  return { result: "accept", attributes: [] };
}
