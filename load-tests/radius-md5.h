/*
 * Self-contained MD5 (RFC 1321) and HMAC-MD5 (RFC 2104) for the C load tools, so they build
 * with nothing but a C compiler (no libssl-dev needed). HMAC keys are kept as the two states
 * after the ipad/opad blocks, so an HMAC of a short RADIUS packet costs 2-3 compressions.
 * Checked against OpenSSL/node:crypto vectors by `radius-load --selftest`.
 */
#ifndef RADIUS_MD5_H
#define RADIUS_MD5_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint32_t s[4];
} md5_state;

static const md5_state MD5_IV = {{0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u}};

#define MD5_ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define MD5_STEP(f, a, b, c, d, x, t, s) \
    (a) += f((b), (c), (d)) + (x) + (uint32_t)(t); \
    (a) = MD5_ROTL((a), (s)) + (b);
#define MD5_F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MD5_G(x, y, z) ((y) ^ ((z) & ((x) ^ (y))))
#define MD5_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD5_I(x, y, z) ((y) ^ ((x) | ~(z)))

static inline uint32_t md5_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void md5_compress(md5_state *st, const uint8_t *blk) {
    uint32_t x[16];
    for (int i = 0; i < 16; i++) x[i] = md5_le32(blk + 4 * i);
    uint32_t a = st->s[0], b = st->s[1], c = st->s[2], d = st->s[3];
    MD5_STEP(MD5_F, a, b, c, d, x[0], 0xd76aa478, 7)
    MD5_STEP(MD5_F, d, a, b, c, x[1], 0xe8c7b756, 12)
    MD5_STEP(MD5_F, c, d, a, b, x[2], 0x242070db, 17)
    MD5_STEP(MD5_F, b, c, d, a, x[3], 0xc1bdceee, 22)
    MD5_STEP(MD5_F, a, b, c, d, x[4], 0xf57c0faf, 7)
    MD5_STEP(MD5_F, d, a, b, c, x[5], 0x4787c62a, 12)
    MD5_STEP(MD5_F, c, d, a, b, x[6], 0xa8304613, 17)
    MD5_STEP(MD5_F, b, c, d, a, x[7], 0xfd469501, 22)
    MD5_STEP(MD5_F, a, b, c, d, x[8], 0x698098d8, 7)
    MD5_STEP(MD5_F, d, a, b, c, x[9], 0x8b44f7af, 12)
    MD5_STEP(MD5_F, c, d, a, b, x[10], 0xffff5bb1, 17)
    MD5_STEP(MD5_F, b, c, d, a, x[11], 0x895cd7be, 22)
    MD5_STEP(MD5_F, a, b, c, d, x[12], 0x6b901122, 7)
    MD5_STEP(MD5_F, d, a, b, c, x[13], 0xfd987193, 12)
    MD5_STEP(MD5_F, c, d, a, b, x[14], 0xa679438e, 17)
    MD5_STEP(MD5_F, b, c, d, a, x[15], 0x49b40821, 22)
    MD5_STEP(MD5_G, a, b, c, d, x[1], 0xf61e2562, 5)
    MD5_STEP(MD5_G, d, a, b, c, x[6], 0xc040b340, 9)
    MD5_STEP(MD5_G, c, d, a, b, x[11], 0x265e5a51, 14)
    MD5_STEP(MD5_G, b, c, d, a, x[0], 0xe9b6c7aa, 20)
    MD5_STEP(MD5_G, a, b, c, d, x[5], 0xd62f105d, 5)
    MD5_STEP(MD5_G, d, a, b, c, x[10], 0x02441453, 9)
    MD5_STEP(MD5_G, c, d, a, b, x[15], 0xd8a1e681, 14)
    MD5_STEP(MD5_G, b, c, d, a, x[4], 0xe7d3fbc8, 20)
    MD5_STEP(MD5_G, a, b, c, d, x[9], 0x21e1cde6, 5)
    MD5_STEP(MD5_G, d, a, b, c, x[14], 0xc33707d6, 9)
    MD5_STEP(MD5_G, c, d, a, b, x[3], 0xf4d50d87, 14)
    MD5_STEP(MD5_G, b, c, d, a, x[8], 0x455a14ed, 20)
    MD5_STEP(MD5_G, a, b, c, d, x[13], 0xa9e3e905, 5)
    MD5_STEP(MD5_G, d, a, b, c, x[2], 0xfcefa3f8, 9)
    MD5_STEP(MD5_G, c, d, a, b, x[7], 0x676f02d9, 14)
    MD5_STEP(MD5_G, b, c, d, a, x[12], 0x8d2a4c8a, 20)
    MD5_STEP(MD5_H, a, b, c, d, x[5], 0xfffa3942, 4)
    MD5_STEP(MD5_H, d, a, b, c, x[8], 0x8771f681, 11)
    MD5_STEP(MD5_H, c, d, a, b, x[11], 0x6d9d6122, 16)
    MD5_STEP(MD5_H, b, c, d, a, x[14], 0xfde5380c, 23)
    MD5_STEP(MD5_H, a, b, c, d, x[1], 0xa4beea44, 4)
    MD5_STEP(MD5_H, d, a, b, c, x[4], 0x4bdecfa9, 11)
    MD5_STEP(MD5_H, c, d, a, b, x[7], 0xf6bb4b60, 16)
    MD5_STEP(MD5_H, b, c, d, a, x[10], 0xbebfbc70, 23)
    MD5_STEP(MD5_H, a, b, c, d, x[13], 0x289b7ec6, 4)
    MD5_STEP(MD5_H, d, a, b, c, x[0], 0xeaa127fa, 11)
    MD5_STEP(MD5_H, c, d, a, b, x[3], 0xd4ef3085, 16)
    MD5_STEP(MD5_H, b, c, d, a, x[6], 0x04881d05, 23)
    MD5_STEP(MD5_H, a, b, c, d, x[9], 0xd9d4d039, 4)
    MD5_STEP(MD5_H, d, a, b, c, x[12], 0xe6db99e5, 11)
    MD5_STEP(MD5_H, c, d, a, b, x[15], 0x1fa27cf8, 16)
    MD5_STEP(MD5_H, b, c, d, a, x[2], 0xc4ac5665, 23)
    MD5_STEP(MD5_I, a, b, c, d, x[0], 0xf4292244, 6)
    MD5_STEP(MD5_I, d, a, b, c, x[7], 0x432aff97, 10)
    MD5_STEP(MD5_I, c, d, a, b, x[14], 0xab9423a7, 15)
    MD5_STEP(MD5_I, b, c, d, a, x[5], 0xfc93a039, 21)
    MD5_STEP(MD5_I, a, b, c, d, x[12], 0x655b59c3, 6)
    MD5_STEP(MD5_I, d, a, b, c, x[3], 0x8f0ccc92, 10)
    MD5_STEP(MD5_I, c, d, a, b, x[10], 0xffeff47d, 15)
    MD5_STEP(MD5_I, b, c, d, a, x[1], 0x85845dd1, 21)
    MD5_STEP(MD5_I, a, b, c, d, x[8], 0x6fa87e4f, 6)
    MD5_STEP(MD5_I, d, a, b, c, x[15], 0xfe2ce6e0, 10)
    MD5_STEP(MD5_I, c, d, a, b, x[6], 0xa3014314, 15)
    MD5_STEP(MD5_I, b, c, d, a, x[13], 0x4e0811a1, 21)
    MD5_STEP(MD5_I, a, b, c, d, x[4], 0xf7537e82, 6)
    MD5_STEP(MD5_I, d, a, b, c, x[11], 0xbd3af235, 10)
    MD5_STEP(MD5_I, c, d, a, b, x[2], 0x2ad7d2bb, 15)
    MD5_STEP(MD5_I, b, c, d, a, x[9], 0xeb86d391, 21)
    st->s[0] += a;
    st->s[1] += b;
    st->s[2] += c;
    st->s[3] += d;
}

