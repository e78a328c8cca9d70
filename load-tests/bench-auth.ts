// The auth benchmark in one command: carrier-aaa and FreeRADIUS 3.2 side by side, same data,
// same cores, same generator.
//
//   npx tsx load-tests/bench-auth.ts [--rates 5000,10000,15000,20000] [--duration 10]
//        [--users 100000] [--skip-freeradius] [--skip-carrier] [--generator c|node]
//
// Layout on a 2-core machine (the protocol of docs/benchmarks.md): the server under test alone
// on core 0; redis-server, the load generator and this script on core 1. A private
// redis-server on a free port holds the users in both layouts (seed-redis.ts). Each server is
// started, probed until it accepts user000001, warmed up, then offered each rate open-loop for
// --duration seconds; between rates we wait until the server is idle again so one rate's
// backlog does not leak into the next. Everything started here is killed on exit or Ctrl-C.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { flag, num, numList, optStr, parse, str } from "./lib/args.js";
import { buildC, LOAD_TESTS_DIR } from "./lib/cbuild.js";
import { waitUntilAnswering } from "./lib/probe.js";
import {
  coreBusyMs,
  cpuMs,
  freeUdpPort,
  installCleanup,
  keepTempDir,
  loadAvg,
  treeCpuMs,
  treeMemoryMiB,
  runPinned,
  sleep,
  startPinned,
  startRedis,
  tail,
  tempDir,
  which,
  waitQuiet,
  type Started,
} from "./lib/procs.js";
import { passwordFor, usernameFor } from "./lib/radius.js";
import { settle as settleServer } from "./lib/systems.js";
import type { LoadReport } from "./radius-load.js";
import { startFreeradius } from "./freeradius/run-freeradius.js";
import { seed } from "./seed-redis.js";

const REPO = path.resolve(LOAD_TESTS_DIR, "..");

const USAGE = `Usage: npx tsx load-tests/bench-auth.ts [options]

  --rates LIST          offered rates, requests/s (default 5000,10000,15000,20000)
  --duration S          seconds per rate (default 10)
  --users N             subscribers seeded and drawn from (default 100000)
  --skip-carrier        baseline only (e.g. while the server is not built)
  --skip-freeradius     carrier-aaa only
  --generator c|node    load generator (default c when a C compiler exists: the Node one
                        cannot offer and verify more than ~20k/s on one core, see docs)
  --store redis|memory  carrier-aaa store (default redis; memory = JSONL file, same users)
  --workers N           carrier-aaa worker processes (serve --workers N; default 1). With N > 1
                        the server runs on every core: its workers share them with Redis and
                        the generator (the report says so); N > 1 needs --store redis
  --node-flags=FLAGS    extra node flags for carrier-aaa, e.g. --node-flags=--single-threaded-gc
  --carrier-config FILE YAML template for carrier-aaa; \${PORT}, \${REDIS_URL}, \${JSONL} are
                        substituted (default: generated, see docs/benchmarks.md)
  --fr-threads N        FreeRADIUS thread pool = Redis connections (default 8)
  --timeout MS          generator give-up time (default 1000)
  --budget MS           latency budget for goodput and "late" (default 50)
  --warmup S            unrecorded warm-up per server at the lowest rate (default 3)
  --pause S             minimum pause between rates (default 3; then wait for the server idle)
  --wait-quiet S        before each run, wait up to S s until processes outside the benchmark
                        use < 0.1 core on the benchmark cores for 2 s (default 120; 0: don't)
  --server-cpu N        core for the server under test (default 0)
  --aux-cpu N           core for redis-server and the generator (default 1)
  --out FILE            markdown results (default load-tests/results/auth-<date>.md)
  --quiet               no per-second generator progress
`;

interface Row {
  server: string;
  rate: number;
  report: LoadReport;
  serverCpuPct: number;
  redisCpuPct: number;
  rssMiB: number;
  hwmMiB: number;
  /** CPU used on the two benchmark cores by processes other than ours, in cores. */
  foreignCores: number;
  /** Busy share (incl. softirq, i.e. the kernel's UDP work) of the server's and the aux core. */
  serverCoreBusyPct: number;
  auxCoreBusyPct: number;
  generatorCpuPct: number;
  windowS: number;
}

