// encodeResponse / encodeRequest: layout, limits, argument checks, no input mutation.
import { describe, it, expect } from "@jest/globals";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket, findVendorAttributes } from "../../src/radius/packet.js";
import { encodeRequest, encodeResponse, MAX_ATTRIBUTE_VALUE, MAX_VSA_VALUE, type AttributeInput, type EncodeResponseOptions } from "../../src/radius/encode.js";
import { verifyMessageAuthenticator, verifyResponseAuthenticator } from "../../src/radius/authenticator.js";
import { expectRadiusError } from "./helpers.js";

const secret = Buffer.from("s3cret");
const reqAuth = Buffer.from("requestauthentic");

function resp(attributes: readonly AttributeInput[], messageAuthenticator = false): Buffer {
  return encodeResponse({ code: Code.AccessAccept, identifier: 1, requestAuthenticator: reqAuth, secret, attributes, messageAuthenticator });
}

describe("layout", () => {
  it("writes header, attributes and a standard-format VSA exactly", () => {
    const raw = resp([
      { type: Attr.ReplyMessage, value: Buffer.from("hi") },
      { vendorId: 14988, vendorType: 8, value: Buffer.from("10M/10M") },
    ]);
    expect(raw[0]).toBe(Code.AccessAccept);
    expect(raw[1]).toBe(1);
    expect(raw.readUInt16BE(2)).toBe(raw.length);
    expect(raw.subarray(20).toString("hex")).toBe(
      "120468" + "69" + "1a" + "0f" + "00003a8c" + "08" + "09" + Buffer.from("10M/10M").toString("hex"),
    );
    const p = decodePacket(raw);
    expect(findVendorAttributes(p, 14988).map((a) => a.value.toString())).toEqual(["10M/10M"]);
    expect(verifyResponseAuthenticator(p, reqAuth, secret)).toBe(true);
  });

  it("accepts 253-octet values and 247-octet VSA values, refuses one more", () => {
    expect(decodePacket(resp([{ type: Attr.Class, value: Buffer.alloc(MAX_ATTRIBUTE_VALUE) }])).attributes[0]?.value.length).toBe(253);
    expect(decodePacket(resp([{ vendorId: 9, vendorType: 1, value: Buffer.alloc(MAX_VSA_VALUE) }])).attributes[0]?.value.length).toBe(253);
    expectRadiusError(() => resp([{ type: Attr.Class, value: Buffer.alloc(254) }]), "RADIUS_ERR_ATTR_TOO_LONG");
    expectRadiusError(() => resp([{ vendorId: 9, vendorType: 1, value: Buffer.alloc(248) }]), "RADIUS_ERR_ATTR_TOO_LONG");
  });

  it("builds a packet of exactly 4096 octets and refuses 4097 with RADIUS_ERR_TOO_BIG", () => {
    // With MA: 20 + 18 + 15 * 255 + 233 = 4096.
    const attrs: AttributeInput[] = Array.from({ length: 15 }, () => ({ type: Attr.Class, value: Buffer.alloc(253) }));
    const exact = [...attrs, { type: Attr.Class, value: Buffer.alloc(231) }];
    const raw = resp(exact, true);
    expect(raw.length).toBe(4096);
    expect(verifyMessageAuthenticator(decodePacket(raw), secret, reqAuth)).toBe("valid");
    expectRadiusError(() => resp([...attrs, { type: Attr.Class, value: Buffer.alloc(232) }], true), "RADIUS_ERR_TOO_BIG");
  });

  it("zero attributes gives a 20-octet packet (38 with MA)", () => {
    expect(resp([]).length).toBe(20);
    expect(resp([], true).length).toBe(38);
  });
});

