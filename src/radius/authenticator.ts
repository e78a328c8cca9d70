/**
 * Authenticators, Message-Authenticator and attribute hiding (RFC 2865, 2866, 2868, 3579, 5176).
 * Every digest comparison uses crypto.timingSafeEqual so that timing does not leak how many
 * leading octets of a forged value were right. The MD5/HMAC-MD5 primitives are ./md5.ts (see
 * there for why not node:crypto); randomness and comparisons come from node:crypto.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { HmacMd5, Md5 } from "./md5.js";
import { Attr, hasComputedRequestAuthenticator } from "./codes.js";
import { RadiusError } from "./errors.js";
import { AUTHENTICATOR_LENGTH, HEADER_LENGTH, type RadiusPacket, type RawAttribute } from "./packet.js";

export type MaStatus = "valid" | "invalid" | "absent" | "malformed";

const ZERO16: Buffer = Buffer.alloc(AUTHENTICATOR_LENGTH);
const MA_LENGTH = 16;

function checkSecret(secret: Buffer): void {
  // RFC 2865 §3: the secret MUST NOT be empty.
  if (!Buffer.isBuffer(secret) || secret.length === 0) {
    throw new RadiusError("RADIUS_ERR_BAD_ARGUMENT", "shared secret must be a non-empty Buffer");
  }
}

function checkAuthenticator(a: Buffer, what: string): void {
  if (!Buffer.isBuffer(a) || a.length !== AUTHENTICATOR_LENGTH) {
    throw new RadiusError("RADIUS_ERR_BAD_ARGUMENT", `${what} must be a 16-octet Buffer`);
  }
}

// One context of each kind for this module: every use below runs begin-to-digest without
// yielding, so sharing them is safe and saves an allocation per hash.
const h = new Md5();
const mac = new HmacMd5();
/** Scratch for digests that are only compared, never returned. */
const scratch = Buffer.alloc(16);

// ---------------------------------------------------------------------------------------------
// Packet authenticators

/**
 * MD5(Code+ID+Length + `authField` + Attributes + Secret) over `raw` with its authenticator
 * field replaced by `authField`, without copying the packet.
 */
function packetDigestInto(raw: Buffer, authField: Buffer, secret: Buffer, out: Buffer, offset: number): void {
  h.reset().update(raw, 0, 4).update(authField).update(raw, HEADER_LENGTH, raw.length).update(secret).digestInto(out, offset);
}

function packetDigest(raw: Buffer, authField: Buffer, secret: Buffer): Buffer {
  const out = Buffer.allocUnsafe(AUTHENTICATOR_LENGTH);
  packetDigestInto(raw, authField, secret, out, 0);
  return out;
}

/**
 * Request Authenticator of an Accounting-Request (RFC 2866 §3) or CoA/Disconnect-Request
 * (RFC 5176 §2.3): MD5(Code+ID+Length+16 zero octets+Attributes+Secret). `raw` is the whole
 * encoded packet; its authenticator field is ignored.
 */
export function computeRequestAuthenticator(raw: Buffer, secret: Buffer): Buffer {
  checkSecret(secret);
  return packetDigest(raw, ZERO16, secret);
}

/**
 * Verify the Request Authenticator of an Accounting-Request (RFC 2866 §3), CoA-Request or
 * Disconnect-Request (RFC 5176 §2.3). Meaningless for Access-Request / Status-Server, whose
 * authenticator is random (it will simply not match).
 */
export function verifyRequestAuthenticator(p: RadiusPacket, secret: Buffer): boolean {
  checkSecret(secret);
  if (p.authenticator.length !== AUTHENTICATOR_LENGTH) return false;
  packetDigestInto(p.raw, ZERO16, secret, scratch, 0);
  return timingSafeEqual(scratch, p.authenticator);
}

