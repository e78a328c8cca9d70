// Hot-path validation of a stored subscriber record. Records in Redis were validated by zod when
// they were written, so re-running the full schema on every Access-Request (several µs) buys
// little. This check accepts only the plain shape that
// the writers produce and answers null for anything else, which then goes through zod for a
// precise verdict. It must never accept what subscriberSchema refuses: a property test holds it to that.
import type { Subscriber } from "./subscriber.js";
import { GROUP_NAME_PATTERN } from "./subscriber.js";

const KEYS = new Set(["username", "password", "passwordHash", "ntHash", "enabled", "expiresAt", "groups", "reply", "maxSessions"]);
const NT_HASH = /^[0-9A-Fa-f]{32}$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
// A strict subset of ISO 8601 as zod's datetime({ offset: true }) accepts it.
const DATETIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function isAsciiWithin(s: string, maxOctets: number): boolean {
  // Non-ASCII needs the octet count; ASCII strings have one octet per character.
  if (s.length > maxOctets) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, "utf8") <= maxOctets;
  return true;
}

function isScalar(v: unknown): v is string | number {
  return typeof v === "string" || (typeof v === "number" && Number.isFinite(v));
}

/** The record as a Subscriber when it has the common, plainly valid shape; otherwise null. */
export function quickSubscriber(value: unknown): Subscriber | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const r = value as Record<string, unknown>;
  for (const k in r) if (!KEYS.has(k)) return null;
  const { username, password, passwordHash, ntHash, enabled, expiresAt, groups, reply, maxSessions } = r;
  if (typeof username !== "string" || username.length === 0 || !isAsciiWithin(username, 253) || CONTROL.test(username)) return null;
  if ((password !== undefined ? 1 : 0) + (passwordHash !== undefined ? 1 : 0) + (ntHash !== undefined ? 1 : 0) !== 1) return null;
  if (password !== undefined && (typeof password !== "string" || password.length === 0 || !isAsciiWithin(password, 128))) return null;
  if (passwordHash !== undefined && (typeof passwordHash !== "string" || passwordHash.length > 1024 || !passwordHash.startsWith("$scrypt$"))) return null;
  if (ntHash !== undefined && (typeof ntHash !== "string" || !NT_HASH.test(ntHash))) return null;
  if (enabled !== undefined && typeof enabled !== "boolean") return null;
  if (expiresAt !== undefined && (typeof expiresAt !== "string" || !DATETIME.test(expiresAt))) return null;
  if (maxSessions !== undefined && (typeof maxSessions !== "number" || !Number.isSafeInteger(maxSessions) || maxSessions <= 0)) return null;
  if (groups !== undefined) {
    if (!Array.isArray(groups)) return null;
    for (const g of groups) if (typeof g !== "string" || !GROUP_NAME_PATTERN.test(g)) return null;
  }
  if (reply !== undefined) {
    if (typeof reply !== "object" || reply === null || Array.isArray(reply) || Object.getPrototypeOf(reply) !== Object.prototype) return null;
    const rep = reply as Record<string, unknown>;
    for (const k in rep) {
      if (!ATTRIBUTE_NAME.test(k)) return null;
      const v = rep[k];
      if (Array.isArray(v)) {
        if (v.length === 0) return null;
        for (const e of v) if (!isScalar(e)) return null;
      } else if (!isScalar(v)) return null;
    }
  }
  const out: Subscriber = {
    username,
    enabled: enabled ?? true,
    groups: (groups as string[] | undefined) ?? [],
    reply: (reply as Subscriber["reply"] | undefined) ?? {},
  };
  if (password !== undefined) out.password = password;
  if (passwordHash !== undefined) out.passwordHash = passwordHash;
  if (ntHash !== undefined) out.ntHash = ntHash;
  if (expiresAt !== undefined) out.expiresAt = expiresAt;
  if (maxSessions !== undefined) out.maxSessions = maxSessions;
  return out;
}
