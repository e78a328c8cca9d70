// Structural decoder: every malformed shape maps to its RadiusError code; limits; views.
import { describe, it, expect } from "@jest/globals";
import { decodePacket, findAttribute, findAttributes, findVendorAttributes } from "../../src/radius/packet.js";
import { RADIUS_ERROR_CODES, RadiusError, type RadiusErrorCode } from "../../src/radius/errors.js";
import { Code, codeName, Attr, isResponseCode, hasComputedRequestAuthenticator } from "../../src/radius/codes.js";
import { expectRadiusError, hex } from "./helpers.js";

/** Header with the given Length, followed by `body`. */
function pkt(length: number, body: Buffer | number[] = []): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const h = Buffer.alloc(20);
  h[0] = Code.AccessRequest;
  h[1] = 7;
  h.writeUInt16BE(length & 0xffff, 2);
  for (let i = 4; i < 20; i++) h[i] = i;
  return Buffer.concat([h, b]);
}

describe("decodePacket: malformed input table", () => {
  const cases: Array<[string, Buffer, RadiusErrorCode]> = [
    ["empty datagram", Buffer.alloc(0), "RADIUS_ERR_TOO_SHORT"],
    ["19 octets", Buffer.alloc(19), "RADIUS_ERR_TOO_SHORT"],
    ["Length 0", pkt(0), "RADIUS_ERR_BAD_LENGTH"],
    ["Length 19", pkt(19), "RADIUS_ERR_BAD_LENGTH"],
    ["Length 4097 (datagram long enough)", pkt(4097, Buffer.alloc(4077, 0)), "RADIUS_ERR_BAD_LENGTH"],
    ["Length 65535", pkt(65535, Buffer.alloc(100)), "RADIUS_ERR_BAD_LENGTH"],
    ["Length 30, 25 octets received", pkt(30, [1, 3, 0x61, 1, 2]), "RADIUS_ERR_TRUNCATED"],
    ["Length 21, 20 octets received", pkt(21), "RADIUS_ERR_TRUNCATED"],
    ["attribute Length 0", pkt(24, [1, 0, 0x61, 0x62]), "RADIUS_ERR_ATTR_LENGTH"],
    ["attribute Length 1", pkt(24, [1, 1, 0x61, 0x62]), "RADIUS_ERR_ATTR_LENGTH"],
    ["second attribute Length 1", pkt(26, [1, 3, 0x61, 5, 1, 0]), "RADIUS_ERR_ATTR_LENGTH"],
    ["attribute runs past Length", pkt(24, [1, 5, 0x61, 0x62]), "RADIUS_ERR_ATTR_OVERRUN"],
    ["lone octet after the last attribute", pkt(21, [1]), "RADIUS_ERR_ATTR_OVERRUN"],
    ["attribute ends in padding past Length", pkt(23, [1, 5, 0x61, 0x62, 0x63]), "RADIUS_ERR_ATTR_OVERRUN"],
    ["attribute Length 255 near the end", pkt(30, [1, 3, 0x61, 2, 255, 0, 0, 0, 0, 0]), "RADIUS_ERR_ATTR_OVERRUN"],
  ];
  it.each(cases)("%s", (_name, buf, code) => {
    const e = expectRadiusError(() => decodePacket(buf), code);
    expect(e.message.length).toBeGreaterThan(10);
  });

  it("refuses non-Buffer input with RADIUS_ERR_BAD_ARGUMENT, never a TypeError", () => {
    for (const x of [undefined, null, 42, "01000014", {}, [1, 0, 0, 20], new ArrayBuffer(20)]) {
      expectRadiusError(() => decodePacket(x as unknown as Buffer), "RADIUS_ERR_BAD_ARGUMENT");
    }
  });

  it("accepts a plain Uint8Array and returns Buffer views", () => {
    const u8 = new Uint8Array(pkt(23, [1, 3, 0x61]));
    const p = decodePacket(u8 as unknown as Buffer);
    expect(Buffer.isBuffer(p.raw)).toBe(true);
    expect(Buffer.isBuffer(p.attributes[0]?.value)).toBe(true);
    expect(p.attributes[0]?.value.toString()).toBe("a");
  });
});

