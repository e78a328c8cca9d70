// The accounting benchmark in one command: carrier-aaa with its Redis store, offered an
// Interim-Update mix open-loop, then a check that every request that got an Accounting-Response
// is in Redis; optionally a fault run that kills Redis (SIGKILL) mid-run and restarts it from its
// AOF, then checks that nothing acknowledged was lost.
//
//   npx tsx load-tests/bench-acct.ts [--rates 5000,10000] [--duration 10] [--kill-redis]
//
// Layout as the auth benchmark (docs/benchmarks.md): the server alone on core 0; redis-server,
// the generator and this script on core 1. Redis runs with appendonly yes and the chosen
// appendfsync policy; which of them keep every acknowledged write through a killed Redis is in
// docs/accounting.md ("Durability"): always and no do, everysec can lose up to ~2 s (Redis
// postpones AOF writes while a slow fsync is in progress, and answers meanwhile).
// Everything started here is killed on exit or Ctrl-C.
import { execFileSync } from "node:child_process";
import dgram from "node:dgram";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { flag, num, numList, optStr, parse } from "./lib/args.js";
import { buildC, LOAD_TESTS_DIR } from "./lib/cbuild.js";
import {
  coreBusyMs,
  cpuMs,
  freeTcpPort,
  freeUdpPort,
  installCleanup,
  keepTempDir,
  loadAvg,
  memoryMiB,
  runPinned,
  sleep,
  startPinned,
  tail,
  tempDir,
  waitQuiet,
  waitTcp,
  which,
  type Started,
} from "./lib/procs.js";
import { buildAccounting, generatedUsers } from "./lib/radius.js";
import type { LoadReport } from "./radius-load.js";

const REPO = path.resolve(LOAD_TESTS_DIR, "..");
const KEY_PREFIX = "aaa:";
const BUCKETS = 16;

const USAGE = `Usage: npx tsx load-tests/bench-acct.ts [options]

  --rates LIST          offered Accounting-Request rates, requests/s (default 5000,10000)
  --duration S          seconds per rate (default 10)
  --sessions N          concurrent sessions (default 20000); the mix is ~98 % Interim-Update,
                        ~2 % Stop, each Stop followed later by the slot's next Start
  --appendfsync P       Redis AOF fsync policy: everysec (default), always or no. always and no
                        write the AOF before replying (acknowledged writes survive a killed
                        redis-server); everysec may postpone that write up to 2 s while an fsync
                        is slow, so a killed Redis can lose acknowledged writes (docs/accounting.md)
  --kill-redis          add a fault run: SIGKILL redis-server mid-run, restart it from its AOF
  --kill-rate R         rate of the fault run (default: the lowest of --rates)
  --kill-at S           seconds into the fault run when Redis is killed (default 3)
  --down S              seconds Redis stays down (default 2)
  --generator c|node    load generator (default c when a C compiler exists; the Node one costs
                        several times more CPU on the core it shares with Redis)
  --timeout MS          generator give-up time (default 1000)
  --budget MS           latency budget (default 50)
  --warmup S            unrecorded warm-up at the lowest rate (default 3)
  --wait-quiet S        wait up to S s for other jobs to quiet down before each run (default 60)
  --server-cpu N        core for carrier-aaa (default 0)
  --aux-cpu N           core for redis-server and the generator (default 1)
  --out FILE            markdown results (default load-tests/results/acct-<date>.md)
  --max-writes N        carrier-aaa sessions.maxWritesInFlight (default: the server's)
  --quiet               no per-second generator progress
  --node-flags=FLAGS    extra node flags for carrier-aaa, e.g. --node-flags=--trace-gc
  --keep-log            keep the server's log (its path is printed)
`;

interface Row {
  label: string;
  /** Server-side outcomes of the run's accounting datagrams (aaa_datagrams_total deltas). */
  outcomes: Record<string, number>;
  rate: number;
  report: LoadReport;
  serverCpuPct: number;
  redisCpuPct: number;
  rssMiB: number;
  foreignCores: number;
  check: CheckResult;
}

