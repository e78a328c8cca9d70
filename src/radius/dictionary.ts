/**
 * A parsed RADIUS dictionary: lookups by attribute name and number, vendors, VALUE names.
 * The file format and its parser are in dictionary-parser.ts; the definitions' shapes in
 * dictionary-types.ts.
 *
 * A Dictionary is immutable once built; merge() returns a new one.
 */
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import path from "node:path";
import { RadiusError } from "./errors.js";
import { DEFAULT_DICTIONARY_TEXT } from "./dictionary-data.js";
import type { AttributeDef, ParseOptions, UnresolvedValue, VendorDef } from "./dictionary-types.js";
import { cloneDef, emptyState, Parser, putDef, putVendor, resolvePending, type State } from "./dictionary-parser.js";

// Callers import the definition types from here.
export { INTEGER_TYPES } from "./dictionary-types.js";
export type { AttributeDef, AttributeType, ParseOptions, UnresolvedValue, VendorDef } from "./dictionary-types.js";

export class Dictionary {
  readonly #s: State;

  private constructor(s: State) {
    this.#s = s;
  }

  /** Parse dictionary text. Throws RadiusError RADIUS_ERR_DICTIONARY with file:line. */
  static parse(text: string, opts: ParseOptions = {}): Dictionary {
    const p = new Parser(opts.readInclude);
    p.parseFile(text, opts.fileName ?? "<dictionary>");
    resolvePending(p.s);
    return new Dictionary(p.s);
  }

  /** Load a dictionary file; $INCLUDEs are resolved relative to the including file. */
  static async loadFile(file: string): Promise<Dictionary> {
    const abs = path.resolve(file);
    let text: string;
    try {
      text = await readFile(abs, "utf8");
    } catch (e) {
      throw new RadiusError("RADIUS_ERR_DICTIONARY", `${abs}: cannot read dictionary (${e instanceof Error ? e.message : String(e)})`, { file: abs });
    }
    // Includes are read synchronously: this runs once at start-up and keeps the parser simple.
    return Dictionary.parse(text, {
      fileName: abs,
      readInclude: (name, from) => readFileSync(path.isAbsolute(name) ? name : path.join(path.dirname(from), name), "utf8"),
    });
  }

  /** A new dictionary holding both; on conflicts `other` wins. Pending VALUEs are resolved across both. */
  merge(other: Dictionary): Dictionary {
    const s = emptyState();
    for (const src of [this.#s, other.#s]) {
      for (const v of src.vendorsByName.values()) putVendor(s, { ...v });
      for (const codes of src.byCode.values()) for (const d of codes.values()) putDef(s, cloneDef(d), true);
      // Aliases (a name whose code maps to another name) stay reachable by name only, so the
      // code keeps decoding to the same name as before the merge.
      for (const d of src.byName.values()) {
        const key = d.name.toLowerCase();
        if (src.byCode.get(d.vendorId)?.get(d.code) !== d) s.byName.set(key, cloneDef(d));
      }
      s.pending.push(...src.pending);
      s.unsupported.push(...src.unsupported);
    }
    resolvePending(s);
    return new Dictionary(s);
  }

  /** Case-insensitive lookup by attribute name. */
  byName(name: string): AttributeDef | undefined {
    return this.#s.byName.get(name.toLowerCase());
  }

  /** Lookup by number; vendorId 0 (default) is the standard space. */
  byCode(code: number, vendorId = 0): AttributeDef | undefined {
    return this.#s.byCode.get(vendorId)?.get(code);
  }

  /** Vendor id by (case-insensitive) name. */
  vendorId(name: string): number | undefined {
    return this.#s.vendorsByName.get(name.toLowerCase())?.id;
  }

  /** Vendor definition by id or (case-insensitive) name. */
  vendor(idOrName: number | string): VendorDef | undefined {
    return typeof idOrName === "number" ? this.#s.vendorsById.get(idOrName) : this.#s.vendorsByName.get(idOrName.toLowerCase());
  }

  /** Number for a VALUE name of `def`, matched case-insensitively. */
  static valueOf(def: AttributeDef, name: string): number | undefined {
    const exact = def.values.get(name);
    if (exact !== undefined) return exact;
    const lower = name.toLowerCase();
    for (const [n, v] of def.values) if (n.toLowerCase() === lower) return v;
    return undefined;
  }

  /** Every attribute definition (one per name). */
  attributes(): AttributeDef[] {
    return [...this.#s.byName.values()];
  }

  vendors(): VendorDef[] {
    return [...this.#s.vendorsByName.values()];
  }

  /** VALUE lines whose attribute is not (yet) defined; merge() may resolve them. */
  unresolvedValues(): readonly UnresolvedValue[] {
    return this.#s.pending;
  }

  /** Names of attributes that were skipped (TLV children, dotted OIDs). */
  skippedAttributes(): readonly string[] {
    return this.#s.unsupported;
  }
}

let builtin: Dictionary | undefined;

/**
 * The built-in dictionary (RFC 2865, 2866, 2867, 2868, 2869, 3162, 3576/5176, 4072, 4372, 4675,
 * 4679, 4818, 5580, 5607, 6911 and the Microsoft, Cisco, Juniper, Mikrotik, WISPr and
 * ADSL-Forum vendors), parsed once.
 */
export function defaultDictionary(): Dictionary {
  builtin ??= Dictionary.parse(DEFAULT_DICTIONARY_TEXT, { fileName: "<builtin>" });
  return builtin;
}
