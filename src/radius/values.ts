/**
 * Typed attribute values on top of a Dictionary: encode names + JS values into AttributeInput,
 * decode packets into named values (debugging, tests), and validate attribute objects for the
 * subscriber importer. Not used on the per-packet hot path.
 *
 * Value conventions (input -> wire, and what decodeAttributes returns):
 *  - string: JS string (UTF-8) or Buffer; numbers are stringified. Decodes to a JS string.
 *  - octets, abinary: Buffer, or a string: "0x..." is hex, anything else is UTF-8. Decodes to Buffer.
 *  - integer, byte, short, signed: number, decimal string, bigint, or a VALUE name
 *    (case-insensitive). Decodes to the VALUE name when there is one, else a number.
 *  - integer64: bigint, safe integer or decimal string. Decodes to bigint.
 *  - ipaddr: "192.0.2.1". ipv4prefix: "10.0.0.0/8". ipv6addr: "2001:db8::1" (decoded in RFC 5952
 *    form). ipv6prefix: "2001:db8::/32". Bits past the prefix length must be zero.
 *  - date: Date, seconds since the epoch (number), or an ISO-8601 string. Decodes to Date.
 *  - ifid: "0011:2233:4455:6677". ether: "00:11:22:33:44:55" (or '-' separated).
 *  - any fixed-size type also takes a Buffer of exactly its size.
 * Tagged attributes (RFC 2868) take either `{ tag, value }` or a name suffix "Tunnel-Type:1";
 * decodeAttributes reports the tag in its own `tag` field, keeping `value` a plain AttrValue.
 * Unknown attributes can be written and are decoded as "Attr-<n>" / "Attr-26.<vendor>.<type>"
 * with octets values.
 */
import { Attr } from "./codes.js";
import { RadiusError, type RadiusErrorCode } from "./errors.js";
import { Dictionary, type AttributeDef } from "./dictionary.js";
import { MAX_ATTRIBUTE_VALUE, MAX_VSA_VALUE, type AttributeInput } from "./encode.js";
import { hidePassword, hideTunnelPassword, unhidePassword, unhideTunnelPassword } from "./authenticator.js";
import type { RadiusPacket } from "./packet.js";

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

const MAX_TAG = 0x1f;

function fail(code: RadiusErrorCode, attribute: string, problem: string): never {
  throw new RadiusError(code, `${attribute}: ${problem}`, { attribute });
}

function show(v: unknown): string {
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
function showValue(def: AttributeDef, v: unknown): string {
  if (!isSecretAttribute(def)) return show(v);
  if (typeof v === "string" || Buffer.isBuffer(v)) return `the value (${Buffer.byteLength(v)} octets, not shown)`;
  return "the value (not shown)";
}

function isTagged(v: unknown): v is TaggedValue {
  return typeof v === "object" && v !== null && !Buffer.isBuffer(v) && !(v instanceof Date) && !Array.isArray(v) && "tag" in v && "value" in v;
}

// ---------------------------------------------------------------------------------------------
// Address helpers

function parseIPv4(s: string): Buffer | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return undefined;
  const out = Buffer.allocUnsafe(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1] as string;
    // Leading zeros are refused: some parsers read them as octal.
    if (part.length > 1 && part.startsWith("0")) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function formatIPv4(b: Buffer, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

function parseIPv6(s: string): Buffer | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  let str = s;
  if (str.includes(".")) {
    // Embedded IPv4 in the last 32 bits (RFC 4291 §2.2 form 3).
    const lastColon = str.lastIndexOf(":");
    const v4 = parseIPv4(str.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    str = `${str.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = str.split("::");
  if (halves.length > 2) return undefined;
  const group = /^[0-9a-f]{1,4}$/i;
  const head = halves[0] === "" ? [] : (halves[0] as string).split(":");
  const tail = halves.length === 2 ? (halves[1] === "" ? [] : (halves[1] as string).split(":")) : [];
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return undefined;
  for (const g of [...head, ...tail]) if (!group.test(g)) return undefined;
  const out = Buffer.alloc(16);
  head.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), i * 2));
  tail.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), 16 - (tail.length - i) * 2));
  return out;
}

/** RFC 5952 text form. */
export function formatIPv6(b: Buffer): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(i));
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted tail.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIPv4(b, 12)}`;
  }
  // RFC 5952 §4.2: compress the longest run (>= 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

function prefixHostBitsClear(addr: Buffer, plen: number): boolean {
  for (let bit = plen; bit < addr.length * 8; bit++) {
    if (((addr[bit >> 3] as number) >> (7 - (bit & 7))) & 1) return false;
  }
  return true;
}

function splitPrefix(s: string): [string, number] | undefined {
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const lenStr = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenStr)) return undefined;
  return [s.slice(0, slash), Number(lenStr)];
}

// ---------------------------------------------------------------------------------------------
// Value encoding

function toBytesFromString(def: AttributeDef, v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === "string") return Buffer.from(v, "utf8");
  if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "bigint") return Buffer.from(String(v), "utf8");
  return fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not a string`);
}

function toOctets(def: AttributeDef, v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === "string") {
    if (/^0x/i.test(v)) {
      const hex = v.slice(2);
      if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not valid hex`);
      return Buffer.from(hex, "hex");
    }
    return Buffer.from(v, "utf8");
  }
  return fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not octets (give a Buffer, "0x..." hex or text)`);
}

function toInteger(def: AttributeDef, v: unknown, min: number, max: number): number {
  let n: number | undefined;
  if (typeof v === "number") n = v;
  else if (typeof v === "bigint") n = v >= BigInt(min) && v <= BigInt(max) ? Number(v) : Number.NaN;
  else if (typeof v === "string") {
    const named = Dictionary.valueOf(def, v);
    if (named !== undefined) n = named;
    else if (/^-?\d+$/.test(v.trim())) n = Number(v.trim());
    else {
      const names = [...def.values.keys()];
      const hint = names.length > 0 ? ` (known values: ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", ..." : ""})` : "";
      fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not a number or a known value name${hint}`);
    }
  } else {
    fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not an integer`);
  }
  if (n === undefined || !Number.isInteger(n) || n < min || n > max) {
    fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not an integer in ${min}..${max}`);
  }
  return n as number;
}

