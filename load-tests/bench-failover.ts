// Redis Sentinel failover under load: carrier-aaa (compiled, `serve`) on a primary + replica +
// three sentinels (loopback, ports 26350-26354), offered Access-Requests (PAP) and
// Accounting-Start open-loop; the primary is SIGKILLed mid-run. Reports how long after the kill
// answering is back to >= 95 % for good (1-s windows), whether the server stayed up, and how
// many acknowledged Accounting-Requests are missing on the new primary (waitReplicas 1).
//
//   npm run build && npx tsx load-tests/bench-failover.ts [--rate 3000] [--acct-rate 200] [--duration 12] [--kill-at 4]
//
// No retransmissions: a request unanswered within 1 s counts as lost. Everything started here
// is killed on exit.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { redisStoreConfigSchema } from "../src/store/config.js";
import { createSessionStore } from "../src/store/factory.js";
import { RedisStore } from "../src/store/redis-store.js";
import { configSchema } from "../src/config/schema.js";
import { startSentinelGroup } from "../test/helpers/sentinel.js";
import { num, parse } from "./lib/args.js";
import { LOAD_TESTS_DIR } from "./lib/cbuild.js";
import { installCleanup, sleep, tempDir, waitTcp } from "./lib/procs.js";

const REPO = path.resolve(LOAD_TESTS_DIR, "..");
const args = parse(
  { rate: { type: "string" }, "acct-rate": { type: "string" }, duration: { type: "string" }, "kill-at": { type: "string" } },
  "usage: npx tsx load-tests/bench-failover.ts [--rate N] [--acct-rate N] [--duration S] [--kill-at S]\n",
);
const RATE = num(args, "rate", 3000);
const ACCT_RATE = num(args, "acct-rate", 200);
const DURATION_S = num(args, "duration", 12);
const KILL_AT_S = num(args, "kill-at", 4);
const USERS = 1000;
const SECRET = Buffer.from("bench-failover-secret");
const AUTH_PORT = 26356;
const ACCT_PORT = 26357;
const HTTP_PORT = 26358;
const IV_MS = 100;

installCleanup();
const dir = tempDir("aaa-failover-");
const group = await startSentinelGroup(26350);
process.once("exit", () => void group.stop());
const storeCfg = { sentinels: group.sentinels, name: group.name, keyPrefix: "aaa:", waitReplicas: 1 };

// Seed the subscribers through the store itself.
const seed = new RedisStore(redisStoreConfigSchema.parse(storeCfg), { info() {}, warn() {}, error() {} });
await seed.start();
await seed.putSubscribers(Array.from({ length: USERS }, (_, i) => ({ username: `u${i}`, password: `pw${i}`, enabled: true, groups: [], reply: {} })));
await seed.close();

const cfgFile = path.join(dir, "config.json");
writeFileSync(
  cfgFile,
  JSON.stringify({
    radius: { auth: { host: "127.0.0.1", port: AUTH_PORT }, acct: { host: "127.0.0.1", port: ACCT_PORT } },
    clients: [{ name: "bench", address: "127.0.0.1", secret: SECRET.toString(), requireMessageAuthenticator: false }],
    store: { redis: storeCfg },
    http: { host: "127.0.0.1", port: HTTP_PORT },
    log: { level: "warn" },
  }),
);
const server = spawn(process.execPath, [path.join(REPO, "bin/carrier-aaa.js"), "serve", "--config", cfgFile], { stdio: ["ignore", "ignore", "inherit"] });
let serverExit: string | null = null;
server.once("exit", (code, sig) => (serverExit = `code ${code} signal ${sig}`));
process.once("exit", () => server.kill("SIGKILL"));
await waitTcp(HTTP_PORT, 10_000, () => serverExit === null);
// Ready: the store connected and the group profiles loaded.
for (const end = Date.now() + 10_000; Date.now() < end; await sleep(100)) {
  const ok = await fetch(`http://127.0.0.1:${HTTP_PORT}/readyz`).then((r) => r.ok, () => false);
  if (ok) break;
}
await sleep(300);

const md5 = (...b: Buffer[]): Buffer => createHash("md5").update(Buffer.concat(b)).digest();
const attr = (t: number, v: Buffer): Buffer => Buffer.concat([Buffer.from([t, v.length + 2]), v]);
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

function accessRequest(id: number, user: number): Buffer {
  const ra = randomBytes(16);
  const pw = Buffer.alloc(16);
  Buffer.from(`pw${user}`).copy(pw);
  const key = md5(SECRET, ra);
  for (let i = 0; i < 16; i++) pw[i]! ^= key[i]!;
  const attrs = Buffer.concat([attr(1, Buffer.from(`u${user}`)), attr(2, pw), attr(4, Buffer.from([127, 0, 0, 1]))]);
  const head = Buffer.from([1, id, 0, 0]);
  head.writeUInt16BE(20 + attrs.length, 2);
  return Buffer.concat([head, ra, attrs]);
}

