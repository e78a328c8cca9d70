// RFC 2865 §7 example packets (secret "xyzzy5461"): decode, authenticators, PAP, CHAP, and
// byte-exact re-encoding with our encoder.
import { describe, it, expect } from "@jest/globals";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket, findAttribute, findAttributes, type RadiusPacket } from "../../src/radius/packet.js";
import {
  chapMatches,
  hidePassword,
  unhidePassword,
  verifyMessageAuthenticator,
  verifyResponseAuthenticator,
} from "../../src/radius/authenticator.js";
import { encodeRequest, encodeResponse } from "../../src/radius/encode.js";
import { defaultDictionary } from "../../src/radius/dictionary.js";
import { attributesFromObject, decodeAttributes } from "../../src/radius/values.js";
import { section7 } from "./helpers.js";

const { secret, v } = section7();
const dict = defaultDictionary();

function attr(p: RadiusPacket, type: number): Buffer {
  const a = findAttribute(p, type);
  if (a === undefined) throw new Error(`attribute ${type} missing`);
  return a.value;
}

describe("RFC 2865 §7 vectors: framing", () => {
  const names = ["7.1-access-request", "7.1-access-accept", "7.2-access-request", "7.2-access-accept", "7.3-access-request", "7.3-access-challenge"];
  it.each(names)("%s: Length field equals the octets given and attributes tile exactly", (name) => {
    const buf = v(name);
    const p = decodePacket(buf);
    expect(buf.readUInt16BE(2)).toBe(buf.length);
    expect(p.raw.length).toBe(buf.length);
    const sum = 20 + p.attributes.reduce((n, a) => n + 2 + a.value.length, 0);
    expect(sum).toBe(buf.length);
  });
  it.each(names)("%s: trailing padding is ignored", (name) => {
    const buf = v(name);
    const padded = Buffer.concat([buf, Buffer.from("padding-padding-padding")]);
    const p = decodePacket(padded);
    expect(p.raw.equals(buf)).toBe(true);
    expect(p.attributes.map((a) => a.type)).toEqual(decodePacket(buf).attributes.map((a) => a.type));
  });
});

describe("RFC 2865 §7.1 PAP", () => {
  const req = decodePacket(v("7.1-access-request"));
  const acc = decodePacket(v("7.1-access-accept"));

  it("decodes the Access-Request", () => {
    expect(req.code).toBe(Code.AccessRequest);
    expect(req.identifier).toBe(0);
    expect(attr(req, Attr.UserName).toString()).toBe("nemo");
    expect(attr(req, Attr.NasIpAddress)).toEqual(Buffer.from([192, 168, 1, 16]));
    expect(attr(req, Attr.NasPort).readUInt32BE(0)).toBe(3);
    expect(verifyMessageAuthenticator(req, secret)).toBe("absent");
  });

  it("unhides the User-Password to 'arctangent' and hides it back to the same octets", () => {
    const hidden = attr(req, Attr.UserPassword);
    expect(unhidePassword(hidden, secret, req.authenticator).toString()).toBe("arctangent");
    expect(hidePassword(Buffer.from("arctangent"), secret, req.authenticator).equals(hidden)).toBe(true);
    expect(unhidePassword(hidden, Buffer.from("wrong"), req.authenticator).toString()).not.toBe("arctangent");
  });

  it("verifies the Access-Accept's Response Authenticator", () => {
    expect(acc.code).toBe(Code.AccessAccept);
    expect(verifyResponseAuthenticator(acc, req.authenticator, secret)).toBe(true);
    expect(verifyResponseAuthenticator(acc, req.authenticator, Buffer.from("xyzzy5462"))).toBe(false);
    expect(verifyResponseAuthenticator(acc, Buffer.alloc(16), secret)).toBe(false);
  });

  it("re-encodes both packets byte for byte", () => {
    const reqAgain = encodeRequest({
      code: Code.AccessRequest,
      identifier: 0,
      secret,
      authenticator: req.authenticator,
      messageAuthenticator: false,
      attributes: attributesFromObject(
        dict,
        { "User-Name": "nemo", "User-Password": "arctangent", "NAS-IP-Address": "192.168.1.16", "NAS-Port": 3 },
        { secret, requestAuthenticator: req.authenticator },
      ),
    });
    expect(reqAgain.toString("hex")).toBe(v("7.1-access-request").toString("hex"));
    const accAgain = encodeResponse({
      code: Code.AccessAccept,
      identifier: 0,
      requestAuthenticator: req.authenticator,
      secret,
      messageAuthenticator: false,
      attributes: attributesFromObject(dict, { "Service-Type": "Login-User", "Login-Service": "Telnet", "Login-IP-Host": "192.168.1.3" }),
    });
    expect(accAgain.toString("hex")).toBe(v("7.1-access-accept").toString("hex"));
  });

  it("decodes typed values with the default dictionary", () => {
    const got = decodeAttributes(dict, req, { secret }).map((a) => [a.name, a.value]);
    expect(got).toEqual([
      ["User-Name", "nemo"],
      ["User-Password", "arctangent"],
      ["NAS-IP-Address", "192.168.1.16"],
      ["NAS-Port", 3],
    ]);
  });
});

