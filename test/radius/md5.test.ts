// The JS MD5 / HMAC-MD5 used on the hot path: RFC vectors and cross-checks with node:crypto.
import { describe, it, expect } from "@jest/globals";
import { createHash, createHmac } from "node:crypto";
import { HmacMd5, Md5, hmacMd5, md5 } from "../../src/radius/md5.js";
import { prng, randomBuffer } from "./helpers.js";

describe("MD5", () => {
  it.each<[string, string]>([
    // RFC 1321 §A.5 test suite
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
    ["1234567890".repeat(8), "57edf4a22be3c955ac49da2e2107b67a"],
  ])("RFC 1321 MD5(%p)", (input, digest) => {
    expect(md5(Buffer.from(input)).toString("hex")).toBe(digest);
  });

  it("matches node:crypto for every length 0..1100", () => {
    const rand = prng(1321);
    for (let n = 0; n <= 1100; n++) {
      const b = randomBuffer(rand, n);
      expect([n, md5(b).toString("hex")]).toEqual([n, createHash("md5").update(b).digest("hex")]);
    }
  });

  it("gives the same digest however the input is split", () => {
    const rand = prng(7);
    const b = randomBuffer(rand, 200);
    const want = createHash("md5").update(b).digest("hex");
    const h = new Md5();
    for (let cut = 0; cut <= b.length; cut++) {
      h.update(b, 0, cut).update(b, cut, b.length);
      expect(h.digest().toString("hex")).toBe(want);
    }
    for (let step = 1; step < 70; step += 3) {
      for (let i = 0; i < b.length; i += step) h.update(b, i, Math.min(b.length, i + step));
      expect(h.digest().toString("hex")).toBe(want);
    }
  });

  it("digestInto writes at an offset and resets the context", () => {
    const out = Buffer.alloc(20, 0xee);
    const h = new Md5();
    h.update(Buffer.from("abc")).digestInto(out, 2);
    expect(out.subarray(2, 18).toString("hex")).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect([out[0], out[1], out[18], out[19]]).toEqual([0xee, 0xee, 0xee, 0xee]);
    expect(h.digest().toString("hex")).toBe("d41d8cd98f00b204e9800998ecf8427e");
  });
});

describe("HMAC-MD5", () => {
  it.each<[string, Buffer, Buffer, string]>([
    // RFC 2202 §2 test cases 1, 2, 3 and 6
    ["case 1", Buffer.alloc(16, 0x0b), Buffer.from("Hi There"), "9294727a3638bb1c13f48ef8158bfc9d"],
    ["case 2", Buffer.from("Jefe"), Buffer.from("what do ya want for nothing?"), "750c783e6ab0b503eaa86e310a5db738"],
    ["case 3", Buffer.alloc(16, 0xaa), Buffer.alloc(50, 0xdd), "56be34521d144c88dbb8c733f0e8b3f6"],
    ["case 6", Buffer.alloc(80, 0xaa), Buffer.from("Test Using Larger Than Block-Size Key - Hash Key First"), "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"],
  ])("RFC 2202 %s", (_n, key, data, mac) => {
    expect(hmacMd5(key, data).toString("hex")).toBe(mac);
  });

  it("matches node:crypto across key and message lengths", () => {
    const rand = prng(2104);
    for (const kl of [1, 9, 16, 63, 64, 65, 130]) {
      const key = randomBuffer(rand, kl);
      for (let n = 0; n < 300; n += 7) {
        const b = randomBuffer(rand, n);
        expect(hmacMd5(key, b).equals(createHmac("md5", key).update(b).digest())).toBe(true);
      }
    }
  });

  it("notices a secret Buffer changed in place (no stale cached key schedule)", () => {
    const key = Buffer.from("first-secret");
    const msg = Buffer.from("m");
    expect(hmacMd5(key, msg).equals(createHmac("md5", "first-secret").update(msg).digest())).toBe(true);
    key.write("other");
    expect(hmacMd5(key, msg).equals(createHmac("md5", key).update(msg).digest())).toBe(true);
  });

  it("keeps separate secrets apart and can write into the buffer it hashed", () => {
    const a = Buffer.from("secret-a");
    const b = Buffer.from("secret-b");
    const msg = Buffer.from("same message");
    expect(hmacMd5(a, msg).equals(hmacMd5(b, msg))).toBe(false);
    expect(hmacMd5(a, msg).equals(createHmac("md5", a).update(msg).digest())).toBe(true);
    const buf = Buffer.concat([Buffer.from("0123456789"), Buffer.alloc(16)]);
    const want = createHmac("md5", a).update(buf).digest();
    new HmacMd5().begin(a).update(buf).digestInto(buf, 10);
    expect(buf.subarray(10).equals(want)).toBe(true);
  });
});