interface CheckResult {
  acked: number;
  missing: number;
  /** Records present more than once in the history (a retransmission counted twice). */
  duplicated: number;
  streamEntries: number;
  examplesMissing: string[];
}

interface AofRedis {
  port: number;
  url: string;
  pid(): number;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function startAofRedis(dir: string, cpu: number | undefined, fsync: string): Promise<AofRedis> {
  if (!which("redis-server")) throw new Error("redis-server is not installed (apt-get install redis-server)");
  const port = await freeTcpPort();
  let proc: Started | undefined;
  const launch = async (): Promise<void> => {
    proc = startPinned(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", fsync, "--dir", dir, "--protected-mode", "yes"],
      { cpu, logFile: path.join(dir, "redis.log") },
    );
    const p = proc;
    await waitTcp(port, 10_000, () => p.child.exitCode === null);
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    pid: () => proc?.pid ?? 0,
    kill: async () => {
      const p = proc;
      if (!p || p.child.exitCode !== null) return;
      await new Promise<void>((r) => {
        p.child.once("exit", () => r());
        p.child.kill("SIGKILL");
      });
    },
    restart: launch,
    stop: async () => proc?.stop(),
  };
}

/** Send one Accounting-Request until an Accounting-Response comes back. */
async function waitAcct(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const { store } = buildAccounting({ count: 1, ports: 1, secret: Buffer.from("testing123"), users: generatedUsers(1), sessions: 1, stopRatio: 0, seed: 7, sessionPrefix: "probe-", nasIp: Buffer.from([127, 0, 0, 1]) });
  const packet = store.buf.subarray(0, store.length[0]);
  const sock = dgram.createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  const end = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (!alive()) throw new Error("carrier-aaa exited");
      const got = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 300);
        sock.once("message", (m) => {
          clearTimeout(t);
          resolve(m[0] === 5);
        });
        sock.send(packet, port, "127.0.0.1");
      });
      if (got) return;
      if (Date.now() > end) throw new Error(`no Accounting-Response on port ${port} within ${timeoutMs} ms`);
    }
  } finally {
    sock.close();
  }
}

/** aaa_datagrams_total of the acct listener by "outcome/reason", from the server's /metrics. */
async function acctOutcomes(httpPort: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let text = "";
  for (let attempt = 0; attempt < 3 && text === ""; attempt++) {
    // A fresh connection each time: a reused keep-alive one may have been closed by the server.
    text = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: { connection: "close" } }).then(
      (r) => r.text(),
      () => "",
    );
  }
  {
    for (const line of text.split("\n")) {
      if (!line.startsWith("aaa_datagrams_total{") || !line.includes('listener="acct"')) continue;
      const outcome = /outcome="([^"]*)"/.exec(line)?.[1] ?? "?";
      const reason = /reason="([^"]*)"/.exec(line)?.[1] ?? "?";
      const v = Number(line.slice(line.lastIndexOf(" ") + 1));
      const k = `${outcome}/${reason}`;
      out[k] = (out[k] ?? 0) + v;
    }
  }
  return out;
}

