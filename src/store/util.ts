// Small helpers shared by the store implementations.
import { StoreError } from "./errors.js";
import { groupSchema, subscriberSchema, summarizeIssues, type Group, type Subscriber } from "./subscriber.js";

/**
 * The subset of a pino Logger the store uses; a pino Logger satisfies it. Always called as
 * (fields, message). Fields never contain passwords or credentials.
 */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const noopLogger: StoreLogger = { info() {}, warn() {}, error() {} };

/** Redis URL for logs: the password (and the username, which may be an ACL user) masked. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    if (u.username) u.username = "***";
    return u.toString();
  } catch {
    return "<unparseable url>";
  }
}

/**
 * Error text that is safe to log or return: the message only (never the driver's `command.args`,
 * which for a SET contain the subscriber JSON), cut before Redis's "with args beginning with:"
 * echo, and bounded.
 */
export function safeErrorMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : typeof err === "string" ? err : "unknown error";
  const cut = msg.split(/,? with args beginning with/i)[0] ?? msg;
  return cut.length > 200 ? `${cut.slice(0, 200)}...` : cut;
}

/**
 * Copy of a record, so callers cannot mutate what the store (or its group cache) holds. Manual
 * rather than structuredClone: it runs once per Access-Request.
 */
export function cloneSubscriber(s: Subscriber): Subscriber {
  return { ...s, groups: s.groups.slice(), reply: cloneReply(s.reply) };
}

export function cloneGroup(g: Group): Group {
  return { ...g, reply: cloneReply(g.reply) };
}

export function cloneReply<R extends Record<string, unknown>>(r: R): R {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(r)) {
    const v = r[k];
    out[k] = Array.isArray(v) ? v.slice() : v;
  }
  return out as R;
}

/**
 * Validate every record of a put* call before anything is written (defaults applied). One
 * invalid record rejects the whole call with STORE_INVALID_RECORD naming its index and
 * username/group, never field values.
 */
export function validateAll(records: readonly Subscriber[], what: "subscriber"): Subscriber[];
export function validateAll(records: readonly Group[], what: "group"): Group[];
export function validateAll(records: readonly (Subscriber | Group)[], what: "subscriber" | "group"): (Subscriber | Group)[] {
  const schema = what === "subscriber" ? subscriberSchema : groupSchema;
  return records.map((rec, i) => {
    const r = schema.safeParse(rec);
    if (r.success) return r.data;
    const raw = rec as { username?: unknown; group?: unknown } | null;
    const id = what === "subscriber" ? raw?.username : raw?.group;
    const name = typeof id === "string" ? ` "${id}"` : "";
    throw new StoreError("STORE_INVALID_RECORD", `${what} #${i}${name} is invalid, nothing written: ${summarizeIssues(r.error)}`);
  });
}

/** `p`, or STORE_TIMEOUT after `ms` (the command itself is not cancelled: Redis may still do it). */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreError("STORE_TIMEOUT", `${what} timed out after ${Math.round(ms)} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
