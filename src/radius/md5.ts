/**
 * MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) in plain TypeScript, for the per-packet hot path.
 *
 * Why not node:crypto: each crypto.hash/createHash/createHmac call has a fixed setup cost that
 * dominates for RADIUS-sized inputs, while a reused context here (and HMAC from the key's cached
 * inner/outer states) is several times cheaper: figures and command in docs/benchmarks.md
 * ("Per-request costs"). The load-test tools use this module too.
 * MD5 uses only additions, rotations and bitwise operations on a fixed schedule, so its timing
 * does not depend on the data. Test vectors and random cross-checks against node:crypto are in
 * test/radius/md5.test.ts.
 */

const INIT_A = 0x67452301 | 0;
const INIT_B = 0xefcdab89 | 0;
const INIT_C = 0x98badcfe | 0;
const INIT_D = 0x10325476 | 0;

/**
 * One 64-octet block at `off` of `m` into `s` (RFC 1321 §3.4). Unrolled with the sine table
 * T[i] = floor(2^32 * abs(sin(i))) folded in as constants and the message words in locals: this
 * is what makes the JS version faster than a node:crypto call for RADIUS-sized inputs.
 */
function compress(s: Int32Array, m: Uint8Array, off: number): void {
  const x0 = (m[off + 0] as number) | ((m[off + 1] as number) << 8) | ((m[off + 2] as number) << 16) | ((m[off + 3] as number) << 24);
  const x1 = (m[off + 4] as number) | ((m[off + 5] as number) << 8) | ((m[off + 6] as number) << 16) | ((m[off + 7] as number) << 24);
  const x2 = (m[off + 8] as number) | ((m[off + 9] as number) << 8) | ((m[off + 10] as number) << 16) | ((m[off + 11] as number) << 24);
  const x3 = (m[off + 12] as number) | ((m[off + 13] as number) << 8) | ((m[off + 14] as number) << 16) | ((m[off + 15] as number) << 24);
  const x4 = (m[off + 16] as number) | ((m[off + 17] as number) << 8) | ((m[off + 18] as number) << 16) | ((m[off + 19] as number) << 24);
  const x5 = (m[off + 20] as number) | ((m[off + 21] as number) << 8) | ((m[off + 22] as number) << 16) | ((m[off + 23] as number) << 24);
  const x6 = (m[off + 24] as number) | ((m[off + 25] as number) << 8) | ((m[off + 26] as number) << 16) | ((m[off + 27] as number) << 24);
  const x7 = (m[off + 28] as number) | ((m[off + 29] as number) << 8) | ((m[off + 30] as number) << 16) | ((m[off + 31] as number) << 24);
  const x8 = (m[off + 32] as number) | ((m[off + 33] as number) << 8) | ((m[off + 34] as number) << 16) | ((m[off + 35] as number) << 24);
  const x9 = (m[off + 36] as number) | ((m[off + 37] as number) << 8) | ((m[off + 38] as number) << 16) | ((m[off + 39] as number) << 24);
  const x10 = (m[off + 40] as number) | ((m[off + 41] as number) << 8) | ((m[off + 42] as number) << 16) | ((m[off + 43] as number) << 24);
  const x11 = (m[off + 44] as number) | ((m[off + 45] as number) << 8) | ((m[off + 46] as number) << 16) | ((m[off + 47] as number) << 24);
  const x12 = (m[off + 48] as number) | ((m[off + 49] as number) << 8) | ((m[off + 50] as number) << 16) | ((m[off + 51] as number) << 24);
  const x13 = (m[off + 52] as number) | ((m[off + 53] as number) << 8) | ((m[off + 54] as number) << 16) | ((m[off + 55] as number) << 24);
  const x14 = (m[off + 56] as number) | ((m[off + 57] as number) << 8) | ((m[off + 58] as number) << 16) | ((m[off + 59] as number) << 24);
  const x15 = (m[off + 60] as number) | ((m[off + 61] as number) << 8) | ((m[off + 62] as number) << 16) | ((m[off + 63] as number) << 24);
  let a = s[0] as number;
  let b = s[1] as number;
  let c = s[2] as number;
  let d = s[3] as number;
  let f: number;
  // Round 1
  f = (a + ((b & c) | (~b & d)) + x0 + (0xd76aa478 | 0)) | 0; a = (b + ((f << 7) | (f >>> 25))) | 0;
  f = (d + ((a & b) | (~a & c)) + x1 + (0xe8c7b756 | 0)) | 0; d = (a + ((f << 12) | (f >>> 20))) | 0;
  f = (c + ((d & a) | (~d & b)) + x2 + (0x242070db | 0)) | 0; c = (d + ((f << 17) | (f >>> 15))) | 0;
  f = (b + ((c & d) | (~c & a)) + x3 + (0xc1bdceee | 0)) | 0; b = (c + ((f << 22) | (f >>> 10))) | 0;
  f = (a + ((b & c) | (~b & d)) + x4 + (0xf57c0faf | 0)) | 0; a = (b + ((f << 7) | (f >>> 25))) | 0;
  f = (d + ((a & b) | (~a & c)) + x5 + (0x4787c62a | 0)) | 0; d = (a + ((f << 12) | (f >>> 20))) | 0;
  f = (c + ((d & a) | (~d & b)) + x6 + (0xa8304613 | 0)) | 0; c = (d + ((f << 17) | (f >>> 15))) | 0;
  f = (b + ((c & d) | (~c & a)) + x7 + (0xfd469501 | 0)) | 0; b = (c + ((f << 22) | (f >>> 10))) | 0;
  f = (a + ((b & c) | (~b & d)) + x8 + (0x698098d8 | 0)) | 0; a = (b + ((f << 7) | (f >>> 25))) | 0;
  f = (d + ((a & b) | (~a & c)) + x9 + (0x8b44f7af | 0)) | 0; d = (a + ((f << 12) | (f >>> 20))) | 0;
  f = (c + ((d & a) | (~d & b)) + x10 + (0xffff5bb1 | 0)) | 0; c = (d + ((f << 17) | (f >>> 15))) | 0;
  f = (b + ((c & d) | (~c & a)) + x11 + (0x895cd7be | 0)) | 0; b = (c + ((f << 22) | (f >>> 10))) | 0;
  f = (a + ((b & c) | (~b & d)) + x12 + (0x6b901122 | 0)) | 0; a = (b + ((f << 7) | (f >>> 25))) | 0;
  f = (d + ((a & b) | (~a & c)) + x13 + (0xfd987193 | 0)) | 0; d = (a + ((f << 12) | (f >>> 20))) | 0;
  f = (c + ((d & a) | (~d & b)) + x14 + (0xa679438e | 0)) | 0; c = (d + ((f << 17) | (f >>> 15))) | 0;
  f = (b + ((c & d) | (~c & a)) + x15 + (0x49b40821 | 0)) | 0; b = (c + ((f << 22) | (f >>> 10))) | 0;
  // Round 2
  f = (a + ((b & d) | (c & ~d)) + x1 + (0xf61e2562 | 0)) | 0; a = (b + ((f << 5) | (f >>> 27))) | 0;
  f = (d + ((a & c) | (b & ~c)) + x6 + (0xc040b340 | 0)) | 0; d = (a + ((f << 9) | (f >>> 23))) | 0;
  f = (c + ((d & b) | (a & ~b)) + x11 + (0x265e5a51 | 0)) | 0; c = (d + ((f << 14) | (f >>> 18))) | 0;
  f = (b + ((c & a) | (d & ~a)) + x0 + (0xe9b6c7aa | 0)) | 0; b = (c + ((f << 20) | (f >>> 12))) | 0;
  f = (a + ((b & d) | (c & ~d)) + x5 + (0xd62f105d | 0)) | 0; a = (b + ((f << 5) | (f >>> 27))) | 0;
  f = (d + ((a & c) | (b & ~c)) + x10 + (0x02441453 | 0)) | 0; d = (a + ((f << 9) | (f >>> 23))) | 0;
  f = (c + ((d & b) | (a & ~b)) + x15 + (0xd8a1e681 | 0)) | 0; c = (d + ((f << 14) | (f >>> 18))) | 0;
  f = (b + ((c & a) | (d & ~a)) + x4 + (0xe7d3fbc8 | 0)) | 0; b = (c + ((f << 20) | (f >>> 12))) | 0;
  f = (a + ((b & d) | (c & ~d)) + x9 + (0x21e1cde6 | 0)) | 0; a = (b + ((f << 5) | (f >>> 27))) | 0;
  f = (d + ((a & c) | (b & ~c)) + x14 + (0xc33707d6 | 0)) | 0; d = (a + ((f << 9) | (f >>> 23))) | 0;
  f = (c + ((d & b) | (a & ~b)) + x3 + (0xf4d50d87 | 0)) | 0; c = (d + ((f << 14) | (f >>> 18))) | 0;
  f = (b + ((c & a) | (d & ~a)) + x8 + (0x455a14ed | 0)) | 0; b = (c + ((f << 20) | (f >>> 12))) | 0;
  f = (a + ((b & d) | (c & ~d)) + x13 + (0xa9e3e905 | 0)) | 0; a = (b + ((f << 5) | (f >>> 27))) | 0;
  f = (d + ((a & c) | (b & ~c)) + x2 + (0xfcefa3f8 | 0)) | 0; d = (a + ((f << 9) | (f >>> 23))) | 0;
  f = (c + ((d & b) | (a & ~b)) + x7 + (0x676f02d9 | 0)) | 0; c = (d + ((f << 14) | (f >>> 18))) | 0;
  f = (b + ((c & a) | (d & ~a)) + x12 + (0x8d2a4c8a | 0)) | 0; b = (c + ((f << 20) | (f >>> 12))) | 0;
  // Round 3
  f = (a + (b ^ c ^ d) + x5 + (0xfffa3942 | 0)) | 0; a = (b + ((f << 4) | (f >>> 28))) | 0;
  f = (d + (a ^ b ^ c) + x8 + (0x8771f681 | 0)) | 0; d = (a + ((f << 11) | (f >>> 21))) | 0;
  f = (c + (d ^ a ^ b) + x11 + (0x6d9d6122 | 0)) | 0; c = (d + ((f << 16) | (f >>> 16))) | 0;
  f = (b + (c ^ d ^ a) + x14 + (0xfde5380c | 0)) | 0; b = (c + ((f << 23) | (f >>> 9))) | 0;
  f = (a + (b ^ c ^ d) + x1 + (0xa4beea44 | 0)) | 0; a = (b + ((f << 4) | (f >>> 28))) | 0;
  f = (d + (a ^ b ^ c) + x4 + (0x4bdecfa9 | 0)) | 0; d = (a + ((f << 11) | (f >>> 21))) | 0;
  f = (c + (d ^ a ^ b) + x7 + (0xf6bb4b60 | 0)) | 0; c = (d + ((f << 16) | (f >>> 16))) | 0;
  f = (b + (c ^ d ^ a) + x10 + (0xbebfbc70 | 0)) | 0; b = (c + ((f << 23) | (f >>> 9))) | 0;
  f = (a + (b ^ c ^ d) + x13 + (0x289b7ec6 | 0)) | 0; a = (b + ((f << 4) | (f >>> 28))) | 0;
  f = (d + (a ^ b ^ c) + x0 + (0xeaa127fa | 0)) | 0; d = (a + ((f << 11) | (f >>> 21))) | 0;
  f = (c + (d ^ a ^ b) + x3 + (0xd4ef3085 | 0)) | 0; c = (d + ((f << 16) | (f >>> 16))) | 0;
  f = (b + (c ^ d ^ a) + x6 + (0x04881d05 | 0)) | 0; b = (c + ((f << 23) | (f >>> 9))) | 0;
  f = (a + (b ^ c ^ d) + x9 + (0xd9d4d039 | 0)) | 0; a = (b + ((f << 4) | (f >>> 28))) | 0;
  f = (d + (a ^ b ^ c) + x12 + (0xe6db99e5 | 0)) | 0; d = (a + ((f << 11) | (f >>> 21))) | 0;
  f = (c + (d ^ a ^ b) + x15 + (0x1fa27cf8 | 0)) | 0; c = (d + ((f << 16) | (f >>> 16))) | 0;
  f = (b + (c ^ d ^ a) + x2 + (0xc4ac5665 | 0)) | 0; b = (c + ((f << 23) | (f >>> 9))) | 0;
  // Round 4
  f = (a + (c ^ (b | ~d)) + x0 + (0xf4292244 | 0)) | 0; a = (b + ((f << 6) | (f >>> 26))) | 0;
  f = (d + (b ^ (a | ~c)) + x7 + (0x432aff97 | 0)) | 0; d = (a + ((f << 10) | (f >>> 22))) | 0;
  f = (c + (a ^ (d | ~b)) + x14 + (0xab9423a7 | 0)) | 0; c = (d + ((f << 15) | (f >>> 17))) | 0;
  f = (b + (d ^ (c | ~a)) + x5 + (0xfc93a039 | 0)) | 0; b = (c + ((f << 21) | (f >>> 11))) | 0;
  f = (a + (c ^ (b | ~d)) + x12 + (0x655b59c3 | 0)) | 0; a = (b + ((f << 6) | (f >>> 26))) | 0;
  f = (d + (b ^ (a | ~c)) + x3 + (0x8f0ccc92 | 0)) | 0; d = (a + ((f << 10) | (f >>> 22))) | 0;
  f = (c + (a ^ (d | ~b)) + x10 + (0xffeff47d | 0)) | 0; c = (d + ((f << 15) | (f >>> 17))) | 0;
  f = (b + (d ^ (c | ~a)) + x1 + (0x85845dd1 | 0)) | 0; b = (c + ((f << 21) | (f >>> 11))) | 0;
  f = (a + (c ^ (b | ~d)) + x8 + (0x6fa87e4f | 0)) | 0; a = (b + ((f << 6) | (f >>> 26))) | 0;
  f = (d + (b ^ (a | ~c)) + x15 + (0xfe2ce6e0 | 0)) | 0; d = (a + ((f << 10) | (f >>> 22))) | 0;
  f = (c + (a ^ (d | ~b)) + x6 + (0xa3014314 | 0)) | 0; c = (d + ((f << 15) | (f >>> 17))) | 0;
  f = (b + (d ^ (c | ~a)) + x13 + (0x4e0811a1 | 0)) | 0; b = (c + ((f << 21) | (f >>> 11))) | 0;
  f = (a + (c ^ (b | ~d)) + x4 + (0xf7537e82 | 0)) | 0; a = (b + ((f << 6) | (f >>> 26))) | 0;
  f = (d + (b ^ (a | ~c)) + x11 + (0xbd3af235 | 0)) | 0; d = (a + ((f << 10) | (f >>> 22))) | 0;
  f = (c + (a ^ (d | ~b)) + x2 + (0x2ad7d2bb | 0)) | 0; c = (d + ((f << 15) | (f >>> 17))) | 0;
  f = (b + (d ^ (c | ~a)) + x9 + (0xeb86d391 | 0)) | 0; b = (c + ((f << 21) | (f >>> 11))) | 0;
  s[0] = ((s[0] as number) + a) | 0;
  s[1] = ((s[1] as number) + b) | 0;
  s[2] = ((s[2] as number) + c) | 0;
  s[3] = ((s[3] as number) + d) | 0;
}

