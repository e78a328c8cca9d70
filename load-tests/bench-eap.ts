// The EAP benchmark in one command: completed PEAPv0/EAP-MSCHAPv2 and EAP-TLS authentications
// per second, carrier-aaa and FreeRADIUS 3.2 side by side, same certificate, same subscribers,
// same generator (eap-load.ts); and, with --storm, PAP latency during a storm of new EAP
// conversations.
//
//   npx tsx load-tests/bench-eap.ts [--methods peap,tls] [--concurrency 16,64] [--duration 10]
//   npx tsx load-tests/bench-eap.ts --storm [--pap-rate 1000] [--bg-rate 40] [--storm-rate 600]
//
// Layout (docs/benchmarks.md): the server under test alone on core 0; redis-server, the
// generators and this script on core 1. One private redis-server holds the subscribers in both
// servers' layouts (seed-redis.ts). Certificates are made here with openssl (lib/pki.ts): a CA,
// the server certificate both servers use, and one client certificate whose CN is user000001.
// The server under test is held to --cpu-quota % of its core (default 50): the generator needs
// more CPU per conversation than either server and could not saturate a whole core from core 1.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { flag, num, numList, optStr, parse, str } from "./lib/args.js";
import { buildC, LOAD_TESTS_DIR } from "./lib/cbuild.js";
import { makeBenchPki, type BenchPki } from "./lib/pki.js";
import { waitUntilAnswering } from "./lib/probe.js";
import { coreBusyMs, cpuMs, limitCpu, freeTcpPort, freeUdpPort, installCleanup, keepTempDir, loadAvg, runPinned, sleep, startPinned, startRedis, tail, tempDir, treeCpuMs, which, type Started } from "./lib/procs.js";
import { passwordFor, usernameFor } from "./lib/radius.js";
import type { EapLoadReport } from "./eap-load.js";
import type { LoadReport } from "./radius-load.js";
import { startFreeradius } from "./freeradius/run-freeradius.js";
import { seed } from "./seed-redis.js";

const REPO = path.resolve(LOAD_TESTS_DIR, "..");

const USAGE = `Usage: npx tsx load-tests/bench-eap.ts [options]

Capacity (default): each server, each method, each concurrency, closed loop for --duration s.
  --methods LIST        peap,tls (default both)
  --concurrency LIST    conversations in progress (default 16,64)
  --duration S          seconds per step (default 10)
  --warmup S            unrecorded warm-up per server and method (default 3)
Storm (--storm): carrier-aaa only unless --storm-freeradius; PAP at --pap-rate for --storm-total
  seconds, PEAP conversations arriving at --bg-rate throughout, and a storm of new PEAP
  conversations at --storm-rate from --storm-start to --storm-end.
  --pap-rate R          (default 1000)   --bg-rate R (default 40)   --storm-rate R (default 600)
  --storm-total S       (default 20)     --storm-start S (default 5) --storm-end S (default 15)
  --storm-freeradius    run the same storm against FreeRADIUS too
  --dump-conversations FILE   write the EAP generator's full report (one record per
                        conversation) there; %s in FILE is replaced by the server's name
Common:
  --users N             subscribers (default 100000)
  --skip-carrier / --skip-freeradius
  --fr-threads N        FreeRADIUS thread pool (default 8)
  --ecdh-curve C        FreeRADIUS ecdh_curve (default X25519:prime256v1, the groups carrier-aaa's
                        Node/OpenSSL prefers, so both servers do the same key exchange)
  --cpu-quota PCT       limit the server under test to PCT % of its core (CFS quota, 10 ms period)
                        so that the generator, which needs more CPU per handshake than the
                        server, can saturate it (default 50; 100: no quota)
  --tls-placement LIST  carrier-aaa's eap.tls.placement, worker and/or inline (default: the
                        server's default, worker); with both, two carrier-aaa servers run one
                        after the other, named "carrier-aaa (worker)" and "carrier-aaa (inline)"
  --carrier-extra YAML  appended to carrier-aaa's generated configuration, e.g.
                        'scheduler: { classes: { access-state: { budgetMs: 1000 } } }'
  --server-cpu N / --aux-cpu N   (default 0 / 1)
  --out FILE            markdown results (default load-tests/results/eap-<date>.md, + .json)
`;

