// Where the server side of EAP TLS handshakes should run: inline on the event loop, or in a
// worker thread. This process is the server (pin it with taskset); a load process on its own
// cores (spawned here) plays the TLS clients (Node tls over in-memory duplexes, PEAP-like: TLS
// 1.2, no client certificate, RSA 2048 server key) and sends a steady stream of UDP datagrams
// standing in for PAP Access-Requests. Each datagram carries its send time (CLOCK_MONOTONIC,
// shared by both processes); on arrival this thread runs a short synchronous task and records
// its lateness = task start - send time: how long a PAP request waited behind TLS work.
// Handshake bytes travel over the IPC channel. Placements:
//   inline: TlsServerSession (src/eap/tls/session.ts) on this thread, as today;
//   worker: the same session in one worker_threads worker (the built dist/ copy), this thread
//           forwarding each round's bytes with postMessage and the reply bytes back.
// Per phase: task lateness p50/p99/max, handshake completion (client-observed), handshakes/s
// completed, and this process's CPU (all threads) per handshake above the no-TLS phase.
//
//   npm run build && taskset -c 0 npx tsx load-tests/bench-eap-placement.ts --client-cpus 1
//   [--rates 100,200,400] [--seconds 6] [--pap-rate 5000] [--task-us 25] [--out FILE]
import { readFileSync, writeFileSync } from "node:fs";
import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { num, numList, optStr, parse, str } from "./lib/args.js";
import { makeBenchPki } from "./lib/pki.js";
import { installCleanup, tempDir } from "./lib/procs.js";
import { createTlsContexts, TlsServerSession } from "../src/eap/tls/session.js";

const USAGE = `Usage: npx tsx load-tests/bench-eap-placement.ts [--client-cpus 1] [--rates 100,200,400] [--seconds 6]
  [--pap-rate 5000] [--task-us 25] [--max-inflight 100] [--out FILE]
`;

// The load process (plain JavaScript, run with node -e over an IPC channel).
const CLIENT = `
const tls = require("node:tls");
const dgram = require("node:dgram");
const { Duplex } = require("node:stream");
class Side extends Duplex { _read() {} _write(c, e, cb) { this.other.push(c); cb(); } }
const ctx = tls.createSecureContext({ minVersion: "TLSv1.2", maxVersion: "TLSv1.2" });
const now = () => Number(process.hrtime.bigint()) / 1e6;
const conns = new Map();
let nextId = 1;
let phase = null;
const udp = dgram.createSocket("udp4");
const buf = Buffer.alloc(64);
function startHandshake() {
  const id = nextId++;
  const a = new Side(), b = new Side(); a.other = b; b.other = a;
  const c = { t0: now(), out: [], flushing: false, wire: b, done: false };
  conns.set(id, c);
  b.on("data", (d) => { c.out.push(d); if (!c.flushing) { c.flushing = true; setImmediate(() => { c.flushing = false; const data = Buffer.concat(c.out); c.out = []; process.send({ id, data }); }); } });
  const sock = tls.connect({ socket: a, secureContext: ctx, rejectUnauthorized: false });
  sock.on("error", () => { if (!c.done) { c.done = true; conns.delete(id); if (phase) phase.failed++; } });
  sock.on("secureConnect", () => { c.done = true; conns.delete(id); const t = now(); if (phase && c.t0 >= phase.start && t <= phase.end) { phase.done.push(t - c.t0); } });
}
process.on("message", (m) => {
  if (m.kind === "phase") {
    const start = now();
    phase = { start, end: start + m.seconds * 1000, done: [], failed: 0, shed: 0, started: 0, pap: 0 };
    let hsDue = 0, papDue = 0;
    const tick = () => {
      const t = now();
      if (t >= phase.end) {
        const p = phase;
        const report = () => { if (conns.size === 0 || now() > p.end + 3000) process.send({ kind: "report", done: p.done, failed: p.failed, shed: p.shed, started: p.started, pap: p.pap, inflightLeft: conns.size, seconds: m.seconds }); else setTimeout(report, 20); };
        report();
        return;
      }
      const el = (t - start) / 1000;
      while (m.rate > 0 && hsDue < el * m.rate) { hsDue++; if (conns.size >= m.maxInflight) phase.shed++; else { phase.started++; startHandshake(); } }
      while (papDue < el * m.papRate) { papDue++; phase.pap++; buf.writeDoubleLE(now(), 0); udp.send(buf, 0, 16, m.port, "127.0.0.1"); }
      setTimeout(tick, 1);
    };
    tick();
  } else if (m.kind === "bye") {
    udp.close(); process.disconnect();
  } else {
    const c = conns.get(m.id);
    if (c) c.wire.write(Buffer.from(m.data));
  }
});
process.send({ kind: "ready" });
`;

