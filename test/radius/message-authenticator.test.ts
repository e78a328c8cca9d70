// Message-Authenticator (RFC 3579 §3.2, RFC 2869 §5.14, RFC 5176 §3.4) and packet authenticators.
import { describe, it, expect } from "@jest/globals";
import { createHmac } from "node:crypto";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket, findAttribute, type RadiusPacket } from "../../src/radius/packet.js";
import {
  computeRequestAuthenticator,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  verifyResponseAuthenticator,
} from "../../src/radius/authenticator.js";
import { encodeRequest, encodeResponse, type AttributeInput } from "../../src/radius/encode.js";
import { RadiusError } from "../../src/radius/errors.js";
import { expectRadiusError } from "./helpers.js";

const secret = Buffer.from("testing123");
const attrs: AttributeInput[] = [
  { type: Attr.UserName, value: Buffer.from("alice@example.net") },
  { type: Attr.NasIpAddress, value: Buffer.from([10, 0, 0, 1]) },
  { type: Attr.CallingStationId, value: Buffer.from("00-11-22-33-44-55") },
  { vendorId: 9, vendorType: 1, value: Buffer.from("ip:addr-pool=default") },
];

/** Independent HMAC-MD5 reference: copy, zero the MA value, set the authenticator field. */
function referenceMa(raw: Buffer, authField: Buffer): Buffer {
  const p = decodePacket(raw);
  const ma = findAttribute(p, Attr.MessageAuthenticator);
  if (ma === undefined) throw new Error("no MA");
  const copy = Buffer.from(p.raw);
  copy.fill(0, ma.offset + 2, ma.offset + 18);
  authField.copy(copy, 4);
  return createHmac("md5", secret).update(copy).digest();
}

/** Lay out a packet by hand: attributes in the given order, MA (zeroed) where `maAt` says, then sign. */
function handBuilt(code: number, authenticator: Buffer, list: Array<{ type: number; value: Buffer }>, maAt: number): Buffer {
  const withMa = [...list];
  withMa.splice(maAt, 0, { type: Attr.MessageAuthenticator, value: Buffer.alloc(16) });
  const body = Buffer.concat(withMa.map((a) => Buffer.concat([Buffer.from([a.type, a.value.length + 2]), a.value])));
  const buf = Buffer.concat([Buffer.from([code, 9, 0, 0]), authenticator, body]);
  buf.writeUInt16BE(buf.length, 2);
  const sig = referenceMa(buf, authenticator);
  const off = decodePacket(buf).attributes[maAt]?.offset as number;
  sig.copy(buf, off + 2);
  return buf;
}

describe("Access-Request Message-Authenticator", () => {
  const raw = encodeRequest({ code: Code.AccessRequest, identifier: 5, secret, attributes: attrs, messageAuthenticator: true });
  const p = decodePacket(raw);

  it("is first and valid; matches the reference computation", () => {
    expect(p.attributes[0]?.type).toBe(Attr.MessageAuthenticator);
    expect(p.attributes[0]?.offset).toBe(20);
    expect(verifyMessageAuthenticator(p, secret)).toBe("valid");
    expect(referenceMa(raw, p.authenticator).equals(p.attributes[0]?.value as Buffer)).toBe(true);
  });

  it("is invalid with another secret", () => {
    expect(verifyMessageAuthenticator(p, Buffer.from("testing124"))).toBe("invalid");
  });

  it("reports absent when there is none", () => {
    const q = decodePacket(encodeRequest({ code: Code.AccessRequest, identifier: 5, secret, attributes: attrs, messageAuthenticator: false }));
    expect(verifyMessageAuthenticator(q, secret)).toBe("absent");
  });

  it("reports malformed for two MAs or a wrong MA length", () => {
    const two = Buffer.concat([raw, Buffer.from([Attr.MessageAuthenticator, 18]), Buffer.alloc(16)]);
    two.writeUInt16BE(two.length, 2);
    expect(verifyMessageAuthenticator(decodePacket(two), secret)).toBe("malformed");
    for (const len of [2, 3, 17, 19, 34]) {
      const odd = Buffer.concat([raw.subarray(0, 20), Buffer.from([Attr.MessageAuthenticator, len]), Buffer.alloc(len - 2), raw.subarray(38)]);
      odd.writeUInt16BE(odd.length, 2);
      expect(verifyMessageAuthenticator(decodePacket(odd), secret)).toBe("malformed");
    }
  });

  it("any single-bit flip anywhere (header, attributes, MA itself) stops it verifying", () => {
    // Octets whose flip keeps the framing intact: the flip must read as exactly "invalid".
    const valueOctets = new Set<number>([0, 1, ...Array.from({ length: 16 }, (_, i) => 4 + i)]);
    for (const a of p.attributes) for (let i = 0; i < a.value.length; i++) valueOctets.add(a.offset + 2 + i);
    let decodeErrors = 0;
    for (let i = 0; i < raw.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const m = Buffer.from(raw);
        m[i] = (m[i] as number) ^ (1 << bit);
        let q: RadiusPacket;
        try {
          q = decodePacket(m);
        } catch (e) {
          expect(e).toBeInstanceOf(RadiusError);
          decodeErrors++;
          continue;
        }
        const status = verifyMessageAuthenticator(q, secret);
        expect(status).not.toBe("valid");
        if (valueOctets.has(i)) expect([i, bit, status]).toEqual([i, bit, "invalid"]);
      }
    }
    expect(decodeErrors).toBeGreaterThan(0);
  });

  it("is computed over the bytes received: trailing padding still verifies", () => {
    const padded = Buffer.concat([raw, Buffer.from("garbage after Length")]);
    expect(verifyMessageAuthenticator(decodePacket(padded), secret)).toBe("valid");
  });

  it("verifies wherever the MA sits, and attribute order matters", () => {
    const list = attrs.filter((a): a is { type: number; value: Buffer } => "type" in a);
    const authn = Buffer.from("AAAAAAAAAAAAAAAA");
    for (const at of [0, 1, list.length]) {
      const buf = handBuilt(Code.AccessRequest, authn, list, at);
      expect(verifyMessageAuthenticator(decodePacket(buf), secret)).toBe("valid");
    }
    // Same attributes, MA value computed for one order, packet delivered in another.
    const a = handBuilt(Code.AccessRequest, authn, list, 0);
    const b = handBuilt(Code.AccessRequest, authn, [...list].reverse(), 0);
    const reordered = Buffer.concat([a.subarray(0, 38), b.subarray(38)]);
    expect(verifyMessageAuthenticator(decodePacket(reordered), secret)).toBe("invalid");
  });

  it("refuses a request authenticator that is not 16 octets", () => {
    expectRadiusError(() => verifyMessageAuthenticator(p, secret, Buffer.alloc(8)), "RADIUS_ERR_BAD_ARGUMENT");
    expectRadiusError(() => verifyMessageAuthenticator(p, Buffer.alloc(0)), "RADIUS_ERR_BAD_ARGUMENT");
  });
});

