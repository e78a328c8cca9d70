// Pure helpers of session.ts: the MSK split, the labels per method and version, the SAN text
// parser and the choice of the subscriber name.
import { describe, expect, it } from "@jest/globals";
import {
  DEFAULT_NAME_SOURCES, LABEL, keyMaterialParams, parseSubjectAltName, splitKeyMaterial, subscriberNameOf,
} from "../../../src/eap/tls/session.js";
import { EapTlsError } from "../../../src/eap/tls/errors.js";

describe("splitKeyMaterial", () => {
  it("MSK = 0..63, EMSK = 64..127, Recv-Key = MSK[0..31], Send-Key = MSK[32..63]", () => {
    const km = Buffer.from(Array.from({ length: 128 }, (_, i) => i));
    const k = splitKeyMaterial(km);
    expect(k.msk.equals(km.subarray(0, 64))).toBe(true);
    expect(k.emsk.equals(km.subarray(64, 128))).toBe(true);
    expect(k.recvKey.equals(km.subarray(0, 32))).toBe(true);
    expect(k.sendKey.equals(km.subarray(32, 64))).toBe(true);
    // Neither MPPE key comes from the EMSK region.
    expect(k.sendKey[0]).toBe(32);
    expect(k.sendKey[31]).toBe(63);
    // Copies: changing the input does not change the keys.
    km[0] = 0xff;
    expect(k.msk[0]).toBe(0);
  });

  it("refuses anything but 128 octets", () => {
    expect(() => splitKeyMaterial(Buffer.alloc(64))).toThrow(EapTlsError);
  });
});

describe("keyMaterialParams", () => {
  it("labels and contexts per method and version", () => {
    expect(keyMaterialParams("tls", "TLSv1.2")).toEqual({ label: "client EAP encryption", context: undefined });
    const t13 = keyMaterialParams("tls", "TLSv1.3");
    expect(t13.label).toBe("EXPORTER_EAP_TLS_Key_Material");
    expect(t13.context?.toString("hex")).toBe("0d");
    expect(keyMaterialParams("peap", "TLSv1.2")).toEqual({ label: "client EAP encryption", context: undefined });
    expect(keyMaterialParams("ttls", "TLSv1.2")).toEqual({ label: "ttls keying material", context: undefined });
    expect(LABEL.ttlsChallenge).toBe("ttls challenge");
  });

  it("PEAP and TTLS over TLS 1.3 are refused", () => {
    expect(() => keyMaterialParams("peap", "TLSv1.3")).toThrow(expect.objectContaining({ code: "EAPTLS_ERR_PROTOCOL_VERSION" }));
    expect(() => keyMaterialParams("ttls", "TLSv1.3")).toThrow(expect.objectContaining({ code: "EAPTLS_ERR_PROTOCOL_VERSION" }));
  });
});

describe("parseSubjectAltName", () => {
  it.each([
    [undefined, []],
    ["", []],
    ["DNS:a.example", [{ type: "DNS", value: "a.example" }]],
    ["email:alice@example.test, DNS:x.test", [{ type: "email", value: "alice@example.test" }, { type: "DNS", value: "x.test" }]],
    ['DNS:"a, b", email:c@d', [{ type: "DNS", value: "a, b" }, { type: "email", value: "c@d" }]],
    ['email:"q\\"uote@x", IP Address:192.0.2.1', [{ type: "email", value: 'q"uote@x' }, { type: "IP Address", value: "192.0.2.1" }]],
  ] as const)("%s", (text, expected) => {
    expect(parseSubjectAltName(text)).toEqual(expected);
  });
});

describe("subscriberNameOf", () => {
  const cert = { commonName: "alice", emails: ["alice@example.test"], dnsNames: ["host.example.test"] };
  it("default order: CN, then SAN email, then SAN DNS", () => {
    expect(DEFAULT_NAME_SOURCES).toEqual(["cn", "email", "dns"]);
    expect(subscriberNameOf(cert)).toEqual({ name: "alice", source: "cn" });
    expect(subscriberNameOf({ ...cert, commonName: undefined })).toEqual({ name: "alice@example.test", source: "email" });
    expect(subscriberNameOf({ commonName: undefined, emails: [], dnsNames: ["host.example.test"] })).toEqual({ name: "host.example.test", source: "dns" });
    expect(subscriberNameOf({ commonName: undefined, emails: [], dnsNames: [] })).toBeUndefined();
  });
  it("a configured order is followed", () => {
    expect(subscriberNameOf(cert, ["email", "cn"])).toEqual({ name: "alice@example.test", source: "email" });
    expect(subscriberNameOf(cert, ["dns"])).toEqual({ name: "host.example.test", source: "dns" });
  });
  it("empty, over-long or control-character names are skipped", () => {
    expect(subscriberNameOf({ ...cert, commonName: "" })?.source).toBe("email");
    expect(subscriberNameOf({ ...cert, commonName: "a".repeat(254) })?.source).toBe("email");
    expect(subscriberNameOf({ ...cert, commonName: "al\u0000ice" })?.source).toBe("email");
  });
});
