// Every reason a request's outcome is counted under, with what it means: the `reason` label of
// aaa_datagrams_total (by `outcome`) and of aaa_access_rejects_total. The strings are stable
// (dashboards and alerts use them): add a reason here, never rename one. docs/outcomes.md is
// generated from this table (`npm run outcomes`).

/** Where a reason is counted: an outcome of aaa_datagrams_total, or `rejected` (aaa_access_rejects_total). */
export type ReasonCounter = "answered" | "dropped" | "shed" | "duplicate" | "rejected";

export interface ReasonEntry {
  readonly counted: readonly ReasonCounter[];
  readonly meaning: string;
}

/**
 * The registry. A key ending in `:*` names a family: the reason is the prefix followed by an error
 * code (`store:STORE_TIMEOUT`).
 */
export const OUTCOME_REASONS = {
  // Answered: the reply that was sent.
  accept: { counted: ["answered"], meaning: "Access-Accept sent." },
  reject: { counted: ["answered"], meaning: "Access-Reject sent; aaa_access_rejects_total says why." },
  challenge: { counted: ["answered"], meaning: "Access-Challenge sent (an EAP round that is not the last, RFC 3579 §2.1)." },
  status: { counted: ["answered"], meaning: "Status-Server answered (RFC 5997)." },
  acct_start: { counted: ["answered"], meaning: "Accounting-Request Start recorded and acknowledged." },
  acct_stop: { counted: ["answered"], meaning: "Accounting-Request Stop recorded and acknowledged." },
  acct_interim: { counted: ["answered"], meaning: "Accounting-Request Interim-Update recorded and acknowledged." },
  acct_on: { counted: ["answered"], meaning: "Accounting-On recorded (the NAS's open sessions closed) and acknowledged." },
  acct_off: { counted: ["answered"], meaning: "Accounting-Off recorded (the NAS's open sessions closed) and acknowledged." },
  acct_duplicate: { counted: ["answered"], meaning: "Accounting record already stored (a retransmission the store recognised): acknowledged again." },

  // Duplicates (RFC 5080 §2.2.2).
  in_progress: { counted: ["duplicate"], meaning: "Retransmission of a request still being handled: discarded." },
  replayed: { counted: ["duplicate"], meaning: "Retransmission of an answered request: the kept reply sent again." },

  // Dropped before a handler: the datagram itself.
  unknown_client: { counted: ["dropped"], meaning: "Source address matches no configured client." },
  "malformed:*": { counted: ["dropped"], meaning: "The packet (or an attribute a handler needs) does not decode; the suffix is the RadiusError code, or `mschapv2`." },
  unexpected_code: { counted: ["dropped"], meaning: "A packet code this listener does not serve (e.g. Accounting-Request on the auth port)." },
  bad_request_authenticator: { counted: ["dropped"], meaning: "Request Authenticator does not verify: the NAS signs with another shared secret." },
  bad_message_authenticator: { counted: ["dropped"], meaning: "Message-Authenticator does not verify: the NAS signs with another shared secret." },
  malformed_message_authenticator: { counted: ["dropped"], meaning: "Message-Authenticator of the wrong length." },
  status_without_message_authenticator: { counted: ["dropped"], meaning: "Status-Server without Message-Authenticator (RFC 5997 §3)." },
  missing_message_authenticator: { counted: ["dropped"], meaning: "No Message-Authenticator where one is required (EAP, or requireMessageAuthenticator)." },

  // Dropped by the pipeline or a handler.
  internal_error: { counted: ["dropped"], meaning: "An unexpected failure; logged as an error." },
  shutting_down: { counted: ["dropped"], meaning: "Arrived while the server was draining to stop." },
  store_unavailable: { counted: ["dropped"], meaning: "Status-Server left unanswered while the store cannot serve (radius.statusServer.answerWhenStoreDown)." },
  accounting_disabled: { counted: ["dropped"], meaning: "Accounting-Request while no session store is configured." },
  deadline_passed: { counted: ["dropped"], meaning: "The handler found the request's deadline already passed." },
  "store:*": { counted: ["dropped", "shed"], meaning: "The store failed; the suffix is the StoreError code (shed when STORE_OVERLOADED refused an accounting write)." },
  "worker:*": { counted: ["dropped"], meaning: "The worker-thread pool failed; the suffix is the WorkerPoolError code." },
  "radius:*": { counted: ["dropped"], meaning: "The RADIUS codec failed inside a handler; the suffix is the RadiusError code." },
  "reply_encode:*": { counted: ["dropped"], meaning: "The reply could not be encoded; the suffix is the RadiusError code." },
  missing_acct_status_type: { counted: ["dropped"], meaning: "Accounting-Request without Acct-Status-Type." },
  malformed_acct_status_type: { counted: ["dropped"], meaning: "Acct-Status-Type that is not a 4-octet integer." },
  unsupported_acct_status_type: { counted: ["dropped"], meaning: "Acct-Status-Type other than Start, Stop, Interim-Update, Accounting-On and -Off." },
  missing_acct_session_id: { counted: ["dropped"], meaning: "Accounting-Request without (or with an empty) Acct-Session-Id." },
  "eap_malformed:*": { counted: ["dropped"], meaning: "EAP-Message does not decode; the suffix is the EapError code." },
  eap_not_response: { counted: ["dropped"], meaning: "EAP packet that is not a Response." },
  eap_conversations_full: { counted: ["dropped"], meaning: "No room for another EAP conversation (eap.maxConversations)." },
  eap_busy: { counted: ["dropped"], meaning: "A round of this EAP conversation is still being handled." },
  eap_id_mismatch: { counted: ["dropped"], meaning: "EAP Identifier does not answer the last request of its conversation." },
  eap_tls_busy: { counted: ["dropped"], meaning: "A new EAP conversation of a TLS method not started: the TLS worker threads are backlogged (the NAS sends it again)." },
  eap_unexpected_type: { counted: ["dropped"], meaning: "EAP type other than the one the conversation expects." },

  // Shed: not served, to serve others in time (silently, RFC 5080 §2.6.1).
  stale: { counted: ["shed"], meaning: "Waited in the kernel receive queue past the point where it could be served in time." },
  deadline: { counted: ["shed"], meaning: "Remaining time shorter than the expected service time." },
  sojourn: { counted: ["shed"], meaning: "Waited in a standing queue longer than the CoDel target." },
  queue_full: { counted: ["shed"], meaning: "Queue full and nothing of lower standing could make room." },
  class_priority: { counted: ["shed"], meaning: "Evicted from a full queue by a request of a higher class." },
  fair_share: { counted: ["shed"], meaning: "Evicted from a full queue by a request of a client with a shorter weighted queue." },
  limit: { counted: ["shed"], meaning: "Over the concurrency limit with no queue configured (maxQueue 0)." },
  shutdown: { counted: ["shed"], meaning: "Still queued when the scheduler was closed." },
  late_reply: { counted: ["shed"], meaning: "The result came after the deadline: not sent." },

  // Rejected: the reason of an Access-Reject (aaa_access_rejects_total).
  unknown_user: { counted: ["rejected"], meaning: "No such subscriber." },
  bad_password: { counted: ["rejected"], meaning: "The password (or MS-CHAP/EAP response) does not match." },
  disabled: { counted: ["rejected"], meaning: "The subscriber is disabled." },
  expired: { counted: ["rejected"], meaning: "The subscriber's expiry time has passed." },
  method_not_possible: { counted: ["rejected"], meaning: "The stored credential cannot check this method (e.g. MS-CHAP against a hash)." },
  no_credentials: { counted: ["rejected"], meaning: "No password or other credential in the request." },
  unsupported_method: { counted: ["rejected"], meaning: "EAP-Message while EAP is not enabled." },
  bad_user_name: { counted: ["rejected"], meaning: "User-Name missing or empty." },
  bad_stored_hash: { counted: ["rejected"], meaning: "The subscriber's stored password hash cannot be read." },
  max_sessions: { counted: ["rejected"], meaning: "Simultaneous-Use: the subscriber's session limit is reached." },
  eap_unknown_state: { counted: ["rejected"], meaning: "EAP State the server does not hold (unknown, timed out or already ended)." },
  eap_no_common_method: { counted: ["rejected"], meaning: "The peer refused (Nak) every EAP method the server may offer it." },
  eap_too_many_rounds: { counted: ["rejected"], meaning: "The EAP conversation took more rounds than allowed." },
  eap_method_error: { counted: ["rejected"], meaning: "An EAP method ended on malformed or out-of-sequence method data." },
  // EAP-TLS, TTLS and PEAP (src/eap/tls/errors.ts maps each EapTlsError code to one of these).
  eap_tls_cert_untrusted: { counted: ["rejected"], meaning: "The client certificate does not chain to eap.tls.caFile (other CA, self-signed, bad signature)." },
  eap_tls_cert_expired: { counted: ["rejected"], meaning: "The client certificate has expired." },
  eap_tls_cert_not_yet_valid: { counted: ["rejected"], meaning: "The client certificate is not valid yet." },
  eap_tls_cert_invalid: { counted: ["rejected"], meaning: "The client certificate is refused otherwise (no clientAuth purpose, revoked, other verify failure)." },
  eap_tls_no_cert: { counted: ["rejected"], meaning: "The peer sent no client certificate." },
  eap_tls_cert_no_name: { counted: ["rejected"], meaning: "The client certificate names no subscriber (no usable CN or SAN)." },
  eap_tls_bad_record: { counted: ["rejected"], meaning: "Not TLS records, or records TLS cannot parse (garbage, wrong record version, bad MAC)." },
  eap_tls_peer_alert: { counted: ["rejected"], meaning: "The peer sent a fatal TLS alert (e.g. it does not trust the server certificate)." },
  eap_tls_handshake_failed: { counted: ["rejected"], meaning: "The TLS handshake failed otherwise (no common TLS version or cipher suite, ...)." },
  eap_tls_bad_framing: { counted: ["rejected"], meaning: "EAP-TLS framing that breaks RFC 5216 §3.1 (flags, TLS Message Length, version bits)." },
  eap_tls_fragment_flood: { counted: ["rejected"], meaning: "A TLS message over the reassembly caps (64 KiB, 128 fragments)." },
  eap_tls_tunnel_error: { counted: ["rejected"], meaning: "Malformed or unexpected data inside the PEAP or TTLS tunnel." },
  eap_tls_worker_failed: { counted: ["rejected"], meaning: "The TLS worker thread holding the conversation's TLS session died (it is started again); the peer starts over." },
  eap_tls_failed: { counted: ["rejected"], meaning: "Any other TLS failure (the session in a state where it cannot go on)." },
} as const satisfies Record<string, ReasonEntry>;

