// What one TLS handshake round costs carrier-aaa's event loop: the server side (src/eap/tls
// TlsServerSession, as the PEAP and EAP-TLS methods run it, inline) on this thread, the client
// (Node tls over an in-memory duplex) in a worker thread, so that nothing but the server's work
// and a probe runs here. The probe is a setImmediate chain: the longest gap between two of its
// turns while a round is processed is the longest stretch during which no other request (a PAP
// Access-Request, say) could have been served. Also per round: this thread's busy time
// (event-loop utilisation) and the wall time of `feed`.
//
//   npx tsx load-tests/bench-eap-step.ts [--handshakes 200] [--warmup 20] [--out FILE]
//
// Run it pinned to one core (taskset -c 0) with nothing else there: the worker shares the core,
// but it runs only while this thread waits for it.
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { Worker } from "node:worker_threads";
import { num, optStr, parse } from "./lib/args.js";
import { makeBenchPki } from "./lib/pki.js";
import { installCleanup, tempDir } from "./lib/procs.js";
import { createTlsContexts, TlsServerSession, type TlsMethod } from "../src/eap/tls/session.js";

const USAGE = `Usage: npx tsx load-tests/bench-eap-step.ts [--handshakes N] [--warmup N] [--out FILE]
`;

// The client, as plain JavaScript for the worker: a duplex pair, tls.connect over it; each
// message from this thread is the server's flight, the reply is everything the client wrote.
const CLIENT = `
const { parentPort, workerData } = require("node:worker_threads");
const tls = require("node:tls");
const { Duplex } = require("node:stream");
class Side extends Duplex { _read() {} _write(c, e, cb) { this.other.push(c); cb(); } }
const ctx = tls.createSecureContext(workerData.tls ? { cert: workerData.cert, key: workerData.key, minVersion: "TLSv1.2", maxVersion: "TLSv1.2" } : { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" });
let cur = null;
function settle(cb) { let last = cur.n, quiet = 0; const step = () => { if (cur.n === last) quiet++; else { quiet = 0; last = cur.n; } if (quiet >= 3) cb(); else setImmediate(step); }; setImmediate(step); }
parentPort.on("message", (m) => {
  if (m.kind === "start") {
    const a = new Side(), b = new Side(); a.other = b; b.other = a;
    cur = { out: [], n: 0, wire: b, sock: null };
    b.on("data", (d) => { cur.out.push(d); cur.n++; });
    cur.sock = tls.connect({ socket: a, secureContext: ctx, rejectUnauthorized: false });
    cur.sock.on("error", () => { cur.n++; });
    cur.sock.on("secureConnect", () => { cur.n++; });
  } else {
    cur.wire.write(Buffer.from(m.data));
  }
  settle(() => { const out = Buffer.concat(cur.out); cur.out = []; parentPort.postMessage({ data: out }); });
});
`;

interface RoundStats {
  longestGapMs: number[];
  busyMs: number[];
  wallMs: number[];
}