/** Every acknowledged record (from the generator's --acked file) must be in a history stream. */
async function checkRedis(url: string, ackedFile: string, prefix: string): Promise<CheckResult> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  const seen = new Map<string, number>();
  let streamEntries = 0;
  try {
    for (let b = 0; b < BUCKETS; b++) {
      const key = `${KEY_PREFIX}{sess:${b}}:acct`;
      let start = "-";
      for (;;) {
        const page = await redis.xrange(key, start, "+", "COUNT", "10000");
        for (const [, flat] of page) {
          // Entries are kind + rec (the record as JSON): docs/accounting.md.
          const i = flat.indexOf("rec");
          if (i < 0 || i + 1 >= flat.length) continue;
          const rec = JSON.parse(flat[i + 1]!) as { sessionId?: string; kind?: string; sessionTime?: number };
          if (!rec.sessionId?.startsWith(prefix)) continue;
          streamEntries++;
          const k = `${rec.sessionId}\t${rec.kind}\t${rec.sessionTime ?? 0}`;
          seen.set(k, (seen.get(k) ?? 0) + 1);
        }
        if (page.length < 10000) break;
        start = `(${page[page.length - 1]![0]}`;
      }
    }
  } finally {
    redis.disconnect();
  }
  const lines = readFileSync(ackedFile, "utf8").split("\n").filter(Boolean);
  let missing = 0;
  const examplesMissing: string[] = [];
  for (const l of lines) {
    const [sid, kind, st] = l.split("\t");
    if (!seen.has(`${sid}\t${kind}\t${st}`)) {
      missing++;
      if (examplesMissing.length < 5) examplesMissing.push(l);
    }
  }
  let duplicated = 0;
  for (const n of seen.values()) if (n > 1) duplicated += n - 1;
  return { acked: lines.length, missing, duplicated, streamEntries, examplesMissing };
}

function fmt(x: number | undefined, d = 1): string {
  return x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(d);
}

