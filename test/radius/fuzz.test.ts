// Robustness: mutated packets through decodePacket + authenticator checks + decodeAttributes may
// only ever throw RadiusError. A seeded mutator (reproducible) plus fast-check properties.
import { describe, it, expect } from "@jest/globals";
import fc from "fast-check";
import { Code } from "../../src/radius/codes.js";
import { decodePacket, findVendorAttributes } from "../../src/radius/packet.js";
import {
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  verifyResponseAuthenticator,
} from "../../src/radius/authenticator.js";
import { encodeRequest, encodeResponse, type AttributeInput } from "../../src/radius/encode.js";
import { defaultDictionary } from "../../src/radius/dictionary.js";
import { attributesFromObject, decodeAttributes } from "../../src/radius/values.js";
import { RadiusError } from "../../src/radius/errors.js";
import { prng, randomBuffer, section7 } from "./helpers.js";

const dict = defaultDictionary();
const secret = Buffer.from("fuzz-secret");
const reqAuth = Buffer.from("fuzz-request-au!");
const ctx = { secret, requestAuthenticator: reqAuth };

function seeds(): Buffer[] {
  const s7 = section7();
  const out = ["7.1-access-request", "7.1-access-accept", "7.2-access-request", "7.2-access-accept", "7.3-access-request", "7.3-access-challenge"].map(s7.v);
  out.push(
    encodeRequest({
      code: Code.AccessRequest, identifier: 1, secret, authenticator: reqAuth, messageAuthenticator: true,
      attributes: attributesFromObject(dict, {
        "User-Name": "fuzz@example.org", "User-Password": "p4ssw0rd-of-some-length", "NAS-IP-Address": "192.0.2.9",
        "NAS-IPv6-Address": "2001:db8::9", "Calling-Station-Id": "aa-bb-cc-dd-ee-ff", "Cisco-AVPair": "client-mac-address=aabb.ccdd.eeff",
        "ADSL-Agent-Circuit-Id": "olt1 eth 1/1/1:100", "Event-Timestamp": 1700000000, "Framed-Interface-Id": "0:0:0:1",
      }, ctx),
    }),
    encodeRequest({
      code: Code.AccountingRequest, identifier: 2, secret, messageAuthenticator: true,
      attributes: attributesFromObject(dict, { "Acct-Status-Type": "Interim-Update", "Acct-Session-Id": "0123456789", "Acct-Input-Octets": 12345, "Delegated-IPv6-Prefix": "2001:db8:100::/56" }),
    }),
    encodeResponse({
      code: Code.AccessChallenge, identifier: 3, requestAuthenticator: reqAuth, secret, messageAuthenticator: true,
      attributes: [...attributesFromObject(dict, { "EAP-Message": Buffer.alloc(400, 0x17), State: "0xdeadbeef" })],
    }),
    encodeResponse({
      code: Code.AccessAccept, identifier: 4, requestAuthenticator: reqAuth, secret, messageAuthenticator: true,
      attributes: attributesFromObject(dict, {
        "Tunnel-Type:1": "VLAN", "Tunnel-Medium-Type:1": "IEEE-802", "Tunnel-Private-Group-Id:1": "100",
        "Tunnel-Password:2": "tunnelpw", "MS-MPPE-Send-Key": Buffer.alloc(32, 1), "MS-MPPE-Recv-Key": Buffer.alloc(32, 2),
        "Framed-IPv6-Prefix": "2001:db8:1::/48", "WISPr-Bandwidth-Max-Down": 1000000, "Mikrotik-Rate-Limit": "1M/1M",
      }, ctx),
    }),
    encodeRequest({ code: Code.CoARequest, identifier: 5, secret, messageAuthenticator: true, attributes: attributesFromObject(dict, { "Acct-Session-Id": "x", "Session-Timeout": 60 }) }),
  );
  return out;
}

/**
 * Everything the server would run on a received datagram. Returns the error code, or "ok".
 * decodeAttributes runs with the crypto context (revealing hidden values) or without it.
 */
function exercise(buf: Buffer, reveal = true): string {
  let p;
  try {
    p = decodePacket(buf);
  } catch (e) {
    if (e instanceof RadiusError) return e.code;
    throw e;
  }
  try {
    verifyMessageAuthenticator(p, secret);
    verifyMessageAuthenticator(p, secret, reqAuth);
    verifyRequestAuthenticator(p, secret);
    verifyResponseAuthenticator(p, reqAuth, secret);
    decodeAttributes(dict, p, reveal ? ctx : undefined);
    findVendorAttributes(p, 9);
    findVendorAttributes(p, 311);
  } catch (e) {
    if (e instanceof RadiusError) return e.code;
    throw e;
  }
  return "ok";
}

function attributeOffsets(buf: Buffer): number[] {
  try {
    return decodePacket(buf).attributes.map((a) => a.offset);
  } catch {
    return [];
  }
}

