// MS-CHAPv2 (RFC 2759) and its MPPE key derivation (RFC 3079), as pure functions.
// MD4 comes from js-md4 and single DES from des-ede3 keyed K||K||K: both MD4 and DES sit in
// OpenSSL 3's legacy provider, which Node does not load by default.
import { createCipheriv, createHash, timingSafeEqual } from "node:crypto";
import md4 from "js-md4";

export const NT_HASH_LENGTH = 16;
export const CHALLENGE_LENGTH = 16;
export const NT_RESPONSE_LENGTH = 24;

/** MD4 of the octets given. */
export function md4Digest(data: Buffer): Buffer {
  return Buffer.from(md4.arrayBuffer(data));
}

/** RFC 2759 §8.3 NtPasswordHash: MD4 of the password in UTF-16LE (Unicode). */
export function ntPasswordHash(password: string): Buffer {
  return md4Digest(Buffer.from(password, "utf16le"));
}

/** RFC 2759 §8.4 HashNtPasswordHash. */
export function hashNtPasswordHash(passwordHash: Buffer): Buffer {
  return md4Digest(passwordHash);
}

/** RFC 2759 §8.2 ChallengeHash: the first 8 octets of SHA1(PeerChallenge + AuthChallenge + UserName). */
export function challengeHash(peerChallenge: Buffer, authenticatorChallenge: Buffer, userName: Buffer): Buffer {
  return createHash("sha1").update(peerChallenge).update(authenticatorChallenge).update(userName).digest().subarray(0, 8);
}

/** RFC 2759 §8.6: spread 56 key bits over 8 octets, each with odd parity in its low bit. */
export function expandDesKey(key7: Buffer): Buffer {
  const out = Buffer.alloc(8);
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < 7; i++) {
    acc = (acc << 8) | (key7[i] as number);
    bits += 8;
    while (bits >= 7) {
      bits -= 7;
      out[j++] = ((acc >> bits) & 0x7f) << 1;
    }
  }
  for (let k = 0; k < 8; k++) {
    const b = out[k] as number;
    let ones = 0;
    for (let v = b >> 1; v !== 0; v >>= 1) ones += v & 1;
    out[k] = b | (ones % 2 === 0 ? 1 : 0);
  }
  return out;
}

/** RFC 2759 §8.6 DesEncrypt: single DES-ECB of one block, as 3DES with three equal keys. */
export function desEncrypt(clear8: Buffer, key7: Buffer): Buffer {
  const k = expandDesKey(key7);
  const c = createCipheriv("des-ede3", Buffer.concat([k, k, k]), null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(clear8), c.final()]);
}

/** RFC 2759 §8.5 ChallengeResponse: the 16-octet hash, zero-padded to 21, keys three DES blocks. */
export function challengeResponse(challenge8: Buffer, passwordHash: Buffer): Buffer {
  const z = Buffer.alloc(21);
  passwordHash.copy(z, 0, 0, 16);
  return Buffer.concat([desEncrypt(challenge8, z.subarray(0, 7)), desEncrypt(challenge8, z.subarray(7, 14)), desEncrypt(challenge8, z.subarray(14, 21))]);
}

/** RFC 2759 §8.1 GenerateNTResponse, from the NT hash (what a peer computes). */
export function generateNtResponse(authenticatorChallenge: Buffer, peerChallenge: Buffer, userName: Buffer, passwordHash: Buffer): Buffer {
  return challengeResponse(challengeHash(peerChallenge, authenticatorChallenge, userName), passwordHash);
}

/** The server's check of an NT-Response (RFC 2759 §5), compared in constant time. */
export function ntResponseMatches(ntResponse: Buffer, authenticatorChallenge: Buffer, peerChallenge: Buffer, userName: Buffer, passwordHash: Buffer): boolean {
  if (ntResponse.length !== NT_RESPONSE_LENGTH) return false;
  return timingSafeEqual(generateNtResponse(authenticatorChallenge, peerChallenge, userName, passwordHash), ntResponse);
}

// RFC 2759 §8.7 magic constants.
const MAGIC1 = Buffer.from("Magic server to client signing constant", "ascii");
const MAGIC2 = Buffer.from("Pad to make it do more than one iteration", "ascii");

/** RFC 2759 §8.7 GenerateAuthenticatorResponse: "S=" and 40 upper-case hex digits. */
export function authenticatorResponse(passwordHash: Buffer, ntResponse: Buffer, peerChallenge: Buffer, authenticatorChallenge: Buffer, userName: Buffer): string {
  const digest = createHash("sha1").update(hashNtPasswordHash(passwordHash)).update(ntResponse).update(MAGIC1).digest();
  const ch = challengeHash(peerChallenge, authenticatorChallenge, userName);
  const out = createHash("sha1").update(digest).update(ch).update(MAGIC2).digest();
  return `S=${out.toString("hex").toUpperCase()}`;
}

// RFC 3079 §3.4 constants.
const KEY_MAGIC1 = Buffer.from("This is the MPPE Master Key", "ascii");
const KEY_MAGIC2 = Buffer.from("On the client side, this is the send key; on the server side, it is the receive key.", "ascii");
const KEY_MAGIC3 = Buffer.from("On the client side, this is the receive key; on the server side, it is the send key.", "ascii");
const SHS_PAD1 = Buffer.alloc(40, 0x00);
const SHS_PAD2 = Buffer.alloc(40, 0xf2);

/** RFC 3079 §3.4 GetMasterKey: 16 octets from the hash of the NT hash and the NT-Response. */
export function masterKey(passwordHashHash: Buffer, ntResponse: Buffer): Buffer {
  return createHash("sha1").update(passwordHashHash).update(ntResponse).update(KEY_MAGIC1).digest().subarray(0, 16);
}

/** RFC 3079 §3.4 GetAsymmetricStartKey (128-bit keys: length 16). */
export function asymmetricStartKey(master: Buffer, isSend: boolean, isServer: boolean, length = 16): Buffer {
  const magic = isSend === isServer ? KEY_MAGIC3 : KEY_MAGIC2;
  return createHash("sha1").update(master.subarray(0, 16)).update(SHS_PAD1).update(magic).update(SHS_PAD2).digest().subarray(0, length);
}

/** The server's 128-bit MPPE keys for an authenticated NT-Response (RFC 3079 §3.4, server side). */
export function serverMppeKeys(passwordHash: Buffer, ntResponse: Buffer): { sendKey: Buffer; recvKey: Buffer } {
  const master = masterKey(hashNtPasswordHash(passwordHash), ntResponse);
  return { sendKey: asymmetricStartKey(master, true, true), recvKey: asymmetricStartKey(master, false, true) };
}


/**
 * The NT hash of a subscriber: from `ntHash`, or computed from the cleartext `password`; null
 * for a record holding only an scrypt `passwordHash` (MS-CHAPv2 is then impossible).
 */
export function subscriberNtHash(sub: { password?: string | undefined; ntHash?: string | undefined }): Buffer | null {
  if (sub.ntHash !== undefined) return Buffer.from(sub.ntHash, "hex");
  if (sub.password !== undefined) return ntPasswordHash(sub.password);
  return null;
}

/** RFC 2759 §8.2: the user name in the challenge hash is without any "DOMAIN\" prefix. */
export function challengeUserName(name: Buffer): Buffer {
  const i = name.lastIndexOf(0x5c);
  return i < 0 ? name : name.subarray(i + 1);
}
