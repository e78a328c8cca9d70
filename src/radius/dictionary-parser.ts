/**
 * FreeRADIUS-format dictionary parser (the format of FreeRADIUS 2.x/3.x `dictionary.*` files).
 *
 * Supported: ATTRIBUTE name code type [flags|vendor], VALUE attr name number,
 * VENDOR name id [format=t,l[,c]], BEGIN-VENDOR / END-VENDOR, $INCLUDE and $INCLUDE- (optional),
 * BEGIN-TLV / END-TLV (their contents are skipped), `#` comments.
 * Types the codec can encode and decode: string, octets, integer, byte, short, signed, integer64,
 * ipaddr, ipv6addr, ipv6prefix, ipv4prefix, date, ifid, ether, abinary (handled as octets).
 * tlv, struct, vsa, extended, long-extended, evs, combo-ip and combo-prefix are accepted and
 * marked `unsupported`, as are attributes with dotted OIDs and internal (> 255) codes.
 *
 * The parser fills a State (the tables a Dictionary wraps); the Dictionary class reuses the
 * table operations below when it merges two dictionaries.
 */
import path from "node:path";
import { RadiusError } from "./errors.js";
import { INTEGER_TYPES, type AttributeDef, type AttributeType, type ParseOptions, type UnresolvedValue, type VendorDef } from "./dictionary-types.js";

const CODEC_TYPES: ReadonlySet<string> = new Set([
  "string", "octets", "integer", "byte", "short", "signed", "integer64", "ipaddr", "ipv6addr",
  "ipv6prefix", "ipv4prefix", "date", "ifid", "ether", "abinary",
]);
const UNSUPPORTED_TYPES: ReadonlySet<string> = new Set([
  "tlv", "struct", "vsa", "extended", "long-extended", "evs", "combo-ip", "combo-prefix",
]);

/** The tables of one dictionary, keyed by lower-case name and by (vendor, code). */
export interface State {
  byName: Map<string, AttributeDef>;
  byCode: Map<number, Map<number, AttributeDef>>;
  vendorsByName: Map<string, VendorDef>;
  vendorsById: Map<number, VendorDef>;
  pending: UnresolvedValue[];
  unsupported: string[];
}

export function emptyState(): State {
  return { byName: new Map(), byCode: new Map(), vendorsByName: new Map(), vendorsById: new Map(), pending: [], unsupported: [] };
}

export function cloneDef(d: AttributeDef): AttributeDef {
  return { ...d, values: new Map(d.values), valueNames: new Map(d.valueNames) };
}

function addValue(def: AttributeDef, name: string, value: number): void {
  def.values.set(name, value);
  // The first name given to a number is the one shown when decoding (later ones are aliases).
  if (!def.valueNames.has(value)) def.valueNames.set(value, name);
}

/** Insert or replace `def` by name and by (vendor, code). Returns false if the name is taken by another number. */
export function putDef(s: State, def: AttributeDef, replaceConflicting: boolean): boolean {
  const key = def.name.toLowerCase();
  const old = s.byName.get(key);
  if (old !== undefined) {
    if (old.vendorId !== def.vendorId || old.code !== def.code) {
      if (!replaceConflicting) return false;
      const codes = s.byCode.get(old.vendorId);
      if (codes?.get(old.code) === old) codes.delete(old.code);
    } else {
      // Same attribute defined again: keep the VALUEs already known for it.
      for (const [n, v] of old.values) if (!def.values.has(n)) addValue(def, n, v);
    }
  }
  s.byName.set(key, def);
  let codes = s.byCode.get(def.vendorId);
  if (codes === undefined) {
    codes = new Map();
    s.byCode.set(def.vendorId, codes);
  }
  codes.set(def.code, def);
  return true;
}

