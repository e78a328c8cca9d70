// The TLS worker thread (eap.tls.placement "worker"): a conversation's TLS session lives there and
// is freed when the conversation ends or times out; a thread that dies fails the conversations
// it held with a named, counted reason, is started again, and the server goes on authenticating.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { Code } from "../../src/radius/codes.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { makeTestPki, type TestPki } from "./tls/certs.js";
import { EapRadiusPeer, peapMsChapV2Peer, runTlsMethod, type TlsRun } from "./tls/radius-peer.js";

let server: TestServer;
let pki: TestPki;
const f = (name: string) => path.join(pki.dir, name);
const SLOW = 60_000;

beforeAll(async () => {
  pki = makeTestPki();
  writeFileSync(f("srv.pem"), pki.server.cert);
  writeFileSync(f("srv.key"), pki.server.key);
  writeFileSync(f("subs.jsonl"), JSON.stringify({ username: "alice", password: "alice-pw" }));
  server = await startTestServer(
    { store: { memory: { file: f("subs.jsonl") } }, eap: { methods: ["tls", "peap"], timeoutSeconds: 1, tls: { certFile: f("srv.pem"), keyFile: f("srv.key"), caFile: f("ca.pem") } } },
    "warn",
  );
}, SLOW);

afterAll(async () => {
  await server?.close();
  pki?.cleanup();
});

const rejects = (reason: string): number => server.metrics.sum("aaa_access_rejects_total", { reason });
const gauge = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(server.metrics.toPrometheus())?.[1] ?? NaN);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond()) && Date.now() - t0 < ms) await sleep(50);
}

async function eapTls(o: { stopAfter?: number; onChallenge?: (n: number) => Promise<void> } = {}): Promise<TlsRun & { peer: EapRadiusPeer }> {
  const p = await new EapRadiusPeer(server.port).open();
  const run = await runTlsMethod(p, { type: 13, client: { ca: pki.ca, servername: "radius.test", cert: pki.alice.cert, key: pki.alice.key, maxVersion: "TLSv1.2" }, ...o });
  return { ...run, peer: p };
}

describe("EAP TLS sessions on a worker thread", () => {
  it("is the default placement: one thread, the sessions of successful conversations freed there", async () => {
    expect(server.runningConfig().eap.tls).toMatchObject({ placement: "worker", workerThreads: 1 });
    const w = server.tlsWorkers!;
    expect(w).toBeDefined();
    for (let i = 0; i < 3; i++) {
      const run = await eapTls();
      expect(run.final?.code).toBe(Code.AccessAccept);
      run.client?.socket.destroy();
      run.peer.close();
    }
    const p = await new EapRadiusPeer(server.port).open();
    const inner = peapMsChapV2Peer("alice", "alice-pw");
    const peap = await runTlsMethod(p, { type: 25, client: { ca: pki.ca, servername: "radius.test" }, identity: "anonymous", inner: inner.inner });
    p.close();
    peap.client?.socket.destroy();
    expect(inner.authenticated()).toBe(true);
    expect(peap.final?.code).toBe(Code.AccessAccept);
    expect(w.openSessions).toBe(0);
    expect(await w.threadSessions()).toBe(0);
  }, SLOW);

  it("a conversation abandoned halfway: its session is held on the thread, then freed at the timeout", async () => {
    const w = server.tlsWorkers!;
    const run = await eapTls({ stopAfter: 3 });
    expect(run.final?.code).toBe(Code.AccessChallenge);
    expect(w.openSessions).toBe(1);
    expect(await w.threadSessions()).toBe(1);
    run.client?.socket.destroy();
    run.peer.close();
    // Timeout 1 s, swept every second.
    await until(async () => (await w.threadSessions()) === 0);
    expect(gauge("aaa_eap_conversations")).toBe(0);
    expect(w.openSessions).toBe(0);
    expect(await w.threadSessions()).toBe(0);
  }, SLOW);

  it("the thread dies mid-handshake: that conversation ends in eap_tls_worker_failed, the thread is started again, new ones succeed", async () => {
    const w = server.tlsWorkers!;
    const before = rejects("eap_tls_worker_failed");
    const restarts = gauge("aaa_eap_tls_worker_restarts_total");
    // Challenge 2: the server has its ClientHello and sent the first fragment of its flight.
    const run = await eapTls({
      onChallenge: async (n) => {
        if (n !== 2) return;
        expect(await w.threadSessions()).toBe(1);
        await w.terminateThread(0);
        await until(() => w.stats.restarts === 1);
      },
    });
    run.client?.socket.destroy();
    run.peer.close();
    expect(run.final?.code).toBe(Code.AccessReject);
    expect(run.final?.eap?.code).toBe(4); // EAP-Failure
    expect(rejects("eap_tls_worker_failed")).toBe(before + 1);
    expect(w.stats.sessionsFailed).toBe(1);
    expect(gauge("aaa_eap_tls_worker_restarts_total")).toBe(restarts + 1);
    expect(server.logs.some((l) => l.includes("EAP TLS worker thread died"))).toBe(true);
    // The new thread (started at once, or after a 1 s back-off) serves new conversations.
    await until(() => w.alive === 1);
    const again = await eapTls();
    expect(again.final?.code).toBe(Code.AccessAccept);
    again.client?.socket.destroy();
    again.peer.close();
    expect(await w.threadSessions()).toBe(0);
    expect(w.openSessions).toBe(0);
  }, SLOW);
});
