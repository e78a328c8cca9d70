// MS-CHAPv2 crypto against RFC 2759 §9.2 and RFC 3079 §3.5.3, and the MPPE key attributes.
import { describe, it, expect } from "@jest/globals";
import { createCipheriv } from "node:crypto";
import {
  asymmetricStartKey,
  authenticatorResponse,
  challengeHash,
  challengeResponse,
  challengeUserName,
  expandDesKey,
  generateNtResponse,
  hashNtPasswordHash,
  masterKey,
  md4Digest,
  ntPasswordHash,
  ntResponseMatches,
  serverMppeKeys,
  subscriberNtHash,
} from "../../src/mschap/mschapv2.js";
import { mppeKeyAttributes } from "../../src/reply/mppe.js";
import { unhideTunnelPassword } from "../../src/radius/authenticator.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

// RFC 2759 §9.2 (the same values open RFC 3079 §3.5.3).
const USER = Buffer.from("User");
const PASSWORD = "clientPass";
const AUTH_CHALLENGE = hex("5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28");
const PEER_CHALLENGE = hex("21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E");
const CHALLENGE = hex("D0 2E 43 86 BC E9 12 26");
const NT_RESPONSE = hex("82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF");
const PASSWORD_HASH = hex("44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE");
const PASSWORD_HASH_HASH = hex("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F");
const AUTHENTICATOR_RESPONSE = "S=407A5589115FD0D6209F510FE9C04566932CDA56";
// RFC 3079 §3.5.3.
const MASTER_KEY = hex("FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31");
const SEND_START_KEY_128 = hex("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB");

describe("MD4 (js-md4)", () => {
  it("matches the RFC 1320 §A.5 test suite", () => {
    expect(md4Digest(Buffer.from("")).toString("hex")).toBe("31d6cfe0d16ae931b73c59d7e0c089c0");
    expect(md4Digest(Buffer.from("abc")).toString("hex")).toBe("a448017aaf21d8525fc10ae87aa6729d");
    expect(md4Digest(Buffer.from("message digest")).toString("hex")).toBe("d9130a8164549fe818874806e1c7014b");
  });
});

describe("single DES through des-ede3", () => {
  it("expands 56 key bits to 8 octets with odd parity (RFC 2759 §8.6)", () => {
    const k = expandDesKey(hex("FFFFFFFFFFFFFF"));
    expect(k.toString("hex")).toBe("fefefefefefefefe");
    for (const b of expandDesKey(hex("0123456789ABCD"))) {
      let ones = 0;
      for (let v = b; v; v >>= 1) ones += v & 1;
      expect(ones % 2).toBe(1);
    }
  });

  it("equals DES with the FIPS 81 example (key 0123456789ABCDEF, 'Now is t')", () => {
    // The 8-octet key 01 23 45 67 89 AB CD EF holds these 56 bits (parity bits dropped).
    const key8 = hex("0123456789ABCDEF");
    const c = createCipheriv("des-ede3", Buffer.concat([key8, key8, key8]), null);
    c.setAutoPadding(false);
    expect(Buffer.concat([c.update(Buffer.from("Now is t")), c.final()]).toString("hex")).toBe("3fa40e8a984d4815");
  });
});

describe("RFC 2759 §9.2 vectors", () => {
  it("NtPasswordHash and HashNtPasswordHash", () => {
    expect(ntPasswordHash(PASSWORD)).toEqual(PASSWORD_HASH);
    expect(hashNtPasswordHash(PASSWORD_HASH)).toEqual(PASSWORD_HASH_HASH);
  });

  it("ChallengeHash, ChallengeResponse and GenerateNTResponse", () => {
    expect(challengeHash(PEER_CHALLENGE, AUTH_CHALLENGE, USER)).toEqual(CHALLENGE);
    expect(challengeResponse(CHALLENGE, PASSWORD_HASH)).toEqual(NT_RESPONSE);
    expect(generateNtResponse(AUTH_CHALLENGE, PEER_CHALLENGE, USER, PASSWORD_HASH)).toEqual(NT_RESPONSE);
  });

  it("GenerateAuthenticatorResponse", () => {
    expect(authenticatorResponse(PASSWORD_HASH, NT_RESPONSE, PEER_CHALLENGE, AUTH_CHALLENGE, USER)).toBe(AUTHENTICATOR_RESPONSE);
  });

  it("checks an NT-Response: right, one bit off, wrong length", () => {
    expect(ntResponseMatches(NT_RESPONSE, AUTH_CHALLENGE, PEER_CHALLENGE, USER, PASSWORD_HASH)).toBe(true);
    const bad = Buffer.from(NT_RESPONSE);
    bad[23] = (bad[23] as number) ^ 1;
    expect(ntResponseMatches(bad, AUTH_CHALLENGE, PEER_CHALLENGE, USER, PASSWORD_HASH)).toBe(false);
    expect(ntResponseMatches(NT_RESPONSE.subarray(0, 23), AUTH_CHALLENGE, PEER_CHALLENGE, USER, PASSWORD_HASH)).toBe(false);
    expect(ntResponseMatches(NT_RESPONSE, AUTH_CHALLENGE, PEER_CHALLENGE, Buffer.from("user"), PASSWORD_HASH)).toBe(false);
  });

  it("drops a DOMAIN\\ prefix from the name hashed (RFC 2759 §8.2)", () => {
    expect(challengeUserName(Buffer.from("CORP\\User"))).toEqual(USER);
    expect(challengeUserName(USER)).toEqual(USER);
  });
});