describe("replies", () => {
  const reqAuth = Buffer.from("0123456789ABCDEF");
  const replyAttrs: AttributeInput[] = [
    { type: Attr.SessionTimeout, value: Buffer.from([0, 0, 0x0e, 0x10]) },
    { type: Attr.Class, value: Buffer.from("class-1") },
  ];

  it.each([Code.AccessAccept, Code.AccessReject, Code.AccessChallenge, Code.AccountingResponse, Code.CoAACK, Code.CoANAK, Code.DisconnectACK, Code.DisconnectNAK])(
    "code %i: MA first, signed with the request authenticator, then the Response Authenticator",
    (code) => {
      const raw = encodeResponse({ code, identifier: 77, requestAuthenticator: reqAuth, secret, attributes: replyAttrs, messageAuthenticator: true });
      const p = decodePacket(raw);
      expect(p.attributes[0]?.type).toBe(Attr.MessageAuthenticator);
      expect(verifyMessageAuthenticator(p, secret, reqAuth)).toBe("valid");
      expect(referenceMa(raw, reqAuth).equals(p.attributes[0]?.value as Buffer)).toBe(true);
      // Without the request authenticator (or with another) it does not verify.
      expect(verifyMessageAuthenticator(p, secret)).toBe("invalid");
      expect(verifyMessageAuthenticator(p, secret, Buffer.alloc(16))).toBe("invalid");
      expect(verifyResponseAuthenticator(p, reqAuth, secret)).toBe(true);
      expect(verifyResponseAuthenticator(p, Buffer.alloc(16), secret)).toBe(false);
    },
  );
});

describe("Accounting / CoA / Disconnect requests", () => {
  it.each([Code.AccountingRequest, Code.CoARequest, Code.DisconnectRequest])(
    "code %i: MA over a zeroed authenticator, then MD5 Request Authenticator over the signed packet",
    (code) => {
      const raw = encodeRequest({ code, identifier: 3, secret, attributes: attrs, messageAuthenticator: true });
      const p = decodePacket(raw);
      expect(p.attributes[0]?.type).toBe(Attr.MessageAuthenticator);
      expect(verifyRequestAuthenticator(p, secret)).toBe(true);
      expect(computeRequestAuthenticator(raw, secret).equals(p.authenticator)).toBe(true);
      expect(verifyMessageAuthenticator(p, secret)).toBe("valid");
      expect(referenceMa(raw, Buffer.alloc(16)).equals(p.attributes[0]?.value as Buffer)).toBe(true);
      expect(verifyRequestAuthenticator(p, Buffer.from("other"))).toBe(false);
      const flipped = Buffer.from(raw);
      flipped[raw.length - 1] = (flipped[raw.length - 1] as number) ^ 1;
      expect(verifyRequestAuthenticator(decodePacket(flipped), secret)).toBe(false);
    },
  );

  it("without MA the Request Authenticator still verifies", () => {
    const raw = encodeRequest({ code: Code.AccountingRequest, identifier: 3, secret, attributes: attrs, messageAuthenticator: false });
    expect(verifyRequestAuthenticator(decodePacket(raw), secret)).toBe(true);
  });

  it("an Access-Request's random authenticator is not a Request Authenticator", () => {
    const raw = encodeRequest({ code: Code.AccessRequest, identifier: 3, secret, attributes: attrs, messageAuthenticator: false });
    expect(verifyRequestAuthenticator(decodePacket(raw), secret)).toBe(false);
  });
});
