// Typed values: encodeAttribute / attributesFromObject / decodeAttributes / validateAttributeObject.
import { describe, it, expect } from "@jest/globals";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket, findAttributes } from "../../src/radius/packet.js";
import { encodeResponse, type AttributeInput } from "../../src/radius/encode.js";
import { defaultDictionary, Dictionary } from "../../src/radius/dictionary.js";
import {
  attributesFromObject,
  decodeAttributes,
  decodeValue,
  encodeAttribute,
  formatIPv6,
  validateAttributeObject,
  type DecodedAttribute,
} from "../../src/radius/values.js";
import { unhideTunnelPassword } from "../../src/radius/authenticator.js";
import { expectRadiusError } from "./helpers.js";

const dict = defaultDictionary();
const secret = Buffer.from("values-secret");
const reqAuth = Buffer.from("0123456789abcdef");
const ctx = { secret, requestAuthenticator: reqAuth };

/** Encode attributes into an Access-Accept, decode it back and return the typed attributes. */
function roundTrip(attrs: AttributeInput[], withCtx = false): DecodedAttribute[] {
  const raw = encodeResponse({ code: Code.AccessAccept, identifier: 1, requestAuthenticator: reqAuth, secret, attributes: attrs, messageAuthenticator: true });
  return decodeAttributes(dict, decodePacket(raw), withCtx ? ctx : undefined).filter((a) => a.name !== "Message-Authenticator");
}

function one(name: string, value: unknown): DecodedAttribute {
  const got = roundTrip(encodeAttribute(dict, name, value, ctx), true);
  expect(got).toHaveLength(1);
  return got[0] as DecodedAttribute;
}