async function main(): Promise<void> {
  const a = parse(
    {
      rates: { type: "string" },
      duration: { type: "string" },
      sessions: { type: "string" },
      "max-writes": { type: "string" },
      "kill-redis": { type: "boolean" },
      appendfsync: { type: "string" },
      generator: { type: "string" },
      "kill-rate": { type: "string" },
      "kill-at": { type: "string" },
      down: { type: "string" },
      timeout: { type: "string" },
      budget: { type: "string" },
      warmup: { type: "string" },
      "wait-quiet": { type: "string" },
      "server-cpu": { type: "string" },
      "aux-cpu": { type: "string" },
      out: { type: "string" },
      quiet: { type: "boolean" },
      "node-flags": { type: "string" },
      "keep-log": { type: "boolean" },
    },
    USAGE,
  );
  installCleanup();
  const rates = numList(a, "rates", [5000, 10000]);
  const duration = num(a, "duration", 10, { min: 1 });
  const sessions = num(a, "sessions", 20000, { min: 1, int: true });
  const maxWritesText = optStr(a, "max-writes");
  const maxWrites = maxWritesText === undefined ? undefined : num(a, "max-writes", 512, { min: 1, int: true });
  const killRedis = flag(a, "kill-redis");
  const fsync = optStr(a, "appendfsync") ?? "everysec";
  if (!["everysec", "always", "no"].includes(fsync)) throw new Error("--appendfsync must be everysec, always or no");
  const killRate = num(a, "kill-rate", Math.min(...rates), { min: 1 });
  const killAt = num(a, "kill-at", 3, { min: 0.1 });
  const downS = num(a, "down", 2, { min: 0 });
  const timeoutMs = num(a, "timeout", 1000, { min: 1 });
  const budgetMs = num(a, "budget", 50, { min: 1 });
  const warmupS = num(a, "warmup", 3, { min: 0 });
  const waitQuietS = num(a, "wait-quiet", 60, { min: 0 });
  const quiet = flag(a, "quiet");
  const notes: string[] = [];

  const ncpu = os.cpus().length;
  let serverCpu: number | undefined = num(a, "server-cpu", 0, { min: 0, int: true });
  let auxCpu: number | undefined = num(a, "aux-cpu", 1, { min: 0, int: true });
  if (!which("taskset") || ncpu < 2 || serverCpu >= ncpu || auxCpu >= ncpu) {
    notes.push(`no CPU pinning (${ncpu} cores): server, Redis and generator share CPUs`);
    serverCpu = undefined;
    auxCpu = undefined;
  } else {
    try {
      execFileSync("taskset", ["-a", "-p", "-c", String(auxCpu), String(process.pid)], { stdio: "ignore" });
    } catch {
      notes.push("could not pin the bench script itself");
    }
  }
  let generator = optStr(a, "generator") ?? "c";
  let genCmd: string[] = [process.execPath, "--import", "tsx", path.join(LOAD_TESTS_DIR, "radius-load.ts")];
  if (generator === "c") {
    const bin = buildC("radius-load");
    if (bin instanceof Error) {
      notes.push(`C generator unavailable (${bin.message.split("\n")[0]}); used the Node one`);
      generator = "node";
    } else {
      genCmd = [bin];
    }
  } else if (generator !== "node") {
    throw new Error("--generator must be c or node");
  }
  notes.push(`generator: ${generator === "c" ? "radius-load.c" : "radius-load.ts (Node)"}`);

  const work = tempDir("aaa-lt-acct-");
  const redis = await startAofRedis(work, auxCpu, fsync);
  notes.push(`redis-server: appendonly yes, appendfsync ${fsync}`);
  const authPort = await freeUdpPort();
  const httpPort = await freeTcpPort();
  const acctPort = await freeUdpPort();
  const cfgFile = path.join(work, "carrier-aaa.yaml");
  const cfg = [
    "# Generated by load-tests/bench-acct.ts",
    "radius:",
    `  auth: { host: "127.0.0.1", port: ${authPort} }`,
    `  acct: { host: "127.0.0.1", port: ${acctPort} }`,
    "clients:",
    '  - { name: bench, address: "127.0.0.1/32", secret: testing123 }',
    "store:",
    `  redis: { url: "${redis.url}", keyPrefix: "${KEY_PREFIX}" }`,
    `sessions: { buckets: ${BUCKETS}, streamMaxLen: 100000000${maxWrites !== undefined ? `, maxWritesInFlight: ${maxWrites}` : ""} }`,
    `http: { host: "127.0.0.1", port: ${httpPort} }`,
    "log: { level: warn }",
    "",
  ].join("\n");
  writeFileSync(cfgFile, cfg);
  const logFile = path.join(work, "carrier-aaa.log");
  const nodeFlags = (optStr(a, "node-flags") ?? "").split(/\s+/).filter(Boolean);
  const server = startPinned(process.execPath, [...nodeFlags, path.join(REPO, "bin", "carrier-aaa.js"), "serve", "--config", cfgFile, "--workers", "1"], { cpu: serverCpu, logFile, cwd: REPO });
  try {
    await waitAcct(acctPort, 20_000, () => server.child.exitCode === null);
  } catch (err) {
    keepTempDir(work);
    await server.stop();
    await redis.stop();
    throw new Error(`carrier-aaa did not answer accounting: ${(err as Error).message}\n--- ${logFile} (kept) ---\n${tail(logFile)}`);
  }
  if (flag(a, "keep-log")) {
    keepTempDir(work);
    process.stderr.write(`server log (kept): ${logFile}\n`);
  }
  process.stderr.write(`carrier-aaa pid ${server.pid}, accounting on 127.0.0.1:${acctPort}; redis-server ${redis.url} (AOF, appendfsync ${fsync})\n`);

  const started = new Date();
  const stamp = started.toISOString().slice(0, 16).replace(":", "");
  const loadBefore = loadAvg();
  const rows: Row[] = [];
  let runNo = 0;

  const runOne = async (label: string, rate: number, seconds: number, during?: () => Promise<void>): Promise<Row> => {
    await waitQuiet({
      cores: serverCpu !== undefined && auxCpu !== undefined ? [serverCpu, auxCpu] : coreBusyMs().map((_, i) => i),
      ourPids: [server.pid, redis.pid()],
      maxS: waitQuietS,
      log: (m) => process.stderr.write(m + "\n"),
    });
    runNo++;
    const prefix = `r${runNo}-`;
    const acked = path.join(work, `acked-${runNo}.tsv`);
    const busy0 = coreBusyMs();
    const srv0 = cpuMs(server.pid) ?? 0;
    const redisPid0 = redis.pid();
    const red0 = cpuMs(redisPid0) ?? 0;
    const out0 = await acctOutcomes(httpPort);
    const t0 = performance.now();
    const gen = runPinned(
      genCmd[0]!,
      [
        ...genCmd.slice(1),
        "--mode", "acct",
        "--prestarted",
        "--server", `127.0.0.1:${acctPort}`,
        "--rate", String(rate),
        "--duration", String(seconds),
        "--timeout", String(timeoutMs),
        "--budget", String(budgetMs),
        "--sessions", String(sessions),
        "--session-prefix", prefix,
        "--seed", String(runNo),
        "--acked", acked,
        "--json",
      ],
      { cpu: auxCpu, watchdogMs: (seconds + timeoutMs / 1000 + 120) * 1000, stderrPrefix: `  ${label} ${rate}/s `, quiet, cwd: REPO },
    );
    if (during) await during();
    const r = await gen;
    const windowS = (performance.now() - t0) / 1000;
    if (r.code !== 0) throw new Error(`generator exited with ${r.code} at ${rate}/s`);
    const report = JSON.parse(r.stdout.trim().split("\n").pop()!) as LoadReport;
    const busy1 = coreBusyMs();
    const srvMs = (cpuMs(server.pid) ?? srv0) - srv0;
    const redMs = redis.pid() === redisPid0 ? (cpuMs(redisPid0) ?? red0) - red0 : NaN;
    const cores = serverCpu !== undefined && auxCpu !== undefined ? [serverCpu, auxCpu] : busy0.map((_, i) => i);
    const busyMs = cores.reduce((s, c) => s + ((busy1[c] ?? 0) - (busy0[c] ?? 0)), 0);
    const oursMs = srvMs + (Number.isFinite(redMs) ? redMs : 0) + report.cpuMs;
    await sleep(500);
    const check = await checkRedis(redis.url, acked, prefix);
    const out1 = await acctOutcomes(httpPort);
    const outcomes: Record<string, number> = {};
    for (const [k, v] of Object.entries(out1)) if (v - (out0[k] ?? 0) > 0) outcomes[k] = v - (out0[k] ?? 0);
    return {
      label,
      outcomes,
      rate,
      report,
      serverCpuPct: (100 * srvMs) / 1000 / windowS,
      redisCpuPct: (100 * redMs) / 1000 / windowS,
      rssMiB: memoryMiB(server.pid)?.rss ?? NaN,
      foreignCores: Math.max(0, busyMs - oursMs) / 1000 / windowS,
      check,
    };
  };

  if (warmupS > 0) {
    process.stderr.write(`warm-up ${warmupS} s at ${Math.min(...rates)}/s (not recorded)\n`);
    await runOne("warm-up", Math.min(...rates), warmupS);
    await sleep(2000);
  }
  for (const rate of rates) {
    const row = await runOne("acct", rate, duration);
    rows.push(row);
    const r = row.report;
    process.stderr.write(
      `${rate}/s: answered ${r.answeredPerSec}/s, timeouts ${r.timeouts}, p99 ${fmt(r.latencyMs.p99, 2)} ms, server CPU ${fmt(row.serverCpuPct, 0)} %; acknowledged ${row.check.acked}, missing in Redis ${row.check.missing}\n`,
    );
    await sleep(2000);
  }
  if (killRedis) {
    process.stderr.write(`fault run: ${killRate}/s for ${duration} s, Redis SIGKILLed at ${killAt} s, restarted ${downS} s later\n`);
    const row = await runOne("redis-killed", killRate, duration, async () => {
      await sleep(killAt * 1000);
      await redis.kill();
      process.stderr.write("  redis-server killed\n");
      await sleep(downS * 1000);
      await redis.restart();
      process.stderr.write("  redis-server restarted (AOF reloaded)\n");
    });
    rows.push(row);
    process.stderr.write(`fault run: acknowledged ${row.check.acked}, missing in Redis ${row.check.missing}, timeouts ${row.report.timeouts}\n`);
  }
  await server.stop();
  await redis.stop();

  const md = render(rows, { duration, sessions, notes, started, loadBefore, killAt, downS, timeoutMs, budgetMs });
  const out = optStr(a, "out") ?? path.join(LOAD_TESTS_DIR, "results", `acct-${stamp}.md`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, md);
  writeFileSync(out.replace(/\.md$/, ".json"), JSON.stringify({ started, rows, notes }, null, 2) + "\n");
  process.stdout.write(md);
  process.stderr.write(`\nwritten ${out}\n`);
  const lost = rows.reduce((s, r) => s + r.check.missing, 0);
  if (lost > 0) process.exitCode = 1;
}

