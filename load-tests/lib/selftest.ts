// Self-test of the load tools' RADIUS code against independent implementations:
//   - src/radius/md5.ts (MD5, HMAC-MD5, as the tools use it) against node:crypto for every length 0..300 and several keys;
//   - requests from buildRequests(): Message-Authenticator and User-Password checked with
//     node:crypto, and decoded by the npm `radius` package (a third implementation);
//   - ReplyVerifier: accepts a reply built with node:crypto, rejects every single-byte change.
// Also runs the C tools' own --selftest when they can be built, and captures storm-load's
// requests and retransmissions on a local socket.
//   npx tsx load-tests/lib/selftest.ts
import { createHash, createHmac, randomBytes } from "node:crypto";
import { spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import radius from "radius";
import { buildC } from "./cbuild.js";
import type { Timeline } from "./overload-report.js";
import { recoveryS, sumTimelines, windowOk } from "./recovery.js";
import { HmacMd5, Md5 } from "../../src/radius/md5.js";
import { buildAccounting, buildRequests, generatedUsers, ReplyVerifier, VERIFY_BAD_AUTHENTICATOR, VERIFY_BAD_MESSAGE_AUTHENTICATOR, VERIFY_MALFORMED } from "./radius.js";

let failures = 0;
function check(ok: boolean, what: string): void {
  if (!ok) {
    failures++;
    process.stderr.write(`FAIL ${what}\n`);
  }
}

// 1. MD5 / HMAC-MD5.
const out = Buffer.alloc(16);
for (let len = 0; len <= 300; len++) {
  const d = randomBytes(len);
  new Md5().update(d).digestInto(out, 0);
  check(out.equals(createHash("md5").update(d).digest()), `md5 length ${len}`);
  for (const kl of [1, 10, 16, 63, 64, 65, 200]) {
    const k = randomBytes(kl);
    new HmacMd5().begin(k).update(d).digestInto(out, 0);
    check(out.equals(createHmac("md5", k).update(d).digest()), `hmac-md5 length ${len} key ${kl}`);
  }
}

// 2. Requests, checked with node:crypto and decoded by the `radius` package.
const secret = "s3cr3t-for-selftest";
const users = [...generatedUsers(3), { username: "long.password", password: "x".repeat(40) }, { username: "ünïcode", password: "pässwörd" }];
const P = 7;
const store = buildRequests({ count: 50, ports: P, mode: "pap", secret: Buffer.from(secret), users, userOf: (k) => k % users.length, nasIp: Buffer.from([127, 0, 0, 1]) });
for (let k = 0; k < store.count; k++) {
  const pkt = Buffer.from(store.buf.subarray(store.offset[k]!, store.offset[k]! + store.length[k]!));
  check(pkt[1] === Math.floor(k / P) % 256, `identifier of packet ${k}`);
  check(pkt[20] === 80 && pkt[21] === 18, `Message-Authenticator first in packet ${k}`);
  const z = Buffer.from(pkt);
  z.fill(0, 22, 38);
  check(createHmac("md5", secret).update(z).digest().equals(pkt.subarray(22, 38)), `request Message-Authenticator of packet ${k}`);
  const decoded = radius.decode({ packet: pkt, secret }) as { code: string; attributes: Record<string, unknown> };
  const u = users[k % users.length]!;
  check(decoded.code === "Access-Request", `code of packet ${k}`);
  check(decoded.attributes["User-Name"] === u.username, `User-Name of packet ${k}: ${String(decoded.attributes["User-Name"])}`);
  check(decoded.attributes["User-Password"] === u.password, `User-Password of packet ${k}: ${String(decoded.attributes["User-Password"])}`);
  check(decoded.attributes["NAS-IP-Address"] === "127.0.0.1", `NAS-IP-Address of packet ${k}`);
}
const status = buildRequests({ count: 3, ports: 1, mode: "status", secret: Buffer.from(secret), users: [], userOf: () => 0, nasIp: null });
check(status.buf[0] === 12 && status.length[0] === 38, "Status-Server layout");

// 3. Replies: built here with node:crypto (MA first, then Response Authenticator).
const reqAuthOff = store.offset[0]! + 4;
const reply = Buffer.alloc(44);
reply[0] = 2;
reply[1] = store.buf[store.offset[0]! + 1]!;
reply.writeUInt16BE(44, 2);
store.buf.copy(reply, 4, reqAuthOff, reqAuthOff + 16);
reply[20] = 80;
reply[21] = 18;
reply[38] = 27;
reply[39] = 6;
reply.writeUInt32BE(3600, 40);
createHmac("md5", secret).update(reply).digest().copy(reply, 22);
createHash("md5").update(reply).update(secret).digest().copy(reply, 4);
const v = new ReplyVerifier(Buffer.from(secret));
check((v.verify(reply, store.buf, reqAuthOff) & 7) === 0, "valid reply accepted");
for (let i = 0; i < reply.length; i++) {
  const bad = Buffer.from(reply);
  bad[i] = bad[i]! ^ 0x01;
  const f = v.verify(bad, store.buf, reqAuthOff);
  check((f & (VERIFY_BAD_AUTHENTICATOR | VERIFY_BAD_MESSAGE_AUTHENTICATOR | VERIFY_MALFORMED)) !== 0, `reply with byte ${i} changed rejected`);
}
check((new ReplyVerifier(Buffer.from("other")).verify(reply, store.buf, reqAuthOff) & 7) !== 0, "reply under another secret rejected");

// 3b. Accounting-Requests: Request Authenticator (RFC 2866 §3) recomputed with node:crypto, and
// decoded by the `radius` package with the right attributes.
{
  const acct = buildAccounting({ count: 200, ports: P, secret: Buffer.from(secret), users, sessions: 20, stopRatio: 0.2, seed: 3, sessionPrefix: "st-", nasIp: Buffer.from([127, 0, 0, 1]), prestarted: false });
  let kinds = 0;
  for (let k = 0; k < acct.store.count; k++) {
    const pkt = acct.store.buf.subarray(acct.store.offset[k]!, acct.store.offset[k]! + acct.store.length[k]!);
    const zeroed = Buffer.from(pkt);
    zeroed.fill(0, 4, 20);
    const want = createHash("md5").update(zeroed).update(secret).digest();
    check(want.equals(pkt.subarray(4, 20)), `accounting request ${k}: Request Authenticator`);
    const d = radius.decode({ packet: pkt, secret });
    check(d.code === "Accounting-Request", `accounting request ${k}: code`);
    check(d.attributes["Acct-Session-Id"] === acct.meta.sessionId(k), `accounting request ${k}: Acct-Session-Id`);
    const kind = acct.meta.kind[k]!;
    kinds |= 1 << kind;
    check(d.attributes["Acct-Status-Type"] === (kind === 1 ? "Start" : kind === 2 ? "Stop" : "Interim-Update"), `accounting request ${k}: Acct-Status-Type`);
    if (kind !== 1) check(d.attributes["Acct-Session-Time"] === acct.meta.sessionTime[k], `accounting request ${k}: Acct-Session-Time`);
  }
  check(kinds === ((1 << 1) | (1 << 2) | (1 << 3)), "accounting mix has Start, Stop and Interim-Update");
}

// 4. C tools.
for (const tool of ["radius-load", "storm-load"] as const) {
  const bin = buildC(tool);
  if (bin instanceof Error) {
    process.stderr.write(`skip C ${tool}: ${bin.message}\n`);
    continue;
  }
  const r = spawnSync(bin, ["--selftest"], { encoding: "utf8" });
  check(r.status === 0, `${tool} --selftest: ${r.stdout}${r.stderr}`);
}

// 5. storm-load's requests, captured on a local socket: each decodes with the npm `radius`
// package to the subscriber's password, carries a valid Message-Authenticator first, and its
// retransmission is the same datagram from the same source port (RFC 5080 §2.2.1).
{
  const bin = buildC("storm-load");
  if (bin instanceof Error) {
    process.stderr.write(`skip storm-load capture: ${bin.message}\n`);
  } else {
    const sock = dgram.createSocket("udp4");
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
    const got: { from: string; pkt: Buffer }[] = [];
    sock.on("message", (pkt, rinfo) => got.push({ from: `${rinfo.address}:${rinfo.port}`, pkt }));
    const secret = "storm-selftest";
    const child = spawn(bin, ["--server", `127.0.0.1:${sock.address().port}`, "--secret", secret, "--subscribers", "3", "--spread", "0.03", "--retransmit", "100", "--final-wait", "100", "--quiet", "--json"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((r) => child.on("close", r));
    sock.close();
    check(code === 0, `storm-load exited with ${code}`);
    check(got.length === 6, `storm-load: 3 subscribers x 2 attempts = 6 datagrams, got ${got.length}`);
    const rep = JSON.parse(stdout.trim() || "{}") as { sent?: { first: number; retransmissions: number }; abandoned?: number };
    check(rep.sent?.first === 3 && rep.sent.retransmissions === 3 && rep.abandoned === 3, `storm-load report: ${stdout.trim()}`);
    const firsts = new Map<string, { from: string; pkt: Buffer }>();
    for (const g of got) {
      const d = radius.decode({ packet: g.pkt, secret });
      const user = String(d.attributes["User-Name"]);
      check(d.code === "Access-Request" && d.attributes["User-Password"] === `pw-${user}`, `storm-load request for ${user}: User-Password`);
      check(g.pkt[20] === 80 && g.pkt[21] === 18, `storm-load request for ${user}: Message-Authenticator first`);
      const z = Buffer.from(g.pkt);
      z.fill(0, 22, 38);
      check(createHmac("md5", secret).update(z).digest().equals(g.pkt.subarray(22, 38)), `storm-load request for ${user}: Message-Authenticator`);
      const prev = firsts.get(user);
      if (!prev) firsts.set(user, g);
      else check(prev.pkt.equals(g.pkt) && prev.from === g.from, `storm-load retransmission for ${user}: same bytes from the same port`);
    }
    check(firsts.size === 3, `storm-load: 3 distinct subscribers, got ${firsts.size}`);
  }
}

// 6. Recovery time (lib/recovery.ts) on synthetic 100-ms timelines: 100 sent per interval.
{
  const tl = (bad: number[], lateOnly: number[] = []): Timeline => {
    const n = 60;
    const answered = Array.from({ length: n }, (_, b) => (bad.includes(b) ? 0 : 100));
    const within = answered.map((a, b) => (lateOnly.includes(b) ? 0 : a));
    return { intervalMs: 100, sent: Array.from({ length: n }, () => 100), answered, withinBudget: within, p99Ms: answered.map(() => null) };
  };
  check(recoveryS(tl([]), { fromMs: 2500 }) === 0, "recovery: nothing failed -> 0");
  // Intervals 20..29 lost: windows starting 11..29 fail; from 3.0 s the first window that holds for good starts at 3.0 s.
  check(recoveryS(tl([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]), { fromMs: 2500 }) === 0.5, "recovery: lost until 3.0 s, disturbance ended 2.5 s -> 0.5 s");
  // One interval answered late (p99 over budget) at 4.0 s: every window containing it fails (1 of 10 intervals = 10 % late).
  check(Math.abs(recoveryS(tl([], [40]), { fromMs: 2500 })! - 1.6) < 1e-9, "recovery: late answers at 4.0-4.1 s -> windows until 4.1 s fail -> 1.6 s");
  check(recoveryS(tl([59]), { fromMs: 2500 }) === null, "recovery: last window fails -> not recovered");
  // 1 % answered late in a window keeps p99 within budget; 2 % does not.
  const t = tl([]);
  t.withinBudget[30] = 99;
  check(windowOk(t, 30, 40, 0.95), "window: 1 late answer of 1000 -> p99 within budget");
  t.withinBudget[31] = 80;
  check(!windowOk(t, 30, 40, 0.95), "window: 21 late answers of 1000 -> p99 over budget");
  const sum = sumTimelines([tl([]), tl([5])]);
  check(sum.sent[5] === 200 && sum.answered[5] === 100, "sumTimelines adds per interval");
}

if (failures > 0) {
  process.stderr.write(`selftest: ${failures} failure(s)\n`);
  process.exit(1);
}
process.stdout.write("selftest: all checks passed\n");
