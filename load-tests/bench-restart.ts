// Rolling restart under load: steady open-loop Access-Requests at about half of capacity against
// `serve --workers N` (default 2) on Redis, one rolling restart (SIGUSR2) in the middle; reports
// sent / answered / lost / duplicates and latency (the issue's target: 0 lost across one rolling
// restart at half capacity).
//
//   npx tsx load-tests/bench-restart.ts [--capacity 12000] [--rate N] [--duration 20] [--workers 2]
//        [--users 100000] [--generator c|node] [--quiet]
//
// Same generator and data as bench-reload.ts (whose pieces it reuses: lib/procs.ts, seed-redis.ts,
// lib/probe.ts). Placement: the workers are not pinned (they use every core); redis-server and
// the generator run on --aux-cpu when taskset is there. The generator never retransmits: a
// request without a valid reply within --timeout is lost.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { flag, num, optStr, parse, str } from "./lib/args.js";
import { buildC, LOAD_TESTS_DIR } from "./lib/cbuild.js";
import { waitUntilAnswering } from "./lib/probe.js";
import { childPids, freeUdpPort, waitQuiet, installCleanup, keepTempDir, loadAvg, runPinned, sleep, startPinned, startRedis, tail, tempDir, treeCpuMs, which } from "./lib/procs.js";
import { passwordFor, usernameFor } from "./lib/radius.js";
import type { LoadReport } from "./radius-load.js";
import { seed } from "./seed-redis.js";
import { counterDelta, udpCounters, udpSockets } from "./lib/udp-stats.js";
import { sampleForeignCpu } from "./lib/foreign-cpu.js";

const REPO = path.resolve(LOAD_TESTS_DIR, "..");

const USAGE = `Usage: npx tsx load-tests/bench-restart.ts [options]

  --capacity N          capacity of the server under test, requests/s (default 12000: one process
                        on this machine, docs/benchmarks.md); the default rate is half of it
  --rate N              offered rate, requests/s (default capacity / 2)
  --duration S          seconds of load (default 20)
  --restart-at S        when the rolling restart starts, seconds into the load (default duration / 2);
                        the report says when it did not finish within the load
  --wait-quiet S        before the measured load, wait up to S s until processes outside the
                        benchmark use under 0.1 core (default 60; 0: do not wait); what they used
                        during the load is reported either way
  --workers N           serve --workers N (default 2)
  --warmup S            unrecorded load at the same rate before the measured run (default 10): a
                        freshly started server is slower for its first seconds (V8 has not
                        optimised its code yet), which is not what this benchmark measures
  --users N             subscribers (default 100000)
  --generator c|node    load generator (default c)
  --timeout MS          generator give-up time: a request without a valid reply by then is lost (default 1000)
  --aux-cpu N           core for redis-server and the generator (default 1; the workers are not pinned)
  --out FILE            markdown report (default load-tests/results/restart-<date>.md)
  --keep                keep the work directory (server log, config) after the run
  --no-restart          control run: the same load and placement without the rolling restart
                        (what is lost without it is the machine's noise floor at this rate)
  --quiet               no per-second generator progress
`;

