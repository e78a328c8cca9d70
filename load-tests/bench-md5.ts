// MD5 / HMAC-MD5 for RADIUS-sized inputs: src/radius/md5.ts against node:crypto's
// crypto.hash("md5", …) (Node >= 20.12) and createHash / createHmac, one core, no I/O.
// Each case hashes what the server hashes per packet (RFC 2865 §3 and §5.2, RFC 3579 §3.2).
// Run: npx tsx load-tests/bench-md5.ts [--rounds 5] [--calls 100000]
import * as crypto from "node:crypto";
import { HmacMd5, Md5 } from "../src/radius/md5.js";
import { num, parse } from "./lib/args.js";

const usage = "usage: npx tsx load-tests/bench-md5.ts [--rounds 5] [--calls 100000]\n";
const args = parse({ rounds: { type: "string" }, calls: { type: "string" } }, usage);
const rounds = num(args, "rounds", 5, { int: true, min: 1 });
const calls = num(args, "calls", 100_000, { int: true, min: 1000 });

type HashFn = (algorithm: string, data: Buffer, outputEncoding: "buffer") => Buffer;
const hashOneShot = (crypto as unknown as { hash?: HashFn }).hash;
if (hashOneShot === undefined) throw new Error(`crypto.hash needs Node >= 20.12 (this is ${process.version})`);

const secret = Buffer.from("a-realistic-shared-secret-1234"); // 30 octets
const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
const out = Buffer.alloc(16);
const h = new Md5();
const mac = new HmacMd5();

interface Case {
  what: string;
  /** src/radius/md5.ts, used as src/radius/authenticator.ts uses it (shared context, digestInto). */
  ours: () => void;
  /** crypto.hash("md5", …): one input, so the parts are concatenated first; null for HMAC. */
  oneShot: (() => Buffer) | null;
  /** createHash / createHmac with one update per part. */
  object: () => Buffer;
}

function plain(n: number): Case {
  const d = bytes(n, n);
  return {
    what: `MD5 of ${n} octets`,
    ours: () => h.reset().update(d).digestInto(out, 0),
    oneShot: () => hashOneShot!("md5", d, "buffer"),
    object: () => crypto.createHash("md5").update(d).digest(),
  };
}

// Response Authenticator: MD5(Code+ID+Length + RequestAuth + Attributes + Secret), 4 parts.
function responseAuth(packetLen: number): Case {
  const pkt = bytes(packetLen, 7);
  const ra = bytes(16, 3);
  return {
    what: `Response Authenticator, ${packetLen}-octet reply`,
    ours: () => h.reset().update(pkt, 0, 4).update(ra).update(pkt, 20, pkt.length).update(secret).digestInto(out, 0),
    oneShot: () => hashOneShot!("md5", Buffer.concat([pkt.subarray(0, 4), ra, pkt.subarray(20), secret]), "buffer"),
    object: () => crypto.createHash("md5").update(pkt.subarray(0, 4)).update(ra).update(pkt.subarray(20)).update(secret).digest(),
  };
}

// User-Password block: MD5(Secret + RequestAuth), once per 16 octets of password.
const passwordBlock: Case = (() => {
  const ra = bytes(16, 5);
  return {
    what: "User-Password block, MD5(secret + 16 octets)",
    ours: () => h.reset().update(secret).update(ra).digestInto(out, 0),
    oneShot: () => hashOneShot!("md5", Buffer.concat([secret, ra]), "buffer"),
    object: () => crypto.createHash("md5").update(secret).update(ra).digest(),
  };
})();

// Message-Authenticator: HMAC-MD5 over the packet with the MA value zeroed, in the pieces
// verifyMessageAuthenticator feeds it (header, authenticator, attributes before, zeros, after).
function messageAuth(packetLen: number): Case {
  const pkt = bytes(packetLen, 11);
  const zero = Buffer.alloc(16);
  const maAt = 22; // MA right after the header, as BlastRADIUS hygiene asks
  return {
    what: `Message-Authenticator, ${packetLen}-octet packet`,
    ours: () => mac.begin(secret).update(pkt, 0, 20).update(pkt, 20, maAt).update(zero).update(pkt, maAt + 16, pkt.length).digestInto(out, 0),
    oneShot: null,
    object: () =>
      crypto.createHmac("md5", secret).update(pkt.subarray(0, 20)).update(pkt.subarray(20, maAt)).update(zero).update(pkt.subarray(maAt + 16)).digest(),
  };
}

const cases: Case[] = [
  plain(16),
  plain(32),
  plain(64),
  plain(100),
  passwordBlock,
  responseAuth(20),
  responseAuth(60),
  responseAuth(100),
  messageAuth(60),
  messageAuth(100),
];

/** Median over `rounds` batches of ns per call (after a warm-up batch). */
function nsPerCall(f: () => unknown): number {
  for (let i = 0; i < 20_000; i++) f();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) f();
    samples.push(Number(process.hrtime.bigint() - t0) / calls);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

// Same digest from all three, or the comparison means nothing.
for (const c of cases) {
  c.ours();
  const want = c.object();
  const one = c.oneShot === null ? want : c.oneShot();
  if (!out.equals(want) || !one.equals(want)) throw new Error(`${c.what}: the digests differ`);
}

console.log(`node ${process.version}, OpenSSL ${process.versions.openssl}; secret 30 octets; median of ${rounds} x ${calls} calls`);
console.log("");
console.log("| input | md5.ts ns | crypto.hash ns | createHash/createHmac ns | md5.ts speed-up vs the faster node:crypto |");
console.log("|---|---:|---:|---:|---:|");
for (const c of cases) {
  const ours = nsPerCall(c.ours);
  const one = c.oneShot === null ? null : nsPerCall(c.oneShot);
  const obj = nsPerCall(c.object);
  const best = one === null ? obj : Math.min(one, obj);
  console.log(`| ${c.what} | ${ours.toFixed(0)} | ${one === null ? "-" : one.toFixed(0)} | ${obj.toFixed(0)} | ${(best / ours).toFixed(1)}x |`);
}
