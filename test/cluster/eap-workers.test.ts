// EAP under `serve --workers 2` on a real Redis: every round of a conversation must reach the
// worker holding it (its TLS state lives in that process). The worker puts its index in the first
// octet of the State it issues and the kernel's steering program sends each Access-Request
// carrying State to that worker's State socket. eapol_test (a fresh source port per run, so runs
// spread over both workers) completes PEAPv0/EAP-MSCHAPv2 and EAP-TLS (a client certificate:
// State after six EAP-Message attributes) conversations, every one of them, also after a
// rolling restart.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { freePort, startRedis, type TestRedis } from "../helpers/redis.js";
import { api } from "../helpers/http.js";
import { makeTestPki, type TestPki } from "../eap/tls/certs.js";

const BIN = path.resolve("bin/carrier-aaa.js");
let redis: TestRedis;
let pki: TestPki;
let udpPort: number;
let httpPort: number;
let child: ChildProcess;
let logFile: string;
const f = (name: string): string => path.join(pki.dir, name);

async function waitForLog(re: RegExp, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!re.test(readFileSync(logFile, "utf8"))) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`no ${re} in:\n${readFileSync(logFile, "utf8").slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Run {
  code: number;
  out: string;
}

function eapolTest(network: Record<string, string>): Promise<Run> {
  const conf = f(`net-${Math.random().toString(36).slice(2)}.conf`);
  const lines = Object.entries(network).map(([k, v]) => `  ${k}=${v}`);
  writeFileSync(conf, `network={\n  key_mgmt=WPA-EAP\n  eapol_flags=0\n${lines.join("\n")}\n}\n`);
  return new Promise((resolve) => {
    execFile("eapol_test", ["-c", conf, "-a", "127.0.0.1", "-p", String(udpPort), "-s", "testing123", "-t", "15"], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** A counter of the merged /metrics, summed per worker label over the samples matching `filter`. */
async function byWorker(name: string, filter: RegExp): Promise<Record<string, number>> {
  const text = (await api(httpPort, "GET", "/metrics")).text;
  const by: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${name}\\{worker="(\\d+)"([^}]*)\\} (\\d+)$`, "gm"))) {
    if (!filter.test(m[2]!)) continue;
    by[m[1]!] = (by[m[1]!] ?? 0) + Number(m[3]);
  }
  return by;
}

beforeAll(async () => {
  redis = await startRedis();
  const admin = new Redis(redis.url);
  await admin.set(`${redis.keyPrefix}sub:alice`, JSON.stringify({ username: "alice", password: "alice-pw" }));
  admin.disconnect();
  pki = makeTestPki();
  writeFileSync(f("srv.pem"), pki.server.cert);
  writeFileSync(f("srv.key"), pki.server.key);
  writeFileSync(f("client.key"), pki.alice.key);
  udpPort = await freePort();
  httpPort = await freePort();
  const cfg = f("c.yaml");
  writeFileSync(
    cfg,
    [
      `radius: { auth: { host: "127.0.0.1", port: ${udpPort} } }`,
      `clients: [{ name: nas, address: "127.0.0.0/8", secret: testing123 }]`,
      `store: { redis: { url: "${redis.url}", keyPrefix: "${redis.keyPrefix}", commandTimeoutMs: 1000 } }`,
      `eap: { tls: { certFile: "${f("srv.pem")}", keyFile: "${f("srv.key")}", caFile: "${f("ca.pem")}" } }`,
      `scheduler: { budgetMs: 5000 }`,
      `http: { host: "127.0.0.1", port: ${httpPort}, token: "eap-workers-test-token-0123456789" }`,
      `log: { level: info }`,
      `workerPool: { size: 1 }`,
    ].join("\n"),
  );
  logFile = f("server.log");
  const fd = openSync(logFile, "a");
  child = spawn(process.execPath, [BIN, "serve", "--config", cfg, "--workers", "2"], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  await waitForLog(/"msg":"carrier-aaa primary: every worker serving"/);
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    await gone;
  }
  await redis?.stop();
  pki?.cleanup();
}, 30_000);

describe("EAP with serve --workers 2", () => {
  it("completes every PEAPv0/EAP-MSCHAPv2 and EAP-TLS conversation, on both workers", async () => {
    const peap = { eap: "PEAP", identity: '"alice"', anonymous_identity: '"anonymous"', phase2: '"auth=MSCHAPV2"', ca_cert: `"${f("ca.pem")}"`, password: '"alice-pw"' };
    const tls = { eap: "TLS", identity: '"anything"', ca_cert: `"${f("ca.pem")}"`, client_cert: `"${f("alice.pem")}"`, private_key: `"${f("client.key")}"` };
    const runs: Run[] = [];
    // 24 conversations, 3 at a time (the machine is small): 20 PEAP, 4 EAP-TLS.
    const plan = Array.from({ length: 24 }, (_, i) => (i % 6 === 5 ? tls : peap));
    for (let i = 0; i < plan.length; i += 3) runs.push(...(await Promise.all(plan.slice(i, i + 3).map((n) => eapolTest(n)))));
    const failed = runs.filter((r) => r.code !== 0 || !/MPPE keys OK: 1 {2}mismatch: 0/.test(r.out));
    expect(failed.map((r) => r.out.split("\n").slice(-30).join("\n"))).toEqual([]);
    // Both workers completed conversations (eapol_test sends from a new port each run, and the
    // source address and port pick the worker of a new conversation).
    const accepts = await byWorker("aaa_datagrams_total", /listener="auth",outcome="answered",reason="accept"/);
    expect(Object.keys(accepts).sort()).toEqual(["0", "1"]);
    expect(accepts["0"]! + accepts["1"]!).toBe(24);
    // No round reached a worker without its conversation.
    const unknown = await byWorker("aaa_access_rejects_total", /reason="eap_unknown_state"/);
    expect(Object.values(unknown).reduce((a, b) => a + b, 0)).toBe(0);
  }, 240_000);

  it("after a rolling restart (SIGUSR2) the replacements' conversations succeed: a slot keeps its State socket", async () => {
    child.kill("SIGUSR2");
    await waitForLog(/"msg":"rolling restart done: every worker replaced"/);
    const peap = { eap: "PEAP", identity: '"alice"', anonymous_identity: '"anonymous"', phase2: '"auth=MSCHAPV2"', ca_cert: `"${f("ca.pem")}"`, password: '"alice-pw"' };
    const runs: Run[] = [];
    for (let i = 0; i < 12; i += 3) runs.push(...(await Promise.all([0, 1, 2].map(() => eapolTest(peap)))));
    const failed = runs.filter((r) => r.code !== 0 || !/MPPE keys OK: 1 {2}mismatch: 0/.test(r.out));
    expect(failed.map((r) => r.out.split("\n").slice(-30).join("\n"))).toEqual([]);
    // The replacements count from 0: they answered these 12.
    const accepts = await byWorker("aaa_datagrams_total", /listener="auth",outcome="answered",reason="accept"/);
    expect(Object.values(accepts).reduce((a, b) => a + b, 0)).toBe(12);
    const unknown = await byWorker("aaa_access_rejects_total", /reason="eap_unknown_state"/);
    expect(Object.values(unknown).reduce((a, b) => a + b, 0)).toBe(0);
  }, 240_000);
});