function accountingStart(id: number, user: number, sid: string): Buffer {
  const attrs = Buffer.concat([attr(1, Buffer.from(`u${user}`)), attr(40, u32(1)), attr(44, Buffer.from(sid)), attr(4, Buffer.from([127, 0, 0, 1]))]);
  const head = Buffer.from([4, id, 0, 0]);
  head.writeUInt16BE(20 + attrs.length, 2);
  const ra = md5(head, Buffer.alloc(16), attrs, SECRET);
  return Buffer.concat([head, ra, attrs]);
}

// Per 100-ms interval: Access-Requests sent and answered (by the interval they were sent in).
const n = Math.ceil((DURATION_S * 1000) / IV_MS) + 20;
const sent = new Array<number>(n).fill(0);
const answered = new Array<number>(n).fill(0);
const acked: Array<{ sid: string; user: number }> = [];
let acctSent = 0;
type Pending = { iv: number; acct?: { sid: string; user: number } };
const SOCKETS = 32;
const socks = await Promise.all(
  Array.from({ length: SOCKETS }, async () => {
    const s = dgram.createSocket("udp4");
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
    const pending = new Map<number, Pending>();
    s.on("message", (m) => {
      const p = pending.get(m[1]!);
      if (!p) return;
      pending.delete(m[1]!);
      if (p.acct) acked.push(p.acct);
      else answered[p.iv]!++;
    });
    return { s, pending, next: 0 };
  }),
);
let k = 0;
function send(build: (id: number) => Buffer, p: Pending, port: number): void {
  const sock = socks[k++ % SOCKETS]!;
  const id = sock.next++ & 0xff;
  sock.pending.set(id, p);
  sock.s.send(build(id), port, "127.0.0.1");
}

const t0 = performance.now();
let killAtMs = -1;
let authDone = 0;
let acctDone = 0;
let seq = 0;
while (performance.now() - t0 < DURATION_S * 1000) {
  const el = performance.now() - t0;
  if (killAtMs < 0 && el >= KILL_AT_S * 1000) {
    killAtMs = el;
    void group.killPrimary();
  }
  const iv = Math.floor(el / IV_MS);
  for (; authDone < (el / 1000) * RATE; authDone++) {
    const user = authDone % USERS;
    send((id) => accessRequest(id, user), { iv }, AUTH_PORT);
    sent[iv]!++;
  }
  for (; acctDone < (el / 1000) * ACCT_RATE; acctDone++) {
    const user = ++seq % USERS;
    const a = { sid: `f${seq}`, user };
    send((id) => accountingStart(id, user, a.sid), { iv, acct: a }, ACCT_PORT);
    acctSent++;
  }
  await sleep(2);
}
await sleep(1000);

// Back to >= 95 % answered for good: the end of the last 1-s window after the kill below it.
const w = 1000 / IV_MS;
const killIv = Math.floor(killAtMs / IV_MS);
const lastIv = Math.floor((DURATION_S * 1000) / IV_MS) - 1;
let lastBad = -1;
for (let b = killIv; b + w <= lastIv; b++) {
  let s = 0;
  let a = 0;
  for (let i = b; i < b + w; i++) {
    s += sent[i]!;
    a += answered[i]!;
  }
  if (a < 0.95 * s) lastBad = b;
}
const backS = lastBad < 0 ? 0 : ((lastBad + w) * IV_MS - killAtMs) / 1000;
const totalSent = sent.reduce((x, y) => x + y, 0);
const totalAns = answered.reduce((x, y) => x + y, 0);

// Every acknowledged Accounting-Start must be a session on the new primary.
const sessionsCfg = configSchema.parse({ clients: [{ name: "x", address: "127.0.0.1", secret: "s" }], store: { memory: { file: "x" } } }).sessions;
const reader = createSessionStore({ redis: redisStoreConfigSchema.parse({ ...storeCfg, waitReplicas: 0 }) }, sessionsCfg);
await reader.start();
let missing = 0;
for (const a of acked) if ((await reader.getSession("bench", a.sid, `u${a.user}`)) === null) missing++;
await reader.close();

const serverUp = serverExit === null;
if (process.env["FAILOVER_DEBUG"]) for (let b = 0; b + w <= lastIv + 1; b += w) process.stderr.write(`${b / w}s: ${answered.slice(b, b + w).reduce((x, y) => x + y, 0)}/${sent.slice(b, b + w).reduce((x, y) => x + y, 0)}\n`);
console.log(
  JSON.stringify(
    {
      offered: { accessPerS: RATE, acctPerS: ACCT_RATE, durationS: DURATION_S, killAtS: KILL_AT_S },
      access: { sent: totalSent, answered: totalAns },
      backTo95PercentS: lastBad === lastIv - w ? null : backS,
      accounting: { sent: acctSent, acknowledged: acked.length, missingOnNewPrimary: missing },
      serverStayedUp: serverUp,
    },
    null,
    2,
  ),
);
for (const s of socks) s.s.close();
server.kill("SIGTERM");
await group.stop();
process.exit(serverUp && missing === 0 ? 0 : 1);