function q(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const a = parse({ handshakes: { type: "string" }, warmup: { type: "string" }, out: { type: "string" } }, USAGE);
  installCleanup();
  const n = num(a, "handshakes", 200, { min: 1, int: true });
  const warm = num(a, "warmup", 20, { min: 0, int: true });
  const dir = tempDir("aaa-lt-eapstep-");
  const pki = makeBenchPki(dir, "user000001");
  const contexts = createTlsContexts({ cert: readFileSync(pki.certFile), key: readFileSync(pki.keyFile), ca: readFileSync(pki.caFile) });

  // The probe: the gap between consecutive setImmediate turns.
  let last = performance.now();
  let maxGap = 0;
  let probing = true;
  const tick = (): void => {
    const now = performance.now();
    if (now - last > maxGap) maxGap = now - last;
    last = now;
    if (probing) setImmediate(tick);
  };
  setImmediate(tick);

  const lines: string[] = [];
  lines.push(`# EAP handshake rounds on the event loop ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`, "");
  lines.push(`Command: \`npx tsx load-tests/bench-eap-step.ts ${process.argv.slice(2).join(" ")}\` (pinned as described in docs/eap-benchmark.md)`, "");
  lines.push(`Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}, OpenSSL ${process.versions.openssl}. RSA 2048 server (and client) keys, TLS 1.2, ECDHE; ${n} handshakes per method after ${warm} unrecorded.`, "");
  lines.push("| method | round (server receives) | longest synchronous step ms p50 / p99 / max | event-loop busy ms p50 / p99 | wall ms p50 / p99 |");
  lines.push("|---|---|---:|---:|---:|");

  for (const method of ["peap", "tls"] as TlsMethod[]) {
    const worker = new Worker(CLIENT, { eval: true, workerData: { tls: method === "tls", cert: readFileSync(pki.clientCertFile, "utf8"), key: readFileSync(pki.clientKeyFile, "utf8") } });
    const ask = (m: { kind: "start" } | { kind: "data"; data: Buffer }): Promise<Buffer> =>
      new Promise((resolve) => {
        worker.once("message", (r: { data: Uint8Array }) => resolve(Buffer.from(r.data)));
        worker.postMessage(m);
      });
    const stats: RoundStats[] = [];
    for (let h = 0; h < warm + n; h++) {
      const session = new TlsServerSession({ method, secureContext: method === "tls" ? contexts.eapTls : contexts.tunnel });
      let fromClient = await ask({ kind: "start" });
      for (let round = 0; fromClient.length > 0 && round < 6; round++) {
        const elu0 = performance.eventLoopUtilization();
        maxGap = 0;
        last = performance.now();
        const t0 = performance.now();
        await session.feed(fromClient);
        const wall = performance.now() - t0;
        tick();
        const elu = performance.eventLoopUtilization(elu0);
        if (h >= warm) {
          const s = (stats[round] ??= { longestGapMs: [], busyMs: [], wallMs: [] });
          s.longestGapMs.push(maxGap);
          s.busyMs.push(elu.active);
          s.wallMs.push(wall);
        }
        const out = session.takeOutput();
        if (out.length === 0) break;
        fromClient = await ask({ kind: "data", data: out });
      }
      if (!session.handshakeDone) throw new Error(`${method} handshake ${h} did not finish`);
    }
    await worker.terminate();
    const names = ["ClientHello (server: ServerHello .. ServerHelloDone, signs)", method === "tls" ? "client Certificate, ClientKeyExchange, CertificateVerify, Finished" : "ClientKeyExchange, Finished"];
    for (const [i, s] of stats.entries()) {
      const g = [...s.longestGapMs].sort((x, y) => x - y);
      const b = [...s.busyMs].sort((x, y) => x - y);
      const w = [...s.wallMs].sort((x, y) => x - y);
      lines.push(`| ${method} | ${i + 1}: ${names[i] ?? "?"} | ${q(g, 0.5).toFixed(2)} / ${q(g, 0.99).toFixed(2)} / ${g[g.length - 1]!.toFixed(2)} | ${q(b, 0.5).toFixed(2)} / ${q(b, 0.99).toFixed(2)} | ${q(w, 0.5).toFixed(2)} / ${q(w, 0.99).toFixed(2)} |`);
    }
  }
  probing = false;
  lines.push(
    "",
    "Longest synchronous step: the longest gap between two turns of a setImmediate probe while the round was processed (this thread only; the client runs in a worker). " +
      "Event-loop busy: this thread's active time during the round (performance.eventLoopUtilization). Wall: `await session.feed()`, which includes the worker's turn being awaited (settle).",
    "",
  );
  const md = lines.join("\n");
  const out = optStr(a, "out");
  if (out) writeFileSync(out, md);
  process.stdout.write(md);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-eap-step: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