describe("argument checks", () => {
  const base: EncodeResponseOptions = { code: Code.AccessAccept, identifier: 1, requestAuthenticator: reqAuth, secret, attributes: [], messageAuthenticator: false };
  it.each<[string, Record<string, unknown>]>([
    ["identifier 256", { identifier: 256 }],
    ["identifier -1", { identifier: -1 }],
    ["identifier 1.5", { identifier: 1.5 }],
    ["code 0", { code: 0 }],
    ["code 300", { code: 300 }],
    ["a request code", { code: Code.AccessRequest }],
    ["Accounting-Request code", { code: Code.AccountingRequest }],
    ["15-octet request authenticator", { requestAuthenticator: Buffer.alloc(15) }],
    ["empty secret", { secret: Buffer.alloc(0) }],
    ["a string secret", { secret: "s3cret" as unknown as Buffer }],
    ["an MA in the attribute list", { attributes: [{ type: Attr.MessageAuthenticator, value: Buffer.alloc(16) }] }],
    ["attribute type 0", { attributes: [{ type: 0, value: Buffer.from("x") }] }],
    ["attribute type 256", { attributes: [{ type: 256, value: Buffer.from("x") }] }],
    ["a string value", { attributes: [{ type: 1, value: "x" as unknown as Buffer }] }],
    ["vendor id >= 2^24", { attributes: [{ vendorId: 0x1000000, vendorType: 1, value: Buffer.from("x") }] }],
    ["vendor type 256", { attributes: [{ vendorId: 9, vendorType: 256, value: Buffer.from("x") }] }],
    ["EAP-Message without MA", { attributes: [{ type: Attr.EapMessage, value: Buffer.from([3, 1, 0, 4]) }] }],
  ])("encodeResponse refuses %s", (_n, patch) => {
    expectRadiusError(() => encodeResponse({ ...base, ...patch } as EncodeResponseOptions), "RADIUS_ERR_BAD_ARGUMENT");
  });

  it("encodeRequest refuses reply codes, a given authenticator on computed codes, Status-Server without MA", () => {
    const r = { identifier: 1, secret, attributes: [] as AttributeInput[], messageAuthenticator: false };
    expectRadiusError(() => encodeRequest({ ...r, code: Code.AccessAccept }), "RADIUS_ERR_BAD_ARGUMENT");
    expectRadiusError(() => encodeRequest({ ...r, code: Code.AccountingRequest, authenticator: reqAuth }), "RADIUS_ERR_BAD_ARGUMENT");
    expectRadiusError(() => encodeRequest({ ...r, code: Code.StatusServer }), "RADIUS_ERR_BAD_ARGUMENT");
    expectRadiusError(() => encodeRequest({ ...r, code: Code.AccessRequest, authenticator: Buffer.alloc(8) }), "RADIUS_ERR_BAD_ARGUMENT");
    expect(encodeRequest({ ...r, code: Code.StatusServer, messageAuthenticator: true }).length).toBe(38);
  });

  it("EAP-Message with MA is fine", () => {
    const raw = resp([{ type: Attr.EapMessage, value: Buffer.from([3, 1, 0, 4]) }], true);
    expect(decodePacket(raw).attributes.map((a) => a.type)).toEqual([Attr.MessageAuthenticator, Attr.EapMessage]);
  });
});

describe("requests", () => {
  const attrs: AttributeInput[] = [{ type: Attr.UserName, value: Buffer.from("bob") }];
  it("Access-Request gets a fresh random authenticator unless one is given", () => {
    const a = encodeRequest({ code: Code.AccessRequest, identifier: 1, secret, attributes: attrs, messageAuthenticator: true });
    const b = encodeRequest({ code: Code.AccessRequest, identifier: 1, secret, attributes: attrs, messageAuthenticator: true });
    expect(a.subarray(4, 20).equals(b.subarray(4, 20))).toBe(false);
    const c = encodeRequest({ code: Code.AccessRequest, identifier: 1, secret, attributes: attrs, messageAuthenticator: false, authenticator: reqAuth });
    expect(c.subarray(4, 20).equals(reqAuth)).toBe(true);
  });
});

describe("inputs are never mutated", () => {
  it("encodeResponse / encodeRequest leave attributes, values and authenticators alone", () => {
    const values = [Buffer.from("one"), Buffer.from("two"), Buffer.from("three")];
    const attrs: AttributeInput[] = Object.freeze([
      Object.freeze({ type: Attr.ReplyMessage, value: values[0] as Buffer }),
      Object.freeze({ vendorId: 9, vendorType: 1, value: values[1] as Buffer }),
      Object.freeze({ type: Attr.Class, value: values[2] as Buffer }),
    ]) as readonly AttributeInput[] as AttributeInput[];
    const snapshot = values.map((v) => Buffer.from(v));
    const ra = Buffer.from(reqAuth);
    const sec = Buffer.from(secret);
    encodeResponse({ code: Code.AccessAccept, identifier: 9, requestAuthenticator: ra, secret: sec, attributes: attrs, messageAuthenticator: true });
    encodeRequest({ code: Code.CoARequest, identifier: 9, secret: sec, attributes: attrs, messageAuthenticator: true });
    encodeRequest({ code: Code.AccessRequest, identifier: 9, secret: sec, attributes: attrs, messageAuthenticator: true, authenticator: ra });
    expect(values.every((v, i) => v.equals(snapshot[i] as Buffer))).toBe(true);
    expect(ra.equals(reqAuth) && sec.equals(secret)).toBe(true);
    expect(attrs).toHaveLength(3);
  });
});