function mutate(seed: Buffer, rand: () => number): Buffer {
  const int = (n: number): number => Math.floor(rand() * n);
  let b = Buffer.from(seed);
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    switch (int(8)) {
      case 0: // bit flips
        for (let k = 1 + int(3); k > 0 && b.length > 0; k--) {
          const i = int(b.length);
          b[i] = (b[i] as number) ^ (1 << int(8));
        }
        break;
      case 1: // random byte
        if (b.length > 0) b[int(b.length)] = int(256);
        break;
      case 2: // truncation
        b = b.subarray(0, int(b.length + 1));
        break;
      case 3: // trailing bytes
        b = Buffer.concat([b, randomBuffer(rand, 1 + int(40))]);
        break;
      case 4: // Length field edits
        if (b.length >= 4) {
          const choices = [int(4200), b.length + int(5) - 2, 19, 20, 4096, 4097, 65535];
          b.writeUInt16BE((choices[int(choices.length)] as number) & 0xffff, 2);
        }
        break;
      case 5: { // attribute Length edits
        const offs = attributeOffsets(b);
        if (offs.length > 0) {
          const o = (offs[int(offs.length)] as number) + 1;
          const choices = [0, 1, 2, 255, (b[o] as number) + 1, (b[o] as number) - 1, int(256)];
          b[o] = (choices[int(choices.length)] as number) & 0xff;
        }
        break;
      }
      case 6: { // insert or delete a chunk inside the attributes
        const at = 20 + int(Math.max(1, b.length - 19));
        b = rand() < 0.5
          ? Buffer.concat([b.subarray(0, at), randomBuffer(rand, 1 + int(12)), b.subarray(at)])
          : Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(12))]);
        break;
      }
      default: { // scribble inside one attribute value (VSA internals, tags, prefixes...)
        const offs = attributeOffsets(b);
        if (offs.length > 0) {
          const o = offs[int(offs.length)] as number;
          const len = b[o + 1] as number;
          for (let k = 0; k < 1 + int(4) && len > 2; k++) b[o + 2 + int(len - 2)] = int(256);
        }
      }
    }
  }
  // Half the time repair the Length field so the attribute walk and value decoders get exercised.
  if (b.length >= 20 && b.length <= 4096 && rand() < 0.5) b.writeUInt16BE(b.length, 2);
  return b;
}

describe("fuzz", () => {
  it("100,000 mutated packets: only RadiusError is ever thrown", () => {
    const rand = prng(0xbad5eed);
    const base = seeds();
    for (const s of base) expect(exercise(s)).toBe("ok");
    const seen = new Map<string, number>();
    const N = 100_000;
    for (let i = 0; i < N; i++) {
      const m = mutate(base[i % base.length] as Buffer, rand);
      let outcome: string;
      try {
        outcome = exercise(m, (i & 1) === 0);
      } catch (e) {
        throw new Error(`iteration ${i}: non-RadiusError ${String(e)} for input ${m.toString("hex")}`);
      }
      seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
    }
    // The mutator reaches both the success path and every structural error.
    expect(seen.get("ok") ?? 0).toBeGreaterThan(N / 10);
    for (const code of ["RADIUS_ERR_TOO_SHORT", "RADIUS_ERR_BAD_LENGTH", "RADIUS_ERR_TRUNCATED", "RADIUS_ERR_ATTR_LENGTH", "RADIUS_ERR_ATTR_OVERRUN"]) {
      expect([code, (seen.get(code) ?? 0) > 0]).toEqual([code, true]);
    }
  });

  it("fast-check: arbitrary bytes never throw anything but RadiusError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.boolean(), (bytes, fixLength) => {
        const b = Buffer.from(bytes);
        if (fixLength && b.length >= 20) b.writeUInt16BE(b.length, 2);
        expect(() => exercise(b)).not.toThrow();
      }),
      { numRuns: 5000, seed: 3579 },
    );
  });

  it("fast-check: any valid attribute list round-trips and verifies", () => {
    const attrArb: fc.Arbitrary<AttributeInput> = fc.oneof(
      fc.record({ type: fc.integer({ min: 1, max: 255 }).filter((t) => t !== 80 && t !== 79), value: fc.uint8Array({ maxLength: 253 }).map((u) => Buffer.from(u)) }),
      fc.record({ vendorId: fc.integer({ min: 0, max: 0xffffff }), vendorType: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 247 }).map((u) => Buffer.from(u)) }),
    );
    fc.assert(
      fc.property(fc.array(attrArb, { maxLength: 14 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (attrs, id, ma) => {
        const raw = encodeResponse({ code: Code.AccessAccept, identifier: id, requestAuthenticator: reqAuth, secret, attributes: attrs, messageAuthenticator: ma });
        const p = decodePacket(raw);
        expect(p.identifier).toBe(id);
        expect(verifyResponseAuthenticator(p, reqAuth, secret)).toBe(true);
        expect(verifyMessageAuthenticator(p, secret, reqAuth)).toBe(ma ? "valid" : "absent");
        const got = p.attributes.slice(ma ? 1 : 0);
        expect(got).toHaveLength(attrs.length);
        attrs.forEach((a, i) => {
          const g = got[i];
          if ("vendorId" in a) {
            expect(g?.type).toBe(26);
            expect(g?.value.readUInt32BE(0)).toBe(a.vendorId);
            expect(g?.value[4]).toBe(a.vendorType);
            expect(g?.value.subarray(6).equals(a.value)).toBe(true);
          } else {
            expect([g?.type, g?.value.equals(a.value)]).toEqual([a.type, true]);
          }
        });
      }),
      { numRuns: 500, seed: 2865 },
    );
  });
});
