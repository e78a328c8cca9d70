// Interop with the npm `radius` package (an independent implementation), both directions.
// Its quirks shape the inputs: it compares digests as strings, cuts a decoded password at the
// first NUL of any block and refuses hidden passwords over 128 octets, decodes strings as UTF-8,
// appends its Message-Authenticator last, and orders an Accounting-Request's MA and Request
// Authenticator the other way round from RFC 5176 §3.4 / FreeRADIUS (see the test documenting it),
// so accounting interop is tested without MA.
import { describe, it, expect } from "@jest/globals";
import radius from "radius";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket, findAttribute, findVendorAttributes } from "../../src/radius/packet.js";
import {
  hidePassword,
  unhidePassword,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  verifyResponseAuthenticator,
} from "../../src/radius/authenticator.js";
import { encodeRequest, encodeResponse } from "../../src/radius/encode.js";
import { defaultDictionary } from "../../src/radius/dictionary.js";
import { attributesFromObject, decodeAttributes } from "../../src/radius/values.js";
import { prng } from "./helpers.js";

const SECRET = "interop-secret";
const secret = Buffer.from(SECRET);
const dict = defaultDictionary();

/** Printable ASCII without NUL: what `radius` can round-trip. */
function asciiPassword(rand: () => number, len: number): string {
  let s = "";
  for (let i = 0; i < len; i++) s += String.fromCharCode(33 + Math.floor(rand() * 94));
  return s;
}

function ourAccessRequest(password: string, authenticator?: Buffer): Buffer {
  const auth = authenticator ?? Buffer.from("ABCDEFGHIJKLMNOP");
  return encodeRequest({
    code: Code.AccessRequest,
    identifier: 42,
    secret,
    authenticator: auth,
    messageAuthenticator: true,
    attributes: attributesFromObject(
      dict,
      { "User-Name": "carol", "User-Password": password, "NAS-IP-Address": "198.51.100.7", "NAS-Port": 17, "Service-Type": "Framed-User" },
      { secret, requestAuthenticator: auth },
    ),
  });
}

describe("our requests -> radius.decode", () => {
  it("Access-Request with MA first: radius verifies the MA and recovers passwords of 1..128 octets", () => {
    const rand = prng(1);
    for (let len = 1; len <= 128; len++) {
      const pw = asciiPassword(rand, len);
      const decoded = radius.decode({ packet: ourAccessRequest(pw), secret: SECRET });
      expect(decoded.code).toBe("Access-Request");
      expect(decoded.identifier).toBe(42);
      expect(decoded.attributes["User-Password"]).toBe(pw);
      expect(decoded.attributes["User-Name"]).toBe("carol");
      expect(decoded.attributes["NAS-IP-Address"]).toBe("198.51.100.7");
      expect(decoded.attributes["Service-Type"]).toBe("Framed-User");
    }
  });

  it("radius rejects our Access-Request under another secret (its MA check is live)", () => {
    expect(() => radius.decode({ packet: ourAccessRequest("pw"), secret: "other-secret" })).toThrow(/Message-Authenticator/);
  });

  it("Accounting-Request: radius verifies our Request Authenticator", () => {
    const raw = encodeRequest({
      code: Code.AccountingRequest,
      identifier: 7,
      secret,
      messageAuthenticator: false,
      attributes: attributesFromObject(dict, { "Acct-Status-Type": "Start", "Acct-Session-Id": "sess-1", "User-Name": "carol", "Acct-Delay-Time": 0 }),
    });
    const decoded = radius.decode({ packet: raw, secret: SECRET });
    expect(decoded.attributes["Acct-Status-Type"]).toBe("Start");
    expect(decoded.attributes["Acct-Session-Id"]).toBe("sess-1");
    expect(() => radius.decode({ packet: raw, secret: "other-secret" })).toThrow(/authenticator mismatch/);
  });
});