function toUint64(def: AttributeDef, v: unknown): bigint {
  let n: bigint | undefined;
  if (typeof v === "bigint") n = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === "string" && /^\d+$/.test(v.trim())) n = BigInt(v.trim());
  else if (typeof v === "string") {
    const named = Dictionary.valueOf(def, v);
    if (named !== undefined) n = BigInt(named);
  }
  if (n === undefined || n < 0n || n > 0xffffffffffffffffn) {
    fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not an unsigned 64-bit integer`);
  }
  return n as bigint;
}

function fixed(def: AttributeDef, v: unknown, size: number): Buffer | undefined {
  if (!Buffer.isBuffer(v)) return undefined;
  if (v.length !== size) fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} must be exactly ${size} octets`);
  return v;
}

function needCtx(def: AttributeDef, ctx: CryptoContext | undefined): CryptoContext {
  if (ctx === undefined) {
    fail("RADIUS_ERR_MISSING_SECRET", def.name, "is encrypted and needs the shared secret and request authenticator");
  }
  return ctx as CryptoContext;
}

function rethrowNamed<T>(def: AttributeDef, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RadiusError) fail(e.code === "RADIUS_ERR_PASSWORD_LENGTH" ? "RADIUS_ERR_BAD_VALUE" : e.code, def.name, e.message);
    throw e;
  }
}