/** Verify a reply's Response Authenticator against the request it answers (RFC 2865 §3). */
export function verifyResponseAuthenticator(p: RadiusPacket, requestAuthenticator: Buffer, secret: Buffer): boolean {
  checkSecret(secret);
  checkAuthenticator(requestAuthenticator, "request authenticator");
  if (p.authenticator.length !== AUTHENTICATOR_LENGTH) return false;
  packetDigestInto(p.raw, requestAuthenticator, secret, scratch, 0);
  return timingSafeEqual(scratch, p.authenticator);
}

// ---------------------------------------------------------------------------------------------
// Message-Authenticator (RFC 3579 §3.2, RFC 2869 §5.14, RFC 5176 §3.4)

/**
 * Sign a laid-out packet in place: HMAC-MD5 over `buf` (whose MA value at `maValueOffset` is
 * zero and whose authenticator field holds what the RFC says to sign with), written at
 * `maValueOffset`. For the encoder.
 */
export function signMessageAuthenticator(buf: Buffer, maValueOffset: number, secret: Buffer): void {
  checkSecret(secret);
  mac.begin(secret).update(buf).digestInto(buf, maValueOffset);
}

/** Write MD5(buf + secret) into buf's authenticator field: the Response Authenticator or the
 *  computed Request Authenticator, depending on what the field held (RFC 2865 §3, RFC 2866 §3). */
export function signPacketAuthenticator(buf: Buffer, secret: Buffer): void {
  checkSecret(secret);
  h.reset().update(buf).update(secret).digestInto(buf, 4);
}

/**
 * Check the Message-Authenticator over the bytes received (p.raw, attribute order and all),
 * with the MA value taken as 16 zero octets (RFC 3579 §3.2).
 *
 * The authenticator field used in the HMAC is:
 *  - `requestAuthenticator` when given: replies (Access-Accept/Reject/Challenge,
 *    Accounting-Response, CoA/Disconnect-ACK/NAK) are signed with the authenticator of the
 *    request they answer (RFC 3579 §3.2, RFC 2869 §5.14, RFC 5176 §3.4);
 *  - 16 zero octets for Accounting-Request, CoA-Request and Disconnect-Request, whose MA is
 *    computed before their Request Authenticator exists (RFC 5176 §3.4; FreeRADIUS and most
 *    NASes apply the same rule to Accounting-Request);
 *  - otherwise the field as received (Access-Request, Status-Server: RFC 3579 §3.2).
 */
export function verifyMessageAuthenticator(p: RadiusPacket, secret: Buffer, requestAuthenticator?: Buffer): MaStatus {
  checkSecret(secret);
  if (requestAuthenticator !== undefined) checkAuthenticator(requestAuthenticator, "request authenticator");
  let ma: RawAttribute | undefined;
  for (const a of p.attributes) {
    if (a.type !== Attr.MessageAuthenticator) continue;
    // RFC 3579 §3.2: at most one instance, and its Length is 18.
    if (ma !== undefined) return "malformed";
    ma = a;
  }
  if (ma === undefined) return "absent";
  if (ma.value.length !== MA_LENGTH) return "malformed";

  const raw = p.raw;
  const valueStart = ma.offset + 2;
  mac.begin(secret).update(raw, 0, 4);
  if (requestAuthenticator !== undefined) mac.update(requestAuthenticator);
  else if (hasComputedRequestAuthenticator(p.code)) mac.update(ZERO16);
  else mac.update(raw, 4, HEADER_LENGTH);
  mac
    .update(raw, HEADER_LENGTH, valueStart)
    .update(ZERO16)
    .update(raw, valueStart + MA_LENGTH, raw.length)
    .digestInto(scratch, 0);
  return timingSafeEqual(scratch, ma.value) ? "valid" : "invalid";
}

// ---------------------------------------------------------------------------------------------
// User-Password hiding (RFC 2865 §5.2)