describe("radius requests -> our decoder", () => {
  it("Access-Request (MA last): our MA check passes and passwords of 1..128 octets unhide", () => {
    const rand = prng(2);
    for (let len = 1; len <= 128; len++) {
      const pw = asciiPassword(rand, len);
      const raw = radius.encode({
        code: "Access-Request",
        identifier: 9,
        secret: SECRET,
        add_message_authenticator: true,
        attributes: [["User-Name", "dave"], ["User-Password", pw], ["NAS-Port", 3]],
      });
      const p = decodePacket(raw);
      expect(p.attributes[p.attributes.length - 1]?.type).toBe(Attr.MessageAuthenticator);
      expect(verifyMessageAuthenticator(p, secret)).toBe("valid");
      expect(verifyMessageAuthenticator(p, Buffer.from("other-secret"))).toBe("invalid");
      const hidden = findAttribute(p, Attr.UserPassword)?.value as Buffer;
      expect(unhidePassword(hidden, secret, p.authenticator).toString()).toBe(pw);
      // Our hiding of the same password under the same authenticator is byte-identical.
      expect(hidePassword(Buffer.from(pw), secret, p.authenticator).equals(hidden)).toBe(true);
    }
  });

  it("Accounting-Request without MA: our Request Authenticator check passes", () => {
    const raw = radius.encode({
      code: "Accounting-Request",
      identifier: 10,
      secret: SECRET,
      attributes: [["Acct-Status-Type", "Stop"], ["Acct-Session-Id", "abc"], ["Acct-Session-Time", 3600]],
    });
    const p = decodePacket(raw);
    expect(verifyRequestAuthenticator(p, secret)).toBe(true);
    expect(verifyRequestAuthenticator(p, Buffer.from("nope"))).toBe(false);
    expect(decodeAttributes(dict, p).map((a) => [a.name, a.value])).toEqual([
      ["Acct-Status-Type", "Stop"],
      ["Acct-Session-Id", "abc"],
      ["Acct-Session-Time", 3600],
    ]);
  });

  it("documents the peer's Accounting-Request MA convention, which differs from RFC 5176 §3.4", () => {
    const raw = radius.encode({
      code: "Accounting-Request",
      identifier: 11,
      secret: SECRET,
      add_message_authenticator: true,
      attributes: [["Acct-Status-Type", "Start"], ["Acct-Session-Id", "abc"]],
    });
    const p = decodePacket(raw);
    // radius computes the Request Authenticator first (over a zeroed MA) and the MA last (over
    // the final authenticator): the reverse of RFC 5176 §3.4. So neither RFC check accepts it...
    expect(verifyRequestAuthenticator(p, secret)).toBe(false);
    expect(verifyMessageAuthenticator(p, secret)).toBe("invalid");
    // ...while its MA does check out against the authenticator as received, showing the bytes
    // are otherwise what we think they are.
    expect(verifyMessageAuthenticator(p, secret, p.authenticator)).toBe("valid");
  });
});

describe("replies, both directions", () => {
  it("our Access-Accept (MA first) passes radius.verify_response and decodes", () => {
    const reqRaw = ourAccessRequest("secret-pw");
    const req = decodePacket(reqRaw);
    const accept = encodeResponse({
      code: Code.AccessAccept,
      identifier: req.identifier,
      requestAuthenticator: req.authenticator,
      secret,
      messageAuthenticator: true,
      attributes: attributesFromObject(dict, {
        "Session-Timeout": 3600,
        "Framed-IP-Address": "100.64.0.10",
        "Reply-Message": "welcome",
        "Mikrotik-Rate-Limit": "10M/20M",
      }),
    });
    expect(radius.verify_response({ request: reqRaw, response: Buffer.from(accept), secret: SECRET })).toBe(true);
    expect(radius.verify_response({ request: reqRaw, response: Buffer.from(accept), secret: "other-secret" })).toBe(false);
    const decoded = radius.decode({ packet: accept, secret: SECRET });
    expect(decoded.code).toBe("Access-Accept");
    expect(decoded.attributes["Session-Timeout"]).toBe(3600);
    expect(decoded.attributes["Framed-IP-Address"]).toBe("100.64.0.10");
    expect(decoded.attributes["Reply-Message"]).toBe("welcome");
  });

  it("radius.encode_response replies pass our Response Authenticator and MA checks", () => {
    for (const code of ["Access-Accept", "Access-Reject", "Access-Challenge"]) {
      const reqRaw = ourAccessRequest("pw");
      const parsed = radius.decode({ packet: reqRaw, secret: SECRET });
      const reply = radius.encode_response({
        packet: parsed,
        code,
        secret: SECRET,
        attributes: [["Reply-Message", `${code} from radius`]],
      });
      const req = decodePacket(reqRaw);
      const p = decodePacket(reply);
      expect(verifyResponseAuthenticator(p, req.authenticator, secret)).toBe(true);
      // radius adds an MA to replies when the request had one.
      expect(verifyMessageAuthenticator(p, secret, req.authenticator)).toBe("valid");
      expect(verifyMessageAuthenticator(p, Buffer.from("x"), req.authenticator)).toBe("invalid");
    }
  });

  it("our Accounting-Response and CoA-ACK verify with radius.verify_response", () => {
    const acct = encodeRequest({
      code: Code.AccountingRequest, identifier: 5, secret, messageAuthenticator: false,
      attributes: attributesFromObject(dict, { "Acct-Status-Type": "Interim-Update", "Acct-Session-Id": "s" }),
    });
    const reply = encodeResponse({
      code: Code.AccountingResponse, identifier: 5, requestAuthenticator: decodePacket(acct).authenticator, secret, attributes: [], messageAuthenticator: false,
    });
    expect(radius.verify_response({ request: acct, response: Buffer.from(reply), secret: SECRET })).toBe(true);
  });

  it("VSAs from radius-independent bytes survive both decoders", () => {
    const raw = encodeResponse({
      code: Code.AccessAccept, identifier: 1, requestAuthenticator: Buffer.alloc(16, 1), secret, messageAuthenticator: true,
      attributes: attributesFromObject(dict, { "Cisco-AVPair": ["ip:addr-pool=a", "subscriber:service=gold"], "WISPr-Bandwidth-Max-Down": 20000000 }),
    });
    expect(() => radius.decode({ packet: raw, secret: SECRET })).not.toThrow();
    expect(findVendorAttributes(decodePacket(raw), 9).map((a) => a.value.toString())).toEqual(["ip:addr-pool=a", "subscriber:service=gold"]);
  });
});