describe("decodePacket: limits and shapes", () => {
  it("accepts the minimum packet (Length 20, no attributes)", () => {
    const p = decodePacket(pkt(20));
    expect(p.attributes).toEqual([]);
    expect(p.code).toBe(Code.AccessRequest);
    expect(p.identifier).toBe(7);
    expect(p.authenticator.length).toBe(16);
    expect(p.authenticator[0]).toBe(4);
  });

  function maxPacket(length: number): Buffer {
    // Fill with 255-octet attributes, then one attribute for the remainder.
    const parts: number[] = [];
    let left = length - 20;
    while (left > 0) {
      let n = Math.min(255, left);
      if (left - n === 1) n -= 1; // never leave a lone octet
      parts.push(Attr.Class, n, ...new Array<number>(n - 2).fill(0x41));
      left -= n;
    }
    return pkt(length, parts);
  }

  it("accepts Length exactly 4096", () => {
    const buf = maxPacket(4096);
    expect(buf.length).toBe(4096);
    const p = decodePacket(buf);
    expect(p.raw.length).toBe(4096);
    expect(p.attributes.reduce((n, a) => n + 2 + a.value.length, 20)).toBe(4096);
  });

  it("rejects Length 4097 even when 4097 octets arrived", () => {
    const buf = Buffer.concat([maxPacket(4096), Buffer.from([0])]);
    buf.writeUInt16BE(4097, 2);
    expectRadiusError(() => decodePacket(buf), "RADIUS_ERR_BAD_LENGTH");
  });

  it("ignores padding past Length, even in a datagram longer than 4096 octets (RFC 2865 §3)", () => {
    const buf = Buffer.concat([pkt(23, [1, 3, 0x61]), Buffer.alloc(5000, 0xff)]);
    const p = decodePacket(buf);
    expect(p.raw.length).toBe(23);
    expect(p.attributes).toHaveLength(1);
  });

  it("accepts an empty-valued attribute (Length 2) structurally", () => {
    const p = decodePacket(pkt(22, [Attr.State, 2]));
    expect(p.attributes[0]?.value.length).toBe(0);
  });

  it("does not restrict the packet code (policy belongs to the caller)", () => {
    const buf = pkt(20);
    buf[0] = 0;
    expect(decodePacket(buf).code).toBe(0);
    buf[0] = 255;
    expect(decodePacket(buf).code).toBe(255);
  });

  it("returns views of the datagram, not copies", () => {
    const buf = Buffer.concat([pkt(26, [1, 6, 0x6e, 0x65, 0x6d, 0x6f]), Buffer.from("pad")]);
    const p = decodePacket(buf);
    expect(p.raw.buffer).toBe(buf.buffer);
    expect(p.raw.byteOffset).toBe(buf.byteOffset);
    buf[22] = 0x4e;
    expect(p.attributes[0]?.value.toString()).toBe("Nemo");
    expect(p.attributes[0]?.offset).toBe(20);
  });
});

