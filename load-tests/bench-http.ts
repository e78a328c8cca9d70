// POST /v1/auth under autocannon, alone or together with RADIUS load (the combined run shows
// the scheduler admitting and shedding both kinds of request).
//
//   npx tsx load-tests/bench-http.ts [--users 100000] [--connections 64] [--duration 10]
//        [--radius-rate 0] [--scheduler off|on] [--pipelining 1] [--warmup 3]
//
// Layout on a 2-core machine (as docs/benchmarks.md): carrier-aaa alone on core 0; a private
// redis-server, autocannon (in this process) and, for the combined run, the C RADIUS generator
// on core 1. The users are seeded with seed-redis.ts (user000001.., password pw-<username>);
// each HTTP request picks one uniformly at random. autocannon is closed-loop: `--connections`
// requests are outstanding at any time, so its latency is the server's response time at the
// rate it sustains (not an open-loop figure like the RADIUS generator's). Everything started
// here is killed on exit or Ctrl-C.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { flag, num, optStr, parse, str } from "./lib/args.js";
import { buildC, LOAD_TESTS_DIR } from "./lib/cbuild.js";
import { coreBusyMs, cpuMs, freeTcpPort, freeUdpPort, loadAvg, runPinned, sleep, startPinned, startRedis, tail, tempDir, waitQuiet, waitTcp, which } from "./lib/procs.js";
import { passwordFor, usernameFor } from "./lib/radius.js";
import { runAutocannon } from "./lib/http-load.js";
import type { LoadReport } from "./radius-load.js";
import { seed } from "./seed-redis.js";

const REPO = path.resolve(LOAD_TESTS_DIR, "..");
const TOKEN = "bench-token-0123456789abcdef";

const USAGE = `Usage: npx tsx load-tests/bench-http.ts [options]

  --users N             subscribers seeded and drawn from (default 100000)
  --connections N       autocannon connections = requests outstanding (default 64)
  --pipelining N        requests per connection in flight (default 1)
  --duration S          seconds of measured load (default 10)
  --warmup S            unrecorded autocannon warm-up (default 3)
  --radius-rate R       also offer R RADIUS Access-Requests/s (open loop, C generator) during
                        the measured run: the combined run (default 0 = HTTP only)
  --scheduler off|on    scheduler.enabled in the server's config (default off, the default)
  --budget MS           scheduler.budgetMs (default 50)
  --auth-weight W       http.authWeight: POST /v1/auth's fair-queuing weight against the NAS
                        (default 1)
  --server-cpu N        core of the server (default 0)
  --aux-cpu N           core of redis-server, autocannon and the RADIUS generator (default 1)
  --wait-quiet S        before the measured run, wait up to S s until processes outside the
                        benchmark use < 0.1 core for 2 s (default 60; 0: don't)
  --out FILE            markdown report (default load-tests/results/http-<date>.md)
`;

type Outcomes = Map<string, number>;

/** Process state letter from /proc/<pid>/stat (R, S, D, T = stopped, ...), or "?" when gone. */
function procState(pid: number): string {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, "utf8");
    return st.slice(st.lastIndexOf(")") + 2, st.lastIndexOf(")") + 3);
  } catch {
    return "?";
  }
}

