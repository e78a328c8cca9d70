// User-Password (RFC 2865 §5.2), Tunnel-Password (RFC 2868 §3.5) and CHAP (RFC 1994).
import { describe, it, expect } from "@jest/globals";
import { createHash } from "node:crypto";
import {
  chapMatches,
  chapResponse,
  hidePassword,
  hideTunnelPassword,
  unhidePassword,
  unhideTunnelPassword,
  MAX_TUNNEL_PASSWORD_LENGTH,
} from "../../src/radius/authenticator.js";
import { expectRadiusError, prng, randomBuffer } from "./helpers.js";

const secret = Buffer.from("s3cr3t-shared");
const auth = Buffer.from("0123456789abcdef");

describe("User-Password hiding", () => {
  const rand = prng(2865);

  it("round-trips every length 1..128 with random octets (NULs inside kept)", () => {
    for (let len = 1; len <= 128; len++) {
      const pw = randomBuffer(rand, len);
      pw[0] = 0; // a NUL first
      if (len > 2) pw[len >> 1] = 0; // and one in the middle
      pw[len - 1] = 0x7a; // but not last: trailing NULs are padding by definition
      const hidden = hidePassword(pw, secret, auth);
      expect(hidden.length).toBe(Math.ceil(len / 16) * 16);
      expect(unhidePassword(hidden, secret, auth).equals(pw)).toBe(true);
    }
  });

  it("keeps a NUL that ends a 16-octet block when more data follows", () => {
    const pw = Buffer.concat([Buffer.from("fifteen-chars!!"), Buffer.from([0]), Buffer.from("tail")]);
    expect(pw.length).toBe(20);
    expect(unhidePassword(hidePassword(pw, secret, auth), secret, auth).equals(pw)).toBe(true);
  });

  it("strips only trailing NUL padding", () => {
    const pw = Buffer.from([0x61, 0, 0x62, 0, 0]);
    expect(unhidePassword(hidePassword(pw, secret, auth), secret, auth)).toEqual(Buffer.from([0x61, 0, 0x62]));
  });

  it("matches an independent implementation of RFC 2865 §5.2", () => {
    const pw = Buffer.from("a password that spans three blocks of sixteen");
    const padded = Buffer.alloc(48);
    pw.copy(padded);
    const out: Buffer[] = [];
    let prev = auth;
    for (let i = 0; i < 48; i += 16) {
      const b = createHash("md5").update(Buffer.concat([secret, prev])).digest();
      const c = Buffer.from(padded.subarray(i, i + 16).map((x, j) => x ^ (b[j] as number)));
      out.push(c);
      prev = c;
    }
    expect(hidePassword(pw, secret, auth).equals(Buffer.concat(out))).toBe(true);
  });

  it.each([0, 129, 200])("refuses a %i-octet password", (n) => {
    expectRadiusError(() => hidePassword(Buffer.alloc(n, 0x61), secret, auth), "RADIUS_ERR_PASSWORD_LENGTH");
  });

  it.each([0, 1, 8, 15, 17, 31, 33, 129, 144, 256])("refuses a %i-octet hidden value", (n) => {
    expectRadiusError(() => unhidePassword(Buffer.alloc(n), secret, auth), "RADIUS_ERR_PASSWORD_LENGTH");
  });

  it("accepts every valid hidden length 16..128", () => {
    for (let n = 16; n <= 128; n += 16) expect(unhidePassword(Buffer.alloc(n, 1), secret, auth).length).toBeLessThanOrEqual(n);
  });

  it("refuses a bad secret or authenticator with RADIUS_ERR_BAD_ARGUMENT", () => {
    expectRadiusError(() => hidePassword(Buffer.from("x"), Buffer.alloc(0), auth), "RADIUS_ERR_BAD_ARGUMENT");
    expectRadiusError(() => hidePassword(Buffer.from("x"), secret, Buffer.alloc(15)), "RADIUS_ERR_BAD_ARGUMENT");
    expectRadiusError(() => unhidePassword(Buffer.alloc(16), secret, Buffer.alloc(17)), "RADIUS_ERR_BAD_ARGUMENT");
  });

  it("does not modify its inputs", () => {
    const pw = Buffer.from("hunter2");
    const copy = Buffer.from(pw);
    const a = Buffer.from(auth);
    const hidden = hidePassword(pw, secret, a);
    const hcopy = Buffer.from(hidden);
    unhidePassword(hidden, secret, a);
    expect(pw.equals(copy) && a.equals(auth) && hidden.equals(hcopy)).toBe(true);
  });
});