/** An incremental MD5 context. Reuse one with reset() to avoid allocation. */
export class Md5 {
  readonly #s = new Int32Array(4);
  readonly #buf = new Uint8Array(64);
  #bufLen = 0;
  #total = 0;

  constructor() {
    this.reset();
  }

  reset(): this {
    const s = this.#s;
    s[0] = INIT_A;
    s[1] = INIT_B;
    s[2] = INIT_C;
    s[3] = INIT_D;
    this.#bufLen = 0;
    this.#total = 0;
    return this;
  }

  /** Start from a saved 64-octet-aligned state (HMAC key schedule). */
  restore(state: Int32Array, total: number): this {
    this.#s.set(state);
    this.#bufLen = 0;
    this.#total = total;
    return this;
  }

  /** Copy of the chaining state; only meaningful on a 64-octet boundary. */
  state(): Int32Array {
    return this.#s.slice();
  }

  update(data: Uint8Array, start = 0, end = data.length): this {
    let pos = start;
    this.#total += end - start;
    const buf = this.#buf;
    let n = this.#bufLen;
    // Byte loops rather than subarray()+set(): these copies are under 64 octets, and creating
    // typed-array views costs more than the copy itself.
    if (n > 0) {
      while (n < 64 && pos < end) buf[n++] = data[pos++] as number;
      if (n < 64) {
        this.#bufLen = n;
        return this;
      }
      compress(this.#s, buf, 0);
      n = 0;
    }
    while (end - pos >= 64) {
      compress(this.#s, data, pos);
      pos += 64;
    }
    while (pos < end) buf[n++] = data[pos++] as number;
    this.#bufLen = n;
    return this;
  }

  /** Finish (RFC 1321 §3.1-3.2 padding) and write the 16-octet digest into `out` at `offset`. */
  digestInto(out: Uint8Array, offset = 0): void {
    const buf = this.#buf;
    const bits = this.#total * 8;
    let n = this.#bufLen;
    buf[n++] = 0x80;
    if (n > 56) {
      buf.fill(0, n, 64);
      compress(this.#s, buf, 0);
      n = 0;
    }
    buf.fill(0, n, 56);
    // Length in bits, little-endian 64-bit (packets are far below 2^32 bits).
    const lo = bits >>> 0;
    const hi = Math.floor(bits / 4294967296) >>> 0;
    buf[56] = lo & 0xff;
    buf[57] = (lo >>> 8) & 0xff;
    buf[58] = (lo >>> 16) & 0xff;
    buf[59] = lo >>> 24;
    buf[60] = hi & 0xff;
    buf[61] = (hi >>> 8) & 0xff;
    buf[62] = (hi >>> 16) & 0xff;
    buf[63] = hi >>> 24;
    compress(this.#s, buf, 0);
    const s = this.#s;
    for (let i = 0; i < 4; i++) {
      const w = s[i] as number;
      const o = offset + i * 4;
      out[o] = w & 0xff;
      out[o + 1] = (w >>> 8) & 0xff;
      out[o + 2] = (w >>> 16) & 0xff;
      out[o + 3] = w >>> 24;
    }
    this.reset();
  }

  digest(): Buffer {
    const out = Buffer.allocUnsafe(16);
    this.digestInto(out, 0);
    return out;
  }
}

const shared = new Md5();

/** One-shot MD5 of the concatenation of `parts`. */
export function md5(...parts: Uint8Array[]): Buffer {
  const h = shared.reset();
  for (const p of parts) h.update(p);
  return h.digest();
}

interface HmacKey {
  /** Copy of the secret the schedule was built from, to notice a Buffer modified in place. */
  secret: Uint8Array;
  inner: Int32Array;
  outer: Int32Array;
}

// Secrets are long-lived per client; cache their HMAC key schedules (two compressions saved per
// MAC). A WeakMap keyed by the Buffer object goes away with the Buffer.
const keyCache = new WeakMap<Uint8Array, HmacKey>();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hmacKey(secret: Uint8Array): HmacKey {
  let k = keyCache.get(secret);
  if (k !== undefined && sameBytes(k.secret, secret)) return k;
  // RFC 2104 §2: keys longer than the block are hashed first; then zero-padded to 64 octets.
  const key = new Uint8Array(64);
  key.set(secret.length > 64 ? md5(secret) : secret);
  const pad = new Uint8Array(64);
  const h = new Md5();
  for (let i = 0; i < 64; i++) pad[i] = (key[i] as number) ^ 0x36;
  const inner = h.update(pad).state();
  for (let i = 0; i < 64; i++) pad[i] = (key[i] as number) ^ 0x5c;
  const outer = h.reset().update(pad).state();
  k = { secret: Uint8Array.from(secret), inner, outer };
  keyCache.set(secret, k);
  return k;
}

/** Incremental HMAC-MD5 (RFC 2104) with the key schedule cached per secret. */
export class HmacMd5 {
  readonly #h = new Md5();
  readonly #inner = new Uint8Array(16);
  #key: HmacKey | undefined;

  begin(secret: Uint8Array): this {
    this.#key = hmacKey(secret);
    this.#h.restore(this.#key.inner, 64);
    return this;
  }

  update(data: Uint8Array, start = 0, end = data.length): this {
    this.#h.update(data, start, end);
    return this;
  }

  /** Write the 16-octet MAC into `out` at `offset` (safe even if `out` was hashed). */
  digestInto(out: Uint8Array, offset = 0): void {
    const key = this.#key;
    if (key === undefined) throw new Error("HmacMd5.digestInto before begin");
    this.#h.digestInto(this.#inner, 0);
    this.#h.restore(key.outer, 64).update(this.#inner);
    this.#h.digestInto(out, offset);
    this.#key = undefined;
  }
}

const sharedHmac = new HmacMd5();

/** One-shot HMAC-MD5 of the concatenation of `parts`. */
export function hmacMd5(secret: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = sharedHmac.begin(secret);
  for (const p of parts) h.update(p);
  const out = Buffer.allocUnsafe(16);
  h.digestInto(out, 0);
  return out;
}