/* Absorb src[0..len) into st, which has already absorbed `prefix` bytes (a multiple of 64),
 * and write the 16-byte digest to out (out may alias src). */
static void md5_finish(md5_state st, size_t prefix, const uint8_t *src, size_t len, uint8_t *out) {
    size_t p = 0;
    while (len - p >= 64) {
        md5_compress(&st, src + p);
        p += 64;
    }
    uint8_t tail[128];
    size_t rem = len - p;
    memcpy(tail, src + p, rem);
    tail[rem] = 0x80;
    size_t blocks = rem + 9 <= 64 ? 64 : 128;
    memset(tail + rem + 1, 0, blocks - rem - 1);
    uint64_t bits = (uint64_t)(prefix + len) * 8;
    for (int i = 0; i < 8; i++) tail[blocks - 8 + i] = (uint8_t)(bits >> (8 * i));
    md5_compress(&st, tail);
    if (blocks == 128) md5_compress(&st, tail + 64);
    for (int i = 0; i < 4; i++) {
        out[4 * i] = (uint8_t)st.s[i];
        out[4 * i + 1] = (uint8_t)(st.s[i] >> 8);
        out[4 * i + 2] = (uint8_t)(st.s[i] >> 16);
        out[4 * i + 3] = (uint8_t)(st.s[i] >> 24);
    }
}

static inline void md5(const uint8_t *src, size_t len, uint8_t *out) { md5_finish(MD5_IV, 0, src, len, out); }

typedef struct {
    md5_state inner, outer;
} hmac_md5_key;

static void hmac_md5_key_init(hmac_md5_key *k, const uint8_t *key, size_t keylen) {
    uint8_t kb[16], ipad[64], opad[64];
    if (keylen > 64) {
        md5(key, keylen, kb);
        key = kb;
        keylen = 16;
    }
    for (size_t i = 0; i < 64; i++) {
        uint8_t b = i < keylen ? key[i] : 0;
        ipad[i] = b ^ 0x36;
        opad[i] = b ^ 0x5c;
    }
    k->inner = MD5_IV;
    k->outer = MD5_IV;
    md5_compress(&k->inner, ipad);
    md5_compress(&k->outer, opad);
}

static inline void hmac_md5(const hmac_md5_key *k, const uint8_t *src, size_t len, uint8_t *out) {
    uint8_t in[16];
    md5_finish(k->inner, 64, src, len, in);
    md5_finish(k->outer, 64, in, 16, out);
}

#endif
