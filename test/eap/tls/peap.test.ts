// PEAPv0 phase 2 (MS-PEAP §3.1.5.6, §2.2.8.1.2): header compression both ways, the identity
// round in both forms, the Result TLV bytes, and fuzz: garbage only throws EapTlsError.
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { EapTlsError } from "../../../src/eap/tls/errors.js";
import {
  EapCode, EapType, TlvResult, carriesFullHeader, decodeInner, decodeTlvs, encodeInner, encodeTlv, resultOf, resultTlvPacket,
  unsupportedMandatoryTlvs,
} from "../../../src/eap/tls/peap.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("header compression", () => {
  it("only EAP-TLV keeps its header", () => {
    expect(carriesFullHeader(EapType.Tlv)).toBe(true);
    expect(carriesFullHeader(EapType.MsChapV2)).toBe(false);
    expect(carriesFullHeader(EapType.Identity)).toBe(false);
  });

  it("Identity Request: full header by default (01 id 00 05 01), one octet when compressed", () => {
    const req = { code: EapCode.Request, identifier: 7, type: EapType.Identity, typeData: Buffer.alloc(0) };
    expect(encodeInner(req).toString("hex")).toBe("0107000501");
    expect(encodeInner(req, { identityForm: "compressed" }).toString("hex")).toBe("01");
  });

  it("MS-CHAPv2 Challenge goes as Type + Type-Data", () => {
    const typeData = hex("01 05 0020 10") ;
    const out = encodeInner({ code: EapCode.Request, identifier: 9, type: EapType.MsChapV2, typeData });
    expect(out.toString("hex")).toBe("1a" + typeData.toString("hex"));
  });

  it("the peer's compressed responses take Code and Identifier from the outer packet, Length = n + 4", () => {
    const identity = decodeInner(Buffer.concat([Buffer.of(1), Buffer.from("alice")]), { code: EapCode.Response, identifier: 8 });
    expect(identity).toEqual({ code: 2, identifier: 8, type: 1, typeData: Buffer.from("alice") });
    const ms = decodeInner(hex("1a 02 05 0045 31"), { code: EapCode.Response, identifier: 10 });
    expect(ms).toMatchObject({ code: 2, identifier: 10, type: 26 });
    expect(ms.typeData.toString("hex")).toBe("0205004531");
  });

  it("a full-header Identity Response and the peer's full TLV are read as they are", () => {
    const full = decodeInner(hex("02 08 000a 01 616c696365"), { code: EapCode.Response, identifier: 99 });
    expect(full).toEqual({ code: 2, identifier: 8, type: 1, typeData: Buffer.from("alice") });
    const tlv = decodeInner(hex("02 0c 000b 21 8003 0002 0001"), { code: EapCode.Response, identifier: 12 });
    expect(tlv.type).toBe(33);
    expect(resultOf(tlv)).toBe(TlvResult.Success);
  });

  it("a compressed TLV is tolerated (type 33 without header)", () => {
    const p = decodeInner(hex("21 8003 0002 0002"), { code: EapCode.Response, identifier: 3 });
    expect(resultOf(p)).toBe(TlvResult.Failure);
  });

  it("EAP-Success/Failure never go inside the tunnel; empty data or type 0 is refused", () => {
    expect(() => encodeInner({ code: EapCode.Success, identifier: 1, type: 1, typeData: Buffer.alloc(0) })).toThrow(expect.objectContaining({ code: "EAPTLS_ERR_BAD_ARGUMENT" }));
    expect(() => decodeInner(Buffer.alloc(0), { code: 2, identifier: 1 })).toThrow(expect.objectContaining({ code: "PEAP_ERR_INNER" }));
    expect(() => decodeInner(Buffer.of(0, 1), { code: 2, identifier: 1 })).toThrow(expect.objectContaining({ code: "PEAP_ERR_INNER" }));
  });
});

describe("Result TLV (MS-PEAP §2.2.8.1.2)", () => {
  it("server Success and Failure packets, byte for byte", () => {
    expect(resultTlvPacket(EapCode.Request, 0x0c, TlvResult.Success).toString("hex")).toBe("010c000b21800300020001");
    expect(resultTlvPacket(EapCode.Request, 0x0c, TlvResult.Failure).toString("hex")).toBe("010c000b21800300020002");
  });

  it("round trip through decodeInner", () => {
    const p = decodeInner(resultTlvPacket(EapCode.Response, 5, TlvResult.Failure), { code: 2, identifier: 0 });
    expect(p.identifier).toBe(5);
    expect(resultOf(p)).toBe(TlvResult.Failure);
  });

  it("no Result TLV gives undefined; a non-TLV packet too", () => {
    expect(resultOf({ code: 2, identifier: 1, type: 33, typeData: Buffer.alloc(0) })).toBeUndefined();
    expect(resultOf({ code: 2, identifier: 1, type: 26, typeData: hex("8003 0002 0001") })).toBeUndefined();
  });

  it.each([
    ["wrong length", "8003 0003 000100"],
    ["value 0", "8003 0002 0000"],
    ["value 3", "8003 0002 0003"],
    ["two results", "8003 0002 0001 8003 0002 0001"],
    ["truncated TLV header", "8003 00"],
    ["TLV runs past the end", "8003 0009 0001"],
  ])("%s -> PEAP_ERR_TLV", (_n, h) => {
    expect(() => resultOf({ code: 2, identifier: 1, type: 33, typeData: hex(h) })).toThrow(expect.objectContaining({ code: "PEAP_ERR_TLV" }));
  });

  it("reports mandatory TLVs it does not do (crypto-binding)", () => {
    const typeData = Buffer.concat([encodeTlv({ mandatory: true, type: 3, value: hex("0001") }), encodeTlv({ mandatory: true, type: 12, value: Buffer.alloc(56) }), encodeTlv({ mandatory: false, type: 7, value: Buffer.alloc(1) })]);
    expect(unsupportedMandatoryTlvs({ code: 2, identifier: 1, type: 33, typeData })).toEqual([12]);
    expect(decodeTlvs(typeData).map((t) => t.type)).toEqual([3, 12, 7]);
  });
});

describe("properties (fast-check)", () => {
  it("compressed encode/decode round trip for every non-TLV type", () => {
    fc.assert(fc.property(fc.integer({ min: 3, max: 254 }).filter((t) => t !== 33), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 255 }), (type, data, id) => {
      const p = { code: EapCode.Response, identifier: id, type, typeData: Buffer.from(data) };
      expect(decodeInner(encodeInner(p), { code: EapCode.Response, identifier: id })).toEqual(p);
    }), { numRuns: 500, interruptAfterTimeLimit: 10_000 });
  });

  it("garbage inner data only ever throws EapTlsError", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (u) => {
      try {
        const p = decodeInner(Buffer.from(u), { code: 2, identifier: 1 });
        resultOf(p);
        unsupportedMandatoryTlvs(p);
      } catch (e) {
        expect(e).toBeInstanceOf(EapTlsError);
      }
    }), { numRuns: 3000, interruptAfterTimeLimit: 10_000 });
  });
});