interface ServerUnderTest {
  name: string;
  proc: Started;
  port: number;
  notes: string[];
}

function fmt(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits);
}

function versionOf(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0]!.trim();
  } catch {
    return "?";
  }
}

function cpuModel(): string {
  return os.cpus()[0]?.model ?? "?";
}

async function main(): Promise<void> {
  const a = parse(
    {
      rates: { type: "string" },
      duration: { type: "string" },
      users: { type: "string" },
      "skip-carrier": { type: "boolean" },
      "skip-freeradius": { type: "boolean" },
      generator: { type: "string" },
      store: { type: "string" },
      workers: { type: "string" },
      "carrier-config": { type: "string" },
      "node-flags": { type: "string" },
      "fr-threads": { type: "string" },
      timeout: { type: "string" },
      budget: { type: "string" },
      warmup: { type: "string" },
      pause: { type: "string" },
      "wait-quiet": { type: "string" },
      "server-cpu": { type: "string" },
      "aux-cpu": { type: "string" },
      out: { type: "string" },
      quiet: { type: "boolean" },
    },
    USAGE,
  );
  installCleanup();
  const rates = numList(a, "rates", [5000, 10000, 15000, 20000]);
  const duration = num(a, "duration", 10, { min: 1 });
  const users = num(a, "users", 100000, { min: 1, int: true });
  const timeoutMs = num(a, "timeout", 1000, { min: 1 });
  const budgetMs = num(a, "budget", 50, { min: 1 });
  const warmupS = num(a, "warmup", 3, { min: 0 });
  const pauseS = num(a, "pause", 3, { min: 0 });
  const waitQuietS = num(a, "wait-quiet", 120, { min: 0 });
  const frThreads = num(a, "fr-threads", 8, { min: 1, max: 256, int: true });
  const store = str(a, "store", "redis");
  if (store !== "redis" && store !== "memory") throw new Error("--store must be redis or memory");
  const quiet = flag(a, "quiet");
  const workers = num(a, "workers", 1, { min: 1, max: 63, int: true });
  if (workers > 1 && store !== "redis") throw new Error("--workers N > 1 needs --store redis (the memory store is one process's)");
  const notes: string[] = [];

  // Pinning: without taskset (or with one core) everything shares the CPU and figures mean less.
  const ncpu = os.cpus().length;
  let serverCpu: number | undefined = num(a, "server-cpu", 0, { min: 0, int: true });
  let auxCpu: number | undefined = num(a, "aux-cpu", 1, { min: 0, int: true });
  if (!which("taskset") || ncpu < 2 || serverCpu >= ncpu || auxCpu >= ncpu) {
    notes.push(`no CPU pinning (taskset ${which("taskset") ? "present" : "missing"}, ${ncpu} cores): server, Redis and generator share CPUs`);
    serverCpu = undefined;
    auxCpu = undefined;
  }

  if (auxCpu !== undefined) {
    // Keep this script off the server's core too (it is idle but for reading progress lines).
    try {
      execFileSync("taskset", ["-a", "-p", "-c", String(auxCpu), String(process.pid)], { stdio: "ignore" });
    } catch {
      notes.push("could not pin the bench script itself");
    }
  }

  // Generator: C by default (see USAGE), the Node one as fallback.
  let generator = str(a, "generator", "c");
  let genCmd: string[];
  if (generator === "c") {
    const bin = buildC("radius-load");
    if (bin instanceof Error) {
      notes.push(`C generator unavailable (${bin.message.split("\n")[0]}); used the Node generator, whose ceiling is ~20k/s with replies`);
      generator = "node";
    } else {
      genCmd = [bin];
    }
  }
  if (generator === "node") genCmd = [process.execPath, "--import", "tsx", path.join(LOAD_TESTS_DIR, "radius-load.ts")];
  else if (generator !== "c") throw new Error("--generator must be c or node");

  // What can run.
  const servers: string[] = [];
  if (!flag(a, "skip-carrier")) {
    if (!existsSync(path.join(REPO, "bin", "carrier-aaa.js"))) throw new Error("bin/carrier-aaa.js is missing: is this the carrier-aaa repository? (or pass --skip-carrier)");
    if (!existsSync(path.join(REPO, "dist", "cli", "main.js"))) throw new Error("carrier-aaa is not built (dist/cli/main.js missing): run `npm run build`, or pass --skip-carrier");
    servers.push("carrier-aaa");
  }
  if (!flag(a, "skip-freeradius")) {
    if (which("freeradius") || which("radiusd")) servers.push("freeradius");
    else notes.push("FreeRADIUS is not installed: baseline skipped (apt-get install freeradius freeradius-redis)");
  }
  if (servers.length === 0) throw new Error("nothing to benchmark: both servers skipped or unavailable");

  const started = new Date();
  const stamp = started.toISOString().slice(0, 16).replace(":", "");
  const outFile = optStr(a, "out") ?? path.join(LOAD_TESTS_DIR, "results", `auth-${stamp}.md`);
  const loadBefore = loadAvg();

  // Data: one private redis-server, both layouts; JSONL too when the memory store is used.
  const work = tempDir("aaa-lt-bench-");
  const redis = await startRedis({ cpu: auxCpu, dir: work });
  const jsonl = path.join(work, "subscribers.jsonl");
  const seeded = await seed({
    url: redis.url,
    users,
    userPrefix: "user",
    keyPrefix: "aaa:",
    frPrefix: "fr:user:",
    layouts: new Set(["fr", "aaa"]),
    jsonl: store === "memory" ? jsonl : undefined,
    sessionTimeout: 3600,
  });
  process.stderr.write(`redis-server ${redis.url} (pid ${redis.pid}); seeded ${seeded.users} users (${seeded.keysWritten} keys) in ${seeded.ms} ms\n`);

  const rows: Row[] = [];
  const serverNotes: Record<string, string[]> = {};
  const probeUser = { username: usernameFor(1), password: passwordFor(usernameFor(1)) };

  const waitQuietFor = (serverPid: number): Promise<number> =>
    waitQuiet({
      cores: serverCpu !== undefined && auxCpu !== undefined ? [serverCpu, auxCpu] : coreBusyMs().map((_, i) => i),
      ourPids: [serverPid, redis.pid],
      maxS: waitQuietS,
      log: (m) => process.stderr.write(m + "\n"),
    });

  const runOne = async (sut: ServerUnderTest, rate: number, seconds: number, seed: number): Promise<Row> => {
    await waitQuietFor(sut.proc.pid);
    const busy0 = coreBusyMs();
    const srv0 = treeCpuMs(sut.proc.pid) ?? 0;
    const red0 = cpuMs(redis.pid) ?? 0;
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const args = [
      "--server", `127.0.0.1:${sut.port}`,
      "--rate", String(rate),
      "--duration", String(seconds),
      "--timeout", String(timeoutMs),
      "--budget", String(budgetMs),
      "--users-count", String(users),
      "--seed", String(seed),
      "--json",
    ];
    const r = await runPinned(genCmd[0]!, [...genCmd.slice(1), ...args], {
      cpu: auxCpu,
      watchdogMs: (seconds + timeoutMs / 1000 + 120) * 1000,
      stderrPrefix: `  ${sut.name} ${rate}/s `,
      quiet,
      cwd: REPO,
    });
    const windowS = (performance.now() - t0) / 1000;
    if (r.code !== 0) throw new Error(`generator exited with ${r.code} at ${rate}/s against ${sut.name}`);
    const report = JSON.parse(r.stdout.trim().split("\n").pop()!) as LoadReport;
    const busy1 = coreBusyMs();
    const srvMs = (treeCpuMs(sut.proc.pid) ?? srv0) - srv0;
    const redMs = (cpuMs(redis.pid) ?? red0) - red0;
    const self = process.cpuUsage(self0);
    const cores = serverCpu !== undefined && auxCpu !== undefined ? [serverCpu, auxCpu] : busy0.map((_, i) => i);
    const busyMs = cores.reduce((s, c) => s + ((busy1[c] ?? 0) - (busy0[c] ?? 0)), 0);
    const oursMs = srvMs + redMs + report.cpuMs + (self.user + self.system) / 1000;
    const mem = treeMemoryMiB(sut.proc.pid);
    return {
      server: sut.name,
      rate,
      report,
      serverCpuPct: (100 * srvMs) / 1000 / windowS,
      redisCpuPct: (100 * redMs) / 1000 / windowS,
      rssMiB: mem?.rss ?? NaN,
      hwmMiB: mem?.hwm ?? NaN,
      foreignCores: Math.max(0, busyMs - oursMs) / 1000 / windowS,
      serverCoreBusyPct: serverCpu !== undefined ? ((busy1[serverCpu] ?? 0) - (busy0[serverCpu] ?? 0)) / 10 / windowS : NaN,
      auxCoreBusyPct: auxCpu !== undefined ? ((busy1[auxCpu] ?? 0) - (busy0[auxCpu] ?? 0)) / 10 / windowS : NaN,
      generatorCpuPct: report.cpuMs / 10 / windowS,
      windowS,
    };
  };

  /** Wait until the server has been (nearly) idle for 500 ms, at most 30 s; then probe it. */
  const settle = (sut: ServerUnderTest): Promise<void> => settleServer(sut, pauseS);

  for (const name of servers) {
    const port = await freeUdpPort();
    let sut: ServerUnderTest;
    if (name === "carrier-aaa") {
      const dir = tempDir("aaa-lt-carrier-");
      const cfgFile = path.join(dir, "carrier-aaa.yaml");
      const template = optStr(a, "carrier-config");
      const storeYaml = store === "memory" ? `  memory: { file: "${jsonl}" }` : `  redis: { url: "${redis.url}", keyPrefix: "aaa:" }`;
      const cfg = template
        ? readFileSync(template, "utf8").replaceAll("${PORT}", String(port)).replaceAll("${REDIS_URL}", redis.url).replaceAll("${JSONL}", jsonl)
        : [
            "# Generated by load-tests/bench-auth.ts",
            "radius:",
            `  auth: { host: "127.0.0.1", port: ${port} }`,
            "clients:",
            '  - { name: bench, address: "127.0.0.1/32", secret: testing123, requireMessageAuthenticator: true }',
            "store:",
            storeYaml,
            "log: { level: warn }",
            "",
          ].join("\n");
      writeFileSync(cfgFile, cfg);
      const logFile = path.join(dir, "carrier-aaa.log");
      const nodeFlags = (optStr(a, "node-flags") ?? "").split(/\s+/).filter(Boolean);
      // With several workers, pinning the primary to one core would pin every worker there too
      // (children inherit the affinity), and so would not pinning it at all, since this script
      // runs on the aux core: give it every core, and say so.
      const carrierCpu = workers > 1 ? `0-${os.cpus().length - 1}` : serverCpu;
      const proc = startPinned(process.execPath, [...nodeFlags, path.join(REPO, "bin", "carrier-aaa.js"), "serve", "--config", cfgFile, "--workers", String(workers)], { cpu: carrierCpu, logFile, cwd: REPO });
      try {
        await waitUntilAnswering({ host: "127.0.0.1", port, secret: "testing123", mode: "pap", user: probeUser, timeoutMs: 20000, expectCode: 2, alive: () => proc.child.exitCode === null });
      } catch (err) {
        keepTempDir(dir);
        await proc.stop();
        throw new Error(`carrier-aaa did not come up: ${(err as Error).message}\n--- ${logFile} (kept) ---\n${tail(logFile)}\n--- config ---\n${cfg}`);
      }
      const placement = workers > 1 ? `${workers} workers (serve --workers ${workers}) on every core (taskset -c ${carrierCpu}): they share all ${ncpu} cores with redis-server and the generator; CPU is the primary's and the workers' together` : `1 process${carrierCpu !== undefined ? ` on core ${carrierCpu}` : ""}`;
      sut = { name, proc, port, notes: [`store: ${store}`, placement, `config: ${template ? template : "generated (see docs/benchmarks.md)"}`] };
    } else {
      const fr = await startFreeradius({ port, redisPort: redis.port, secret: "testing123", threads: frThreads, maxRequests: 262144, frPrefix: "fr:user:", cpu: serverCpu });
      sut = { name, proc: fr, port, notes: [`${frThreads} threads / Redis connections, max_requests 262144, rlm_redis HGET + pap`] };
    }
    serverNotes[name] = sut.notes;
    process.stderr.write(`${name} pid ${sut.proc.pid} answering on 127.0.0.1:${port}\n`);

    if (warmupS > 0) {
      process.stderr.write(`${name}: warm-up ${warmupS} s at ${Math.min(...rates)}/s (not recorded)\n`);
      await runOne(sut, Math.min(...rates), warmupS, 999);
      await settle(sut);
    }
    for (const [i, rate] of rates.entries()) {
      process.stderr.write(`${name}: ${rate}/s for ${duration} s\n`);
      const row = await runOne(sut, rate, duration, i + 1);
      rows.push(row);
      const r = row.report;
      process.stderr.write(
        `${name} ${rate}/s: answered ${r.answeredPerSec}/s, goodput ${r.goodput}/s, timeouts ${r.timeouts}, p99 ${fmt(r.latencyMs.p99, 2)} ms, server CPU ${fmt(row.serverCpuPct, 0)} %\n`,
      );
      if (i < rates.length - 1) await settle(sut);
    }
    await sut.proc.stop();
  }
  await redis.stop();

  const md = renderMarkdown({
    rows,
    rates,
    duration,
    users,
    generator,
    budgetMs,
    timeoutMs,
    started,
    loadBefore,
    loadAfter: loadAvg(),
    notes,
    serverNotes,
    pinned:
      serverCpu !== undefined
        ? `server on core ${serverCpu}${workers > 1 && servers.includes("carrier-aaa") ? ` (carrier-aaa with ${workers} workers: on every core)` : ""}; redis-server, generator and this script on core ${auxCpu}`
        : "not pinned",
    argv: process.argv.slice(2),
  });
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, md);
  writeFileSync(outFile.replace(/\.md$/, "") + ".json", JSON.stringify({ started: started.toISOString(), rates, duration, users, generator, rows }, null, 2) + "\n");
  process.stdout.write(md);
  process.stderr.write(`\nwritten: ${path.relative(process.cwd(), outFile)} (+ .json)\n`);
}