export function putVendor(s: State, v: VendorDef): void {
  const old = s.vendorsByName.get(v.name.toLowerCase());
  if (old !== undefined && s.vendorsById.get(old.id) === old) s.vendorsById.delete(old.id);
  s.vendorsByName.set(v.name.toLowerCase(), v);
  s.vendorsById.set(v.id, v);
}

/** Resolve pending VALUE lines whose attribute is now known; keep the rest. */
export function resolvePending(s: State): void {
  const still: UnresolvedValue[] = [];
  for (const p of s.pending) {
    const def = s.byName.get(p.attribute.toLowerCase());
    if (def === undefined) still.push(p);
    else addValue(def, p.name, p.value);
  }
  s.pending = still;
}

function parseNumber(tok: string): number {
  if (/^[0-9]+$/.test(tok)) return Number(tok);
  if (/^0x[0-9a-f]+$/i.test(tok)) return Number.parseInt(tok.slice(2), 16);
  return Number.NaN;
}

/** Reads dictionary text line by line into its State, following $INCLUDEs. */
export class Parser {
  readonly s: State = emptyState();
  readonly #readInclude: ParseOptions["readInclude"];
  readonly #includeStack: string[] = [];

  constructor(readInclude: ParseOptions["readInclude"]) {
    this.#readInclude = readInclude;
  }

