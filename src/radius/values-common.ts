/**
 * What the value encoder (values.ts) and decoder (values-decode.ts) share: the value types,
 * named failures, and how a value is shown in an error without revealing a secret one.
 */
import { RadiusError, type RadiusErrorCode } from "./errors.js";
import type { AttributeDef } from "./dictionary.js";

export type AttrValue = string | number | bigint | Buffer | Date;

/** Input form of a tagged value (RFC 2868 §3): tag 0..31. */
export interface TaggedValue {
  tag: number;
  value: unknown;
}

/** What encrypted attributes need: the secret and the Request Authenticator of the request. */
export interface CryptoContext {
  secret: Buffer;
  requestAuthenticator: Buffer;
}

export interface DecodedAttribute {
  name: string;
  value: AttrValue;
  /** 0 for standard attributes. */
  vendorId: number;
  /** Attribute number (vendor type for VSAs). */
  type: number;
  /** RFC 2868 tag, when the attribute carried one. */
  tag?: number;
  /** The value is still hidden (no CryptoContext was given). */
  encrypted?: true;
  /** The value did not match its dictionary type; `value` holds the raw octets. */
  malformed?: true;
}

/** Highest RFC 2868 tag. */
export const MAX_TAG = 0x1f;

/** Throws a RadiusError whose message and detail name the attribute. */
export function fail(code: RadiusErrorCode, attribute: string, problem: string): never {
  throw new RadiusError(code, `${attribute}: ${problem}`, { attribute });
}

/** A value as error messages show it: strings cut short, octets only counted. */
export function show(v: unknown): string {
  if (Buffer.isBuffer(v)) return `<${v.length} octets>`;
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString();
  if (v === null) return "null";
  if (typeof v === "object") return Array.isArray(v) ? "an array" : "an object";
  return String(v);
}

// Attributes whose values are key material or credentials, whatever the dictionary's flags say.
const SECRET_ATTRIBUTE_NAMES = new Set([
  "User-Password",
  "CHAP-Password",
  "Tunnel-Password",
  "MS-CHAP-Response",
  "MS-CHAP2-Response",
  "MS-CHAP-NT-Enc-PW",
  "MS-CHAP-LM-Enc-PW",
  "MS-CHAP-MPPE-Keys",
  "MS-MPPE-Send-Key",
  "MS-MPPE-Recv-Key",
  "Message-Authenticator",
]);

/** Whether an attribute's value is secret-bearing (encrypted in the dictionary, or a credential or key). */
export function isSecretAttribute(def: Pick<AttributeDef, "name" | "encrypt">): boolean {
  return def.encrypt !== undefined || SECRET_ATTRIBUTE_NAMES.has(def.name);
}

/** A value as error messages show it; never the value of a secret-bearing attribute. */
export function showValue(def: AttributeDef, v: unknown): string {
  if (!isSecretAttribute(def)) return show(v);
  if (typeof v === "string" || Buffer.isBuffer(v)) return `the value (${Buffer.byteLength(v)} octets, not shown)`;
  return "the value (not shown)";
}

/** The `{ tag, value }` input form of a tagged attribute. */
export function isTagged(v: unknown): v is TaggedValue {
  return typeof v === "object" && v !== null && !Buffer.isBuffer(v) && !(v instanceof Date) && !Array.isArray(v) && "tag" in v && "value" in v;
}

/** Runs `f`, re-raising a RadiusError under the attribute's name (a password length error is a bad value). */
export function rethrowNamed<T>(def: AttributeDef, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RadiusError) fail(e.code === "RADIUS_ERR_PASSWORD_LENGTH" ? "RADIUS_ERR_BAD_VALUE" : e.code, def.name, e.message);
    throw e;
  }
}