interface CapacityRow {
  server: string;
  method: string;
  concurrency: number;
  report: EapLoadReport;
  serverCpuPct: number;
  redisCpuPct: number;
  generatorCpuPct: number;
  serverCoreBusyPct: number;
  auxCoreBusyPct: number;
  windowS: number;
  /** carrier-aaa: datagrams shed/dropped and rejects sent during the step, by reason. */
  serverCounters: Record<string, number>;
}

interface StormRow {
  server: string;
  eap: EapLoadReport;
  pap: LoadReport;
  serverCpuPct: number;
  generatorCpuPct: number;
  auxCoreBusyPct: number;
  /** Steady-stream conversations the server admitted (answered once) that overlapped the storm. */
  steadyDuringStorm: { n: number; finished: number };
  serverCounters: Record<string, number>;
  /** Every conversation the server answered at least once (admitted), by stream. */
  admitted: Record<string, { n: number; finished: number }>;
  windowS: number;
}

interface Sut {
  name: string;
  proc: Started;
  port: number;
  notes: string[];
  /** carrier-aaa's /metrics (HTTP port), to count what it shed, dropped and rejected. */
  metricsPort?: number;
}

/** The datagrams carrier-aaa shed or dropped and the rejects it sent, by reason (counters). */
async function carrierCounters(sut: Sut): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (sut.metricsPort === undefined) return out;
  try {
    const text = await (await fetch(`http://127.0.0.1:${sut.metricsPort}/metrics`)).text();
    for (const line of text.split("\n")) {
      const m = /^aaa_datagrams_total\{([^}]*)\} (\d+)/.exec(line) ?? /^aaa_access_rejects_total\{([^}]*)\} (\d+)/.exec(line);
      if (!m) continue;
      const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
      if (line.startsWith("aaa_datagrams_total") && labels["outcome"] === "answered") continue;
      const key = line.startsWith("aaa_access_rejects_total") ? `reject:${labels["reason"]}` : `${labels["outcome"]}:${labels["reason"]}${labels["class"] ? `/${labels["class"]}` : ""}`;
      out[key] = (out[key] ?? 0) + Number(m[2]);
    }
  } catch {
    // metrics unavailable: the report shows none
  }
  return out;
}

function counterDiff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) d[k] = v - (before[k] ?? 0);
  return d;
}

const fmt = (x: number | undefined, d = 1): string => (x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(d));

function versionOf(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0]!.trim();
  } catch {
    return "?";
  }
}