function render(
  rows: Row[],
  o: { duration: number; sessions: number; notes: string[]; started: Date; loadBefore: string; killAt: number; downS: number; timeoutMs: number; budgetMs: number },
): string {
  const lines = [
    `# Accounting benchmark ${o.started.toISOString()}`,
    "",
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}; load average before: ${o.loadBefore}. Shared machine: compare rows only when *other CPU* is near 0.`,
    `carrier-aaa alone on core 0; redis-server (AOF), the generator and this script on core 1.`,
    `Each run: ${o.duration} s open loop (Poisson), ${o.sessions} sessions already up, ~98 % Interim-Update / ~2 % Stop (+ the Starts that follow), timeout ${o.timeoutMs} ms, budget ${o.budgetMs} ms.`,
    `*missing*: requests that got a verified Accounting-Response but whose record is not in the Redis history streams afterwards (must be 0). *dup*: records present twice.`,
    "",
    "| run | offered/s | answered/s | start/interim/stop offered | timeouts | bad auth | p50 ms | p99 ms | p99.9 ms | server CPU | redis CPU | RSS MiB | acknowledged | missing | dup | other CPU |",
    "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const p = r.report;
    const mix = p.acctMix ? `${p.acctMix.start}/${p.acctMix.interim}/${p.acctMix.stop}` : "-";
    lines.push(
      `| ${r.label} | ${r.rate} | ${p.answeredPerSec} | ${mix} | ${p.timeouts} | ${p.badAuthenticator + p.badMessageAuthenticator + p.malformed} | ${fmt(p.latencyMs.p50, 2)} | ${fmt(p.latencyMs.p99, 2)} | ${fmt(p.latencyMs.p999, 2)} | ${fmt(r.serverCpuPct, 0)} % | ${fmt(r.redisCpuPct, 0)} % | ${fmt(r.rssMiB, 0)} | ${r.check.acked} | ${r.check.missing} | ${r.check.duplicated} | ${fmt(r.foreignCores, 2)} |`,
    );
  }
  const killed = rows.find((r) => r.label === "redis-killed");
  if (killed) {
    lines.push("", `Fault run: Redis SIGKILLed ${o.killAt} s into the run, restarted from its AOF ${o.downS} s later. Requests sent while it was down got no answer (timeouts), as RFC 2866 §4.1 requires; of the ${killed.check.acked} acknowledged, ${killed.check.missing} are missing.`);
  }
  lines.push("", "Server-side outcomes of the accounting datagrams per run (`aaa_datagrams_total`, listener acct):", "");
  for (const r of rows) {
    const parts = Object.entries(r.outcomes).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`);
    lines.push(`- ${r.label} ${r.rate}/s: ${parts.join(", ") || "-"}`);
  }
  for (const r of rows) if (r.check.examplesMissing.length) lines.push("", `Missing in ${r.label} ${r.rate}/s, e.g.: ${r.check.examplesMissing.map((x) => "`" + x.replaceAll("\t", " ") + "`").join(", ")}`);
  if (o.notes.length) lines.push("", ...o.notes.map((n) => `- ${n}`));
  lines.push("");
  return lines.join("\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-acct: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