function renderMarkdown(o: {
  rows: Row[];
  rates: number[];
  duration: number;
  users: number;
  generator: string;
  budgetMs: number;
  timeoutMs: number;
  started: Date;
  loadBefore: string;
  loadAfter: string;
  notes: string[];
  serverNotes: Record<string, string[]>;
  pinned: string;
  argv: string[];
}): string {
  const b = o.budgetMs;
  const lines: string[] = [];
  lines.push(`# Auth benchmark ${o.started.toISOString().slice(0, 16).replace("T", " ")} UTC`, "");
  lines.push(`Command: \`npx tsx load-tests/bench-auth.ts ${o.argv.join(" ")}\``, "");
  lines.push(
    `PAP + Message-Authenticator, ${o.users} subscribers drawn uniformly, open-loop Poisson arrivals, ${o.duration} s per rate, ` +
      `give-up ${o.timeoutMs} ms, budget ${b} ms; generator: ${o.generator}; ${o.pinned}.`,
  );
  lines.push(
    `Machine: ${os.cpus().length} x ${cpuModel()}, Linux ${os.release()}, Node ${process.version}, ${versionOf("redis-server", ["--version"])}, ` +
      `${versionOf("freeradius", ["-v"]).replace(/^radiusd: /, "")}. Load average before ${o.loadBefore}, after ${o.loadAfter}.`,
    "",
  );
  for (const [name, ns] of Object.entries(o.serverNotes)) lines.push(`- ${name}: ${ns.join("; ")}`);
  for (const n of o.notes) lines.push(`- note: ${n}`);
  lines.push("");
  lines.push(
    `| server | offered/s | sent/s | answered/s | goodput/s (≤${b} ms) | accept | reject | timeouts | bad auth | p50 ms | p99 ms | p99.9 ms | server CPU | redis / gen CPU | core busy srv / aux | server RSS MiB (peak) | UDP drops srv/gen (UdpRcvbufErrors) | other CPU |`,
  );
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const row of o.rows) {
    const r = row.report;
    lines.push(
      `| ${row.server} | ${row.rate} | ${r.achievedSendRate} | ${r.answeredPerSec} | ${r.goodput} | ${r.accept} | ${r.reject} | ${r.timeouts} | ${r.badAuthenticator + r.badMessageAuthenticator + r.malformed} | ` +
        `${fmt(r.latencyMs.p50, 2)} | ${fmt(r.latencyMs.p99, 2)} | ${fmt(r.latencyMs.p999, 2)} | ${fmt(row.serverCpuPct, 0)} % | ${fmt(row.redisCpuPct, 0)} / ${fmt(row.generatorCpuPct, 0)} % | ` +
        `${fmt(row.serverCoreBusyPct, 0)} / ${fmt(row.auxCoreBusyPct, 0)} % | ${fmt(row.rssMiB, 0)} (${fmt(row.hwmMiB, 0)}) | ` +
        `${r.serverSocketDrops}/${r.generatorSocketDrops} (${(r.udp["UdpRcvbufErrors"] ?? 0) + (r.udp["Udp6RcvbufErrors"] ?? 0)}) | ${fmt(row.foreignCores, 2)} |`,
    );
  }
  lines.push("");
  // Capacity as in docs/benchmarks.md: highest offered rate with p99 within budget and nothing lost.
  for (const name of new Set(o.rows.map((r) => r.server))) {
    const ok = o.rows.filter((r) => r.server === name && r.report.timeouts === 0 && r.report.latencyMs.p99 <= b && r.report.badAuthenticator + r.report.badMessageAuthenticator === 0);
    const best = ok.length ? Math.max(...ok.map((r) => r.rate)) : null;
    const peak = Math.max(...o.rows.filter((r) => r.server === name).map((r) => r.report.goodput));
    lines.push(`- ${name}: capacity ${best === null ? `below ${Math.min(...o.rates)}/s` : `≥ ${best}/s`} (highest offered rate with p99 ≤ ${b} ms and no timeouts); peak goodput ${peak}/s.`);
  }
  const lagWarn = o.rows.filter((r) => r.report.achievedSendRate < 0.98 * r.report.intendedRate || r.report.sendLagMs.p99 > 5);
  if (lagWarn.length) {
    lines.push(
      `- warning: the generator lagged (sent < 98 % of intended, or send-lag p99 > 5 ms) at ${lagWarn.map((r) => `${r.server} ${r.rate}/s (lag p99 ${fmt(r.report.sendLagMs.p99, 1)} ms)`).join(", ")}: latency there includes generator delay.`,
    );
  }
  const auxBusy = o.rows.filter((r) => r.auxCoreBusyPct > 90);
  if (auxBusy.length) {
    lines.push(`- warning: the aux core (Redis + generator) was > 90 % busy at ${auxBusy.map((r) => `${r.server} ${r.rate}/s`).join(", ")}: the server may have been limited by it, not by its own core.`);
  }
  const noisy = o.rows.filter((r) => r.foreignCores > 0.1);
  if (noisy.length) {
    lines.push(`- warning: other processes used > 0.1 core on the benchmark cores during ${noisy.map((r) => `${r.server} ${r.rate}/s (${fmt(r.foreignCores, 2)})`).join(", ")}: those rows are disturbed.`);
  }
  lines.push("");
  lines.push(
    "Columns: offered = intended Poisson rate; sent = achieved send rate; answered = valid replies per second; goodput = replies within the budget per second; " +
      "timeouts = requests without a valid reply within the give-up time; bad auth = replies failing the Response Authenticator / Message-Authenticator check (or malformed); " +
      "p50/p99/p99.9 = latency of answered requests from their intended send time; server / redis / gen CPU = process CPU time as a share of one core; " +
      "core busy = all non-idle time of the server's core and of the aux core, kernel UDP work (softirq) included; RSS = after the run (peak); " +
      "UDP drops = kernel drops on the server's / the generator's sockets (per-socket, /proc/net/udp), in brackets the namespace-wide nstat UdpRcvbufErrors + Udp6RcvbufErrors delta; other CPU = cores' worth of CPU used on the benchmark cores by processes not part of the benchmark (noise). See docs/benchmarks.md.",
    "",
  );
  return lines.join("\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-auth: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