describe("attribute lookup", () => {
  const buf = pkt(20 + 3 + 4 + 3 + 6, [1, 3, 0x61, 18, 4, 0x68, 0x69, 1, 3, 0x62, 5, 6, 0, 0, 0, 9]);
  const p = decodePacket(buf);
  it("findAttribute returns the first in wire order, findAttributes all", () => {
    expect(findAttribute(p, 1)?.value.toString()).toBe("a");
    expect(findAttribute(p, 1)?.offset).toBe(20);
    expect(findAttributes(p, 1).map((a) => a.value.toString())).toEqual(["a", "b"]);
    expect(findAttribute(p, 99)).toBeUndefined();
    expect(findAttributes(p, 99)).toEqual([]);
  });

  it("findVendorAttributes reads standard-format VSAs and skips malformed ones", () => {
    const vsa = (vendor: number, body: number[]): number[] => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(vendor);
      return [26, 6 + body.length, ...b, ...body];
    };
    const attrs = [
      ...vsa(9, [1, 5, 0x61, 0x3d, 0x62]), // Cisco-AVPair "a=b"
      ...vsa(9, [2, 3, 0x78, 250, 4, 0x79, 0x7a]), // two sub-attributes in one VSA
      ...vsa(311, [11, 4, 1, 2]), // other vendor
      ...vsa(9, [1, 1, 0x61]), // sub-length < 2: skipped whole
      ...vsa(9, [1, 9, 0x61]), // sub-attribute overruns: skipped whole
      ...vsa(9, [1, 3, 0x61, 7]), // trailing lone octet: skipped whole
      26, 6, 0, 0, 0, 9, // Vendor-Id only: skipped
      26, 4, 0, 0, // shorter than a Vendor-Id: skipped
    ];
    const q = decodePacket(pkt(20 + attrs.length, attrs));
    expect(findVendorAttributes(q, 9).map((a) => [a.vendorType, a.value.toString()])).toEqual([
      [1, "a=b"],
      [2, "x"],
      [250, "yz"],
    ]);
    expect(findVendorAttributes(q, 311).map((a) => a.vendorType)).toEqual([11]);
    expect(findVendorAttributes(q, 14988)).toEqual([]);
  });
});

describe("codes and errors", () => {
  it("Code values are the IANA ones", () => {
    expect(Code).toEqual({
      AccessRequest: 1, AccessAccept: 2, AccessReject: 3, AccountingRequest: 4, AccountingResponse: 5,
      AccessChallenge: 11, StatusServer: 12, StatusClient: 13, DisconnectRequest: 40, DisconnectACK: 41,
      DisconnectNAK: 42, CoARequest: 43, CoAACK: 44, CoANAK: 45,
    });
  });
  it("codeName names known codes and marks unknown ones", () => {
    expect(codeName(1)).toBe("Access-Request");
    expect(codeName(44)).toBe("CoA-ACK");
    expect(codeName(99)).toBe("Code-99");
  });
  it("classifies replies and computed-authenticator requests", () => {
    expect([2, 3, 5, 11, 41, 42, 44, 45].every(isResponseCode)).toBe(true);
    expect([1, 4, 12, 13, 40, 43].some(isResponseCode)).toBe(false);
    expect([4, 40, 43].every(hasComputedRequestAuthenticator)).toBe(true);
    expect([1, 12, 2].some(hasComputedRequestAuthenticator)).toBe(false);
  });
  it("RADIUS_ERROR_CODES are unique and include the documented ones", () => {
    expect(new Set(RADIUS_ERROR_CODES).size).toBe(RADIUS_ERROR_CODES.length);
    for (const c of ["RADIUS_ERR_TOO_SHORT", "RADIUS_ERR_BAD_LENGTH", "RADIUS_ERR_TRUNCATED", "RADIUS_ERR_ATTR_LENGTH",
      "RADIUS_ERR_ATTR_OVERRUN", "RADIUS_ERR_BAD_VALUE", "RADIUS_ERR_PASSWORD_LENGTH", "RADIUS_ERR_UNKNOWN_ATTRIBUTE",
      "RADIUS_ERR_TOO_BIG", "RADIUS_ERR_DICTIONARY"]) {
      expect(RADIUS_ERROR_CODES).toContain(c);
    }
  });
  it("RadiusError is an Error with a stable code", () => {
    const e = new RadiusError("RADIUS_ERR_TOO_BIG", "x");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("RadiusError");
    expect(e.code).toBe("RADIUS_ERR_TOO_BIG");
  });
  it("hex helper sanity", () => {
    expect(hex("01 02\n03")).toEqual(Buffer.from([1, 2, 3]));
  });
});