/** aaa_datagrams_total by listener|outcome|reason, from the server's /metrics. */
async function outcomes(port: number): Promise<Outcomes> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Outcomes = new Map();
  for (const line of text.split("\n")) {
    if (!line.startsWith("aaa_datagrams_total{")) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const key = `${labels["listener"]}|${labels["outcome"]}|${labels["reason"]}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return out;
}

function delta(after: Outcomes, before: Outcomes): Outcomes {
  const d: Outcomes = new Map();
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) d.set(k, v - (before.get(k) ?? 0));
  return d;
}

async function main(): Promise<void> {
  const a = parse(
    {
      users: { type: "string" },
      connections: { type: "string" },
      pipelining: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      "radius-rate": { type: "string" },
      scheduler: { type: "string" },
      budget: { type: "string" },
      "auth-weight": { type: "string" },
      "server-cpu": { type: "string" },
      "aux-cpu": { type: "string" },
      out: { type: "string" },
      "wait-quiet": { type: "string" },
      quiet: { type: "boolean" },
    },
    USAGE,
  );
  const users = num(a, "users", 100_000, { min: 1, int: true });
  const connections = num(a, "connections", 64, { min: 1, max: 10_000, int: true });
  const pipelining = num(a, "pipelining", 1, { min: 1, max: 100, int: true });
  const duration = num(a, "duration", 10, { min: 1, max: 600 });
  const warmup = num(a, "warmup", 3, { min: 0, max: 60 });
  const radiusRate = num(a, "radius-rate", 0, { min: 0, int: true });
  const scheduler = str(a, "scheduler", "off");
  if (scheduler !== "on" && scheduler !== "off") throw new Error("--scheduler must be on or off");
  const budget = num(a, "budget", 50, { min: 1 });
  const waitQuietS = num(a, "wait-quiet", 60, { min: 0 });
  const authWeight = num(a, "auth-weight", 1, { min: 0.01, max: 100 });
  const notes: string[] = [];

  const ncpu = os.cpus().length;
  let serverCpu: number | undefined = num(a, "server-cpu", 0, { min: 0, int: true });
  let auxCpu: number | undefined = num(a, "aux-cpu", 1, { min: 0, int: true });
  if (!which("taskset") || ncpu < 2 || serverCpu >= ncpu || auxCpu >= ncpu) {
    notes.push(`no CPU pinning (taskset ${which("taskset") ? "present" : "missing"}, ${ncpu} cores)`);
    serverCpu = undefined;
    auxCpu = undefined;
  } else {
    // autocannon runs in this process: keep it off the server's core.
    execFileSync("taskset", ["-a", "-p", "-c", String(auxCpu), String(process.pid)], { stdio: "ignore" });
  }
  let radiusGen: string | undefined;
  if (radiusRate > 0) {
    const bin = buildC("radius-load");
    if (bin instanceof Error) throw new Error(`the combined run needs the C RADIUS generator: ${bin.message}`);
    radiusGen = bin;
  }

  const started = new Date();
  const loadBefore = loadAvg();
  const work = tempDir("aaa-lt-http-");
  const redis = await startRedis({ cpu: auxCpu, dir: work });
  const seeded = await seed({ url: redis.url, users, userPrefix: "user", keyPrefix: "aaa:", frPrefix: "fr:user:", layouts: new Set(["aaa"]), sessionTimeout: 3600 });
  process.stderr.write(`redis-server ${redis.url}; seeded ${seeded.users} users in ${seeded.ms} ms\n`);

  const udpPort = await freeUdpPort();
  const httpPort = await freeTcpPort();
  const cfgFile = path.join(work, "carrier-aaa.yaml");
  writeFileSync(
    cfgFile,
    [
      "# Generated by load-tests/bench-http.ts",
      `radius: { auth: { host: "127.0.0.1", port: ${udpPort} } }`,
      'clients: [{ name: bench, address: "127.0.0.1/32", secret: testing123 }]',
      `store: { redis: { url: "${redis.url}", keyPrefix: "aaa:" } }`,
      `http: { host: "127.0.0.1", port: ${httpPort}, token: "${TOKEN}", authWeight: ${authWeight} }`,
      `scheduler: { enabled: ${scheduler === "on"}, budgetMs: ${budget} }`,
      "log: { level: warn }",
      "",
    ].join("\n"),
  );
  const logFile = path.join(work, "carrier-aaa.log");
  const server = startPinned(process.execPath, [path.join(REPO, "bin", "carrier-aaa.js"), "serve", "--config", cfgFile, "--workers", "1"], { cpu: serverCpu, logFile, cwd: REPO });
  try {
    await waitTcp(httpPort, 20_000, () => server.child.exitCode === null);
  } catch (err) {
    throw new Error(`carrier-aaa did not come up: ${(err as Error).message}\n${tail(logFile)}`);
  }
  const url = `http://127.0.0.1:${httpPort}`;
  const probe = await fetch(`${url}/v1/auth`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ username: usernameFor(1), password: passwordFor(usernameFor(1)) }) });
  const probeBody = (await probe.json()) as { result?: string };
  if (probe.status !== 200 || probeBody.result !== "accept") throw new Error(`probe of user000001 failed: ${probe.status} ${JSON.stringify(probeBody)}`);

  if (warmup > 0) {
    process.stderr.write(`warm-up ${warmup} s (not recorded)\n`);
    await runAutocannon({ url, token: TOKEN, connections, pipelining, duration: warmup, users, seed: 99 });
    await sleep(1000);
  }

  const cores = serverCpu !== undefined && auxCpu !== undefined ? [serverCpu, auxCpu] : coreBusyMs().map((_, i) => i);
  await waitQuiet({ cores, ourPids: [server.pid, redis.pid], maxS: waitQuietS, log: (m) => process.stderr.write(m + "\n") });
  const busy0 = coreBusyMs();
  // On a shared machine something else may stop our processes (seen: state T for seconds):
  // sample their state so that such a run is flagged rather than reported as a slow server.
  let stoppedSamples = 0;
  const stateTimer = setInterval(() => {
    if (procState(server.pid) === "T" || procState(redis.pid) === "T") stoppedSamples++;
  }, 100);
  const before = await outcomes(httpPort);
  const srv0 = cpuMs(server.pid) ?? 0;
  const red0 = cpuMs(redis.pid) ?? 0;
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  process.stderr.write(`measured run: ${duration} s, ${connections} connections${radiusRate ? `, plus RADIUS at ${radiusRate}/s` : ""}, scheduler ${scheduler}\n`);
  const radius = radiusGen
    ? runPinned(
        radiusGen,
        ["--server", `127.0.0.1:${udpPort}`, "--rate", String(radiusRate), "--duration", String(duration), "--timeout", "1000", "--budget", String(budget), "--users-count", String(users), "--seed", "7", "--json", "--quiet"],
        { cpu: auxCpu, watchdogMs: (duration + 60) * 1000, quiet: true, cwd: REPO },
      )
    : undefined;
  const http = await runAutocannon({ url, token: TOKEN, connections, pipelining, duration, users, seed: 1 });
  const rad = radius ? await radius : undefined;
  const windowS = (performance.now() - t0) / 1000;
  clearInterval(stateTimer);
  if (stoppedSamples > 0) notes.push(`the server or redis-server was seen STOPPED (state T) in ${stoppedSamples} samples of 100 ms: something outside the benchmark suspended it; the figures are invalid`);
  const serverCpuPct = (100 * (((cpuMs(server.pid) ?? srv0) - srv0) / 1000)) / windowS;
  const redisCpuPct = (100 * (((cpuMs(redis.pid) ?? red0) - red0) / 1000)) / windowS;
  const selfUse = process.cpuUsage(self0);
  const selfCpuPct = (100 * ((selfUse.user + selfUse.system) / 1e6)) / windowS;
  const busy1 = coreBusyMs();
  const busyMs = cores.reduce((acc, c) => acc + ((busy1[c] ?? 0) - (busy0[c] ?? 0)), 0);
  await sleep(300);
  const d = delta(await outcomes(httpPort), before);
  await server.stop();
  await redis.stop();

  let radiusReport: LoadReport | undefined;
  if (rad) {
    if (rad.code !== 0) notes.push(`RADIUS generator exited with ${rad.code}`);
    else radiusReport = JSON.parse(rad.stdout.trim().split("\n").pop()!) as LoadReport;
  }
  const oursMs = ((serverCpuPct + redisCpuPct + selfCpuPct) / 100) * windowS * 1000 + (radiusReport?.cpuMs ?? 0);
  const foreignCores = Math.max(0, busyMs - oursMs) / 1000 / windowS;
  if (foreignCores > 0.1) notes.push(`other processes used ${foreignCores.toFixed(2)} cores on the benchmark cores during the run: the figures are disturbed, repeat when the machine is quiet`);

  const r = http.result;
  const lines: string[] = [];
  const stamp = started.toISOString().slice(0, 16).replace(":", "");
  lines.push(`# HTTP auth benchmark ${started.toISOString().slice(0, 16).replace("T", " ")} UTC`, "");
  lines.push(`Command: \`npx tsx load-tests/bench-http.ts ${process.argv.slice(2).join(" ")}\``, "");
  lines.push(
    `POST /v1/auth (PAP), ${users} subscribers in Redis drawn uniformly, autocannon ${connections} connections × pipelining ${pipelining}, ${duration} s measured after ${warmup} s warm-up; ` +
      `scheduler ${scheduler} (budget ${budget} ms, POST /v1/auth weight ${authWeight}); ${serverCpu !== undefined ? `server on core ${serverCpu}, redis-server + autocannon${radiusRate ? " + RADIUS generator" : ""} on core ${auxCpu}` : "not pinned"}.`,
  );
  lines.push(`Machine: ${ncpu} × ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}. Load average before ${loadBefore}, after ${loadAvg()} (shared machine: other jobs may have run).`, "");
  for (const n of notes) lines.push(`- note: ${n}`);
  if (notes.length) lines.push("");
  lines.push("| HTTP req/s (mean) | p50 ms | p90 ms | p99 ms | max ms | 2xx | non-2xx | accept (server) | reject (server) | errors | timeouts | server CPU | redis CPU | autocannon CPU | other CPU (cores) |");
  lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const ok2xx = r.requests.total - r.non2xx;
  lines.push(`| ${Math.round(r.requests.average)} | ${r.latency.p50} | ${r.latency.p90} | ${r.latency.p99} | ${r.latency.max} | ${ok2xx} | ${r.non2xx} | ${d.get("http|answered|accept") ?? 0} | ${d.get("http|answered|reject") ?? 0} | ${r.errors} | ${r.timeouts} | ${Math.round(serverCpuPct)} % | ${Math.round(redisCpuPct)} % | ${Math.round(selfCpuPct)} % | ${foreignCores.toFixed(2)} |`);
  lines.push("");
  if (r.non2xx > 0) lines.push(`Status codes: ${Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => `${k}: ${(v as { count: number }).count}`).join(", ")}`, "");
  if (radiusReport) {
    const q = radiusReport;
    lines.push("RADIUS in the same window (C generator, open loop, latency from intended send time):", "");
    lines.push("| offered/s | sent/s | answered/s | goodput/s | accept | reject | timeouts | p50 ms | p99 ms |");
    lines.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    lines.push(`| ${radiusRate} | ${q.achievedSendRate} | ${q.answeredPerSec} | ${q.goodput} | ${q.accept} | ${q.reject} | ${q.timeouts} | ${q.latencyMs.p50} | ${q.latencyMs.p99} |`, "");
  }
  lines.push("Server outcomes in the measured window (`aaa_datagrams_total` deltas; listener http = POST /v1/auth):", "");
  lines.push("| listener | outcome | reason | count |", "|---|---|---|---:|");
  for (const [k, v] of [...d.entries()].sort()) {
    const [listener, outcome, reason] = k.split("|");
    lines.push(`| ${listener} | ${outcome} | ${reason} | ${v} |`);
  }
  lines.push("");
  const md = lines.join("\n");
  const outFile = optStr(a, "out") ?? path.join(LOAD_TESTS_DIR, "results", `http-${stamp}${radiusRate ? "-combined" : ""}.md`);
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, md);
  if (!flag(a, "quiet")) process.stdout.write(md);
  process.stderr.write(`\nwritten: ${path.relative(process.cwd(), outFile)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench-http: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
