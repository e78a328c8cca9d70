// EAP-TTLS AVPs (RFC 5281 §10): wire vectors, the inner PAP / MS-CHAP-V2 fields, MS-CHAP2-Success,
// the implicit-challenge check, and fast-check: round trip, and garbage only throws EapTlsError.
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { EapTlsError } from "../../../src/eap/tls/errors.js";
import type { KeyExporter } from "../../../src/eap/tls/session.js";
import {
  AvpCode, MsAvp, VENDOR_MICROSOFT, checkMsChapV2Challenge, decodeAvps, encodeAvp, encodeAvps, msChap2SuccessAvp, msChapErrorAvp,
  parseTtlsInner, ttlsImplicitChallenge, type Avp,
} from "../../../src/eap/tls/ttls-avp.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

// Inner PAP as a supplicant sends it: User-Name "alice", User-Password "alice-pw" NUL-padded to
// 16 octets, both with M set, each AVP padded to 4 octets.
const papVector = hex(`
  00000001 40 00000d 616c696365 000000
  00000002 40 000018 616c6963652d7077 0000000000000000`);

describe("decodeAvps / encodeAvp", () => {
  it("decodes the inner PAP vector", () => {
    const avps = decodeAvps(papVector);
    expect(avps).toHaveLength(2);
    expect(avps[0]).toMatchObject({ code: 1, mandatory: true });
    expect(avps[0]?.vendorId).toBeUndefined();
    expect(avps[0]?.data.toString()).toBe("alice");
    expect(avps[1]?.data.length).toBe(16);
    const inner = parseTtlsInner(avps);
    expect(inner.userName).toBe("alice");
    expect(inner.userPassword?.toString()).toBe("alice-pw");
    expect(inner.unsupportedMandatory).toEqual([]);
  });

  it("encodes it back byte for byte", () => {
    const out = encodeAvps([
      { code: AvpCode.UserName, mandatory: true, data: Buffer.from("alice") },
      { code: AvpCode.UserPassword, mandatory: true, data: Buffer.concat([Buffer.from("alice-pw"), Buffer.alloc(8)]) },
    ]);
    expect(out.equals(papVector)).toBe(true);
  });

  it("vendor AVPs carry V and the Vendor-ID, counted in AVP Length", () => {
    const b = encodeAvp({ code: MsAvp.ChapChallenge, vendorId: VENDOR_MICROSOFT, mandatory: true, data: Buffer.alloc(16, 0xab) });
    expect(b.subarray(0, 12).toString("hex")).toBe("0000000b" + "c0" + "00001c" + "00000137");
    expect(b.length).toBe(28);
    expect(decodeAvps(b)[0]).toMatchObject({ code: 11, vendorId: 311, mandatory: true });
  });

  it("accepts a last AVP without its padding", () => {
    const avps = decodeAvps(hex("00000001 00 00000b 616263"));
    expect(avps[0]?.data.toString()).toBe("abc");
    expect(avps[0]?.mandatory).toBe(false);
  });

  it.each([
    ["header truncated", "00000001 40 0000", "TTLS_ERR_AVP_LENGTH"],
    ["AVP Length 7", "00000001 40 000007 00", "TTLS_ERR_AVP_LENGTH"],
    ["vendor AVP Length 11", "00000001 c0 00000b 00000137", "TTLS_ERR_AVP_LENGTH"],
    ["runs past the end", "00000001 40 000010 6162", "TTLS_ERR_AVP_LENGTH"],
  ] as const)("%s -> %s", (_n, h, code) => {
    expect(() => decodeAvps(hex(h))).toThrow(expect.objectContaining({ code }));
  });

  it("caps the number of AVPs", () => {
    const many = Buffer.concat(Array.from({ length: 5 }, () => encodeAvp({ code: 18, mandatory: false, data: Buffer.alloc(0) })));
    expect(decodeAvps(many, 5)).toHaveLength(5);
    expect(() => decodeAvps(many, 4)).toThrow(expect.objectContaining({ code: "TTLS_ERR_AVP_COUNT" }));
  });
});

