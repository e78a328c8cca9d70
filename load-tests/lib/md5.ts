// MD5 and HMAC-MD5 in plain TypeScript, written for the load generator's hot paths.
//
// Why not node:crypto: each createHash/createHmac call costs 3–6 µs on this machine (object
// set-up and a C++ round trip), more than the digest itself for a 40–80 byte RADIUS packet.
// This version works on caller-owned buffers, allocates nothing per call, and keeps the
// HMAC key as two precomputed midstates (ipad/opad blocks already compressed), so an
// HMAC-MD5 of a short packet costs two or three compressions (~1 µs).
//
// It is checked against node:crypto by `npx tsx load-tests/lib/selftest.ts`.

const IV0 = 0x67452301;
const IV1 = 0xefcdab89 | 0;
const IV2 = 0x98badcfe | 0;
const IV3 = 0x10325476;

// Scratch shared by all calls (single-threaded): running state and the padded tail.
const st = new Int32Array(4);
const tail = new Uint8Array(128);

function compress(s: Int32Array, m: Uint8Array, o: number): void {
  const x0 = m[o]! | (m[o + 1]! << 8) | (m[o + 2]! << 16) | (m[o + 3]! << 24);
  const x1 = m[o + 4]! | (m[o + 5]! << 8) | (m[o + 6]! << 16) | (m[o + 7]! << 24);
  const x2 = m[o + 8]! | (m[o + 9]! << 8) | (m[o + 10]! << 16) | (m[o + 11]! << 24);
  const x3 = m[o + 12]! | (m[o + 13]! << 8) | (m[o + 14]! << 16) | (m[o + 15]! << 24);
  const x4 = m[o + 16]! | (m[o + 17]! << 8) | (m[o + 18]! << 16) | (m[o + 19]! << 24);
  const x5 = m[o + 20]! | (m[o + 21]! << 8) | (m[o + 22]! << 16) | (m[o + 23]! << 24);
  const x6 = m[o + 24]! | (m[o + 25]! << 8) | (m[o + 26]! << 16) | (m[o + 27]! << 24);
  const x7 = m[o + 28]! | (m[o + 29]! << 8) | (m[o + 30]! << 16) | (m[o + 31]! << 24);
  const x8 = m[o + 32]! | (m[o + 33]! << 8) | (m[o + 34]! << 16) | (m[o + 35]! << 24);
  const x9 = m[o + 36]! | (m[o + 37]! << 8) | (m[o + 38]! << 16) | (m[o + 39]! << 24);
  const x10 = m[o + 40]! | (m[o + 41]! << 8) | (m[o + 42]! << 16) | (m[o + 43]! << 24);
  const x11 = m[o + 44]! | (m[o + 45]! << 8) | (m[o + 46]! << 16) | (m[o + 47]! << 24);
  const x12 = m[o + 48]! | (m[o + 49]! << 8) | (m[o + 50]! << 16) | (m[o + 51]! << 24);
  const x13 = m[o + 52]! | (m[o + 53]! << 8) | (m[o + 54]! << 16) | (m[o + 55]! << 24);
  const x14 = m[o + 56]! | (m[o + 57]! << 8) | (m[o + 58]! << 16) | (m[o + 59]! << 24);
  const x15 = m[o + 60]! | (m[o + 61]! << 8) | (m[o + 62]! << 16) | (m[o + 63]! << 24);
  let a = s[0]!;
  let b = s[1]!;
  let c = s[2]!;
  let d = s[3]!;
  let t = 0;
  // 64 steps unrolled (RFC 1321 §3.4); constants are floor(abs(sin(i+1)) * 2^32) as int32.
  t = (a + ((b & c) | (~b & d)) + x0 + -680876936) | 0; a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + ((a & b) | (~a & c)) + x1 + -389564586) | 0; d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + ((d & a) | (~d & b)) + x2 + 606105819) | 0; c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + ((c & d) | (~c & a)) + x3 + -1044525330) | 0; b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + ((b & c) | (~b & d)) + x4 + -176418897) | 0; a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + ((a & b) | (~a & c)) + x5 + 1200080426) | 0; d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + ((d & a) | (~d & b)) + x6 + -1473231341) | 0; c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + ((c & d) | (~c & a)) + x7 + -45705983) | 0; b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + ((b & c) | (~b & d)) + x8 + 1770035416) | 0; a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + ((a & b) | (~a & c)) + x9 + -1958414417) | 0; d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + ((d & a) | (~d & b)) + x10 + -42063) | 0; c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + ((c & d) | (~c & a)) + x11 + -1990404162) | 0; b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + ((b & c) | (~b & d)) + x12 + 1804603682) | 0; a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + ((a & b) | (~a & c)) + x13 + -40341101) | 0; d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + ((d & a) | (~d & b)) + x14 + -1502002290) | 0; c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + ((c & d) | (~c & a)) + x15 + 1236535329) | 0; b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + ((b & d) | (c & ~d)) + x1 + -165796510) | 0; a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + ((a & c) | (b & ~c)) + x6 + -1069501632) | 0; d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + ((d & b) | (a & ~b)) + x11 + 643717713) | 0; c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + ((c & a) | (d & ~a)) + x0 + -373897302) | 0; b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + ((b & d) | (c & ~d)) + x5 + -701558691) | 0; a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + ((a & c) | (b & ~c)) + x10 + 38016083) | 0; d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + ((d & b) | (a & ~b)) + x15 + -660478335) | 0; c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + ((c & a) | (d & ~a)) + x4 + -405537848) | 0; b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + ((b & d) | (c & ~d)) + x9 + 568446438) | 0; a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + ((a & c) | (b & ~c)) + x14 + -1019803690) | 0; d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + ((d & b) | (a & ~b)) + x3 + -187363961) | 0; c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + ((c & a) | (d & ~a)) + x8 + 1163531501) | 0; b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + ((b & d) | (c & ~d)) + x13 + -1444681467) | 0; a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + ((a & c) | (b & ~c)) + x2 + -51403784) | 0; d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + ((d & b) | (a & ~b)) + x7 + 1735328473) | 0; c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + ((c & a) | (d & ~a)) + x12 + -1926607734) | 0; b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + (b ^ c ^ d) + x5 + -378558) | 0; a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + x8 + -2022574463) | 0; d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + x11 + 1839030562) | 0; c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + x14 + -35309556) | 0; b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (b ^ c ^ d) + x1 + -1530992060) | 0; a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + x4 + 1272893353) | 0; d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + x7 + -155497632) | 0; c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + x10 + -1094730640) | 0; b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (b ^ c ^ d) + x13 + 681279174) | 0; a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + x0 + -358537222) | 0; d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + x3 + -722521979) | 0; c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + x6 + 76029189) | 0; b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (b ^ c ^ d) + x9 + -640364487) | 0; a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + x12 + -421815835) | 0; d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + x15 + 530742520) | 0; c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + x2 + -995338651) | 0; b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + x0 + -198630844) | 0; a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + x7 + 1126891415) | 0; d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + x14 + -1416354905) | 0; c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + x5 + -57434055) | 0; b = (((t << 21) | (t >>> 11)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + x12 + 1700485571) | 0; a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + x3 + -1894986606) | 0; d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + x10 + -1051523) | 0; c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + x1 + -2054922799) | 0; b = (((t << 21) | (t >>> 11)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + x8 + 1873313359) | 0; a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + x15 + -30611744) | 0; d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + x6 + -1560198380) | 0; c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + x13 + 1309151649) | 0; b = (((t << 21) | (t >>> 11)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + x4 + -145523070) | 0; a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + x11 + -1120210379) | 0; d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + x2 + 718787259) | 0; c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + x9 + -343485551) | 0; b = (((t << 21) | (t >>> 11)) + c) | 0;
  s[0] = (s[0]! + a) | 0;
  s[1] = (s[1]! + b) | 0;
  s[2] = (s[2]! + c) | 0;
  s[3] = (s[3]! + d) | 0;
}

