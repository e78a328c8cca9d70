/** The shapes a parsed dictionary is made of: attribute and vendor definitions, parse options. */

export type AttributeType =
  | "string"
  | "octets"
  | "integer"
  | "byte"
  | "short"
  | "signed"
  | "integer64"
  | "ipaddr"
  | "ipv6addr"
  | "ipv6prefix"
  | "ipv4prefix"
  | "date"
  | "ifid"
  | "ether"
  | "abinary"
  | "tlv"
  | "struct"
  | "vsa"
  | "extended"
  | "long-extended"
  | "evs"
  | "combo-ip"
  | "combo-prefix";

/** Types whose values are enumerable with VALUE lines. */
export const INTEGER_TYPES: ReadonlySet<AttributeType> = new Set<AttributeType>(["integer", "byte", "short", "signed", "integer64"]);

export interface VendorDef {
  name: string;
  id: number;
  /** Octets of the vendor type field (format=t,l). 1 is the RFC 2865 §5.26 layout. */
  typeSize: 1 | 2 | 4;
  /** Octets of the vendor length field. */
  lengthSize: 0 | 1 | 2;
  /** WiMAX-style continuation octet (format=1,1,c). */
  continuation: boolean;
}

export interface AttributeDef {
  name: string;
  /** Attribute number; for a VSA, the vendor type. */
  code: number;
  /** 0 = standard attribute. */
  vendorId: number;
  type: AttributeType;
  /** Fixed size from `octets[16]`-style types. */
  size?: number;
  /** 1 = User-Password (RFC 2865 §5.2), 2 = Tunnel-Password (RFC 2868 §3.5), 3 = Ascend secret. */
  encrypt?: 1 | 2 | 3;
  /** RFC 2868 tag octet. */
  hasTag: boolean;
  /** Long values are split over consecutive attributes (EAP-Message, RFC 3579 §3.1). */
  concat: boolean;
  /** Why the codec cannot encode/decode this attribute, when it cannot. */
  unsupported?: string;
  /** VALUE names -> numbers (names as written; look up with Dictionary.valueOf for case-insensitivity). */
  values: Map<string, number>;
  /** numbers -> first VALUE name defined for them. */
  valueNames: Map<number, string>;
}

export interface UnresolvedValue {
  attribute: string;
  name: string;
  value: number;
  file: string;
  line: number;
}

export interface ParseOptions {
  /** Name used in error messages and as the base for relative $INCLUDEs. */
  fileName?: string;
  /**
   * Returns the text of an $INCLUDEd file. `name` is as written in the directive; `fromFile` is
   * the file containing it. Throw if it does not exist.
   */
  readInclude?: (name: string, fromFile: string) => string;
}