describe("parseTtlsInner", () => {
  const chal = Buffer.alloc(16, 0x11);
  const resp = Buffer.concat([Buffer.of(0x42, 0), Buffer.alloc(16, 0x22), Buffer.alloc(8), Buffer.alloc(24, 0x33)]);
  const ms = (code: number, data: Buffer): Avp => ({ code, vendorId: VENDOR_MICROSOFT, mandatory: true, data });

  it("reads MS-CHAP-Challenge and MS-CHAP2-Response (RFC 2548 §2.3.2 layout)", () => {
    const inner = parseTtlsInner(decodeAvps(encodeAvps([
      { code: 1, mandatory: true, data: Buffer.from("alice") }, ms(MsAvp.ChapChallenge, chal), ms(MsAvp.Chap2Response, resp),
    ])));
    expect(inner.msChapChallenge?.equals(chal)).toBe(true);
    expect(inner.msChap2Response?.ident).toBe(0x42);
    expect(inner.msChap2Response?.peerChallenge.equals(Buffer.alloc(16, 0x22))).toBe(true);
    expect(inner.msChap2Response?.ntResponse.equals(Buffer.alloc(24, 0x33))).toBe(true);
  });

  it("lists unknown mandatory AVPs and ignores unknown optional ones", () => {
    const inner = parseTtlsInner([
      { code: 18, mandatory: false, data: Buffer.from("x") },
      { code: 3, mandatory: true, data: Buffer.alloc(17) },
      { code: 99, vendorId: 9, mandatory: true, data: Buffer.alloc(1) },
    ]);
    expect(inner.unsupportedMandatory).toEqual([{ code: 3 }, { code: 99, vendorId: 9 }]);
  });

  it.each([
    ["empty User-Name", [{ code: 1, mandatory: true, data: Buffer.alloc(0) }]],
    ["two User-Names", [{ code: 1, mandatory: true, data: Buffer.from("a") }, { code: 1, mandatory: true, data: Buffer.from("b") }]],
    ["User-Password over 256 octets", [{ code: 2, mandatory: true, data: Buffer.alloc(257, 0x61) }]],
    ["MS-CHAP-Challenge of 15 octets", [ms(MsAvp.ChapChallenge, Buffer.alloc(15))]],
    ["MS-CHAP2-Response of 49 octets", [ms(MsAvp.Chap2Response, Buffer.alloc(49))]],
  ] as Array<[string, Avp[]]>)("%s -> TTLS_ERR_AVP_VALUE, naming no secret", (_n, avps) => {
    try {
      parseTtlsInner(avps);
      throw new Error("expected a failure");
    } catch (e) {
      expect(e).toBeInstanceOf(EapTlsError);
      expect((e as EapTlsError).code).toBe("TTLS_ERR_AVP_VALUE");
      expect((e as EapTlsError).message).not.toMatch(/aaaa/);
    }
  });

  it("an all-NUL password is the empty password", () => {
    expect(parseTtlsInner([{ code: 2, mandatory: true, data: Buffer.alloc(16) }]).userPassword?.length).toBe(0);
  });
});

describe("MS-CHAP2-Success and MS-CHAP-Error", () => {
  it("MS-CHAP2-Success: vendor 311, type 26, Ident then S=<40 hex>", () => {
    const s = "S=" + "0123456789ABCDEF0123456789ABCDEF01234567";
    const b = msChap2SuccessAvp(7, s);
    const [avp] = decodeAvps(b);
    expect(avp).toMatchObject({ code: 26, vendorId: 311, mandatory: true });
    expect(avp?.data[0]).toBe(7);
    expect(avp?.data.subarray(1).toString()).toBe(s);
    expect(b.readUIntBE(5, 3)).toBe(12 + 43);
    expect(b.length).toBe(56);
    expect(() => msChap2SuccessAvp(7, "S=short")).toThrow(expect.objectContaining({ code: "EAPTLS_ERR_BAD_ARGUMENT" }));
  });

  it("MS-CHAP-Error: vendor 311, type 2", () => {
    const [avp] = decodeAvps(msChapErrorAvp(9, "E=691 R=0 V=3"));
    expect(avp).toMatchObject({ code: 2, vendorId: 311 });
    expect(avp?.data.toString("latin1")).toBe("\u0009E=691 R=0 V=3");
  });
});