/**
 * Hide a User-Password: pad with NULs to a multiple of 16, then c(1) = p(1) xor MD5(S + RA),
 * c(i) = p(i) xor MD5(S + c(i-1)) (RFC 2865 §5.2). Passwords of 1..128 octets.
 */
export function hidePassword(password: Buffer, secret: Buffer, authenticator: Buffer): Buffer {
  checkSecret(secret);
  checkAuthenticator(authenticator, "authenticator");
  const len = password.length;
  // RFC 2865 §5.2: "the password ... is at most 128 characters"; an empty one cannot be hidden.
  if (len < 1 || len > 128) {
    throw new RadiusError("RADIUS_ERR_PASSWORD_LENGTH", `password of ${len} octets is outside 1..128`);
  }
  const padded = (len + 15) & ~15;
  const out = Buffer.alloc(padded);
  password.copy(out);
  for (let i = 0; i < padded; i += 16) {
    // b(1) = MD5(S + RA); b(i) = MD5(S + c(i-1)).
    h.reset().update(secret);
    if (i === 0) h.update(authenticator);
    else h.update(out, i - 16, i);
    h.digestInto(scratch, 0);
    for (let j = 0; j < 16; j++) out[i + j] = (out[i + j] as number) ^ (scratch[j] as number);
  }
  return out;
}

/**
 * Reverse hidePassword. `hidden` must be 16..128 octets in multiples of 16 (RFC 2865 §5.2).
 * Only trailing NUL padding is removed: NULs inside the password are kept, even at the end of
 * a 16-octet block followed by more data.
 */
export function unhidePassword(hidden: Buffer, secret: Buffer, authenticator: Buffer): Buffer {
  checkSecret(secret);
  checkAuthenticator(authenticator, "authenticator");
  const len = hidden.length;
  if (len < 16 || len > 128 || (len & 15) !== 0) {
    throw new RadiusError("RADIUS_ERR_PASSWORD_LENGTH", `hidden password of ${len} octets is not a multiple of 16 in 16..128`);
  }
  const out = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i += 16) {
    h.reset().update(secret);
    if (i === 0) h.update(authenticator);
    else h.update(hidden, i - 16, i);
    h.digestInto(scratch, 0);
    for (let j = 0; j < 16; j++) out[i + j] = (hidden[i + j] as number) ^ (scratch[j] as number);
  }
  let end = len;
  while (end > 0 && out[end - 1] === 0) end--;
  return out.subarray(0, end);
}

// ---------------------------------------------------------------------------------------------
// CHAP (RFC 1994 §4.1, RFC 2865 §2.2 and §5.3)

/**
 * Does CHAP-Password (ident + 16-octet response) match MD5(ident + cleartext + challenge)?
 * The caller picks the challenge: CHAP-Challenge if present, else the Request Authenticator
 * (RFC 2865 §5.3). A CHAP-Password that is not 17 octets never matches.
 */
export function chapMatches(chapPassword: Buffer, challenge: Buffer, cleartext: Buffer): boolean {
  if (chapPassword.length !== 17) return false;
  h.reset().update(chapPassword, 0, 1).update(cleartext).update(challenge).digestInto(scratch, 0);
  return timingSafeEqual(scratch, chapPassword.subarray(1));
}