/**
 * Finish a digest whose state `s` already absorbed `prefixBytes` (a multiple of 64) and
 * absorb `len` more bytes of `src` from `off`; write 16 bytes to `out` at `outOff`.
 */
function finish(s: Int32Array, prefixBytes: number, src: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
  let p = off;
  const end = off + len;
  while (end - p >= 64) {
    compress(s, src, p);
    p += 64;
  }
  const rem = end - p;
  for (let i = 0; i < rem; i++) tail[i] = src[p + i]!;
  tail[rem] = 0x80;
  const blocks = rem + 9 <= 64 ? 64 : 128;
  tail.fill(0, rem + 1, blocks - 8);
  // Message length in bits, little-endian 64-bit; packets are far below 2^29 bytes.
  const bits = (prefixBytes + len) * 8;
  tail[blocks - 8] = bits & 0xff;
  tail[blocks - 7] = (bits >>> 8) & 0xff;
  tail[blocks - 6] = (bits >>> 16) & 0xff;
  tail[blocks - 5] = (bits >>> 24) & 0xff;
  tail[blocks - 4] = 0;
  tail[blocks - 3] = 0;
  tail[blocks - 2] = 0;
  tail[blocks - 1] = 0;
  compress(s, tail, 0);
  if (blocks === 128) compress(s, tail, 64);
  for (let i = 0; i < 4; i++) {
    const w = s[i]!;
    const q = outOff + i * 4;
    out[q] = w & 0xff;
    out[q + 1] = (w >>> 8) & 0xff;
    out[q + 2] = (w >>> 16) & 0xff;
    out[q + 3] = (w >>> 24) & 0xff;
  }
}

/** MD5 of src[off, off+len) into out[outOff, outOff+16). `out` may overlap `src` only after off+len. */
export function md5Into(src: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
  st[0] = IV0;
  st[1] = IV1;
  st[2] = IV2;
  st[3] = IV3;
  finish(st, 0, src, off, len, out, outOff);
}

/** An HMAC-MD5 key reduced to the states after the ipad and opad blocks (RFC 2104). */
export interface HmacMd5Key {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

export function hmacMd5Key(key: Uint8Array): HmacMd5Key {
  let k = key;
  if (k.length > 64) {
    const h = new Uint8Array(16);
    md5Into(k, 0, k.length, h, 0);
    k = h;
  }
  const ipad = new Uint8Array(64);
  const opad = new Uint8Array(64);
  for (let i = 0; i < 64; i++) {
    const b = i < k.length ? k[i]! : 0;
    ipad[i] = b ^ 0x36;
    opad[i] = b ^ 0x5c;
  }
  const inner = Int32Array.of(IV0, IV1, IV2, IV3);
  const outer = Int32Array.of(IV0, IV1, IV2, IV3);
  compress(inner, ipad, 0);
  compress(outer, opad, 0);
  return { inner, outer };
}

const innerDigest = new Uint8Array(16);

/** HMAC-MD5(key, src[off, off+len)) into out[outOff, outOff+16). */
export function hmacMd5Into(key: HmacMd5Key, src: Uint8Array, off: number, len: number, out: Uint8Array, outOff: number): void {
  st.set(key.inner);
  finish(st, 64, src, off, len, innerDigest, 0);
  st.set(key.outer);
  finish(st, 64, innerDigest, 0, 16, out, outOff);
}