async function main(): Promise<void> {
  const a = parse(
    {
      methods: { type: "string" },
      concurrency: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      storm: { type: "boolean" },
      "pap-rate": { type: "string" },
      "bg-rate": { type: "string" },
      "storm-rate": { type: "string" },
      "storm-total": { type: "string" },
      "storm-start": { type: "string" },
      "storm-end": { type: "string" },
      "storm-freeradius": { type: "boolean" },
      users: { type: "string" },
      "skip-carrier": { type: "boolean" },
      "skip-freeradius": { type: "boolean" },
      "fr-threads": { type: "string" },
      "ecdh-curve": { type: "string" },
      "cpu-quota": { type: "string" },
      "carrier-extra": { type: "string" },
      "tls-placement": { type: "string" },
      "dump-conversations": { type: "string" },
      "server-cpu": { type: "string" },
      "aux-cpu": { type: "string" },
      out: { type: "string" },
    },
    USAGE,
  );
  installCleanup();
  const storm = flag(a, "storm");
  const methods = str(a, "methods", "peap,tls").split(",");
  if (methods.some((m) => m !== "peap" && m !== "tls")) throw new Error("--methods: peap and/or tls");
  const concurrency = numList(a, "concurrency", [16, 64]);
  const duration = num(a, "duration", 10, { min: 1 });
  const warmupS = num(a, "warmup", 3, { min: 0 });
  const users = num(a, "users", 100000, { min: 1, int: true });
  const frThreads = num(a, "fr-threads", 8, { min: 1, max: 256, int: true });
  const serverCpu = num(a, "server-cpu", 0, { min: 0, int: true });
  const auxCpu = num(a, "aux-cpu", 1, { min: 0, int: true });
  if (!which("taskset") || os.cpus().length < 2) throw new Error("needs taskset and 2 cores (server and generator pinned apart)");
  execFileSync("taskset", ["-a", "-p", "-c", String(auxCpu), String(process.pid)], { stdio: "ignore" });

  const started = new Date();
  const stamp = started.toISOString().slice(0, 16).replace(":", "");
  const outFile = optStr(a, "out") ?? path.join(LOAD_TESTS_DIR, "results", `eap-${storm ? "storm-" : ""}${stamp}.md`);
  const loadBefore = loadAvg();

  const work = tempDir("aaa-lt-eap-");
  const pki = makeBenchPki(work, usernameFor(1));
  const redis = await startRedis({ cpu: auxCpu, dir: work });
  const seeded = await seed({ url: redis.url, users, userPrefix: "user", keyPrefix: "aaa:", frPrefix: "fr:user:", layouts: new Set(["fr", "aaa"]), sessionTimeout: 3600 });
  process.stderr.write(`redis-server ${redis.url}; seeded ${seeded.users} users in ${seeded.ms} ms\n`);
  const probeUser = { username: usernameFor(1), password: passwordFor(usernameFor(1)) };

  const extra = optStr(a, "carrier-extra");
  const placements = (optStr(a, "tls-placement") ?? "").split(",").filter(Boolean);
  if (placements.some((p) => p !== "worker" && p !== "inline")) throw new Error("--tls-placement: a list of worker, inline");
  const startCarrier = async (placement: string | undefined): Promise<Sut> => {
    const port = await freeUdpPort();
    const metricsPort = await freeTcpPort();
    const dir = tempDir("aaa-lt-carrier-");
    const cfgFile = path.join(dir, "carrier-aaa.yaml");
    const cfg = [
      "# Generated by load-tests/bench-eap.ts",
      "radius:",
      `  auth: { host: "127.0.0.1", port: ${port} }`,
      "clients:",
      '  - { name: bench, address: "127.0.0.1/32", secret: testing123, requireMessageAuthenticator: true }',
      "store:",
      `  redis: { url: "${redis.url}", keyPrefix: "aaa:" }`,
      "eap:",
      "  methods: [peap, tls]",
      "  maxConversations: 100000",
      `  tls: { certFile: "${pki.certFile}", keyFile: "${pki.keyFile}", caFile: "${pki.caFile}"${placement ? `, placement: ${placement}` : ""} }`,
      `http: { host: "127.0.0.1", port: ${metricsPort} }`,
      "log: { level: warn }",
      ...(extra ? [extra] : []),
      "",
    ].join("\n");
    writeFileSync(cfgFile, cfg);
    const logFile = path.join(dir, "carrier-aaa.log");
    const proc = startPinned(process.execPath, [path.join(REPO, "bin", "carrier-aaa.js"), "serve", "--config", cfgFile], { cpu: serverCpu, logFile, cwd: REPO });
    try {
      await waitUntilAnswering({ host: "127.0.0.1", port, secret: "testing123", mode: "pap", user: probeUser, timeoutMs: 20000, expectCode: 2, alive: () => proc.child.exitCode === null });
    } catch (err) {
      keepTempDir(dir);
      await proc.stop();
      throw new Error(`carrier-aaa did not come up: ${(err as Error).message}\n${tail(logFile)}`);
    }
    return { name: placements.length > 1 ? `carrier-aaa (${placement})` : "carrier-aaa", proc, port, metricsPort, notes: [`1 process on core ${serverCpu}`, "store: redis", `eap.tls.placement ${placement ?? "worker (default)"}`, `eap.methods [peap, tls], ${extra ? `extra configuration \`${extra}\`` : "scheduler defaults (on, budget 50 ms, 1000 ms for rounds with State)"}`] };
  };

  const startFr = async (): Promise<Sut> => {
    const port = await freeUdpPort();
    const curve = str(a, "ecdh-curve", "X25519:prime256v1");
    const fr = await startFreeradius({
      port,
      redisPort: redis.port,
      secret: "testing123",
      threads: frThreads,
      maxRequests: 262144,
      frPrefix: "fr:user:",
      cpu: serverCpu,
      eap: { certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile, defaultType: "peap", ecdhCurve: curve },
    });
    return { name: "freeradius", proc: fr, port, notes: [`core ${serverCpu}, ${frThreads} threads / Redis connections; eap default_eap_type peap, TLS 1.2, session cache off, ecdh_curve ${curve}; inner-tunnel Cleartext-Password by rlm_redis HGET`] };
  };

  const eapLoad = async (sut: Sut, streams: string, extra: string[] = []): Promise<{ report: EapLoadReport; pid: number }> => {
    let pid = 0;
    const r = await runPinned(process.execPath, ["--import", "tsx", path.join(LOAD_TESTS_DIR, "eap-load.ts"),
      "--server", `127.0.0.1:${sut.port}`, "--ca", pki.caFile, "--client-cert", pki.clientCertFile, "--client-key", pki.clientKeyFile,
      "--users", String(users), "--streams", streams, "--json", ...extra], { cpu: auxCpu, watchdogMs: 300_000, stderrPrefix: `  ${sut.name} `, cwd: REPO, onStart: (p) => (pid = p) });
    if (r.code !== 0) throw new Error(`eap-load exited with ${r.code} against ${sut.name}`);
    return { report: JSON.parse(r.stdout.trim().split("\n").pop()!) as EapLoadReport, pid };
  };

  const quota = num(a, "cpu-quota", 50, { min: 1, max: 100 });
  const servers: Array<() => Promise<Sut>> = [];
  if (!flag(a, "skip-carrier")) {
    if (placements.length === 0) servers.push(() => startCarrier(undefined));
    for (const p of placements) servers.push(() => startCarrier(p));
  }
  if (!flag(a, "skip-freeradius") && (!storm || flag(a, "storm-freeradius"))) servers.push(startFr);

  const capacity: CapacityRow[] = [];
  const storms: StormRow[] = [];
  const serverNotes: Record<string, string[]> = {};
  for (const start of servers) {
    const sut = await start();
    if (quota < 100) {
      limitCpu(sut.proc.pid, quota, 10);
      sut.notes.push(`CPU quota ${quota} % of core ${serverCpu} (10 ms period)`);
    }
    serverNotes[sut.name] = sut.notes;
    process.stderr.write(`${sut.name} pid ${sut.proc.pid} on 127.0.0.1:${sut.port}\n`);
    if (!storm) {
      for (const method of methods) {
        if (warmupS > 0) await eapLoad(sut, `warmup:${method}:conc:${Math.min(...concurrency)}:0:${warmupS}`);
        for (const c of concurrency) {
          await sleep(1000);
          const busy0 = coreBusyMs();
          const srv0 = treeCpuMs(sut.proc.pid) ?? 0;
          const red0 = cpuMs(redis.pid) ?? 0;
          const m0 = await carrierCounters(sut);
          const t0 = performance.now();
          const { report } = await eapLoad(sut, `${method}:${method}:conc:${c}:0:${duration}`);
          const windowS = (performance.now() - t0) / 1000;
          const busy1 = coreBusyMs();
          const row: CapacityRow = {
            server: sut.name,
            method,
            concurrency: c,
            report,
            serverCpuPct: ((treeCpuMs(sut.proc.pid) ?? srv0) - srv0) / 10 / report.wallS,
            redisCpuPct: ((cpuMs(redis.pid) ?? red0) - red0) / 10 / report.wallS,
            generatorCpuPct: report.cpuMs / 10 / report.wallS,
            // Busy shares over the whole child run (incl. its start-up: a slight under-estimate).
            serverCoreBusyPct: ((busy1[serverCpu] ?? 0) - (busy0[serverCpu] ?? 0)) / 10 / windowS,
            auxCoreBusyPct: ((busy1[auxCpu] ?? 0) - (busy0[auxCpu] ?? 0)) / 10 / windowS,
            windowS,
            serverCounters: counterDiff(await carrierCounters(sut), m0),
          };
          capacity.push(row);
          const s = report.streams[0]!;
          process.stderr.write(`${sut.name} ${method} c=${c}: ${s.acceptsPerSec}/s, p99 ${fmt(s.latencyMs.p99)} ms, server CPU ${fmt(row.serverCpuPct, 0)} %, generator ${fmt(row.generatorCpuPct, 0)} %\n`);
        }
      }
    } else {
      storms.push(await runStorm(sut, a, eapLoad, redis.pid, auxCpu, users));
    }
    await sut.proc.stop();
  }
  await redis.stop();

  const md = render({ quota, started, loadBefore, loadAfter: loadAvg(), capacity, storms, serverNotes, pki, argv: process.argv.slice(2), duration, serverCpu, auxCpu });
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, md);
  // The per-conversation records are left out of the JSON kept beside the report (size).
  const slim = (r: EapLoadReport): Omit<EapLoadReport, "conversations"> => ({ ...r, conversations: undefined } as unknown as Omit<EapLoadReport, "conversations">);
  writeFileSync(outFile.replace(/\.md$/, "") + ".json", JSON.stringify({ started: started.toISOString(), capacity: capacity.map((r) => ({ ...r, report: slim(r.report) })), storms: storms.map((s) => ({ ...s, eap: slim(s.eap) })) }, null, 1) + "\n");
  process.stdout.write(md);
  process.stderr.write(`\nwritten: ${path.relative(process.cwd(), outFile)} (+ .json)\n`);
}

async function runStorm(
  sut: Sut,
  a: ReturnType<typeof parse>,
  eapLoad: (sut: Sut, streams: string, extra?: string[]) => Promise<{ report: EapLoadReport; pid: number }>,
  redisPid: number,
  auxCpu: number,
  users: number,
): Promise<StormRow> {
  const papRate = num(a, "pap-rate", 1000, { min: 1 });
  const bgRate = num(a, "bg-rate", 40, { min: 0.1 });
  const stormRate = num(a, "storm-rate", 600, { min: 1 });
  const total = num(a, "storm-total", 20, { min: 3 });
  const s0 = num(a, "storm-start", 5, { min: 0 });
  const s1 = num(a, "storm-end", 15, { min: 0 });
  // Warm-up: a few seconds of PEAP so that neither server is measured cold.
  await eapLoad(sut, `warmup:peap:conc:8:0:3`);
  await sleep(1000);
  const bin = buildC("radius-load");
  if (bin instanceof Error) throw bin;
  const busy0 = coreBusyMs();
  const srv0 = treeCpuMs(sut.proc.pid) ?? 0;
  void redisPid;
  const m0 = await carrierCounters(sut);
  const t0 = performance.now();
  const papRun = runPinned(bin, ["--server", `127.0.0.1:${sut.port}`, "--rate", String(papRate), "--duration", String(total), "--timeout", "1000", "--budget", "50", "--users-count", String(users), "--seed", "7", "--json"], {
    cpu: auxCpu,
    watchdogMs: (total + 120) * 1000,
    stderrPrefix: `  pap `,
    quiet: true,
    cwd: REPO,
  });
  const eapRun = eapLoad(sut, `steady:peap:rate:${bgRate}:0:${total},storm:peap:rate:${stormRate}:${s0}:${s1}`);
  const [pr, er] = await Promise.all([papRun, eapRun]);
  const windowS = (performance.now() - t0) / 1000;
  const busy1 = coreBusyMs();
  if (pr.code !== 0) throw new Error(`radius-load exited with ${pr.code}`);
  const pap = JSON.parse(pr.stdout.trim().split("\n").pop()!) as LoadReport;
  const eap = er.report;
  const dump = optStr(a, "dump-conversations");
  if (dump) writeFileSync(dump.replace("%s", sut.name), JSON.stringify(eap) + "\n");
  const names = eap.streams.map((s) => s.name);
  // Records: [stream, startMs, endMs, ok, outcome, rounds, admitted]. A conversation is in progress
  // once the server has answered its first request (it holds its State); the steady stream's
  // conversations that were in progress at some time during the storm:
  const during = eap.conversations.filter((r) => r[0] === 0 && r[1]! < s1 * 1000 && r[2]! > s0 * 1000 && r[6] === 1);
  const admitted: Record<string, { n: number; finished: number }> = {};
  for (const [i, n] of names.entries()) {
    const mine = eap.conversations.filter((r) => r[0] === i && r[6] === 1);
    admitted[n] = { n: mine.length, finished: mine.filter((r) => r[3] === 1).length };
  }
  return {
    server: sut.name,
    eap,
    pap,
    serverCpuPct: ((treeCpuMs(sut.proc.pid) ?? srv0) - srv0) / 10 / windowS,
    generatorCpuPct: eap.cpuMs / 10 / eap.wallS,
    auxCoreBusyPct: ((busy1[auxCpu] ?? 0) - (busy0[auxCpu] ?? 0)) / 10 / windowS,
    steadyDuringStorm: { n: during.length, finished: during.filter((r) => r[3] === 1).length },
    serverCounters: counterDiff(await carrierCounters(sut), m0),
    admitted,
    windowS,
  };
}

/** Accepts per second of server CPU: the rate one fully busy core would give at this CPU cost. */
function perCpu(r: CapacityRow): number {
  return r.serverCpuPct > 0 ? r.report.streams[0]!.acceptsPerSec / (r.serverCpuPct / 100) : NaN;
}

function render(o: {
  quota: number;
  started: Date;
  loadBefore: string;
  loadAfter: string;
  capacity: CapacityRow[];
  storms: StormRow[];
  serverNotes: Record<string, string[]>;
  pki: BenchPki;
  argv: string[];
  duration: number;
  serverCpu: number;
  auxCpu: number;
}): string {
  const L: string[] = [];
  L.push(`# EAP benchmark ${o.started.toISOString().slice(0, 16).replace("T", " ")} UTC`, "");
  L.push(`Command: \`npx tsx load-tests/bench-eap.ts ${o.argv.join(" ")}\``, "");
  L.push(
    `Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"}, Linux ${os.release()}, Node ${process.version}, ${versionOf("openssl", ["version"])}, ` +
      `${versionOf("redis-server", ["--version"])}, ${versionOf("freeradius", ["-v"]).replace(/^radiusd: /, "")}. Load average before ${o.loadBefore}, after ${o.loadAfter}.`,
  );
  L.push(`Server on core ${o.serverCpu}; redis-server, generators and this script on core ${o.auxCpu}. Certificates: RSA 2048 CA, server and client (CN ${o.pki.clientName}), made by lib/pki.ts; TLS 1.2, ECDHE, no resumption.`, "");
  for (const [n, ns] of Object.entries(o.serverNotes)) L.push(`- ${n}: ${ns.join("; ")}`);
  L.push("");
  if (o.capacity.length) {
    L.push(`## Completed authentications per second (closed loop, ${o.duration} s per row)`, "");
    L.push("| server | method | in progress | accepts/s | per CPU-second | failed | p50 ms | p99 ms | rounds | retransmits | server CPU | redis CPU | generator CPU (event loop busy) | core busy srv / aux |");
    L.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of o.capacity) {
      const s = r.report.streams[0]!;
      const failed = Object.entries(s.failed).map(([k, v]) => `${v} ${k}`).join(", ") || "0";
      L.push(
        `| ${r.server} | ${r.method} | ${r.concurrency} | **${s.acceptsPerSec}** | ${fmt(perCpu(r), 0)} | ${failed} | ${fmt(s.latencyMs.p50)} | ${fmt(s.latencyMs.p99)} | ${s.roundsMean} | ${r.report.retransmissions} | ${fmt(r.serverCpuPct, 0)} % | ${fmt(r.redisCpuPct, 0)} % | ${fmt(r.generatorCpuPct, 0)} % (${fmt(100 * r.report.eventLoopUtilization, 0)} %) | ${fmt(r.serverCoreBusyPct, 0)} / ${fmt(r.auxCoreBusyPct, 0)} % |`,
      );
    }
    L.push("");
    for (const method of new Set(o.capacity.map((r) => r.method))) {
      const rows = (srv: string): CapacityRow[] => o.capacity.filter((r) => r.server === srv && r.method === method);
      const best = (srv: string): number => Math.max(0, ...rows(srv).map((r) => r.report.streams[0]!.acceptsPerSec));
      const bestPerCpu = (srv: string): number => Math.max(0, ...rows(srv).map(perCpu));
      const f = best("freeradius");
      for (const name of new Set(o.capacity.map((r) => r.server).filter((n) => n.startsWith("carrier-aaa")))) {
        const c = best(name);
        if (c > 0 && f > 0) {
          L.push(
            `- ${method}: best accepts/s ${name} ${c}, FreeRADIUS ${f} (ratio ${(c / f).toFixed(2)}x); best per CPU-second ${name} ${fmt(bestPerCpu(name), 0)}, FreeRADIUS ${fmt(bestPerCpu("freeradius"), 0)} (ratio ${(bestPerCpu(name) / bestPerCpu("freeradius")).toFixed(2)}x).`,
          );
        }
      }
    }
    const unsat = o.capacity.filter((r) => r.serverCpuPct < 0.9 * o.quota);
    if (unsat.length) L.push(`- warning: the server used less than 90 % of its CPU quota (${o.quota} % of a core) in ${unsat.map((r) => `${r.server} ${r.method} c=${r.concurrency}`).join(", ")}: there the generator, not the server, may have set the rate.`);
    for (const r of o.capacity) {
      const c = Object.entries(r.serverCounters).map(([k, v]) => `${k} ${v}`).join(", ");
      if (c) L.push(`- ${r.server} ${r.method} c=${r.concurrency}: shed/dropped/rejected: ${c}`);
    }
    const auxBusy = o.capacity.filter((r) => r.auxCoreBusyPct > 90);
    if (auxBusy.length) L.push(`- warning: the generator's core was over 90 % busy in ${auxBusy.map((r) => `${r.server} ${r.method} c=${r.concurrency}`).join(", ")}.`);
    L.push("");
  }
  for (const s of o.storms) {
    const p = s.pap;
    L.push(`## Handshake storm: ${s.server}`, "");
    L.push(`PAP at ${p.offeredRate}/s for ${p.durationS} s (radius-load.c, open loop, give-up 1000 ms, budget 50 ms); PEAP conversations: ${s.eap.streams.map((x) => `${x.name} ${x.n}/s from ${x.startS} s to ${x.endS} s`).join("; ")}.`, "");
    L.push("| PAP sent/s | answered/s | p50 ms | p99 ms | p99.9 ms | timeouts | late (> 50 ms) |");
    L.push("|---:|---:|---:|---:|---:|---:|---:|");
    L.push(`| ${p.achievedSendRate} | ${p.answeredPerSec} | ${fmt(p.latencyMs.p50, 2)} | **${fmt(p.latencyMs.p99, 2)}** | ${fmt(p.latencyMs.p999, 2)} | ${p.timeouts} | ${p.late} |`, "");
    L.push("| EAP stream | started | admitted (answered once) | accepted | accepted / admitted | not admitted | failed (incl. not admitted) | p50 ms | p99 ms |");
    L.push("|---|---:|---:|---:|---:|---:|---|---:|---:|");
    for (const x of s.eap.streams) {
      const ad = s.admitted[x.name]!;
      const after = Object.entries(x.failed).map(([k, v]) => `${v} ${k}`).join(", ") || "0";
      L.push(`| ${x.name} | ${x.started} | ${ad.n} | ${x.accepted} | ${ad.n ? fmt((100 * ad.finished) / ad.n) : "-"} % | ${x.notAdmitted} | ${after} | ${fmt(x.latencyMs.p50)} | ${fmt(x.latencyMs.p99)} |`);
    }
    const ip = s.steadyDuringStorm;
    const all = Object.values(s.admitted).reduce((x, y) => ({ n: x.n + y.n, finished: x.finished + y.finished }), { n: 0, finished: 0 });
    L.push("");
    L.push(`- Steady conversations in progress (answered at least once) at some time during the storm: ${ip.n}, of which ${ip.finished} ended in Access-Accept (**${ip.n ? fmt((100 * ip.finished) / ip.n) : "-"} %**).`);
    L.push(`- All conversations in progress (answered at least once), both streams: ${all.n}, of which ${all.finished} ended in Access-Accept (**${all.n ? fmt((100 * all.finished) / all.n) : "-"} %**).`);
    const sc = Object.entries(s.serverCounters).map(([k, v]) => `${k} ${v}`).join(", ");
    if (sc) L.push(`- ${s.server} shed/dropped/rejected: ${sc}`);
    L.push(`- Server CPU ${fmt(s.serverCpuPct, 0)} %; EAP generator CPU ${fmt(s.generatorCpuPct, 0)} % (event loop ${fmt(100 * s.eap.eventLoopUtilization, 0)} % busy); aux core busy ${fmt(s.auxCoreBusyPct, 0)} %; retransmissions ${s.eap.retransmissions}.`, "");
  }
  L.push(
    "Columns: accepts/s = conversations that ended in Access-Accept (with EAP-Success and MS-MPPE keys equal to the client's MSK) inside the window, per second; " +
      "failed = conversations that did not (timeout: a round unanswered after the NAS's retransmissions, 1 s apart, 2 of them); p50/p99 = first Access-Request to Access-Accept; " +
      "rounds = RADIUS round trips per accepted conversation; per CPU-second = accepts/s divided by the server's CPU share, i.e. the rate at one fully busy core at the same cost per authentication; server/redis/generator CPU = process CPU time as a share of one core; core busy = all non-idle time of the core. See docs/eap-benchmark.md.",
    "",
  );
  return L.join("\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-eap: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