  #fail(file: string, line: number, msg: string): never {
    throw new RadiusError("RADIUS_ERR_DICTIONARY", `${file}:${line}: ${msg}`, { file, line });
  }

  parseFile(text: string, file: string): void {
    this.#includeStack.push(file);
    const lines = text.split(/\r?\n/);
    let vendor: VendorDef | undefined;
    let vendorParentFormat: string | undefined;
    let tlvDepth = 0;
    for (let i = 0; i < lines.length; i++) {
      const lineNo = i + 1;
      let line = lines[i] as string;
      const hash = line.indexOf("#");
      if (hash >= 0) line = line.slice(0, hash);
      const trimmed = line.trim();
      if (trimmed === "") continue;
      const tok = trimmed.split(/\s+/);
      const kw = tok[0] as string;
      const fail = (msg: string): never => this.#fail(file, lineNo, msg);

      if (tlvDepth > 0) {
        // Children of a TLV are not supported: note their names and skip them.
        if (kw === "BEGIN-TLV") tlvDepth++;
        else if (kw === "END-TLV") tlvDepth--;
        else if (kw === "ATTRIBUTE" && tok[1] !== undefined) this.s.unsupported.push(tok[1]);
        continue;
      }

      switch (kw) {
        case "ATTRIBUTE": {
          if (tok.length < 4 || tok.length > 5) fail("ATTRIBUTE needs: name number type [flags]");
          const [, name, codeTok, typeTokRaw, extra] = tok as [string, string, string, string, string | undefined];
          let attrVendor = vendor;
          let flagsTok = extra;
          // Old style "ATTRIBUTE name code type VendorName".
          if (extra !== undefined && !extra.includes("=") && this.s.vendorsByName.has(extra.toLowerCase()) &&
              !/^(has_tag|concat|long|array|virtual|internal)(,|$)/.test(extra)) {
            attrVendor = this.s.vendorsByName.get(extra.toLowerCase());
            flagsTok = undefined;
          }
          const sizeMatch = /^([a-z0-9-]+)(?:\[(\d+)\])?$/i.exec(typeTokRaw);
          if (sizeMatch === null) fail(`bad type "${typeTokRaw}"`);
          const typeTok = (sizeMatch as RegExpExecArray)[1]!.toLowerCase();
          const sizeTok = (sizeMatch as RegExpExecArray)[2];
          if (!CODEC_TYPES.has(typeTok) && !UNSUPPORTED_TYPES.has(typeTok)) fail(`unknown type "${typeTokRaw}" for ${name}`);
          const type = typeTok as AttributeType;

          if (codeTok.includes(".")) {
            // Dotted OIDs (extended attributes, TLV children) are outside this codec.
            this.s.unsupported.push(name);
            break;
          }
          const code = parseNumber(codeTok);
          if (!Number.isSafeInteger(code)) fail(`bad attribute number "${codeTok}" for ${name}`);
          const vendorId = attrVendor?.id ?? 0;
          let unsupported: string | undefined;
          if (vendorId === 0) {
            if (code < 1) fail(`attribute number ${code} for ${name} must be >= 1`);
            if (code > 255) unsupported = "internal attribute (number > 255) never appears on the wire";
          } else {
            const max = 2 ** (8 * (attrVendor as VendorDef).typeSize) - 1;
            if (code > max) fail(`vendor attribute number ${code} for ${name} exceeds ${max}`);
          }
          if (UNSUPPORTED_TYPES.has(type)) unsupported = `type ${type} is not supported by this codec`;
          if (vendorParentFormat !== undefined) unsupported = `vendor space format=${vendorParentFormat} is not supported`;
          if (attrVendor !== undefined && (attrVendor.typeSize !== 1 || attrVendor.lengthSize !== 1 || attrVendor.continuation)) {
            unsupported ??= `vendor ${attrVendor.name} uses format=${attrVendor.typeSize},${attrVendor.lengthSize}${attrVendor.continuation ? ",c" : ""}; only 1,1 is encoded`;
          }

          const def: AttributeDef = {
            name, code, vendorId, type, hasTag: false, concat: false, values: new Map(), valueNames: new Map(),
          };
          if (sizeTok !== undefined) {
            if (type !== "octets" && type !== "string") fail(`a [size] is only allowed on octets/string (${name})`);
            def.size = Number(sizeTok);
          }
          if (unsupported !== undefined) def.unsupported = unsupported;
          if (flagsTok !== undefined) {
            for (const flag of flagsTok.split(",")) {
              if (flag === "has_tag") {
                if (type !== "string" && type !== "octets" && type !== "integer") fail(`has_tag is not allowed on type ${type} (${name})`);
                def.hasTag = true;
              } else if (/^encrypt=[0-9]+$/.test(flag)) {
                const n = Number(flag.slice(8));
                if (n === 0) continue;
                if (n !== 1 && n !== 2 && n !== 3) fail(`unknown ${flag} for ${name}`);
                if (type !== "string" && type !== "octets") fail(`${flag} is only allowed on string/octets (${name})`);
                def.encrypt = n as 1 | 2 | 3;
              } else if (flag === "concat") {
                if (type !== "octets") fail(`concat is only allowed on octets (${name})`);
                def.concat = true;
              } else if (flag === "long" || flag === "array" || flag === "virtual" || flag === "internal") {
                def.unsupported ??= `flag ${flag} is not supported by this codec`;
              } else if (flag !== "") {
                fail(`unknown flag "${flag}" for ${name}`);
              }
            }
          }
          if (!putDef(this.s, def, false)) {
            const old = this.s.byName.get(name.toLowerCase()) as AttributeDef;
            fail(`attribute ${name} is already defined with number ${old.vendorId === 0 ? old.code : `${old.vendorId}.${old.code}`}`);
          }
          break;
        }

        case "VALUE": {
          if (tok.length !== 4) fail("VALUE needs: attribute name number");
          const [, attribute, name, numTok] = tok as [string, string, string, string];
          const value = parseNumber(numTok);
          if (!Number.isSafeInteger(value)) fail(`bad number "${numTok}" for VALUE ${attribute} ${name}`);
          const def = this.s.byName.get(attribute.toLowerCase());
          if (def === undefined) {
            // FreeRADIUS allows VALUEs before (or in another file than) their ATTRIBUTE.
            this.s.pending.push({ attribute, name, value, file, line: lineNo });
          } else {
            if (!INTEGER_TYPES.has(def.type)) fail(`VALUE for ${attribute}, which is of type ${def.type}`);
            addValue(def, name, value);
          }
          break;
        }

        case "VENDOR": {
          if (tok.length < 3 || tok.length > 4) fail("VENDOR needs: name id [format=t,l]");
          const [, name, idTok, fmt] = tok as [string, string, string, string | undefined];
          const id = parseNumber(idTok);
          // RFC 2865 §5.26: the high-order octet of the Vendor-Id is 0.
          if (!Number.isSafeInteger(id) || id < 1 || id > 0xffffff) fail(`bad vendor id "${idTok}" for ${name}`);
          const v: VendorDef = { name, id, typeSize: 1, lengthSize: 1, continuation: false };
          if (fmt !== undefined) {
            const m = /^format=([124]),([012])(,c)?$/.exec(fmt);
            if (m === null) fail(`bad vendor format "${fmt}" for ${name}`);
            v.typeSize = Number((m as RegExpExecArray)[1]) as 1 | 2 | 4;
            v.lengthSize = Number((m as RegExpExecArray)[2]) as 0 | 1 | 2;
            v.continuation = (m as RegExpExecArray)[3] !== undefined;
          }
          putVendor(this.s, v);
          break;
        }

        case "BEGIN-VENDOR": {
          if (tok.length < 2 || tok.length > 3) fail("BEGIN-VENDOR needs: name [format=Parent]");
          if (vendor !== undefined) fail(`BEGIN-VENDOR ${tok[1]} inside BEGIN-VENDOR ${vendor.name}`);
          vendor = this.s.vendorsByName.get((tok[1] as string).toLowerCase());
          if (vendor === undefined) fail(`BEGIN-VENDOR of unknown vendor ${tok[1]}`);
          const fmt = tok[2];
          if (fmt !== undefined) {
            if (!fmt.startsWith("format=")) fail(`bad BEGIN-VENDOR option "${fmt}"`);
            vendorParentFormat = fmt.slice(7);
          }
          break;
        }

        case "END-VENDOR": {
          if (vendor === undefined) fail("END-VENDOR without BEGIN-VENDOR");
          if (tok[1] !== undefined && tok[1].toLowerCase() !== (vendor as VendorDef).name.toLowerCase()) {
            fail(`END-VENDOR ${tok[1]} does not match BEGIN-VENDOR ${(vendor as VendorDef).name}`);
          }
          vendor = undefined;
          vendorParentFormat = undefined;
          break;
        }

        case "BEGIN-TLV":
          tlvDepth = 1;
          if (tok[1] !== undefined) this.s.unsupported.push(tok[1]);
          break;

        case "END-TLV":
          fail("END-TLV without BEGIN-TLV");
          break;

        case "$INCLUDE":
        case "$INCLUDE-": {
          if (tok.length !== 2) fail(`${kw} needs exactly one file name`);
          const name = tok[1] as string;
          const optional = kw === "$INCLUDE-";
          const key = path.isAbsolute(name) ? path.normalize(name) : path.join(path.dirname(file), name);
          if (this.#includeStack.includes(key)) {
            fail(`$INCLUDE cycle: ${[...this.#includeStack, key].join(" -> ")}`);
          }
          if (this.#readInclude === undefined) {
            if (optional) break;
            fail(`$INCLUDE ${name}: no include reader was provided`);
          }
          let text: string;
          try {
            text = (this.#readInclude as NonNullable<ParseOptions["readInclude"]>)(name, file);
          } catch (e) {
            if (optional) break;
            fail(`$INCLUDE ${name}: cannot read it (${e instanceof Error ? e.message : String(e)})`);
          }
          this.parseFile(text!, key);
          break;
        }

        default:
          fail(`unknown keyword "${kw}"`);
      }
    }
    if (vendor !== undefined) this.#fail(file, lines.length, `BEGIN-VENDOR ${vendor.name} is never closed`);
    if (tlvDepth > 0) this.#fail(file, lines.length, "BEGIN-TLV is never closed");
    this.#includeStack.pop();
  }
}
