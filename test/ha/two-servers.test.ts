// Two carrier-aaa servers on one Redis, as a NAS that lists both (and fails over between them)
// sees them: two `serve` processes (compiled bin, different RADIUS and HTTP ports, the same store
// and key prefix), real RADIUS over loopback. Checks that subscribers, groups, sessions and
// Simultaneous-Use are shared, and what a retransmission sent to the other server does: its
// duplicate cache is per server, so the request is processed again and the store's own
// retransmission state (docs/accounting.md) keeps accounting from counting it twice.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { configSchema } from "../../src/config/schema.js";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket, findAttribute } from "../../src/radius/packet.js";
import { verifyResponseAuthenticator } from "../../src/radius/authenticator.js";
import { createSessionStore } from "../../src/store/factory.js";
import type { SessionStore } from "../../src/store/sessions.js";
import { api } from "../helpers/http.js";
import { ACCT, accessRequest, accountingRequest } from "../helpers/packets.js";
import { freePort, startRedis, type TestRedis } from "../helpers/redis.js";

const BIN = path.resolve("bin/carrier-aaa.js");
const TOKEN = "two-servers-test-token-0123456789";
const SECRET = Buffer.from("testing123");
/** Group profiles are re-read by every server within this (store.redis.groupRefreshMs). */
const GROUP_REFRESH_MS = 200;

interface Instance {
  name: string;
  auth: number;
  acct: number;
  http: number;
  logFile: string;
  child: ChildProcess;
}

let redis: TestRedis;
let admin: Redis;
let dir: string;
let sessions: SessionStore;
let a: Instance;
let b: Instance;
const nas = dgram.createSocket("udp4");

function storeSection(): Record<string, unknown> {
  return { redis: { url: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: 1000, groupRefreshMs: GROUP_REFRESH_MS } };
}

