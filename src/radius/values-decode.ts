/**
 * Decoding attribute values under a Dictionary into named, typed values (debugging, tests);
 * the value forms are described in values.ts.
 */
import { Attr } from "./codes.js";
import { RadiusError } from "./errors.js";
import type { Dictionary, AttributeDef } from "./dictionary.js";
import { unhidePassword, unhideTunnelPassword } from "./authenticator.js";
import type { RadiusPacket } from "./packet.js";
import { formatEther, formatIfid, formatIPv4, formatIPv6, prefixHostBitsClear } from "./address.js";
import { fail, MAX_TAG, rethrowNamed, type AttrValue, type CryptoContext, type DecodedAttribute } from "./values-common.js";

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
    case "ifid":
      size(8);
      return formatIfid(b);
    case "ether":
      size(6);
      return formatEther(b);
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
