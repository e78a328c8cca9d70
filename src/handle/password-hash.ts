// scrypt password hashes in PHC string format:
//   $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt, base64 no padding>$<hash, base64 no padding>
// Verification is deliberately slow; it runs with the `worker` placement, never on the event loop.
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";

export interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

// N = 2^12 costs about 20 ms on one core of this class of machine: it has to fit in a request's
// latency budget (50 ms by default) with the rest of the work.
export const DEFAULT_SCRYPT: ScryptParams = { ln: 12, r: 8, p: 1 };

const b64 = (b: Buffer): string => b.toString("base64").replace(/=+$/, "");

export function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): string {
  const salt = randomBytes(16);
  const hash = derive(Buffer.from(password, "utf8"), salt, params, 32);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

export interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

export function parsePhc(phc: string): ParsedHash | null {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{22,})$/.exec(phc);
  if (!m) return null;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // Bounds keep a hostile record from making a verification take seconds or gigabytes.
  if (params.ln < 10 || params.ln > 20 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return null;
  return { params, salt: Buffer.from(m[4] ?? "", "base64"), hash: Buffer.from(m[5] ?? "", "base64") };
}

function derive(password: Buffer, salt: Buffer, params: ScryptParams, keylen: number): Buffer {
  const N = 2 ** params.ln;
  return scryptSync(password, salt, keylen, { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 16 * 1024 * 1024 });
}

/** Worker handler input: the password travels as bytes so nothing is decoded twice. */
export interface VerifyHashInput {
  password: Uint8Array;
  phc: string;
}

/** Runs in the worker pool (exported by name). Returns "match", "mismatch" or "bad-hash". */
export function verifyPasswordHash(input: VerifyHashInput): "match" | "mismatch" | "bad-hash" {
  const parsed = parsePhc(input.phc);
  if (!parsed) return "bad-hash";
  const got = derive(Buffer.from(input.password), parsed.salt, parsed.params, parsed.hash.length);
  return timingSafeEqual(got, parsed.hash) ? "match" : "mismatch";
}