describe("each type round-trips through a packet", () => {
  it.each<[string, unknown, unknown]>([
    ["Reply-Message", "héllo wörld", "héllo wörld"],
    ["Reply-Message", 42, "42"],
    ["Class", "0x0102ff", Buffer.from([1, 2, 255])],
    ["Class", "plain text", Buffer.from("plain text")],
    ["Class", Buffer.from([0, 1]), Buffer.from([0, 1])],
    ["Session-Timeout", 3600, 3600],
    ["Session-Timeout", "7200", 7200],
    ["Session-Timeout", 4294967295, 4294967295],
    ["Service-Type", "Framed-User", "Framed-User"],
    ["Service-Type", "framed-user", "Framed-User"],
    ["Service-Type", 2, "Framed-User"],
    ["Service-Type", 999, 999],
    ["Acct-Status-Type", "Interim-Update", "Interim-Update"],
    ["Framed-IP-Address", "100.64.1.2", "100.64.1.2"],
    ["Framed-IP-Address", Buffer.from([10, 0, 0, 1]), "10.0.0.1"],
    ["NAS-IPv6-Address", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["NAS-IPv6-Address", "::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["Framed-IPv6-Address", "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["Framed-IPv6-Prefix", "2001:db8::/32", "2001:db8::/32"],
    ["Framed-IPv6-Prefix", "2001:db8:1:2::/64", "2001:db8:1:2::/64"],
    ["Delegated-IPv6-Prefix", "::/0", "::/0"],
    ["Delegated-IPv6-Prefix", "2001:db8::1/128", "2001:db8::1/128"],
    ["Framed-Interface-Id", "0011:2233:4455:6677", "0011:2233:4455:6677"],
    ["Framed-Interface-Id", "11:2233:4455:ab", "0011:2233:4455:00ab"],
    ["Event-Timestamp", new Date("2024-07-09T12:00:00Z"), new Date("2024-07-09T12:00:00Z")],
    ["Event-Timestamp", 1720526400, new Date(1720526400 * 1000)],
    ["Event-Timestamp", "2024-07-09T12:00:00Z", new Date("2024-07-09T12:00:00Z")],
    ["Cisco-AVPair", "ip:addr-pool=gold", "ip:addr-pool=gold"],
    ["Mikrotik-Rate-Limit", "10M/20M 0/0 0/0 0/0 8 5M/10M", "10M/20M 0/0 0/0 0/0 8 5M/10M"],
    ["WISPr-Bandwidth-Max-Down", 50000000, 50000000],
    ["WISPr-Location-Name", "Café,Main_Street", "Café,Main_Street"],
    ["WISPr-Session-Terminate-Time", "2024-12-31T23:59:59+01:00", "2024-12-31T23:59:59+01:00"],
    ["MS-Primary-DNS-Server", "9.9.9.9", "9.9.9.9"],
    ["MS-CHAP2-Success", "0x01533d31", Buffer.from([1, 0x53, 0x3d, 0x31])],
    ["Juniper-Allow-Commands", "^show .*", "^show .*"],
    ["Attr-250", "0xabcd", Buffer.from([0xab, 0xcd])],
    ["Attr-26.99999.7", Buffer.from("opaque"), Buffer.from("opaque")],
  ])("%s = %p", (name, input, expected) => {
    const got = one(name, input);
    expect(got.value).toEqual(expected);
    expect(got.malformed).toBeUndefined();
  });

  it("byte, short, signed, integer64, ipv4prefix, ether via a custom dictionary", () => {
    const d = Dictionary.parse(
      [
        "VENDOR\tT\t65000",
        "BEGIN-VENDOR\tT",
        "ATTRIBUTE\tT-Byte\t1\tbyte",
        "ATTRIBUTE\tT-Short\t2\tshort",
        "ATTRIBUTE\tT-Signed\t3\tsigned",
        "ATTRIBUTE\tT-64\t4\tinteger64",
        "ATTRIBUTE\tT-Pfx\t5\tipv4prefix",
        "ATTRIBUTE\tT-Mac\t6\tether",
        "ATTRIBUTE\tT-Bin\t7\tabinary",
        "VALUE\tT-Byte\tTen\t10",
        "END-VENDOR\tT",
      ].join("\n"),
    );
    const input = { "T-Byte": ["Ten", 255], "T-Short": 65535, "T-Signed": -5, "T-64": [2n ** 64n - 1n, "12345678901234567890"], "T-Pfx": "10.128.0.0/9", "T-Mac": "00-1A-2b-3c-4d-5e", "T-Bin": "0x00ff" };
    const raw = encodeResponse({ code: 2, identifier: 1, requestAuthenticator: reqAuth, secret, messageAuthenticator: false, attributes: attributesFromObject(d, input) });
    expect(decodeAttributes(d, decodePacket(raw)).map((a) => [a.name, a.value])).toEqual([
      ["T-Byte", "Ten"],
      ["T-Byte", 255],
      ["T-Short", 65535],
      ["T-Signed", -5],
      ["T-64", 18446744073709551615n],
      ["T-64", 12345678901234567890n],
      ["T-Pfx", "10.128.0.0/9"],
      ["T-Mac", "00:1a:2b:3c:4d:5e"],
      ["T-Bin", Buffer.from([0, 255])],
    ]);
  });
});

describe("tagged attributes (RFC 2868)", () => {
  it("Tunnel-Type with { tag, value } and with a name suffix", () => {
    const a = encodeAttribute(dict, "Tunnel-Type", { tag: 1, value: "VLAN" });
    expect(a).toEqual([{ type: Attr.TunnelType, value: Buffer.from([1, 0, 0, 13]) }]);
    expect(encodeAttribute(dict, "Tunnel-Type:2", "L2TP")).toEqual([{ type: Attr.TunnelType, value: Buffer.from([2, 0, 0, 3]) }]);
    expect(encodeAttribute(dict, "Tunnel-Medium-Type", "IEEE-802")[0]?.value).toEqual(Buffer.from([0, 0, 0, 6]));
    const got = roundTrip([...a, ...encodeAttribute(dict, "Tunnel-Medium-Type:1", "IEEE-802"), ...encodeAttribute(dict, "Tunnel-Private-Group-Id:1", "100")]);
    expect(got.map((x) => [x.name, x.tag, x.value])).toEqual([
      ["Tunnel-Type", 1, "VLAN"],
      ["Tunnel-Medium-Type", 1, "IEEE-802"],
      ["Tunnel-Private-Group-Id", 1, "100"],
    ]);
  });

  it("tagged strings: a tag octet is sent when asked for or when the value starts with <= 0x1F", () => {
    expect(encodeAttribute(dict, "Tunnel-Private-Group-Id", "100")[0]?.value).toEqual(Buffer.from("100"));
    expect(encodeAttribute(dict, "Tunnel-Private-Group-Id:0", "100")[0]?.value).toEqual(Buffer.from("\x00100"));
    expect(encodeAttribute(dict, "Tunnel-Private-Group-Id", Buffer.from([5, 0x41]))[0]?.value).toEqual(Buffer.from([0, 5, 0x41]));
    const got = roundTrip(encodeAttribute(dict, "Tunnel-Private-Group-Id", Buffer.from([5, 0x41])));
    expect([got[0]?.tag, got[0]?.value]).toEqual([0, "\x05A"]);
  });

  it("Tunnel-Password: tag + salt + hidden, revealed with the context", () => {
    const [a] = encodeAttribute(dict, "Tunnel-Password:3", "tunnel-pw", ctx);
    const v = a?.value as Buffer;
    expect(v[0]).toBe(3);
    expect((v[1] as number) & 0x80).toBe(0x80);
    expect(unhideTunnelPassword(v.subarray(1), secret, reqAuth).toString()).toBe("tunnel-pw");
    const withCtx = roundTrip([a as AttributeInput], true)[0];
    expect([withCtx?.name, withCtx?.tag, withCtx?.value, withCtx?.encrypted]).toEqual(["Tunnel-Password", 3, "tunnel-pw", undefined]);
    const withoutCtx = roundTrip([a as AttributeInput], false)[0];
    expect(withoutCtx?.encrypted).toBe(true);
    expect(Buffer.isBuffer(withoutCtx?.value)).toBe(true);
  });

  it("refuses tags on untagged attributes and out-of-range tags", () => {
    expectRadiusError(() => encodeAttribute(dict, "Session-Timeout:1", 5), "RADIUS_ERR_BAD_VALUE");
    expectRadiusError(() => encodeAttribute(dict, "Reply-Message", { tag: 1, value: "x" }), "RADIUS_ERR_BAD_VALUE");
    expectRadiusError(() => encodeAttribute(dict, "Tunnel-Type:32", "VLAN"), "RADIUS_ERR_BAD_VALUE");
    expectRadiusError(() => encodeAttribute(dict, "Tunnel-Type", { tag: -1, value: "VLAN" }), "RADIUS_ERR_BAD_VALUE");
    expectRadiusError(() => encodeAttribute(dict, "Tunnel-Type:1", { tag: 2, value: "VLAN" }), "RADIUS_ERR_BAD_VALUE");
    expectRadiusError(() => encodeAttribute(dict, "Tunnel-Type", 0x1000000), "RADIUS_ERR_BAD_VALUE");
  });
});

describe("encrypted attributes", () => {
  it("User-Password needs the context and round-trips with it", () => {
    expectRadiusError(() => encodeAttribute(dict, "User-Password", "pw"), "RADIUS_ERR_MISSING_SECRET");
    expect(one("User-Password", "correct horse battery staple").value).toBe("correct horse battery staple");
    expectRadiusError(() => encodeAttribute(dict, "User-Password", "x".repeat(129), ctx), "RADIUS_ERR_BAD_VALUE");
  });

  it("MS-MPPE-Send-Key (encrypt=2, no tag) as a VSA", () => {
    const key = Buffer.alloc(32, 0x5a);
    const [a] = encodeAttribute(dict, "MS-MPPE-Send-Key", key, ctx);
    expect(a).toMatchObject({ vendorId: 311, vendorType: 16 });
    expect(((a?.value as Buffer)[0] as number) & 0x80).toBe(0x80);
    expect(one("MS-MPPE-Recv-Key", key).value).toEqual(key);
  });

  it("decodeValue reports a wrong length as RADIUS_ERR_BAD_VALUE", () => {
    expectRadiusError(() => decodeValue(dict.byName("User-Password") as never, Buffer.alloc(15), ctx), "RADIUS_ERR_BAD_VALUE");
  });
});

describe("VSAs and concat", () => {
  it("VSAs become vendorId/vendorType inputs, repeated values repeat", () => {
    const attrs = attributesFromObject(dict, { "Cisco-AVPair": ["a=1", "b=2"], "Mikrotik-Group": "gold", "WISPr-Bandwidth-Max-Up": 1000 });
    expect(attrs.map((a) => ("vendorId" in a ? [a.vendorId, a.vendorType, a.value.length] : a))).toEqual([
      [9, 1, 3],
      [9, 1, 3],
      [14988, 3, 4],
      [14122, 7, 4],
    ]);
  });

  it("a 247-octet VSA string fits; 248 does not", () => {
    expect(encodeAttribute(dict, "Cisco-AVPair", "x".repeat(247))).toHaveLength(1);
    const e = expectRadiusError(() => encodeAttribute(dict, "Cisco-AVPair", "x".repeat(248)), "RADIUS_ERR_BAD_VALUE");
    expect(e.message).toMatch(/^Cisco-AVPair: .*247/);
  });

  it("EAP-Message (concat) longer than 253 octets is split and kept in order", () => {
    const eap = Buffer.alloc(600);
    for (let i = 0; i < eap.length; i++) eap[i] = i & 0xff;
    const parts = encodeAttribute(dict, "EAP-Message", eap);
    expect(parts.map((p) => p.value.length)).toEqual([253, 253, 94]);
    const raw = encodeResponse({ code: Code.AccessChallenge, identifier: 1, requestAuthenticator: reqAuth, secret, attributes: parts, messageAuthenticator: true });
    expect(Buffer.concat(findAttributes(decodePacket(raw), Attr.EapMessage).map((a) => a.value)).equals(eap)).toBe(true);
  });

  it("a string longer than 253 octets is an error, not a split", () => {
    expectRadiusError(() => encodeAttribute(dict, "Reply-Message", "x".repeat(254)), "RADIUS_ERR_BAD_VALUE");
    expect(encodeAttribute(dict, "Reply-Message", "x".repeat(253))).toHaveLength(1);
  });
});

describe("decodeAttributes edge cases", () => {
  function packetWith(body: number[]): ReturnType<typeof decodePacket> {
    const buf = Buffer.concat([Buffer.from([2, 1, 0, 0]), reqAuth, Buffer.from(body)]);
    buf.writeUInt16BE(buf.length, 2);
    return decodePacket(buf);
  }
  it("unknown attributes and vendors get Attr- names with octets", () => {
    const p = packetWith([250, 4, 1, 2, 26, 9, 0, 0, 0x30, 0x39, 7, 3, 0x41, 26, 9, 0, 0, 0, 9, 200, 3, 0x42]);
    expect(decodeAttributes(dict, p).map((a) => [a.name, a.value, a.vendorId, a.type])).toEqual([
      ["Attr-250", Buffer.from([1, 2]), 0, 250],
      ["Attr-26.12345.7", Buffer.from("A"), 12345, 7],
      ["Attr-26.9.200", Buffer.from("B"), 9, 200],
    ]);
  });
  it("values of the wrong size come back as octets marked malformed; bad VSAs whole", () => {
    const p = packetWith([27, 5, 0, 0, 1, 8, 3, 10, 26, 5, 0, 0, 9, 26, 8, 0, 0, 0, 9, 1, 9]);
    expect(decodeAttributes(dict, p).map((a) => [a.name, a.value, a.malformed])).toEqual([
      ["Session-Timeout", Buffer.from([0, 0, 1]), true],
      ["Framed-IP-Address", Buffer.from([10]), true],
      ["Vendor-Specific", Buffer.from([0, 0, 9]), true],
      ["Vendor-Specific", Buffer.from([0, 0, 0, 9, 1, 9]), true],
    ]);
  });
  it("an IPv6 prefix with bits past its length is malformed", () => {
    const p = packetWith([97, 6, 0, 8, 0x20, 0x01]);
    expect(decodeAttributes(dict, p)[0]?.malformed).toBe(true);
  });
});

describe("formatIPv6 follows RFC 5952", () => {
  it.each<[string, string]>([
    ["20010db8000000000000000000000001", "2001:db8::1"],
    ["20010db8000000010000000000000001", "2001:db8:0:1::1"],
    ["20010db8000000000001000000000001", "2001:db8::1:0:0:1"],
    ["20010db8000100010001000100010001", "2001:db8:1:1:1:1:1:1"],
    ["00000000000000000000000000000000", "::"],
    ["00000000000000000000000000000001", "::1"],
    ["fe800000000000000000000000000000", "fe80::"],
    ["20010db8000000010001000100010000", "2001:db8:0:1:1:1:1:0"],
  ])("%s -> %s", (h, text) => {
    expect(formatIPv6(Buffer.from(h, "hex"))).toBe(text);
  });
});

describe("bad values give named errors", () => {
  it.each<[string, unknown, RegExp]>([
    ["Framed-IP-Address", "10.0.0.256", /^Framed-IP-Address: "10\.0\.0\.256" is not an IPv4 address/],
    ["Framed-IP-Address", "010.0.0.1", /not an IPv4 address/],
    ["Framed-IP-Address", "10.0.0", /not an IPv4 address/],
    ["Framed-IP-Address", Buffer.alloc(5), /exactly 4 octets/],
    ["NAS-IPv6-Address", "2001:db8::1::2", /not an IPv6 address/],
    ["NAS-IPv6-Address", "2001:db8:0:0:0:0:0:0:1", /not an IPv6 address/],
    ["NAS-IPv6-Address", "12345::", /not an IPv6 address/],
    ["Framed-IPv6-Prefix", "2001:db8::1/32", /bits set past \/32/],
    ["Framed-IPv6-Prefix", "2001:db8::/129", /not an IPv6 prefix/],
    ["Framed-IPv6-Prefix", "2001:db8::", /not an IPv6 prefix/],
    ["Session-Timeout", -1, /integer in 0\.\.4294967295/],
    ["Session-Timeout", 1.5, /integer in/],
    ["Session-Timeout", 2 ** 32, /integer in/],
    ["Session-Timeout", "soon", /not a number or a known value name/],
    ["Service-Type", "Framed-Usr", /known values: Login-User, Framed-User/],
    ["Session-Timeout", true, /not an integer/],
    ["Event-Timestamp", "yesterday", /not a date/],
    ["Event-Timestamp", -5, /not a date/],
    ["Framed-Interface-Id", "0011:2233:4455", /not an interface id/],
    ["Reply-Message", "", /is empty/],
    ["Reply-Message", { a: 1 }, /an object is not a string/],
    ["Reply-Message", null, /has no value/],
    ["Class", "0xabc", /not valid hex/],
    ["ARAP-Password", Buffer.alloc(15), /exactly 16 octets/],
    ["Message-Authenticator", Buffer.alloc(16), /computed by the encoder/],
  ])("%s = %p", (name, value, re) => {
    const e = expectRadiusError(() => encodeAttribute(dict, name, value, ctx), "RADIUS_ERR_BAD_VALUE");
    expect(e.message).toMatch(re);
    expect(e.attribute).toBe(name);
  });

  it("unknown names are RADIUS_ERR_UNKNOWN_ATTRIBUTE", () => {
    expect(expectRadiusError(() => encodeAttribute(dict, "Frobnicate-Level", 1), "RADIUS_ERR_UNKNOWN_ATTRIBUTE").message).toMatch(/^Frobnicate-Level: no such attribute/);
    expectRadiusError(() => encodeAttribute(dict, "", 1), "RADIUS_ERR_UNKNOWN_ATTRIBUTE");
    expectRadiusError(() => encodeAttribute(dict, "Attr-300", "0x00"), "RADIUS_ERR_UNKNOWN_ATTRIBUTE");
    expectRadiusError(() => encodeAttribute(dict, "Attr-5.9.1", "0x00"), "RADIUS_ERR_UNKNOWN_ATTRIBUTE");
  });

  it("unsupported dictionary entries are RADIUS_ERR_UNSUPPORTED", () => {
    const d = Dictionary.parse("ATTRIBUTE\tSome-Tlv\t200\ttlv\nVENDOR\tW\t5\tformat=2,2\nBEGIN-VENDOR\tW\nATTRIBUTE\tW-A\t1\tstring\nEND-VENDOR\tW\n");
    expectRadiusError(() => encodeAttribute(d, "Some-Tlv", "0x00"), "RADIUS_ERR_UNSUPPORTED");
    expectRadiusError(() => encodeAttribute(d, "W-A", "x"), "RADIUS_ERR_UNSUPPORTED");
  });
});

describe("attributesFromObject / validateAttributeObject", () => {
  const good = {
    "Framed-IP-Address": "100.64.0.1",
    "Session-Timeout": 86400,
    "Cisco-AVPair": ["ip:inacl#1=permit ip any any", "ip:dns-servers=9.9.9.9"],
    "Tunnel-Type": { tag: 1, value: "VLAN" },
    "Tunnel-Private-Group-Id:1": "42",
    "Mikrotik-Rate-Limit": "5M/5M",
  };

  it("keeps key order and repeats arrays", () => {
    const attrs = attributesFromObject(dict, good);
    expect(attrs.map((a) => ("vendorId" in a ? `${a.vendorId}.${a.vendorType}` : String(a.type)))).toEqual(["8", "27", "9.1", "9.1", "64", "81", "14988.8"]);
  });

  it("a valid object has no problems", () => {
    expect(validateAttributeObject(dict, good)).toEqual([]);
    // Encrypted attributes are checked for length even without a secret.
    expect(validateAttributeObject(dict, { "Tunnel-Password": "short" })).toEqual([]);
  });

  it("lists every problem with the attribute named, without throwing", () => {
    const problems = validateAttributeObject(dict, {
      "Framed-IP-Address": "1.2.3",
      "No-Such-Attr": 1,
      "Session-Timeout": [10, "forever"],
      "Reply-Message": [["nested"]],
      "Tunnel-Password": "x".repeat(240),
    });
    expect(problems).toEqual([
      expect.stringMatching(/^Framed-IP-Address: "1\.2\.3" is not an IPv4 address$/),
      expect.stringMatching(/^No-Such-Attr: no such attribute/),
      expect.stringMatching(/^Session-Timeout: "forever" is not a number or a known value name \(item 2 of 2\)$/),
      expect.stringMatching(/^Reply-Message: nested arrays are not allowed \(item 1 of 1\)$/),
      expect.stringMatching(/^Tunnel-Password: /),
    ]);
  });

  it("refuses a non-object", () => {
    expect(validateAttributeObject(dict, null)).toHaveLength(1);
    expect(validateAttributeObject(dict, [1, 2])).toHaveLength(1);
    expect(validateAttributeObject(dict, "x")).toHaveLength(1);
    expectRadiusError(() => attributesFromObject(dict, [] as unknown as Record<string, unknown>), "RADIUS_ERR_BAD_ARGUMENT");
    expectRadiusError(() => attributesFromObject(dict, { "Reply-Message": [["x"]] }), "RADIUS_ERR_BAD_VALUE");
  });
});