async function startInstance(name: string): Promise<Instance> {
  const [auth, acct, http] = [await freePort(), await freePort(), await freePort()];
  const cfg = path.join(dir, `${name}.yaml`);
  // The same client name on both servers: a session is keyed by client name + Acct-Session-Id + User-Name.
  writeFileSync(
    cfg,
    [
      `radius: { auth: { host: "127.0.0.1", port: ${auth} }, acct: { host: "127.0.0.1", port: ${acct} } }`,
      `clients: [{ name: nas, address: "127.0.0.1/32", secret: testing123, requireMessageAuthenticator: false }]`,
      `store: ${JSON.stringify(storeSection())}`,
      // Generous: two servers, Redis and the test share a small loaded machine.
      `scheduler: { budgetMs: 2000 }`,
      `http: { host: "127.0.0.1", port: ${http}, token: "${TOKEN}" }`,
      `log: { level: info }`,
      `workerPool: { size: 1 }`,
    ].join("\n"),
  );
  const logFile = path.join(dir, `${name}.log`);
  const fd = openSync(logFile, "a");
  const child = spawn(process.execPath, [BIN, "serve", "--config", cfg, "--workers", "1"], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const inst = { name, auth, acct, http, logFile, child };
  const until = Date.now() + 30_000;
  while (!readFileSync(logFile, "utf8").includes('"msg":"carrier-aaa listening"')) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`server ${name} did not start:\n${readFileSync(logFile, "utf8").slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return inst;
}

async function stopInstance(i: Instance | undefined): Promise<void> {
  if (!i || i.child.exitCode !== null) return;
  const gone = new Promise<void>((r) => i.child.once("exit", () => r()));
  i.child.kill("SIGTERM");
  await gone;
}

/** Sends one datagram from the NAS socket to `port` and returns the next datagram back, or null. */
function exchange(packet: Buffer, port: number, waitMs = 3000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const onMessage = (m: Buffer): void => {
      clearTimeout(t);
      resolve(m);
    };
    const t = setTimeout(() => {
      nas.off("message", onMessage);
      resolve(null);
    }, waitMs);
    nas.once("message", onMessage);
    nas.send(packet, port, "127.0.0.1");
  });
}

/** PAP login through a server: the reply's code and attributes, its Response Authenticator checked. */
async function login(i: Instance, user: string, password: string): Promise<ReturnType<typeof decodePacket>> {
  const q = accessRequest({ user, password });
  const raw = await exchange(q.packet, i.auth);
  expect(raw).not.toBeNull();
  const p = decodePacket(raw!);
  expect(verifyResponseAuthenticator(p, q.authenticator, SECRET)).toBe(true);
  return p;
}

/** Sends an Accounting-Request to a server; true when a valid Accounting-Response came back. */
async function account(i: Instance, packet: Buffer): Promise<boolean> {
  const raw = await exchange(packet, i.acct);
  if (!raw) return false;
  const p = decodePacket(raw);
  expect(p.code).toBe(Code.AccountingResponse);
  expect(verifyResponseAuthenticator(p, decodePacket(packet).authenticator, SECRET)).toBe(true);
  return true;
}

/** Sum of a counter's series on one server whose labels include `labels`. */
async function counter(i: Instance, name: string, labels: Record<string, string>): Promise<number> {
  const text = (await api(i.http, "GET", "/metrics")).text;
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.lastIndexOf("}");
    const set = line.slice(name.length + 1, close);
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(line.slice(close + 2));
  }
  return sum;
}

function acctReason(i: Instance, reason: string): Promise<number> {
  return counter(i, "aaa_datagrams_total", { listener: "acct", reason });
}

async function historyOf(sessionId: string): Promise<string[]> {
  return (await sessions.history()).filter((h) => h.sessionId === sessionId).map((h) => h.kind);
}

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-two-servers-"));
  a = await startInstance("a");
  b = await startInstance("b");
  const config = configSchema.parse({
    radius: { auth: { host: "127.0.0.1", port: 0 } },
    clients: [{ name: "nas", address: "127.0.0.1/32", secret: "testing123" }],
    store: storeSection(),
    scheduler: { budgetMs: 2000 },
  });
  sessions = createSessionStore(config.store, config.sessions);
  await sessions.start();
  await new Promise<void>((r) => nas.bind(0, "127.0.0.1", () => r()));
}, 90_000);

afterAll(async () => {
  nas.close();
  await sessions?.close();
  await Promise.all([stopInstance(a), stopInstance(b)]);
  if (admin && redis) {
    // Only this test's keys (the prefix is unique to it), also on a shared REDIS_URL.
    const keys = await admin.keys(`${redis.keyPrefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  }
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("two servers on one Redis", () => {
  it("a subscriber written through A's admin API is authenticated by B; deleted through B, A rejects it", async () => {
    const put = await api(a.http, "PUT", "/v1/subscribers/carol", { token: TOKEN, body: { password: "c4rol", reply: { "Session-Timeout": 600 } } });
    expect(put.status).toBe(201);
    const viaB = await login(b, "carol", "c4rol");
    expect(viaB.code).toBe(Code.AccessAccept);
    expect(findAttribute(viaB, Attr.SessionTimeout)?.value.readUInt32BE(0)).toBe(600);
    expect((await login(b, "carol", "wrong")).code).toBe(Code.AccessReject);
    expect((await api(b.http, "DELETE", "/v1/subscribers/carol", { token: TOKEN })).status).toBe(204);
    expect((await login(a, "carol", "c4rol")).code).toBe(Code.AccessReject);
  });

  it("a Start sent to A and an Interim-Update and Stop sent to B make one session, closed", async () => {
    expect(await account(a, accountingRequest({ status: ACCT.start, sessionId: "fo-1", user: "dave" }))).toBe(true);
    expect(await sessions.listSessions({ user: "dave" })).toMatchObject([{ nas: "nas", sessionId: "fo-1", status: "live" }]);
    expect(await account(b, accountingRequest({ status: ACCT.interim, sessionId: "fo-1", user: "dave", sessionTime: 60, inputOctets: 1000 }))).toBe(true);
    expect(await sessions.listSessions({ user: "dave" })).toMatchObject([{ sessionId: "fo-1", inputOctets: 1000, sessionTime: 60 }]);
    expect(await account(b, accountingRequest({ status: ACCT.stop, sessionId: "fo-1", user: "dave", sessionTime: 90, inputOctets: 1500 }))).toBe(true);
    expect(await sessions.listSessions({ user: "dave" })).toEqual([]);
    expect(await historyOf("fo-1")).toEqual(["start", "interim", "stop"]);
  });

  it("Simultaneous-Use 1: a session live through A makes B reject a second login (max_sessions), until its Stop reaches B", async () => {
    expect((await api(a.http, "PUT", "/v1/subscribers/solo", { token: TOKEN, body: { password: "s0lo", maxSessions: 1 } })).status).toBe(201);
    expect((await login(a, "solo", "s0lo")).code).toBe(Code.AccessAccept);
    expect(await account(a, accountingRequest({ status: ACCT.start, sessionId: "solo-1", user: "solo" }))).toBe(true);
    const rejectsBefore = await counter(b, "aaa_access_rejects_total", { reason: "max_sessions" });
    expect((await login(b, "solo", "s0lo")).code).toBe(Code.AccessReject);
    expect(await counter(b, "aaa_access_rejects_total", { reason: "max_sessions" })).toBe(rejectsBefore + 1);
    // A itself says the same.
    expect((await login(a, "solo", "s0lo")).code).toBe(Code.AccessReject);
    expect(await account(b, accountingRequest({ status: ACCT.stop, sessionId: "solo-1", user: "solo", sessionTime: 5 }))).toBe(true);
    expect((await login(b, "solo", "s0lo")).code).toBe(Code.AccessAccept);
  });

  it("an Access-Accept from A holds its Simultaneous-Use claim: the same login re-sent to B is rejected while the claim lives", async () => {
    // The NAS that lost A's Accept and fails over to B: B sees A's claim (claimTtlSeconds), as
    // docs/operations.md says.
    expect((await api(a.http, "PUT", "/v1/subscribers/once", { token: TOKEN, body: { password: "0nce", maxSessions: 1 } })).status).toBe(201);
    const q = accessRequest({ user: "once", password: "0nce" });
    const first = await exchange(q.packet, a.auth);
    expect(decodePacket(first!).code).toBe(Code.AccessAccept);
    const viaB = await exchange(q.packet, b.auth);
    expect(decodePacket(viaB!).code).toBe(Code.AccessReject);
    // The same datagram to A again is a retransmission A recognises: the same Accept.
    expect(Buffer.compare((await exchange(q.packet, a.auth))!, first!)).toBe(0);
  });

  it("a group profile changed through one server is seen by the other within groupRefreshMs", async () => {
    expect((await api(a.http, "PUT", "/v1/subscribers/gina", { token: TOKEN, body: { password: "g1na", groups: ["gold"] } })).status).toBe(201);
    expect((await api(a.http, "PUT", "/v1/groups/gold", { token: TOKEN, body: { reply: { "Idle-Timeout": 111 } } })).status).toBe(201);
    // Each server polls the group revision every groupRefreshMs; the slack covers a loaded machine.
    const seen = async (i: Instance, want: number): Promise<number> => {
      const t0 = Date.now();
      for (;;) {
        const p = await login(i, "gina", "g1na");
        expect(p.code).toBe(Code.AccessAccept);
        if (findAttribute(p, Attr.IdleTimeout)?.value.readUInt32BE(0) === want) return Date.now() - t0;
        if (Date.now() - t0 > GROUP_REFRESH_MS + 2000) throw new Error(`${i.name} did not see Idle-Timeout ${want} within ${GROUP_REFRESH_MS + 2000} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await seen(b, 111);
    expect((await api(b.http, "PUT", "/v1/groups/gold", { token: TOKEN, body: { reply: { "Idle-Timeout": 222 } } })).status).toBe(200);
    await seen(a, 222);
    // Deleted through A: B's Accept loses the group's attribute.
    expect((await api(a.http, "DELETE", "/v1/groups/gold", { token: TOKEN })).status).toBe(204);
    const t0 = Date.now();
    for (;;) {
      const p = await login(b, "gina", "g1na");
      if (findAttribute(p, Attr.IdleTimeout) === undefined) break;
      if (Date.now() - t0 > GROUP_REFRESH_MS + 2000) throw new Error("B still applies the deleted group");
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it("an accounting request retransmitted to the other server is answered there and not counted twice", async () => {
    const start = accountingRequest({ status: ACCT.start, sessionId: "rt-1", user: "erin", identifier: 7 });
    expect(await account(a, start)).toBe(true);
    // B's duplicate cache does not know the datagram: B processes it, and the store recognises it.
    const dupB = await acctReason(b, "acct_duplicate");
    expect(await account(b, start)).toBe(true);
    expect(await acctReason(b, "acct_duplicate")).toBe(dupB + 1);
    // A retransmission with Acct-Delay-Time (new authenticator), to B as well.
    expect(await account(b, accountingRequest({ status: ACCT.start, sessionId: "rt-1", user: "erin", identifier: 8, delay: 2 }))).toBe(true);
    const interim = accountingRequest({ status: ACCT.interim, sessionId: "rt-1", user: "erin", sessionTime: 30, inputOctets: 700 });
    expect(await account(b, interim)).toBe(true);
    expect(await account(a, interim)).toBe(true);
    expect(await account(a, accountingRequest({ status: ACCT.interim, sessionId: "rt-1", user: "erin", sessionTime: 30, inputOctets: 700, delay: 4 }))).toBe(true);
    const stop = accountingRequest({ status: ACCT.stop, sessionId: "rt-1", user: "erin", sessionTime: 40, inputOctets: 900 });
    expect(await account(a, stop)).toBe(true);
    expect(await account(b, stop)).toBe(true);
    expect(await historyOf("rt-1")).toEqual(["start", "interim", "stop"]);
    expect(await sessions.listSessions({ user: "erin" })).toEqual([]);
    // Each server counted what it recorded once and the rest as recognised retransmissions.
    const stored = (await Promise.all([a, b].map(async (i) => (await acctReason(i, "acct_start")) + (await acctReason(i, "acct_interim")) + (await acctReason(i, "acct_stop"))))).reduce((x, y) => x + y, 0);
    const duplicates = (await acctReason(a, "acct_duplicate")) + (await acctReason(b, "acct_duplicate"));
    // Over the whole file: fo-1 (3 stored), solo-1 (2), rt-1 (3 stored, 5 recognised).
    expect(stored).toBe(8);
    expect(duplicates).toBe(5);
  });
});