/** Build a CHAP-Password value (for clients and tests): ident + MD5(ident + cleartext + challenge). */
export function chapResponse(ident: number, cleartext: Buffer, challenge: Buffer): Buffer {
  if (!Number.isInteger(ident) || ident < 0 || ident > 255) {
    throw new RadiusError("RADIUS_ERR_BAD_ARGUMENT", `CHAP ident ${ident} is not an octet`);
  }
  const out = Buffer.allocUnsafe(17);
  out[0] = ident;
  h.reset().update(out, 0, 1).update(cleartext).update(challenge).digestInto(out, 1);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tunnel-Password style hiding (RFC 2868 §3.5; also MS-MPPE-Send/Recv-Key, RFC 2548 §2.4.2)

/** Longest plaintext: 1 length octet + data must fit 240 octets (tag + salt + 240 <= 253). */
export const MAX_TUNNEL_PASSWORD_LENGTH = 239;

/**
 * Hide a Tunnel-Password (RFC 2868 §3.5). Returns Salt(2) + ciphertext; a tag octet, if the
 * attribute has one, is the caller's to prepend. The plaintext is a length octet, the
 * password, and NUL padding to a multiple of 16; b(1) = MD5(S + R + Salt), b(i) = MD5(S + c(i-1)).
 * `requestAuthenticator` is the Request Authenticator of the Access-Request being answered.
 * A random salt with its high bit set is used unless one is given (tests).
 */
export function hideTunnelPassword(password: Buffer, secret: Buffer, requestAuthenticator: Buffer, salt?: Buffer): Buffer {
  checkSecret(secret);
  checkAuthenticator(requestAuthenticator, "request authenticator");
  const len = password.length;
  if (len < 1 || len > MAX_TUNNEL_PASSWORD_LENGTH) {
    throw new RadiusError("RADIUS_ERR_PASSWORD_LENGTH", `tunnel password of ${len} octets is outside 1..${MAX_TUNNEL_PASSWORD_LENGTH}`);
  }
  let s: Buffer;
  if (salt === undefined) {
    s = randomBytes(2);
    s[0] = (s[0] as number) | 0x80;
  } else {
    // RFC 2868 §3.5: "The most significant bit (leftmost) of the Salt field MUST be set (1)."
    if (salt.length !== 2 || ((salt[0] as number) & 0x80) === 0) {
      throw new RadiusError("RADIUS_ERR_BAD_ARGUMENT", "salt must be 2 octets with the high bit set");
    }
    s = salt;
  }
  const padded = (len + 1 + 15) & ~15;
  const out = Buffer.alloc(2 + padded);
  s.copy(out, 0);
  out[2] = len;
  password.copy(out, 3);
  for (let i = 2; i < out.length; i += 16) {
    // b(1) = MD5(S + R + A); b(i) = MD5(S + c(i-1)).
    h.reset().update(secret);
    if (i === 2) h.update(requestAuthenticator).update(out, 0, 2);
    else h.update(out, i - 16, i);
    h.digestInto(scratch, 0);
    for (let j = 0; j < 16; j++) out[i + j] = (out[i + j] as number) ^ (scratch[j] as number);
  }
  return out;
}

/** Reverse hideTunnelPassword. `value` is Salt + ciphertext (any tag octet already removed). */
export function unhideTunnelPassword(value: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  checkSecret(secret);
  checkAuthenticator(requestAuthenticator, "request authenticator");
  const clen = value.length - 2;
  if (clen < 16 || clen > 240 || (clen & 15) !== 0) {
    throw new RadiusError("RADIUS_ERR_PASSWORD_LENGTH", `hidden tunnel password of ${value.length} octets is not salt + a multiple of 16 (16..240)`);
  }
  if (((value[0] as number) & 0x80) === 0) {
    throw new RadiusError("RADIUS_ERR_BAD_VALUE", "tunnel password salt does not have its high bit set (RFC 2868 §3.5)");
  }
  const plain = Buffer.allocUnsafe(clen);
  for (let i = 0; i < clen; i += 16) {
    h.reset().update(secret);
    if (i === 0) h.update(requestAuthenticator).update(value, 0, 2);
    else h.update(value, 2 + i - 16, 2 + i);
    h.digestInto(scratch, 0);
    for (let j = 0; j < 16; j++) plain[i + j] = (value[2 + i + j] as number) ^ (scratch[j] as number);
  }
  const n = plain[0] as number;
  if (n > clen - 1) {
    throw new RadiusError("RADIUS_ERR_BAD_VALUE", `tunnel password length octet ${n} exceeds the ${clen - 1} octets present`);
  }
  return plain.subarray(1, 1 + n);
}