describe("RFC 2865 §7.2 CHAP", () => {
  const req = decodePacket(v("7.2-access-request"));
  const acc = decodePacket(v("7.2-access-accept"));

  it("decodes the Access-Request with CHAP ident 22", () => {
    expect(req.identifier).toBe(1);
    expect(attr(req, Attr.UserName).toString()).toBe("flopsy");
    const chap = attr(req, Attr.ChapPassword);
    expect(chap.length).toBe(17);
    expect(chap[0]).toBe(22);
    expect(attr(req, Attr.NasPort).readUInt32BE(0)).toBe(20);
    expect(findAttribute(req, Attr.ChapChallenge)).toBeUndefined();
  });

  it("CHAP matches 'arctangent' with the Request Authenticator as challenge (no CHAP-Challenge)", () => {
    const chap = attr(req, Attr.ChapPassword);
    expect(chapMatches(chap, req.authenticator, Buffer.from("arctangent"))).toBe(true);
    expect(chapMatches(chap, req.authenticator, Buffer.from("arctangenT"))).toBe(false);
    expect(chapMatches(chap, Buffer.alloc(16), Buffer.from("arctangent"))).toBe(false);
  });

  it("verifies the Access-Accept (Framed-Routing as printed in the hex: see the erratum note)", () => {
    expect(verifyResponseAuthenticator(acc, req.authenticator, secret)).toBe(true);
    const got = decodeAttributes(dict, acc).map((a) => [a.name, a.value]);
    expect(got).toEqual([
      ["Service-Type", "Framed-User"],
      ["Framed-Protocol", "PPP"],
      ["Framed-IP-Address", "255.255.255.254"],
      ["Framed-Routing", "Listen"],
      ["Framed-Compression", "Van-Jacobson-TCP-IP"],
      ["Framed-MTU", 1500],
    ]);
    // With Framed-Routing = None (0), as the RFC's listing says, the authenticator no longer verifies.
    const listing = Buffer.from(v("7.2-access-accept"));
    listing[43] = 0;
    expect(verifyResponseAuthenticator(decodePacket(listing), req.authenticator, secret)).toBe(false);
  });

  it("re-encodes the Access-Accept byte for byte", () => {
    const again = encodeResponse({
      code: Code.AccessAccept,
      identifier: 1,
      requestAuthenticator: req.authenticator,
      secret,
      messageAuthenticator: false,
      attributes: attributesFromObject(dict, {
        "Service-Type": "Framed-User",
        "Framed-Protocol": "PPP",
        "Framed-IP-Address": "255.255.255.254",
        "Framed-Routing": "Listen",
        "Framed-Compression": "Van-Jacobson-TCP-IP",
        "Framed-MTU": 1500,
      }),
    });
    expect(again.equals(v("7.2-access-accept"))).toBe(true);
  });
});

describe("RFC 2865 §7.3 challenge-response", () => {
  const req = decodePacket(v("7.3-access-request"));
  const chal = decodePacket(v("7.3-access-challenge"));

  it("unhides the first password ('challenge')", () => {
    expect(attr(req, Attr.UserName).toString()).toBe("mopsy");
    expect(unhidePassword(attr(req, Attr.UserPassword), secret, req.authenticator).toString()).toBe("challenge");
  });

  it("verifies the Access-Challenge and reads Reply-Message and State", () => {
    expect(chal.code).toBe(Code.AccessChallenge);
    expect(chal.identifier).toBe(req.identifier);
    expect(verifyResponseAuthenticator(chal, req.authenticator, secret)).toBe(true);
    expect(attr(chal, Attr.ReplyMessage).toString()).toBe("Challenge 32769430.  Enter response at prompt.");
    expect(findAttributes(chal, Attr.State).map((a) => a.value.toString())).toEqual(["32769430"]);
  });

  it("re-encodes the Access-Challenge byte for byte", () => {
    const again = encodeResponse({
      code: Code.AccessChallenge,
      identifier: 2,
      requestAuthenticator: req.authenticator,
      secret,
      messageAuthenticator: false,
      attributes: attributesFromObject(dict, { "Reply-Message": "Challenge 32769430.  Enter response at prompt.", State: "32769430" }),
    });
    expect(again.equals(v("7.3-access-challenge"))).toBe(true);
  });
});