async function main(): Promise<void> {
  const a = parse(
    {
      capacity: { type: "string" },
      rate: { type: "string" },
      duration: { type: "string" },
      "restart-at": { type: "string" },
      "wait-quiet": { type: "string" },
      workers: { type: "string" },
      warmup: { type: "string" },
      users: { type: "string" },
      generator: { type: "string" },
      timeout: { type: "string" },
      "aux-cpu": { type: "string" },
      out: { type: "string" },
      quiet: { type: "boolean" },
      keep: { type: "boolean" },
      "no-restart": { type: "boolean" },
    },
    USAGE,
  );
  installCleanup();
  const capacity = num(a, "capacity", 12000, { min: 1 });
  const rate = num(a, "rate", Math.round(capacity / 2), { min: 1 });
  const duration = num(a, "duration", 20, { min: 4 });
  const restartAtS = num(a, "restart-at", duration / 2, { min: 0, max: duration });
  const waitQuietS = num(a, "wait-quiet", 60, { min: 0 });
  const workers = num(a, "workers", 2, { min: 2, max: 63, int: true });
  const users = num(a, "users", 100000, { min: 1, int: true });
  const timeoutMs = num(a, "timeout", 1000, { min: 1 });
  const quiet = flag(a, "quiet");
  if (!existsSync(path.join(REPO, "dist", "cli", "main.js"))) throw new Error("carrier-aaa is not built: run `npm run build`");

  const ncpu = os.cpus().length;
  let auxCpu: number | undefined = num(a, "aux-cpu", 1, { min: 0, int: true });
  const notes: string[] = [`carrier-aaa: ${workers} workers, not pinned (they use every core)`];
  if (!which("taskset") || ncpu < 2 || auxCpu >= ncpu) {
    notes.push("redis-server and the generator not pinned either");
    auxCpu = undefined;
  }

  let generator = str(a, "generator", "c");
  let genCmd: string[] = [];
  if (generator === "c") {
    const bin = buildC("radius-load");
    if (bin instanceof Error) {
      notes.push(`C generator unavailable (${bin.message.split("\n")[0]}); used the Node one`);
      generator = "node";
    } else genCmd = [bin];
  }
  if (generator === "node") genCmd = [process.execPath, "--import", "tsx", path.join(LOAD_TESTS_DIR, "radius-load.ts")];
  else if (generator !== "c") throw new Error("--generator must be c or node");

  const started = new Date();
  const stamp = started.toISOString().slice(0, 16).replace(":", "");
  const outFile = optStr(a, "out") ?? path.join(LOAD_TESTS_DIR, "results", `restart-${stamp}.md`);
  const loadBefore = loadAvg();

  const work = tempDir("aaa-lt-restart-");
  if (flag(a, "keep")) {
    keepTempDir(work);
    process.stderr.write(`work directory (kept): ${work}\n`);
  }
  const redis = await startRedis({ cpu: auxCpu, dir: work });
  await seed({ url: redis.url, users, userPrefix: "user", keyPrefix: "aaa:", frPrefix: "fr:user:", layouts: new Set(["aaa"]), sessionTimeout: 3600 });

  const port = await freeUdpPort();
  const cfgFile = path.join(work, "carrier-aaa.yaml");
  writeFileSync(
    cfgFile,
    [
      "# Generated by load-tests/bench-restart.ts",
      "radius:",
      `  auth: { host: "127.0.0.1", port: ${port} }`,
      "clients:",
      '  - { name: bench, address: "127.0.0.1/32", secret: testing123, requireMessageAuthenticator: true }',
      "store:",
      `  redis: { url: "${redis.url}", keyPrefix: "aaa:" }`,
      "log: { level: info }",
      "",
    ].join("\n"),
  );
  const logFile = path.join(work, "carrier-aaa.log");
  const proc = startPinned(process.execPath, [path.join(REPO, "bin", "carrier-aaa.js"), "serve", "--config", cfgFile, "--workers", String(workers)], {
    // Every core: started from this script, pinned to the aux core, it would inherit that one.
    cpu: `0-${os.cpus().length - 1}`,
    logFile,
    cwd: REPO,
  });
  const probeUser = { username: usernameFor(1), password: passwordFor(usernameFor(1)) };
  try {
    await waitUntilAnswering({ host: "127.0.0.1", port, secret: "testing123", mode: "pap", user: probeUser, timeoutMs: 20000, expectCode: 2, alive: () => proc.child.exitCode === null });
  } catch (err) {
    throw new Error(`carrier-aaa did not come up: ${(err as Error).message}\n${tail(logFile)}`);
  }
  const pidsBefore = childPids(proc.pid);
  process.stderr.write(`carrier-aaa primary pid ${proc.pid}, workers ${pidsBefore.join(", ")} on 127.0.0.1:${port}; redis ${redis.url}\n`);

  const logLines = (): Array<Record<string, unknown>> =>
    readFileSync(logFile, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });

  const warmupS = num(a, "warmup", 10, { min: 0 });
  if (warmupS > 0) {
    process.stderr.write(`warm-up: ${rate}/s for ${warmupS} s (not recorded)\n`);
    const w = await runPinned(
      genCmd[0]!,
      [...genCmd.slice(1), "--server", `127.0.0.1:${port}`, "--rate", String(rate), "--duration", String(warmupS), "--timeout", String(timeoutMs), "--users-count", String(users), "--seed", "2", "--json"],
      { cpu: auxCpu, watchdogMs: (warmupS + timeoutMs / 1000 + 60) * 1000, stderrPrefix: "  warm-up ", quiet: true, cwd: REPO },
    );
    if (w.code !== 0) throw new Error(`warm-up generator exited with ${w.code}`);
    await sleep(1000);
  }
  const restart = !flag(a, "no-restart");
  const quietBefore = await waitQuiet({
    cores: Array.from({ length: ncpu }, (_, i) => i),
    ourPids: [proc.pid, ...childPids(proc.pid), redis.pid],
    maxS: waitQuietS,
    log: (m) => process.stderr.write(`${m}\n`),
  });
  const cpu0 = treeCpuMs(proc.pid) ?? 0;
  const udp0 = udpCounters();
  const drops0 = serverDrops(port);
  const foreign = sampleForeignCpu();
  const t0 = performance.now();
  const wall0 = Date.now();
  process.stderr.write(`load: ${rate}/s for ${duration} s; ${restart ? `rolling restart (SIGUSR2) at ${restartAtS} s` : "no restart (control run)"}\n`);
  const gen = runPinned(
    genCmd[0]!,
    [...genCmd.slice(1), "--server", `127.0.0.1:${port}`, "--rate", String(rate), "--duration", String(duration), "--timeout", String(timeoutMs), "--users-count", String(users), "--seed", "1", "--json"],
    { cpu: auxCpu, watchdogMs: (duration + timeoutMs / 1000 + 60) * 1000, stderrPrefix: "  ", quiet, cwd: REPO },
  );
  await sleep(t0 + restartAtS * 1000 - performance.now());
  const restartAt = performance.now() - t0;
  if (restart) proc.child.kill("SIGUSR2");
  const r = await gen;
  const others = foreign.stop();
  const udp = counterDelta(udp0, udpCounters());
  const kernelDrops = serverDrops(port) - drops0;
  const windowS = (performance.now() - t0) / 1000;
  const cpuMsUsed = (treeCpuMs(proc.pid) ?? cpu0) - cpu0;
  if (r.code !== 0) throw new Error(`generator exited with ${r.code}`);
  const report = JSON.parse(r.stdout.trim().split("\n").pop()!) as LoadReport;
  const lines = logLines();
  // Requests the server itself did not answer (deadline passed, shed, store timeout): the
  // per-second "shedding load" / "requests dropped" summary of every worker, retired ones included, within the measured window.
  const wall1 = Date.now();
  const serverShed = lines
    .filter((l) => (l.msg === "shedding load" || l.msg === "requests dropped") && typeof l.time === "string" && Date.parse(l.time) > wall0 && Date.parse(l.time) <= wall1 + 1500)
    .reduce((n, l) => n + (typeof l.shed === "number" ? l.shed : 0) + (typeof l.dropped === "number" ? l.dropped : 0), 0);
  const done = lines.find((l) => l.msg === "rolling restart done: every worker replaced");
  const doneInLoad = done !== undefined && typeof done.time === "string" && Date.parse(done.time) <= wall1;
  // Server drops per second of the load and worker pid, to place them against the restart.
  const bySecond = new Map<string, number>();
  for (const l of lines) {
    if ((l.msg !== "shedding load" && l.msg !== "requests dropped") || typeof l.time !== "string") continue;
    const t = Date.parse(l.time);
    const n = (typeof l.shed === "number" ? l.shed : 0) + (typeof l.dropped === "number" ? l.dropped : 0);
    if (t <= wall0 || t > wall1 + 1500 || n === 0) continue;
    const k = `${Math.ceil((t - wall0) / 1000)} s w${String(l.worker)}`;
    bySecond.set(k, (bySecond.get(k) ?? 0) + n);
  }
  const restartEvents = lines
    .filter((l) => typeof l.time === "string" && Date.parse(l.time) > wall0 && ["worker started", "worker replaced (rolling restart)", "rolling restart done: every worker replaced"].includes(String(l.msg)))
    .map((l) => `${((Date.parse(String(l.time)) - wall0) / 1000).toFixed(1)} s ${String(l.msg)}${l.worker !== undefined ? ` (worker ${String(l.worker)})` : ""}`);
  const stopped = lines.find((l) => l.msg === "rolling restart stopped");
  const pidsAfter = childPids(proc.pid);
  await proc.stop(15_000);
  await redis.stop();

  const restartMs = typeof done?.ms === "number" ? done.ms : null;
  const replaced = pidsBefore.filter((p) => !pidsAfter.includes(p)).length;
  const md: string[] = [];
  md.push(`# Rolling-restart benchmark ${started.toISOString().slice(0, 16).replace("T", " ")} UTC`, "");
  md.push(`Command: \`npx tsx load-tests/bench-restart.ts ${process.argv.slice(2).join(" ")}\``, "");
  md.push(
    `PAP + Message-Authenticator at ${rate}/s open loop (Poisson) for ${duration} s, give-up ${timeoutMs} ms (no retransmission), ${users} subscribers on Redis, generator ${generator}; ` +
      `${restart ? `one rolling restart (SIGUSR2) at ${(restartAt / 1000).toFixed(1)} s` : "**no restart** (control run)"}. Machine: ${ncpu} x ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}. Load average before ${loadBefore}, after ${loadAvg()}.`,
    "",
  );
  for (const n of notes) md.push(`- note: ${n}`);
  if (Number.isFinite(quietBefore)) md.push(`- other processes before the load: ${quietBefore.toFixed(2)} cores (waited up to ${waitQuietS} s for under 0.1)`);
  if (restart && !doneInLoad) md.push(`- **the rolling restart did not finish within the load**: what a later part of it lost is not measured`);
  if (restartEvents.length > 0) md.push(`- restart timeline (from the start of the load): ${restartEvents.join("; ")}`);
  md.push(`- not answered by the server, by second of the load and worker: ${bySecond.size === 0 ? "none" : [...bySecond.entries()].map(([k, n]) => `${k}: ${n}`).join(", ")}`);
  if (others.top.length > 0) md.push(`- other processes that used CPU during the load: ${others.top.join("; ")}`);
  md.push("");
  md.push("| workers | rate | sent | answered | lost (timeouts) | not answered by the server (shed, dropped) | kernel drops: server sockets (all UDP) | duplicates | bad replies | p50 ms | p99 ms | max ms | server CPU (primary + workers; – when workers were replaced, as an exited process's CPU time cannot be read) | other processes' CPU: s (busiest second, cores) | restart | workers replaced |");
  md.push("|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|---:|");
  md.push(
    `| ${workers} | ${rate} | ${report.sent} | ${report.answered} | ${report.timeouts} | ${serverShed} | ${kernelDrops} (${(udp["UdpRcvbufErrors"] ?? 0) + (udp["Udp6RcvbufErrors"] ?? 0)}) | ${report.duplicates} | ${report.badAuthenticator + report.badMessageAuthenticator + report.malformed} | ` +
      `${report.latencyMs.p50?.toFixed(2)} | ${report.latencyMs.p99?.toFixed(2)} | ${report.latencyMs.max?.toFixed(2)} | ${replaced > 0 ? "–" : `${((100 * cpuMsUsed) / 1000 / windowS).toFixed(0)} %`} | ${others.cpuS.toFixed(1)} (${others.peakCores.toFixed(2)}) | ` +
      `${!restart ? "none (control run)" : restartMs !== null ? `done in ${restartMs} ms` : stopped ? `stopped: ${String(stopped.err)}` : "not finished"} | ${replaced} of ${pidsBefore.length} |`,
  );
  md.push("");
  md.push(restart ? `Lost across one rolling restart: **${report.timeouts}** of ${report.sent}.` : `Lost without a restart (control run): **${report.timeouts}** of ${report.sent}.`, "");
  const text = md.join("\n");
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, text);
  writeFileSync(outFile.replace(/\.md$/, "") + ".json", JSON.stringify({ started: started.toISOString(), rate, duration, workers, generator, restart, kernelDrops, serverShed, udp, restartAtMs: restart ? restartAt : null, otherCpu: others, quietBefore, restartDoneInLoad: doneInLoad, serverBySecond: Object.fromEntries(bySecond), restartMs, pidsBefore, pidsAfter, report }, null, 2) + "\n");
  process.stdout.write(text);
  process.stderr.write(`\nwritten: ${path.relative(process.cwd(), outFile)} (+ .json)\n`);
}

/** Kernel drops counted on the server's sockets (every socket bound to its port). */
function serverDrops(port: number): number {
  return udpSockets()
    .filter((r) => r.localPort === port)
    .reduce((n, r) => n + r.drops, 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-restart: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