type Registry = typeof OUTCOME_REASONS;
/** `store:*` -> `store:${string}`; a plain key stays as it is. */
type Expand<K> = K extends `${infer Prefix}:*` ? `${Prefix}:${string}` : K;
type ReasonsCountedAs<C extends ReasonCounter> = { [K in keyof Registry]: C extends Registry[K]["counted"][number] ? Expand<K> : never }[keyof Registry];

/** A reason of aaa_datagrams_total. */
export type OutcomeReason = ReasonsCountedAs<"answered" | "dropped" | "shed" | "duplicate">;
export type DropReason = ReasonsCountedAs<"dropped">;
export type ShedOutcomeReason = ReasonsCountedAs<"shed">;
/** The reason of an Access-Reject (aaa_access_rejects_total). */
export type RejectReason = ReasonsCountedAs<"rejected">;

/** The registry as rows, in table order (for docs/outcomes.md). */
export function outcomeReasonRows(): Array<{ reason: string; counted: readonly ReasonCounter[]; meaning: string }> {
  return Object.entries(OUTCOME_REASONS as Record<string, ReasonEntry>).map(([reason, e]) => ({ reason, counted: e.counted, meaning: e.meaning }));
}

/** The entry a concrete reason belongs to (`store:STORE_TIMEOUT` -> `store:*`), if any. */
export function outcomeReasonEntry(reason: string): ReasonEntry | undefined {
  const table = OUTCOME_REASONS as Record<string, ReasonEntry>;
  if (Object.hasOwn(table, reason) && !reason.endsWith(":*")) return table[reason];
  const m = /^([a-z_]+):[A-Za-z0-9_]+$/.exec(reason);
  return m ? table[`${m[1]}:*`] : undefined;
}