/** The attribute value octets (tag octet included) for `v` under `def`. */
function encodeValue(def: AttributeDef, v: unknown, tag: number | undefined, ctx: CryptoContext | undefined): Buffer {
  switch (def.type) {
    case "string":
    case "octets":
    case "abinary": {
      const bytes = def.type === "string" ? toBytesFromString(def, v) : toOctets(def, v);
      // RFC 2865 §5: "Strings of length zero (0) MUST NOT be sent; omit the entire attribute instead."
      if (bytes.length === 0) fail("RADIUS_ERR_BAD_VALUE", def.name, "is empty (omit the attribute instead)");
      if (def.size !== undefined && bytes.length !== def.size) {
        fail("RADIUS_ERR_BAD_VALUE", def.name, `must be exactly ${def.size} octets, got ${bytes.length}`);
      }
      if (def.encrypt === 1) {
        const c = needCtx(def, ctx);
        if (bytes.length > 128) fail("RADIUS_ERR_BAD_VALUE", def.name, `${bytes.length} octets is longer than the 128 allowed (RFC 2865 §5.2)`);
        return rethrowNamed(def, () => hidePassword(bytes, c.secret, c.requestAuthenticator));
      }
      if (def.encrypt === 2) {
        const c = needCtx(def, ctx);
        const hidden = rethrowNamed(def, () => hideTunnelPassword(bytes, c.secret, c.requestAuthenticator));
        // RFC 2868 §3.5: Tunnel-Password always carries its tag octet.
        return def.hasTag ? Buffer.concat([Buffer.from([tag ?? 0]), hidden]) : hidden;
      }
      if (def.encrypt === 3) fail("RADIUS_ERR_UNSUPPORTED", def.name, "encrypt=3 (Ascend secret) is not supported");
      if (def.hasTag) {
        // RFC 2868 §3: a first octet <= 0x1F is read as a tag, so one must be sent when a tag is
        // wanted or when the value itself starts with such an octet.
        if (tag !== undefined || (bytes[0] as number) <= MAX_TAG) return Buffer.concat([Buffer.from([tag ?? 0]), bytes]);
      }
      return bytes;
    }
    case "integer": {
      if (def.hasTag) {
        // RFC 2868 §3.1: Tag(1) + Value(3).
        const n = toInteger(def, v, 0, 0xffffff);
        const out = Buffer.allocUnsafe(4);
        out.writeUInt32BE(n, 0);
        out[0] = tag ?? 0;
        return out;
      }
      const f = fixed(def, v, 4);
      if (f) return f;
      const out = Buffer.allocUnsafe(4);
      out.writeUInt32BE(toInteger(def, v, 0, 0xffffffff), 0);
      return out;
    }
    case "byte":
      return fixed(def, v, 1) ?? Buffer.from([toInteger(def, v, 0, 0xff)]);
    case "short": {
      const f = fixed(def, v, 2);
      if (f) return f;
      const out = Buffer.allocUnsafe(2);
      out.writeUInt16BE(toInteger(def, v, 0, 0xffff), 0);
      return out;
    }
    case "signed": {
      const f = fixed(def, v, 4);
      if (f) return f;
      const out = Buffer.allocUnsafe(4);
      out.writeInt32BE(toInteger(def, v, -0x80000000, 0x7fffffff), 0);
      return out;
    }
    case "integer64": {
      const f = fixed(def, v, 8);
      if (f) return f;
      const out = Buffer.allocUnsafe(8);
      out.writeBigUInt64BE(toUint64(def, v), 0);
      return out;
    }
    case "date": {
      const f = fixed(def, v, 4);
      if (f) return f;
      let secs: number;
      if (v instanceof Date) secs = Math.floor(v.getTime() / 1000);
      else if (typeof v === "number") secs = v;
      else if (typeof v === "string" && /^\d+$/.test(v)) secs = Number(v);
      else if (typeof v === "string") secs = Math.floor(Date.parse(v) / 1000);
      else secs = Number.NaN;
      if (!Number.isInteger(secs) || secs < 0 || secs > 0xffffffff) {
        fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not a date between 1970 and 2106`);
      }
      const out = Buffer.allocUnsafe(4);
      out.writeUInt32BE(secs, 0);
      return out;
    }
    case "ipaddr": {
      const f = fixed(def, v, 4);
      if (f) return f;
      const b = typeof v === "string" ? parseIPv4(v.trim()) : undefined;
      if (b === undefined) fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not an IPv4 address`);
      return b as Buffer;
    }
    case "ipv6addr": {
      const f = fixed(def, v, 16);
      if (f) return f;
      const b = typeof v === "string" ? parseIPv6(v.trim()) : undefined;
      if (b === undefined) fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not an IPv6 address`);
      return b as Buffer;
    }
    case "ipv4prefix": {
      // RFC 6572 §3.x layout as used by FreeRADIUS: Reserved(1)=0, Prefix-Length(1), Prefix(4).
      const p = typeof v === "string" ? splitPrefix(v.trim()) : undefined;
      const addr = p ? parseIPv4(p[0]) : undefined;
      if (p === undefined || addr === undefined || p[1] > 32) {
        fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not an IPv4 prefix like "10.0.0.0/8"`);
      }
      const [, plen] = p as [string, number];
      if (!prefixHostBitsClear(addr as Buffer, plen)) fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} has bits set past /${plen}`);
      return Buffer.concat([Buffer.from([0, plen]), addr as Buffer]);
    }
    case "ipv6prefix": {
      // RFC 3162 §2.3: Reserved(1)=0, Prefix-Length(1), Prefix (only the octets the length covers).
      const p = typeof v === "string" ? splitPrefix(v.trim()) : undefined;
      const addr = p ? parseIPv6(p[0]) : undefined;
      if (p === undefined || addr === undefined || p[1] > 128) {
        fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not an IPv6 prefix like "2001:db8::/32"`);
      }
      const [, plen] = p as [string, number];
      if (!prefixHostBitsClear(addr as Buffer, plen)) fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} has bits set past /${plen}`);
      return Buffer.concat([Buffer.from([0, plen]), (addr as Buffer).subarray(0, (plen + 7) >> 3)]);
    }
    case "ifid": {
      const f = fixed(def, v, 8);
      if (f) return f;
      if (typeof v !== "string" || !/^[0-9a-f]{1,4}(:[0-9a-f]{1,4}){3}$/i.test(v.trim())) {
        fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not an interface id like "0011:2233:4455:6677"`);
      }
      const out = Buffer.allocUnsafe(8);
      (v as string).trim().split(":").forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), i * 2));
      return out;
    }
    case "ether": {
      const f = fixed(def, v, 6);
      if (f) return f;
      if (typeof v !== "string" || !/^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i.test(v.trim())) {
        fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not a MAC address like "00:11:22:33:44:55"`);
      }
      return Buffer.from((v as string).trim().replace(/[:-]/g, ""), "hex");
    }
    default:
      return fail("RADIUS_ERR_UNSUPPORTED", def.name, `type ${def.type} is not supported by this codec`);
  }
}

interface Resolved {
  def: AttributeDef;
  tag: number | undefined;
}

/** Resolve "Name", "Name:tag", "Attr-N" and "Attr-26.V.T". */
function resolve(dict: Dictionary, name: string): Resolved {
  if (typeof name !== "string" || name === "") {
    throw new RadiusError("RADIUS_ERR_UNKNOWN_ATTRIBUTE", `attribute name ${show(name)} is not a non-empty string`);
  }
  let base = name;
  let tag: number | undefined;
  const m = /^(.+):(\d+)$/.exec(name);
  if (m !== null) {
    base = m[1] as string;
    tag = Number(m[2]);
  }
  let def = dict.byName(base);
  if (def === undefined) {
    const raw = /^Attr-(\d+)(?:\.(\d+)\.(\d+))?$/i.exec(base);
    if (raw !== null) {
      const code = Number(raw[1]);
      const vendorId = raw[2] === undefined ? 0 : Number(raw[2]);
      const vendorType = raw[3] === undefined ? code : Number(raw[3]);
      if (raw[2] !== undefined && code !== Attr.VendorSpecific) {
        throw new RadiusError("RADIUS_ERR_UNKNOWN_ATTRIBUTE", `${name}: only Attr-26.<vendor>.<type> may name a vendor attribute`, { attribute: name });
      }
      if (vendorId > 0xffffff || vendorType < 1 || vendorType > 255 || (vendorId === 0 && raw[2] !== undefined)) {
        throw new RadiusError("RADIUS_ERR_UNKNOWN_ATTRIBUTE", `${name}: attribute number out of range`, { attribute: name });
      }
      def = dict.byCode(vendorType, vendorId) ?? {
        name: base, code: vendorType, vendorId, type: "octets", hasTag: false, concat: false, values: new Map(), valueNames: new Map(),
      };
    }
  }
  if (def === undefined) {
    throw new RadiusError("RADIUS_ERR_UNKNOWN_ATTRIBUTE", `${name}: no such attribute in the dictionary`, { attribute: name });
  }
  if (tag !== undefined && !def.hasTag) fail("RADIUS_ERR_BAD_VALUE", def.name, `is not a tagged attribute (":${tag}" suffix)`);
  return { def, tag };
}

/**
 * Encode one attribute value by name. Returns one AttributeInput, or several for a `concat`
 * attribute (EAP-Message) longer than 253 octets. Throws RadiusError naming the attribute.
 */
export function encodeAttribute(dict: Dictionary, name: string, value: unknown, ctx?: CryptoContext): AttributeInput[] {
  const r = resolve(dict, name);
  const def = r.def;
  let tag = r.tag;
  let v = value;
  if (isTagged(v)) {
    if (!def.hasTag) fail("RADIUS_ERR_BAD_VALUE", def.name, "is not a tagged attribute ({ tag, value } given)");
    if (tag !== undefined && tag !== v.tag) fail("RADIUS_ERR_BAD_VALUE", def.name, `tag ${tag} in the name and ${show(v.tag)} in the value disagree`);
    tag = v.tag as number;
    v = v.value;
  }
  if (tag !== undefined && (typeof tag !== "number" || !Number.isInteger(tag) || tag < 0 || tag > MAX_TAG)) {
    fail("RADIUS_ERR_BAD_VALUE", def.name, `tag ${show(tag)} is not 0..31 (RFC 2868 §3)`);
  }
  if (v === undefined || v === null) fail("RADIUS_ERR_BAD_VALUE", def.name, "has no value");
  if (def.vendorId === 0 && def.code === Attr.MessageAuthenticator) {
    fail("RADIUS_ERR_BAD_VALUE", def.name, "is computed by the encoder and cannot be given as a value");
  }
  if (def.unsupported !== undefined) fail("RADIUS_ERR_UNSUPPORTED", def.name, def.unsupported);

  const bytes = encodeValue(def, v, tag, ctx);
  if (def.vendorId !== 0) {
    if (bytes.length > MAX_VSA_VALUE) {
      fail("RADIUS_ERR_BAD_VALUE", def.name, `value of ${bytes.length} octets is longer than the ${MAX_VSA_VALUE} a vendor attribute can hold`);
    }
    return [{ vendorId: def.vendorId, vendorType: def.code, value: bytes }];
  }
  if (bytes.length <= MAX_ATTRIBUTE_VALUE) return [{ type: def.code, value: bytes }];
  if (!def.concat) {
    fail("RADIUS_ERR_BAD_VALUE", def.name, `value of ${bytes.length} octets is longer than the ${MAX_ATTRIBUTE_VALUE} an attribute can hold`);
  }
  // RFC 3579 §3.1: EAP packets longer than 253 octets are split over consecutive attributes.
  const out: AttributeInput[] = [];
  for (let i = 0; i < bytes.length; i += MAX_ATTRIBUTE_VALUE) out.push({ type: def.code, value: bytes.subarray(i, i + MAX_ATTRIBUTE_VALUE) });
  return out;
}

/**
 * Encode an object of `name: value` (or `name: [values]` for repeated attributes) in key
 * order. See the module comment for value forms.
 */
export function attributesFromObject(dict: Dictionary, obj: Record<string, unknown>, ctx?: CryptoContext): AttributeInput[] {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new RadiusError("RADIUS_ERR_BAD_ARGUMENT", "attributes must be an object of name: value");
  }
  const out: AttributeInput[] = [];
  for (const [name, v] of Object.entries(obj)) {
    if (Array.isArray(v)) {
      for (const item of v) {
        if (Array.isArray(item)) fail("RADIUS_ERR_BAD_VALUE", name, "nested arrays are not allowed");
        out.push(...encodeAttribute(dict, name, item, ctx));
      }
    } else {
      out.push(...encodeAttribute(dict, name, v, ctx));
    }
  }
  return out;
}

const VALIDATION_CTX: CryptoContext = { secret: Buffer.from("validation"), requestAuthenticator: Buffer.alloc(16) };

/** Human-readable problems with an attribute object (empty = valid). Never throws. */
export function validateAttributeObject(dict: Dictionary, obj: unknown): string[] {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj) || Buffer.isBuffer(obj)) {
    return ["attributes must be an object of name: value"];
  }
  const problems: string[] = [];
  for (const [name, v] of Object.entries(obj as Record<string, unknown>)) {
    const items = Array.isArray(v) ? v : [v];
    items.forEach((item, i) => {
      const where = Array.isArray(v) ? ` (item ${i + 1} of ${v.length})` : "";
      if (Array.isArray(item)) {
        problems.push(`${name}: nested arrays are not allowed${where}`);
        return;
      }
      try {
        // A stand-in secret lets encrypted attributes go through their length checks.
        encodeAttribute(dict, name, item, VALIDATION_CTX);
      } catch (e) {
        problems.push(`${e instanceof Error ? e.message : String(e)}${where}`);
      }
    });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Decoding

function bad(def: AttributeDef, problem: string): never {
  return fail("RADIUS_ERR_BAD_VALUE", def.name, problem);
}

function decodeIpv6Prefix(def: AttributeDef, b: Buffer): string {
  // RFC 3162 §2.3: Length 4..20 => value 2..18 octets; Reserved is zero.
  if (b.length < 2 || b.length > 18 || b[0] !== 0) bad(def, "malformed IPv6 prefix");
  const plen = b[1] as number;
  if (plen > 128 || b.length - 2 < (plen + 7) >> 3) bad(def, `prefix length ${plen} does not fit the ${b.length - 2} prefix octets`);
  const addr = Buffer.alloc(16);
  b.copy(addr, 0, 2);
  if (!prefixHostBitsClear(addr, plen)) bad(def, `bits set past /${plen}`);
  return `${formatIPv6(addr)}/${plen}`;
}

function decodePlain(def: AttributeDef, b: Buffer): AttrValue {
  const size = (n: number): void => {
    if (b.length !== n) bad(def, `${b.length} octets where ${n} are expected`);
  };
  if (def.size !== undefined) size(def.size);
  switch (def.type) {
    case "string":
      return b.toString("utf8");
    case "octets":
    case "abinary":
      return Buffer.from(b);
    case "integer": {
      size(4);
      const n = b.readUInt32BE(0);
      return def.valueNames.get(n) ?? n;
    }
    case "byte": {
      size(1);
      const n = b[0] as number;
      return def.valueNames.get(n) ?? n;
    }
    case "short": {
      size(2);
      const n = b.readUInt16BE(0);
      return def.valueNames.get(n) ?? n;
    }
    case "signed":
      size(4);
      return b.readInt32BE(0);
    case "integer64":
      size(8);
      return b.readBigUInt64BE(0);
    case "date":
      size(4);
      return new Date(b.readUInt32BE(0) * 1000);
    case "ipaddr":
      size(4);
      return formatIPv4(b);
    case "ipv6addr":
      size(16);
      return formatIPv6(b);
    case "ipv4prefix": {
      size(6);
      const plen = b[1] as number;
      if (b[0] !== 0 || plen > 32 || !prefixHostBitsClear(b.subarray(2), plen)) bad(def, "malformed IPv4 prefix");
      return `${formatIPv4(b, 2)}/${plen}`;
    }
    case "ipv6prefix":
      return decodeIpv6Prefix(def, b);
    case "ifid": {
      size(8);
      const hex = b.toString("hex");
      return `${hex.slice(0, 4)}:${hex.slice(4, 8)}:${hex.slice(8, 12)}:${hex.slice(12, 16)}`;
    }
    case "ether":
      size(6);
      return (b.toString("hex").match(/../g) as string[]).join(":");
    default:
      return Buffer.from(b);
  }
}

/**
 * Decode one attribute value under `def`. Throws RadiusError RADIUS_ERR_BAD_VALUE when the
 * octets do not fit the type.
 */
export function decodeValue(def: AttributeDef, b: Buffer, ctx?: CryptoContext): { value: AttrValue; tag?: number; encrypted?: true } {
  let tag: number | undefined;
  let body = b;
  if (def.hasTag) {
    if (def.type === "integer") {
      // RFC 2868 §3.1: Tag(1) + Value(3).
      if (b.length !== 4) bad(def, `${b.length} octets where 4 are expected`);
      tag = b[0] as number;
      const n = b.readUInt32BE(0) & 0xffffff;
      return { value: def.valueNames.get(n) ?? n, tag };
    }
    if (def.encrypt === 2) {
      if (b.length < 1) bad(def, "missing tag");
      tag = b[0] as number;
      body = b.subarray(1);
    } else if (b.length > 0 && (b[0] as number) <= MAX_TAG) {
      tag = b[0] as number;
      body = b.subarray(1);
    }
  }
  const withTag = <T extends { value: AttrValue; encrypted?: true }>(r: T): T & { tag?: number } => (tag === undefined ? r : { ...r, tag });
  if (def.encrypt === 1 || def.encrypt === 2) {
    if (ctx === undefined) return withTag({ value: Buffer.from(body), encrypted: true as const });
    const plain = rethrowNamed(def, () =>
      def.encrypt === 1 ? unhidePassword(body, ctx.secret, ctx.requestAuthenticator) : unhideTunnelPassword(body, ctx.secret, ctx.requestAuthenticator),
    );
    return withTag({ value: def.type === "string" ? plain.toString("utf8") : Buffer.from(plain) });
  }
  if (def.encrypt === 3 || def.unsupported !== undefined) return withTag({ value: Buffer.from(body) });
  return withTag({ value: decodePlain(def, body) });
}

function unknownDef(name: string, code: number, vendorId: number): AttributeDef {
  return { name, code, vendorId, type: "octets", hasTag: false, concat: false, values: new Map(), valueNames: new Map() };
}

function decodeOne(def: AttributeDef, value: Buffer, ctx: CryptoContext | undefined): DecodedAttribute {
  try {
    const r = decodeValue(def, value, ctx);
    const d: DecodedAttribute = { name: def.name, value: r.value, vendorId: def.vendorId, type: def.code };
    if (r.tag !== undefined) d.tag = r.tag;
    if (r.encrypted) d.encrypted = true;
    return d;
  } catch (e) {
    if (!(e instanceof RadiusError)) throw e;
    return { name: def.name, value: Buffer.from(value), vendorId: def.vendorId, type: def.code, malformed: true };
  }
}

/** Split a VSA body (after the Vendor-Id) by the vendor's format; undefined if it does not tile. */
function splitVsa(body: Buffer, typeSize: number, lengthSize: number): Array<{ type: number; value: Buffer }> | undefined {
  const out: Array<{ type: number; value: Buffer }> = [];
  let pos = 0;
  const hdr = typeSize + lengthSize;
  while (pos < body.length) {
    if (pos + hdr > body.length) return undefined;
    const type = typeSize === 1 ? (body[pos] as number) : typeSize === 2 ? body.readUInt16BE(pos) : body.readUInt32BE(pos);
    let len: number;
    if (lengthSize === 0) len = body.length - pos;
    else len = lengthSize === 1 ? (body[pos + typeSize] as number) : body.readUInt16BE(pos + typeSize);
    if (len < hdr || pos + len > body.length) return undefined;
    out.push({ type, value: body.subarray(pos + hdr, pos + len) });
    pos += len;
  }
  return out;
}

/**
 * Every attribute of a packet with its dictionary name and typed value (for debugging and
 * tests). Unknown attributes become "Attr-<n>" / "Attr-26.<vendor>.<type>" with octets; values
 * that do not fit their type come back as octets with `malformed: true`; VSAs whose contents do
 * not tile are returned whole as Vendor-Specific octets, also `malformed`. With `ctx`, hidden
 * attributes are revealed (requestAuthenticator defaults to the packet's own authenticator,
 * right for Access-Request; pass the request's for replies). Consecutive EAP-Message
 * attributes are not joined.
 */
export function decodeAttributes(
  dict: Dictionary,
  p: RadiusPacket,
  ctx?: { secret: Buffer; requestAuthenticator?: Buffer },
): DecodedAttribute[] {
  const c: CryptoContext | undefined =
    ctx === undefined ? undefined : { secret: ctx.secret, requestAuthenticator: ctx.requestAuthenticator ?? p.authenticator };
  const out: DecodedAttribute[] = [];
  for (const a of p.attributes) {
    if (a.type === Attr.VendorSpecific) {
      const vsaName = dict.byCode(Attr.VendorSpecific)?.name ?? "Attr-26";
      const whole = (): DecodedAttribute => ({ name: vsaName, value: Buffer.from(a.value), vendorId: 0, type: Attr.VendorSpecific, malformed: true });
      if (a.value.length < 4) { out.push(whole()); continue; }
      const vendorId = a.value.readUInt32BE(0);
      const vendor = dict.vendor(vendorId);
      if (vendor?.continuation) {
        // WiMAX-style continuation VSAs are not split here; show the VSA whole.
        out.push({ name: vsaName, value: Buffer.from(a.value), vendorId: 0, type: Attr.VendorSpecific });
        continue;
      }
      const subs = splitVsa(a.value.subarray(4), vendor?.typeSize ?? 1, vendor?.lengthSize ?? 1);
      if (subs === undefined || subs.length === 0) { out.push(whole()); continue; }
      for (const s of subs) {
        const def = dict.byCode(s.type, vendorId) ?? unknownDef(`Attr-26.${vendorId}.${s.type}`, s.type, vendorId);
        out.push(decodeOne(def, s.value, c));
      }
      continue;
    }
    const def = dict.byCode(a.type) ?? unknownDef(`Attr-${a.type}`, a.type, 0);
    out.push(decodeOne(def, a.value, c));
  }
  return out;
}