describe("Tunnel-Password hiding (RFC 2868 §3.5)", () => {
  const salt = Buffer.from([0x85, 0x1f]);

  it("matches an independent implementation", () => {
    const pw = Buffer.from("tunnel-secret");
    const plain = Buffer.alloc(16);
    plain[0] = pw.length;
    pw.copy(plain, 1);
    const b1 = createHash("md5").update(Buffer.concat([secret, auth, salt])).digest();
    const expected = Buffer.concat([salt, Buffer.from(plain.map((x, j) => x ^ (b1[j] as number)))]);
    expect(hideTunnelPassword(pw, secret, auth, salt).equals(expected)).toBe(true);
  });

  it("round-trips every length 1..239", () => {
    const rand = prng(2868);
    for (let len = 1; len <= MAX_TUNNEL_PASSWORD_LENGTH; len++) {
      const pw = randomBuffer(rand, len);
      const hidden = hideTunnelPassword(pw, secret, auth);
      expect(((hidden[0] as number) & 0x80) !== 0).toBe(true);
      expect((hidden.length - 2) % 16).toBe(0);
      expect(unhideTunnelPassword(hidden, secret, auth).equals(pw)).toBe(true);
    }
  });

  it("uses a fresh random salt each time", () => {
    const pw = Buffer.from("x");
    const salts = new Set(Array.from({ length: 20 }, () => hideTunnelPassword(pw, secret, auth).subarray(0, 2).toString("hex")));
    expect(salts.size).toBeGreaterThan(1);
  });

  it("refuses bad lengths, salts and length octets", () => {
    expectRadiusError(() => hideTunnelPassword(Buffer.alloc(0), secret, auth), "RADIUS_ERR_PASSWORD_LENGTH");
    expectRadiusError(() => hideTunnelPassword(Buffer.alloc(240), secret, auth), "RADIUS_ERR_PASSWORD_LENGTH");
    expectRadiusError(() => hideTunnelPassword(Buffer.from("x"), secret, auth, Buffer.from([0x05, 0x01])), "RADIUS_ERR_BAD_ARGUMENT");
    expectRadiusError(() => hideTunnelPassword(Buffer.from("x"), secret, auth, Buffer.from([0x85])), "RADIUS_ERR_BAD_ARGUMENT");
    for (const n of [0, 2, 17, 19, 33, 243]) {
      expectRadiusError(() => unhideTunnelPassword(Buffer.alloc(n, 0x80), secret, auth), "RADIUS_ERR_PASSWORD_LENGTH");
    }
    const hidden = hideTunnelPassword(Buffer.from("abc"), secret, auth, salt);
    const noHighBit = Buffer.from(hidden);
    noHighBit[0] = 0x05;
    expectRadiusError(() => unhideTunnelPassword(noHighBit, secret, auth), "RADIUS_ERR_BAD_VALUE");
    // A wrong secret yields a length octet that does not fit (with overwhelming probability here).
    let badLength = 0;
    for (let i = 0; i < 20; i++) {
      try {
        unhideTunnelPassword(hidden, Buffer.from(`wrong-${i}`), auth);
      } catch {
        badLength++;
      }
    }
    expect(badLength).toBeGreaterThan(10);
  });
});

describe("CHAP", () => {
  const challenge = Buffer.from("fedcba9876543210");
  it("chapResponse and chapMatches agree; the ident is part of the hash", () => {
    const cp = chapResponse(42, Buffer.from("pw"), challenge);
    expect(cp.length).toBe(17);
    expect(chapMatches(cp, challenge, Buffer.from("pw"))).toBe(true);
    expect(chapMatches(cp, challenge, Buffer.from("pW"))).toBe(false);
    const otherIdent = Buffer.from(cp);
    otherIdent[0] = 43;
    expect(chapMatches(otherIdent, challenge, Buffer.from("pw"))).toBe(false);
  });
  it("a CHAP-Password that is not 17 octets never matches", () => {
    const cp = chapResponse(1, Buffer.from("pw"), challenge);
    for (const bad of [Buffer.alloc(0), cp.subarray(0, 16), Buffer.concat([cp, Buffer.from([0])])]) {
      expect(chapMatches(bad, challenge, Buffer.from("pw"))).toBe(false);
    }
  });
  it("chapResponse refuses a non-octet ident", () => {
    expectRadiusError(() => chapResponse(256, Buffer.from("pw"), challenge), "RADIUS_ERR_BAD_ARGUMENT");
  });
});
