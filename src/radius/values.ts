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
import { RadiusError } from "./errors.js";
import { Dictionary, type AttributeDef } from "./dictionary.js";
import { MAX_ATTRIBUTE_VALUE, MAX_VSA_VALUE, type AttributeInput } from "./encode.js";
import { hidePassword, hideTunnelPassword } from "./authenticator.js";
import { parseEther, parseIfid, parseIPv4, parseIPv6, prefixHostBitsClear, splitPrefix } from "./address.js";
import { fail, isTagged, MAX_TAG, rethrowNamed, show, showValue, type CryptoContext } from "./values-common.js";

// The public surface stays here: callers import types, decoding and formatIPv6 from values.js.
export type { AttrValue, CryptoContext, DecodedAttribute, TaggedValue } from "./values-common.js";
export { isSecretAttribute } from "./values-common.js";
export { decodeAttributes, decodeValue } from "./values-decode.js";
export { formatIPv6 } from "./address.js";

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
      const b = typeof v === "string" ? parseIfid(v.trim()) : undefined;
      if (b === undefined) fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not an interface id like "0011:2233:4455:6677"`);
      return b as Buffer;
    }
    case "ether": {
      const f = fixed(def, v, 6);
      if (f) return f;
      const b = typeof v === "string" ? parseEther(v.trim()) : undefined;
      if (b === undefined) fail("RADIUS_ERR_BAD_VALUE", def.name, `${showValue(def, v)} is not a MAC address like "00:11:22:33:44:55"`);
      return b as Buffer;
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