describe("RFC 3079 §3.5.3 key vectors", () => {
  it("GetMasterKey and GetAsymmetricStartKey (128-bit)", () => {
    expect(masterKey(PASSWORD_HASH_HASH, NT_RESPONSE)).toEqual(MASTER_KEY);
    // The RFC derives the send key on the server: IsSend and IsServer both true (Magic3).
    expect(asymmetricStartKey(MASTER_KEY, true, true)).toEqual(SEND_START_KEY_128);
    // The client's receive key is the server's send key; its send key the server's receive key.
    expect(asymmetricStartKey(MASTER_KEY, false, false)).toEqual(SEND_START_KEY_128);
    expect(asymmetricStartKey(MASTER_KEY, true, false)).toEqual(asymmetricStartKey(MASTER_KEY, false, true));
    expect(asymmetricStartKey(MASTER_KEY, false, true)).not.toEqual(SEND_START_KEY_128);
    const keys = serverMppeKeys(PASSWORD_HASH, NT_RESPONSE);
    expect(keys.sendKey).toEqual(SEND_START_KEY_128);
    expect(keys.recvKey).toEqual(asymmetricStartKey(MASTER_KEY, false, true));
  });
});

describe("subscriber NT hash", () => {
  it("comes from ntHash, else from the cleartext; none for an scrypt hash", () => {
    expect(subscriberNtHash({ ntHash: PASSWORD_HASH.toString("hex").toUpperCase() })).toEqual(PASSWORD_HASH);
    expect(subscriberNtHash({ password: PASSWORD })).toEqual(PASSWORD_HASH);
    expect(subscriberNtHash({})).toBeNull();
  });
});

describe("MS-MPPE key attributes (RFC 2548 §2.4.2, §2.4.3)", () => {
  const secret = Buffer.from("testing123");
  const reqAuth = hex("000102030405060708090a0b0c0d0e0f");

  it("hide each key with its own high-bit salt, a length octet and padding; decryptable with the secret", () => {
    const keys = { sendKey: Buffer.alloc(16, 0x11), recvKey: Buffer.alloc(32, 0x22) };
    const [recv, send] = mppeKeyAttributes(keys, secret, reqAuth);
    if (!recv || !send || !("vendorId" in recv) || !("vendorId" in send)) throw new Error("two vendor attributes expected");
    expect([recv.vendorId, recv.vendorType, send.vendorId, send.vendorType]).toEqual([311, 17, 311, 16]);
    // Salt(2) + (1 + 32 -> 48) and Salt(2) + (1 + 16 -> 32).
    expect(recv.value.length).toBe(50);
    expect(send.value.length).toBe(34);
    expect((recv.value[0] as number) & 0x80).toBe(0x80);
    expect((send.value[0] as number) & 0x80).toBe(0x80);
    expect(recv.value.subarray(0, 2).equals(send.value.subarray(0, 2))).toBe(false);
    expect(unhideTunnelPassword(recv.value, secret, reqAuth)).toEqual(keys.recvKey);
    expect(unhideTunnelPassword(send.value, secret, reqAuth)).toEqual(keys.sendKey);
    let other: Buffer | null = null;
    try {
      other = unhideTunnelPassword(send.value, Buffer.from("other"), reqAuth);
    } catch {
      // a wrong secret usually yields an impossible length octet
    }
    expect(other).not.toEqual(keys.sendKey);
  });

  it("draws another salt when the random source repeats itself", () => {
    const draws = [Buffer.from([0x81, 0x02]), Buffer.from([0x01, 0x02]), Buffer.from([0x01, 0x03])];
    let i = 0;
    const random = (): Buffer => Buffer.from(draws[Math.min(i++, draws.length - 1)]!);
    const [a, b] = mppeKeyAttributes({ sendKey: Buffer.alloc(16), recvKey: Buffer.alloc(16) }, secret, reqAuth, random);
    expect(a!.value.subarray(0, 2)).toEqual(Buffer.from([0x81, 0x02]));
    expect(b!.value.subarray(0, 2)).toEqual(Buffer.from([0x81, 0x03]));
    expect(i).toBe(3);
  });
});
