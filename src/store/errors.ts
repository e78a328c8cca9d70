// StoreError lives apart from store.ts so that the implementations can import it without an
// import cycle through createStore (store.ts -> redis-store.ts -> store.ts).

/**
 * Stable error codes: callers switch on `code`, never on the message.
 * - STORE_UNAVAILABLE: the backend cannot serve now (Redis down, store not started or closed).
 * - STORE_TIMEOUT: the caller's deadline (or commandTimeoutMs) expired before the reply.
 * - STORE_CORRUPT_RECORD: a stored record failed the schema; drop/reject that request.
 * - STORE_WRITE_FAILED: a write (or its persistence) failed; nothing of that call was applied
 *   unless a WriteReport says otherwise.
 * - STORE_INVALID_RECORD: a record handed to put* failed the schema; nothing was written.
 * - STORE_LOAD_FAILED: start() could not load the memory store's files (names file:line).
 * - STORE_OVERLOADED: refused without being sent, because too many commands of its kind are
 *   already waiting for the backend (the session store's accounting writes).
 * - STORE_NO_PERMISSION: Redis refused a command to the configured ACL user (NOPERM).
 * - STORE_NOT_REPLICATED: written on the primary, but fewer replicas than store.redis.waitReplicas
 *   acknowledged it in time (WAIT): not acknowledged to the NAS, whose retransmission retries it.
 */
export type StoreErrorCode =
  | "STORE_UNAVAILABLE"
  | "STORE_TIMEOUT"
  | "STORE_CORRUPT_RECORD"
  | "STORE_WRITE_FAILED"
  | "STORE_INVALID_RECORD"
  | "STORE_LOAD_FAILED"
  | "STORE_OVERLOADED"
  | "STORE_NO_PERMISSION"
  | "STORE_NOT_REPLICATED";

export interface StoreErrorDetail {
  /** 1-based line number for file problems; 0 when the problem concerns the whole file. */
  line: number;
  message: string;
}

/**
 * Messages may name a username, a file and a line number, never a password or a Redis URL with
 * credentials. Deliberately no `cause`: driver errors can carry command arguments (a SET with
 * the subscriber JSON) and a logger serialising the cause would print them.
 */
export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly code: StoreErrorCode;
  /** Per-line problems, for STORE_LOAD_FAILED. */
  readonly details: readonly StoreErrorDetail[] | undefined;

  constructor(code: StoreErrorCode, message: string, details?: readonly StoreErrorDetail[]) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}