// The worker: one TlsServerSession per conversation id, fed in order.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
import(workerData.session).then(({ createTlsContexts, TlsServerSession }) => {
  const ctx = createTlsContexts({ cert: workerData.cert, key: workerData.key, ca: workerData.ca }).tunnel;
  const sessions = new Map();
  parentPort.on("message", (m) => {
    let s = sessions.get(m.id);
    if (!s) { s = { session: new TlsServerSession({ method: "peap", secureContext: ctx }), chain: Promise.resolve() }; sessions.set(m.id, s); }
    s.chain = s.chain.then(async () => {
      try { await s.session.feed(Buffer.from(m.data)); } catch { sessions.delete(m.id); }
      const out = s.session.takeOutput();
      if (s.session.handshakeDone) sessions.delete(m.id);
      if (out.length > 0) parentPort.postMessage({ id: m.id, data: out });
    });
  });
  parentPort.postMessage({ ready: true });
});
`;

interface Report {
  kind: "report";
  done: number[];
  failed: number;
  shed: number;
  started: number;
  pap: number;
  inflightLeft: number;
  seconds: number;
}

type FromClient = { kind: "ready" } | Report | { id: number; data: Uint8Array };

// This process's CPU affinity, as taskset left it.
function serverCpus(): string {
  const m = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync("/proc/self/status", "utf8"));
  return m?.[1] ?? "?";
}

function q(sorted: ArrayLike<number>, p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
const f = (x: number, d = 2): string => (Number.isFinite(x) ? (Math.abs(x) < 0.005 ? 0 : x).toFixed(d) : "–");

async function main(): Promise<void> {
  const a = parse(
    {
      "client-cpus": { type: "string" }, rates: { type: "string" }, seconds: { type: "string" }, "pap-rate": { type: "string" },
      "task-us": { type: "string" }, "max-inflight": { type: "string" }, out: { type: "string" },
    },
    USAGE,
  );
  installCleanup();
  const clientCpus = str(a, "client-cpus", "1");
  const rates = numList(a, "rates", [100, 200, 400]);
  const seconds = num(a, "seconds", 6, { min: 1, max: 20 });
  const papRate = num(a, "pap-rate", 5000, { min: 0, int: true });
  const taskUs = num(a, "task-us", 25, { min: 0 });
  const maxInflight = num(a, "max-inflight", 100, { min: 1, int: true });

  const dir = tempDir("aaa-lt-eapplace-");
  const pki = makeBenchPki(dir, "user000001");
  const cert = readFileSync(pki.certFile, "utf8");
  const key = readFileSync(pki.keyFile, "utf8");
  const ca = readFileSync(pki.caFile, "utf8");
  const contexts = createTlsContexts({ cert: Buffer.from(cert), key: Buffer.from(key), ca: Buffer.from(ca) });

  // PAP stand-ins: a UDP datagram per request; the task spins taskUs microseconds.
  const now = (): number => Number(process.hrtime.bigint()) / 1e6;
  const lateness = new Float64Array(Math.ceil(papRate * (seconds + 5)) + 1024);
  let nLate = 0;
  let recording = false;
  const udp = dgram.createSocket("udp4");
  udp.on("message", (msg) => {
    const t = now();
    if (recording && nLate < lateness.length) lateness[nLate++] = t - msg.readDoubleLE(0);
    const until = t + taskUs / 1000;
    while (now() < until) { /* the request's synchronous work */ }
  });
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", () => r()));
  const port = udp.address().port;

  // The load process, on its own cores.
  const client: ChildProcess = spawn("taskset", ["-c", clientCpus, process.execPath, "-e", CLIENT], {
    stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced",
  });
  process.on("exit", () => client.kill());
  const send = (m: unknown): void => { client.send(m as never); };

  // The worker, loading the built session module.
  const here = path.dirname(fileURLToPath(import.meta.url));
  const sessionJs = pathToFileURL(path.join(here, "..", "dist", "eap", "tls", "session.js")).href;
  const worker = new Worker(WORKER, { eval: true, workerData: { session: sessionJs, cert, key, ca } });
  await new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
  });
  worker.on("message", (m: { id: number; data: Uint8Array }) => send({ id: m.id, data: m.data }));

  let placement: "inline" | "worker" = "inline";
  const inline = new Map<number, { session: TlsServerSession; chain: Promise<void> }>();
  let pending: ((r: Report) => void) | null = null;
  let ready: (() => void) | null = null;
  const clientReady = new Promise<void>((r) => (ready = r));
  client.on("message", (m: FromClient) => {
    if ("kind" in m) {
      if (m.kind === "ready") ready?.();
      else pending?.(m);
      return;
    }
    if (placement === "worker") {
      worker.postMessage({ id: m.id, data: m.data });
      return;
    }
    let s = inline.get(m.id);
    if (!s) {
      s = { session: new TlsServerSession({ method: "peap", secureContext: contexts.tunnel }), chain: Promise.resolve() };
      inline.set(m.id, s);
    }
    const cur = s;
    cur.chain = cur.chain.then(async () => {
      try { await cur.session.feed(Buffer.from(m.data)); } catch { inline.delete(m.id); }
      const out = cur.session.takeOutput();
      if (cur.session.handshakeDone) inline.delete(m.id);
      if (out.length > 0) send({ id: m.id, data: out });
    });
  });
  await clientReady;

  interface Row { placement: string; rate: number; late: number[]; hs: number[]; perSec: number; cpuMs: number; elu: number; welu: number; shed: number; failed: number; left: number }
  const runPhase = async (p: "inline" | "worker", rate: number, secs: number): Promise<Row> => {
    placement = p;
    nLate = 0;
    recording = true;
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const welu0 = worker.performance.eventLoopUtilization();
    const t0 = now();
    const rep = await new Promise<Report>((resolve) => {
      pending = resolve;
      send({ kind: "phase", rate, seconds: secs, papRate, port, maxInflight });
    });
    recording = false;
    // CPU over the sending window only would miss the drain; take it to the report, scaled per second below.
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    const welu = worker.performance.eventLoopUtilization(welu0);
    const wall = now() - t0;
    const late = Array.from(lateness.subarray(0, nLate)).sort((x, y) => x - y);
    const hs = [...rep.done].sort((x, y) => x - y);
    return {
      placement: p, rate, late, hs, perSec: hs.length / rep.seconds, cpuMs: ((cpu.user + cpu.system) / 1000) * (secs * 1000 / wall),
      elu: elu.utilization, welu: welu.utilization, shed: rep.shed, failed: rep.failed, left: rep.inflightLeft,
    };
  };

  await runPhase("inline", 50, 1); // warm-up: JIT, TLS, IPC
  await runPhase("worker", 50, 1);
  const rows: Row[] = [];
  rows.push(await runPhase("inline", 0, seconds));
  for (const rate of rates) {
    for (const p of ["inline", "worker"] as const) rows.push(await runPhase(p, rate, seconds));
  }
  rows.push(await runPhase("inline", 0, seconds)); // the no-TLS floor again, after the TLS phases
  send({ kind: "bye" });
  await worker.terminate();
  udp.close();

  const base = rows[0]!;
  const lines: string[] = [];
  lines.push(`Server cpus: ${serverCpus()}, load process cpus: ${clientCpus}. ${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}, OpenSSL ${process.versions.openssl}. ` +
    `${seconds} s per phase; PAP stand-ins ${papRate}/s, ${taskUs} µs each; at most ${maxInflight} handshakes in flight.`, "");
  lines.push("| placement | handshakes/s offered | PAP task lateness ms p50 / p99 / max | handshake ms p50 / p99 | handshakes/s completed | server CPU % of a core | CPU ms per handshake (above no-TLS) | ELU main / worker |");
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    const cpuPct = (r.cpuMs / (seconds * 1000)) * 100;
    const perHs = r.rate > 0 && r.hs.length > 0 ? (r.cpuMs - base.cpuMs) / r.hs.length : NaN;
    const notes = [r.shed > 0 ? `${r.shed} not started (in-flight cap)` : "", r.failed > 0 ? `${r.failed} failed` : ""].filter(Boolean).join(", ");
    lines.push(`| ${r.rate === 0 ? "no TLS" : r.placement} | ${r.rate} | ${f(q(r.late, 0.5))} / ${f(q(r.late, 0.99))} / ${f(r.late[r.late.length - 1] ?? NaN)} | ` +
      `${f(q(r.hs, 0.5))} / ${f(q(r.hs, 0.99))} | ${f(r.perSec, 1)}${notes ? ` (${notes})` : ""} | ${f(cpuPct, 0)} | ${f(perHs)} | ${f(r.elu)} / ${f(r.welu)} |`);
  }
  lines.push("");
  const md = lines.join("\n");
  const out = optStr(a, "out");
  if (out) writeFileSync(out, md);
  process.stdout.write(md);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-eap-placement: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