describe("implicit challenge (RFC 5281 §11.1, §11.2.4)", () => {
  const material = Buffer.from(Array.from({ length: 17 }, (_, i) => 0xa0 + i));
  const calls: Array<[string, number, Buffer | undefined]> = [];
  const exporter: KeyExporter = {
    exportKeyingMaterial(label, length, context) {
      calls.push([label, length, context]);
      return material.subarray(0, length);
    },
  };

  it("17 octets with label \"ttls challenge\" and no context: 16 of challenge, then the Ident", () => {
    const c = ttlsImplicitChallenge(exporter);
    expect(calls.at(-1)).toEqual(["ttls challenge", 17, undefined]);
    expect(c.challenge.equals(material.subarray(0, 16))).toBe(true);
    expect(c.ident).toBe(0xb0);
  });

  const response = (ident: number) => ({ ident, flags: 0, peerChallenge: Buffer.alloc(16), ntResponse: Buffer.alloc(24) });
  it("accepts the peer's challenge and Ident when they match", () => {
    const r = checkMsChapV2Challenge(exporter, { msChapChallenge: material.subarray(0, 16), msChap2Response: response(0xb0), unsupportedMandatory: [] });
    expect(r.response.ident).toBe(0xb0);
  });
  it.each([
    ["another challenge", Buffer.alloc(16, 1), 0xb0],
    ["another Ident", material.subarray(0, 16), 0xb1],
  ] as const)("refuses %s", (_n, challenge, ident) => {
    expect(() => checkMsChapV2Challenge(exporter, { msChapChallenge: challenge, msChap2Response: response(ident), unsupportedMandatory: [] }))
      .toThrow(expect.objectContaining({ code: "TTLS_ERR_CHALLENGE_MISMATCH" }));
  });
  it("refuses a message without the MS-CHAP AVPs", () => {
    expect(() => checkMsChapV2Challenge(exporter, { userName: "alice", unsupportedMandatory: [] })).toThrow(expect.objectContaining({ code: "TTLS_ERR_AVP_VALUE" }));
  });
});

describe("properties (fast-check)", () => {
  const avpArb = fc.record({
    code: fc.integer({ min: 0, max: 0xffffffff }),
    vendorId: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
    mandatory: fc.boolean(),
    data: fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
  });

  it("encode then decode gives the AVPs back", () => {
    fc.assert(fc.property(fc.array(avpArb, { maxLength: 10 }), (avps) => {
      const back = decodeAvps(encodeAvps(avps.map((a) => (a.vendorId === undefined ? { code: a.code, mandatory: a.mandatory, data: a.data } : a))));
      expect(back).toHaveLength(avps.length);
      back.forEach((b, i) => {
        const a = avps[i];
        expect(b.code).toBe(a?.code);
        expect(b.vendorId).toBe(a?.vendorId);
        expect(b.mandatory).toBe(a?.mandatory);
        expect(b.data.equals(a?.data ?? Buffer.alloc(0))).toBe(true);
      });
    }), { numRuns: 300, interruptAfterTimeLimit: 10_000 });
  });

  it("mutated valid messages only ever throw EapTlsError", () => {
    const seed = Buffer.concat([papVector, msChap2SuccessAvp(1, "S=" + "A".repeat(40)), msChapErrorAvp(2, "E=691")]);
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(seed.length), (flips, cut) => {
      const m = Buffer.from(seed.subarray(0, Math.max(1, cut)));
      for (const [i, v] of flips) if (i < m.length) m[i] = v;
      try {
        parseTtlsInner(decodeAvps(m));
      } catch (e) {
        expect(e).toBeInstanceOf(EapTlsError);
      }
    }), { numRuns: 3000, interruptAfterTimeLimit: 10_000 });
  });

  it("garbage only ever throws EapTlsError", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (u) => {
      try {
        parseTtlsInner(decodeAvps(Buffer.from(u)));
      } catch (e) {
        expect(e).toBeInstanceOf(EapTlsError);
      }
    }), { numRuns: 3000, interruptAfterTimeLimit: 10_000 });
  });
});
