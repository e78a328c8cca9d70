// The overload benchmark in one command: how carrier-aaa (scheduler on, scheduler off) and
// FreeRADIUS 3.2 + rlm_redis behave from half their capacity to four times it, on the same
// core and the same data, with the open-loop C generator.
//
//   npx tsx load-tests/bench-overload.ts [--capacity N] [--multipliers 0.5,0.75,1,1.25,1.5,2,3,4]
//        [--duration S] [--skip-freeradius] [--quick] [--memory-run] ...   (--help for all)
//
// Runs, per system (the protocol of docs/benchmarks.md; server alone on core 0, redis-server,
// generators and this script on core 1, 100k subscribers in a private redis-server):
//  1. capacity (unless --capacity): a short ramp on carrier-aaa with the scheduler off; capacity
//     = highest rate with p99 of answers within the budget and no loss;
//  2. sweep: offered load at each multiplier of capacity: answered/s, goodput/s (answered
//     within the budget), p50/p99, timeouts, server CPU and RSS; G* = peak goodput; then
//     2x and 4x the system's own G* (--gstar-checks), where the targets are set;
//  3. mix: Status-Server / Access-Request with State / plain Access-Request at 2x and 4x,
//     success within the budget per class;
//  4. flood: four NASes (127.0.0.1..4, one generator each); three at their share of 0.75x, one
//     at five times its share; success within the budget per NAS;
//  5. step: 1x -> 2x -> 1x, per-100 ms timeline, time until p99 is back within the budget;
//  6. (--memory-run) 4x for 60 s, RSS sampled every second.
// Writes load-tests/results/overload-<date>.md/.json/.svg and -step.svg; the report opens with
// the targets judged from these runs (lib/targets.ts). Everything started
// here is killed on exit or Ctrl-C; every run is bounded in time; loopback only.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { flag, num, numList, optStr, parse, str } from "./lib/args.js";
import { buildC, LOAD_TESTS_DIR } from "./lib/cbuild.js";
import { CoreSpeedProbes, fmtSpeeds } from "./lib/core-speed.js";
import { fmt, mdTable, pct, recoveryMs, svgChart, type Panel, type Series, type Timeline } from "./lib/overload-report.js";
import { fmtMet, judgeTargets, type Verdict } from "./lib/targets.js";
import { waitUntilAnswering } from "./lib/probe.js";
import {
  coreBusyMs,
  cpuMs,
  freeTcpPort,
  freeUdpPort,
  installCleanup,
  keepTempDir,
  limitCpu,
  loadAvg,
  memoryMiB,
  runPinned,
  sleep,
  startPinned,
  startRedis,
  tail,
  tempDir,
  waitQuiet,
  which,
  type Started,
} from "./lib/procs.js";
import { passwordFor, usernameFor } from "./lib/radius.js";
import type { LoadReport } from "./radius-load.js";
import { startFreeradius } from "./freeradius/run-freeradius.js";
import { seed } from "./seed-redis.js";
import { generatorArgs } from "./lib/systems.js";

const REPO = path.resolve(LOAD_TESTS_DIR, "..");
const SECRET = "testing123";
const NAS_COUNT = 4;
/** After --max-minutes, the longest a run in progress and the report may take before everything is killed. */
const HARD_STOP_GRACE_S = 180;

/** Thrown by measure() once --max-minutes has passed: no new run starts. */
class OutOfTime extends Error {}

const USAGE = `Usage: npx tsx load-tests/bench-overload.ts [options]

  --capacity N            capacity in requests/s (default: measured by a ramp on carrier-aaa
                          with the scheduler off)
  --multipliers LIST      sweep, multiples of capacity (default 0.5,0.75,1,1.25,1.5,2,3,4)
  --duration S            seconds per sweep step, mix and flood run (default 10)
  --gstar-checks LIST     after a system's sweep, also offer these multiples of its own G*
                          (default 2,4: the targets are set at 2x and 4x G*, which the sweep's
                          multiples of C do not hit; none: skip)
  --runs LIST             which runs: sweep,mix,flood,step (default all four; none: only
                          the capacity ramp and --memory-run)
  --skip-freeradius       carrier-aaa only (scheduler on and off)
  --skip-carrier-on       leave out carrier-aaa with the scheduler on
  --skip-carrier-off      leave out carrier-aaa with the scheduler off (needs --capacity)
  --quick                 harness check: multipliers 0.5,1,2,4, 3 s steps, coarse ramp,
                          step run 3 s per phase, shorter waits
  --memory-run            also 4x capacity for --memory-seconds (60), RSS every second
  --memory-seconds S      length of the memory run (default 60)
  --ramp LIST             capacity ramp rates (default 4000,6000,...,40000; stops after two
                          failing rates in a row)
  --ramp-duration S       seconds per ramp rate (default 5)
  --loss-tolerance F      capacity: share of requests allowed to time out (default 0.001)
  --mix SPEC              class mix of the mix run (default status:2,state:18,pap:80)
  --mix-multipliers LIST  (default 2,4)
  --flood-share F         flood run: total offered by the three well-behaved NASes + the
                          flooder's normal share, as multiple of capacity (default 0.75)
  --flood-factor F        the flooder sends F times its share (default 5)
  --step-seconds S        step run: seconds per phase 1x, 2x, 1x (default 5)
  --step-factor F         step run: the high phase (default 2)
  --timeline-ms MS        step run timeline interval (default 100)
  --carrier-overrides F   YAML merged into both carrier-aaa configurations (e.g. radius.auth)
  --scheduler-config F    YAML merged into "scheduler:" of carrier-aaa with the scheduler on
                          (a top-level "scheduler:" key is accepted too); enabled stays true
  --fr-threads N          FreeRADIUS thread pool = Redis connections (default 8)
  --users N               subscribers seeded and drawn from (default 100000)
  --timeout MS            generator give-up time (default 1000)
  --budget MS             latency budget (default 50)
  --warmup S              unrecorded warm-up per system (default 3)
  --pause S               minimum pause between runs (default 3; then wait for the server idle)
  --retry-slowed N        repeat a run (at most N times, default 2) when a benchmark core ran
                          below 85 % of its full speed for a quarter of it (a probe on each core
                          measures it: on a VM the host can slow a vCPU down for tens of
                          seconds); 0: only mark such runs. The report lists every repeat.
  --wait-quiet S          before each run, wait up to S s until processes outside the benchmark
                          use < 0.1 core on the benchmark cores (default 60; quick 5; 0: don't)
  --max-minutes M         start no run after M minutes and write the report with what was
                          measured (default 90; quick 15)
  --cpu-quota PCT         limit each server under test to PCT % of its core (kernel CPU
                          bandwidth control; needs root): brings a capacity the generator
                          cannot reach 4x of within reach, the same for every system
  --cpu-period MS         period of that quota (default 5; the quota must be ≥ 1 ms): the
                          server runs at most PCT % of each period, then waits for the next, so
                          a shorter period means shorter stalls (closer to a slower core; at
                          30 %, 5 ms means stalls of 3.5 ms, 10 ms stalls of 7 ms)
  --server-cpu N          core of the server under test (default 0)
  --aux-cpu N             core of redis-server, generators and this script (default 1)
  --out PREFIX            output path without extension (default
                          load-tests/results/overload-<date>[-quick])
  --verbose               pass the generators' per-second progress through
  --node-flags FLAGS      extra node flags for carrier-aaa, space-separated (e.g.
                          "--trace-gc"; its worker process inherits them)
  --keep-logs             keep carrier-aaa's configuration and log (its temporary directory
                          is printed): the per-second "shedding load" lines show the limit,
                          requests in flight and the expected service time
`;

/** The generator's JSON report plus the overload additions of radius-load.c. */
interface ClassStats {
  sent: number;
  answered: number;
  timeouts: number;
  accept: number;
  withinBudget: number;
  acceptWithinBudget: number;
  successWithinBudget: number | null;
  latencyMs: { p50: number | null; p99: number | null };
}
type Report = LoadReport & { classes?: Record<string, ClassStats>; timeline?: Timeline; bind?: string };

type SystemId = "carrier-on" | "carrier-off" | "freeradius";
const LABEL: Record<SystemId, string> = {
  "carrier-on": "carrier-aaa, scheduler on",
  "carrier-off": "carrier-aaa, scheduler off",
  freeradius: "FreeRADIUS 3.2 + rlm_redis",
};
const COLOR: Record<SystemId, string> = { "carrier-on": "#1f77b4", "carrier-off": "#ff7f0e", freeradius: "#2ca02c" };

/** A run is slowed when a benchmark core ran below this share of its full speed for a quarter of it or more. */
const SLOW_CORE = 0.85;
const isSlowed = (m: { coreSpeeds: number[] }): boolean => m.coreSpeeds.some((x) => x < SLOW_CORE);

interface Measure {
  reports: Report[];
  serverCpuPct: number;
  rssMiB: number;
  hwmMiB: number;
  foreignCores: number;
  auxCoreBusyPct: number;
  windowS: number;
  rssSeries?: [number, number][];
  /** Speed of each benchmark core (server, aux) during the run (lower quartile of its samples) as a share of its full speed; NaN: no probe. */
  coreSpeeds: number[];
  /** Core speeds of earlier attempts of this run, measured on slowed cores and repeated. */
  slowedAttempts: number[][];
  /** carrier-aaa: requests not answered during the run, by client, outcome and reason ("nas1 shed:stale"), from /metrics. */
  unanswered?: Record<string, number>;
}

interface SweepRow extends Measure {
  system: SystemId;
  multiplier: number;
  rate: number;
}

/** A run offered `factor` times the system's own G* (from its sweep just before). */
interface CheckRow extends Measure {
  system: SystemId;
  factor: number;
  gStar: number;
  rate: number;
}

interface GenSpec {
  args: string[];
  label: string;
}

interface Sut {
  id: SystemId;
  proc: Started;
  port: number;
  notes: string[];
  /** carrier-aaa: its /metrics URL. */
  metricsUrl?: string;
}

/** aaa_datagrams_total series that are not "answered", keyed "client outcome:reason". */
async function unansweredCounts(url: string): Promise<Record<string, number> | undefined> {
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
    const out: Record<string, number> = {};
    for (const line of text.split("\n")) {
      if (!line.startsWith("aaa_datagrams_total{")) continue;
      const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
      if (labels["outcome"] === "answered" || labels["outcome"] === "duplicate") continue;
      const key = `${labels["client"] ?? "?"} ${labels["outcome"]}:${labels["reason"] ?? ""}`;
      out[key] = (out[key] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
    }
    return out;
  } catch {
    return undefined;
  }
}

function countsDelta(before: Record<string, number> | undefined, after: Record<string, number> | undefined): Record<string, number> | undefined {
  if (!before || !after) return undefined;
  const d: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) d[k] = v - (before[k] ?? 0);
  return d;
}

/** "nas1 shed:stale 120, nas4 shed:codel 9000" (largest first). */
function fmtUnanswered(d: Record<string, number> | undefined): string {
  if (!d) return "";
  const e = Object.entries(d).sort((a, b) => b[1] - a[1]);
  return e.length ? e.map(([k, v]) => `${k} ${v}`).join(", ") : "none";
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Objects merged key by key; arrays and scalars replaced. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function readYamlObject(file: string, what: string): Record<string, unknown> {
  const v: unknown = parseYaml(readFileSync(file, "utf8"));
  if (v === null || v === undefined) return {};
  if (!isPlainObject(v)) throw new Error(`${what} ${file}: expected a YAML mapping`);
  return v;
}

function versionOf(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0]!.trim();
  } catch {
    return "?";
  }
}

function successShare(r: Report): number {
  return r.sent > 0 ? r.withinBudget / r.sent : NaN;
}

async function main(): Promise<void> {
  const a = parse(
    {
      capacity: { type: "string" },
      multipliers: { type: "string" },
      "gstar-checks": { type: "string" },
      duration: { type: "string" },
      runs: { type: "string" },
      "skip-freeradius": { type: "boolean" },
      "skip-carrier-on": { type: "boolean" },
      "skip-carrier-off": { type: "boolean" },
      quick: { type: "boolean" },
      "memory-run": { type: "boolean" },
      "memory-seconds": { type: "string" },
      ramp: { type: "string" },
      "ramp-duration": { type: "string" },
      "loss-tolerance": { type: "string" },
      mix: { type: "string" },
      "mix-multipliers": { type: "string" },
      "flood-share": { type: "string" },
      "flood-factor": { type: "string" },
      "step-seconds": { type: "string" },
      "step-factor": { type: "string" },
      "timeline-ms": { type: "string" },
      "carrier-overrides": { type: "string" },
      "scheduler-config": { type: "string" },
      "fr-threads": { type: "string" },
      users: { type: "string" },
      timeout: { type: "string" },
      budget: { type: "string" },
      warmup: { type: "string" },
      pause: { type: "string" },
      "wait-quiet": { type: "string" },
      "retry-slowed": { type: "string" },
      "max-minutes": { type: "string" },
      "cpu-quota": { type: "string" },
      "node-flags": { type: "string" },
      "cpu-period": { type: "string" },
      "server-cpu": { type: "string" },
      "aux-cpu": { type: "string" },
      out: { type: "string" },
      verbose: { type: "boolean" },
      "keep-logs": { type: "boolean" },
    },
    USAGE,
  );
  installCleanup();
  const quick = flag(a, "quick");
  const multipliers = numList(a, "multipliers", quick ? [0.5, 1, 2, 4] : [0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4]);
  const duration = num(a, "duration", quick ? 3 : 10, { min: 1 });
  const gStarChecks = str(a, "gstar-checks", "2,4").trim() === "none" ? [] : numList(a, "gstar-checks", [2, 4]);
  for (const f of gStarChecks) if (!(f > 0)) throw new Error(`--gstar-checks: ${f} is not a positive multiple`);
  const runs = new Set(str(a, "runs", "sweep,mix,flood,step").split(",").map((s) => s.trim()));
  runs.delete("none"); // e.g. --runs none --memory-run
  for (const r of runs) if (!["sweep", "mix", "flood", "step"].includes(r)) throw new Error(`--runs: unknown run "${r}" (sweep, mix, flood, step, none)`);
  const memoryRun = flag(a, "memory-run");
  const memorySeconds = num(a, "memory-seconds", quick ? 10 : 60, { min: 1 });
  const defaultRamp = quick ? [4000, 8000, 12000, 16000, 20000, 24000, 28000] : Array.from({ length: 19 }, (_, i) => 4000 + 2000 * i);
  const ramp = numList(a, "ramp", defaultRamp).sort((x, y) => x - y);
  const rampDuration = num(a, "ramp-duration", quick ? 3 : 5, { min: 1 });
  const lossTolerance = num(a, "loss-tolerance", 0.001, { min: 0, max: 1 });
  const mixSpec = str(a, "mix", "status:2,state:18,pap:80");
  const mixMultipliers = numList(a, "mix-multipliers", [2, 4]);
  const floodShare = num(a, "flood-share", 0.75, { min: 0.01 });
  const floodFactor = num(a, "flood-factor", 5, { min: 1 });
  const stepSeconds = num(a, "step-seconds", quick ? 3 : 5, { min: 1 });
  const stepFactor = num(a, "step-factor", 2, { min: 1 });
  const timelineMs = num(a, "timeline-ms", 100, { min: 10 });
  const frThreads = num(a, "fr-threads", 8, { min: 1, max: 256, int: true });
  const users = num(a, "users", 100000, { min: 1, int: true });
  const timeoutMs = num(a, "timeout", 1000, { min: 1 });
  const budgetMs = num(a, "budget", 50, { min: 1 });
  const warmupS = num(a, "warmup", 3, { min: 0 });
  const pauseS = num(a, "pause", quick ? 1 : 3, { min: 0 });
  const waitQuietS = num(a, "wait-quiet", quick ? 5 : 60, { min: 0 });
  const retrySlowed = num(a, "retry-slowed", 2, { min: 0, max: 10, int: true });
  const maxMinutes = num(a, "max-minutes", quick ? 15 : 90, { min: 1 });
  const cpuQuota = optStr(a, "cpu-quota") === undefined ? undefined : num(a, "cpu-quota", 100, { min: 1, max: 100 });
  // 5 ms, not 10: the stalls a quota adds are an artefact of the harness (a slower core has
  // none), and at 30 % of 10 ms they are 7 ms long, a seventh of the 50 ms budget
  // (docs/overload-benchmark.md, "CPU quota period").
  const cpuPeriodMs = num(a, "cpu-period", 5, { min: 1, max: 1000 });
  const nodeFlags = (optStr(a, "node-flags") ?? "").split(/\s+/).filter((f) => f !== "");
  for (const f of nodeFlags) if (!f.startsWith("--")) throw new Error(`--node-flags: "${f}" is not a node flag (flags start with --)`);
  if (cpuQuota !== undefined && (cpuQuota * cpuPeriodMs) / 100 < 1) throw new Error(`--cpu-quota ${cpuQuota} with --cpu-period ${cpuPeriodMs}: the quota would be below the kernel's 1 ms floor`);
  const verbose = flag(a, "verbose");
  const keepLogs = flag(a, "keep-logs");
  const givenCapacity = optStr(a, "capacity") !== undefined ? num(a, "capacity", 0, { min: 1 }) : undefined;
  const notes: string[] = [];
  const log = (m: string): void => void process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);

  // Bounded in time, whatever happens.
  // At --max-minutes no new run starts and the report is written with what was measured; if
  // that does not finish within a grace period, everything is stopped.
  const softDeadline = Date.now() + maxMinutes * 60000;
  let outOfTime: string | undefined;
  const deadline = setTimeout(() => {
    log(`--max-minutes ${maxMinutes} reached and the report not written within ${HARD_STOP_GRACE_S} s: stopping everything`);
    process.exit(2); // the exit handler of lib/procs.ts kills what we started
  }, maxMinutes * 60000 + HARD_STOP_GRACE_S * 1000);
  deadline.unref();

  // Systems.
  const systems: SystemId[] = [];
  if (!flag(a, "skip-carrier-off")) systems.push("carrier-off"); // first: it measures the capacity
  if (!flag(a, "skip-carrier-on")) systems.push("carrier-on");
  if (!flag(a, "skip-freeradius")) {
    if (which("freeradius") || which("radiusd")) systems.push("freeradius");
    else notes.push("FreeRADIUS is not installed: baseline skipped (apt-get install freeradius freeradius-redis)");
  }
  if (givenCapacity === undefined && !systems.includes("carrier-off")) throw new Error("the capacity ramp runs on carrier-aaa with the scheduler off: give --capacity N or keep that system");
  if (systems.some((s) => s.startsWith("carrier"))) {
    if (!existsSync(path.join(REPO, "dist", "cli", "main.js"))) throw new Error("carrier-aaa is not built (dist/cli/main.js missing): run `npm run build`");
  }
  if (systems.length === 0) throw new Error("nothing to benchmark");

  // Pinning, as in bench-auth.ts.
  const ncpu = os.cpus().length;
  let serverCpu: number | undefined = num(a, "server-cpu", 0, { min: 0, int: true });
  let auxCpu: number | undefined = num(a, "aux-cpu", 1, { min: 0, int: true });
  if (!which("taskset") || ncpu < 2 || serverCpu >= ncpu || auxCpu >= ncpu) {
    notes.push(`no CPU pinning (taskset ${which("taskset") ? "present" : "missing"}, ${ncpu} cores): server, Redis and generator share CPUs`);
    serverCpu = undefined;
    auxCpu = undefined;
  }
  if (auxCpu !== undefined) {
    try {
      execFileSync("taskset", ["-a", "-p", "-c", String(auxCpu), String(process.pid)], { stdio: "ignore" });
    } catch {
      notes.push("could not pin the bench script itself");
    }
  }

  // The C generator is required: mix, bind, steps and timeline exist only there.
  const gen = buildC("radius-load");
  if (gen instanceof Error) throw new Error(`the overload benchmark needs the C generator: ${gen.message}`);
  const speedBin = buildC("core-speed");
  if (speedBin instanceof Error) notes.push(`no core speed probe (${speedBin.message.split("\n")[0]}): slowed cores are not detected`);

  // Configuration overrides.
  const carrierOverrides = optStr(a, "carrier-overrides") ? readYamlObject(optStr(a, "carrier-overrides")!, "--carrier-overrides") : {};
  let schedulerOverrides = optStr(a, "scheduler-config") ? readYamlObject(optStr(a, "scheduler-config")!, "--scheduler-config") : {};
  if (isPlainObject(schedulerOverrides["scheduler"]) && Object.keys(schedulerOverrides).length === 1) schedulerOverrides = schedulerOverrides["scheduler"];

  const started = new Date();
  const stamp = started.toISOString().slice(0, 16).replace(":", "");
  const outPrefix = optStr(a, "out") ?? path.join(LOAD_TESTS_DIR, "results", `overload-${stamp}${quick ? "-quick" : ""}`);
  const loadBefore = loadAvg();
  const commit = versionOf("git", ["-C", REPO, "rev-parse", "--short", "HEAD"]);
  const dirty = versionOf("git", ["-C", REPO, "status", "--porcelain", "--untracked-files=no", "src"]) !== "" ? " (src modified)" : "";

  // Data.
  const work = tempDir("aaa-lt-overload-");
  const redis = await startRedis({ cpu: auxCpu, dir: work });
  const seeded = await seed({ url: redis.url, users, userPrefix: "user", keyPrefix: "aaa:", frPrefix: "fr:user:", layouts: new Set(["fr", "aaa"]), sessionTimeout: 3600 });
  log(`redis-server ${redis.url} (pid ${redis.pid}); seeded ${seeded.users} users (${seeded.keysWritten} keys) in ${seeded.ms} ms`);
  const probeUser = { username: usernameFor(1), password: passwordFor(usernameFor(1)) };
  const cores = (): number[] => (serverCpu !== undefined && auxCpu !== undefined ? [serverCpu, auxCpu] : coreBusyMs().map((_, i) => i));
  // One speed probe per benchmark core, for the whole benchmark (1 % of each core).
  const speedDir = tempDir("aaa-lt-speed-");
  if (keepLogs && speedBin instanceof Error === false) {
    keepTempDir(speedDir);
    log(`core speed samples kept in ${speedDir}`);
  }
  const speed = speedBin instanceof Error ? null : new CoreSpeedProbes(speedBin, cores(), speedDir);
  const probeCpuMs = (): number => (speed ? speed.pids.reduce((s, p) => s + (cpuMs(p) ?? 0), 0) : 0);

  let seedCounter = 0;
  /** Run the generators of one step at once (all on the aux core) and measure the server. */
  type MeasureOptions = { sampleRss?: boolean; maxPackets?: number; retry?: boolean };
  /**
   * measureOnce, repeated (at most --retry-slowed times, after the server settles) while a
   * benchmark core ran below SLOW_CORE of its full speed: that run measured a slower machine.
   */
  const measure = async (sut: Sut, gens: GenSpec[], seconds: number, o: MeasureOptions = {}): Promise<Measure> => {
    const slowedAttempts: number[][] = [];
    for (;;) {
      if (Date.now() > softDeadline) throw new OutOfTime(`${sut.id}: ${gens.map((g) => g.label).join(" + ")}`);
      const m = await measureOnce(sut, gens, seconds, o);
      if (!isSlowed(m) || o.retry === false || slowedAttempts.length >= retrySlowed) return { ...m, slowedAttempts };
      slowedAttempts.push(m.coreSpeeds);
      log(`${sut.id}: ${gens.map((g) => g.label).join(" + ")} ran on slowed cores (${fmtSpeeds(cores(), m.coreSpeeds)} of full speed): repeating`);
      await settle(sut);
    }
  };

  const measureOnce = async (sut: Sut, gens: GenSpec[], seconds: number, o: MeasureOptions): Promise<Measure> => {
    await waitQuiet({ cores: cores(), ourPids: [sut.proc.pid, redis.pid, ...(speed?.pids ?? [])], maxS: waitQuietS, log });
    if (speed) await speed.waitFull({ threshold: SLOW_CORE, maxS: waitQuietS, log });
    const runSeed = ++seedCounter; // every run its own timetable and users, reproducibly
    const busy0 = coreBusyMs();
    const srv0 = cpuMs(sut.proc.pid) ?? 0;
    const red0 = cpuMs(redis.pid) ?? 0;
    const self0 = process.cpuUsage();
    const probe0 = probeCpuMs();
    const un0 = sut.metricsUrl ? await unansweredCounts(sut.metricsUrl) : undefined;
    const t0 = performance.now();
    const wall0 = Date.now();
    const rssSeries: [number, number][] = [];
    let sampler: NodeJS.Timeout | undefined;
    if (o.sampleRss) {
      const sample = (): void => {
        const m = memoryMiB(sut.proc.pid);
        if (m) rssSeries.push([(performance.now() - t0) / 1000, m.rss]);
      };
      sample();
      sampler = setInterval(sample, 1000);
    }
    const results = await Promise.all(
      gens.map((g, i) =>
        runPinned(
          gen,
          [
            ...generatorArgs(sut.port, timeoutMs, budgetMs, users),
            ...(o.maxPackets ? ["--max-packets", String(o.maxPackets)] : []),
            ...(verbose ? [] : ["--quiet"]),
            ...g.args,
            "--seed", String(runSeed * 10 + i),
          ],
          { cpu: auxCpu, watchdogMs: (seconds + timeoutMs / 1000 + 120) * 1000, stderrPrefix: `  ${sut.id} ${g.label} `, quiet: !verbose, cwd: REPO },
        ),
      ),
    );
    if (sampler) clearInterval(sampler);
    const windowS = (performance.now() - t0) / 1000;
    const wall1 = Date.now();
    const reports = results.map((r, i) => {
      if (r.code !== 0) throw new Error(`generator ${gens[i]!.label} exited with ${r.code} against ${sut.id}`);
      return JSON.parse(r.stdout.trim().split("\n").pop()!) as Report;
    });
    const busy1 = coreBusyMs();
    const srvMs = (cpuMs(sut.proc.pid) ?? srv0) - srv0;
    const redMs = (cpuMs(redis.pid) ?? red0) - red0;
    const self = process.cpuUsage(self0);
    const busyMs = cores().reduce((s, c) => s + ((busy1[c] ?? 0) - (busy0[c] ?? 0)), 0);
    const oursMs = srvMs + redMs + reports.reduce((s, r) => s + r.cpuMs, 0) + (self.user + self.system) / 1000 + (probeCpuMs() - probe0);
    const mem = memoryMiB(sut.proc.pid);
    // Replies still on their way settle within the budget; then read what was not answered.
    const unanswered = sut.metricsUrl ? (await sleep(2 * budgetMs), countsDelta(un0, await unansweredCounts(sut.metricsUrl))) : undefined;
    return {
      reports,
      ...(unanswered ? { unanswered } : {}),
      serverCpuPct: (100 * srvMs) / 1000 / windowS,
      rssMiB: mem?.rss ?? NaN,
      hwmMiB: mem?.hwm ?? NaN,
      foreignCores: Math.max(0, busyMs - oursMs) / 1000 / windowS,
      auxCoreBusyPct: auxCpu !== undefined ? ((busy1[auxCpu] ?? 0) - (busy0[auxCpu] ?? 0)) / 10 / windowS : NaN,
      windowS,
      ...(o.sampleRss ? { rssSeries } : {}),
      coreSpeeds: speed ? speed.speeds(wall0, wall1) : cores().map(() => NaN),
      slowedAttempts: [],
    };
  };

  /** Until the server has been (nearly) idle for 500 ms (at most 30 s), then until it answers. */
  const settle = async (sut: Sut): Promise<void> => {
    await sleep(pauseS * 1000);
    const end = Date.now() + 30000;
    for (;;) {
      const c0 = cpuMs(sut.proc.pid) ?? 0;
      await sleep(500);
      const c1 = cpuMs(sut.proc.pid) ?? 0;
      if (c1 - c0 <= 50 || Date.now() > end) break;
    }
    await waitUntilAnswering({ host: "127.0.0.1", port: sut.port, secret: SECRET, mode: "pap", user: probeUser, timeoutMs: 20000, expectCode: 2, alive: () => sut.proc.child.exitCode === null });
  };

  const pap = (rate: number, seconds: number, extra: string[] = []): GenSpec => ({
    args: ["--mode", "pap", "--rate", String(Math.round(rate)), "--duration", String(seconds), ...extra],
    label: `${Math.round(rate)}/s`,
  });

  const startSystem = async (id: SystemId): Promise<Sut> => {
    const port = await freeUdpPort();
    if (id === "freeradius") {
      const clients = Array.from({ length: NAS_COUNT }, (_, i) => ({ name: `nas${i + 1}`, ipaddr: `127.0.0.${i + 1}` }));
      const fr = await startFreeradius({ port, redisPort: redis.port, secret: SECRET, threads: frThreads, maxRequests: 262144, frPrefix: "fr:user:", cpu: serverCpu, clients });
      return { id, proc: fr, port, notes: [`${frThreads} threads / Redis connections, max_requests 262144, rlm_redis HGET + pap; clients nas1..nas${NAS_COUNT} = 127.0.0.1..${NAS_COUNT}`] };
    }
    const on = id === "carrier-on";
    // /metrics, read before and after each run: what was not answered, by client and reason.
    const httpPort = await freeTcpPort();
    let cfg: Record<string, unknown> = {
      radius: { auth: { host: "127.0.0.1", port } },
      clients: Array.from({ length: NAS_COUNT }, (_, i) => ({ name: `nas${i + 1}`, address: `127.0.0.${i + 1}/32`, secret: SECRET, requireMessageAuthenticator: true })),
      store: { redis: { url: redis.url, keyPrefix: "aaa:" } },
      log: { level: "warn" },
      scheduler: { enabled: on },
      http: { host: "127.0.0.1", port: httpPort },
    };
    cfg = deepMerge(cfg, carrierOverrides);
    const sched = isPlainObject(cfg["scheduler"]) ? cfg["scheduler"] : {};
    cfg["scheduler"] = on ? { ...deepMerge(sched, schedulerOverrides), enabled: true } : { ...sched, enabled: false };
    // The port and the store come from this run, whatever the overrides say.
    const radius = isPlainObject(cfg["radius"]) ? cfg["radius"] : {};
    const auth = isPlainObject(radius["auth"]) ? radius["auth"] : {};
    cfg["radius"] = { ...radius, auth: { ...auth, host: "127.0.0.1", port } };
    const dir = tempDir("aaa-lt-carrier-");
    const cfgFile = path.join(dir, "carrier-aaa.yaml");
    const text = `# Generated by load-tests/bench-overload.ts\n${stringifyYaml(cfg)}`;
    writeFileSync(cfgFile, text);
    const logFile = path.join(dir, "carrier-aaa.log");
    if (keepLogs) {
      keepTempDir(dir);
      log(`${id}: configuration and log kept in ${dir}`);
    }
    const proc = startPinned(process.execPath, [...nodeFlags, path.join(REPO, "bin", "carrier-aaa.js"), "serve", "--config", cfgFile, "--workers", "1"], { cpu: serverCpu, logFile, cwd: REPO });
    try {
      await waitUntilAnswering({ host: "127.0.0.1", port, secret: SECRET, mode: "pap", user: probeUser, timeoutMs: 20000, expectCode: 2, alive: () => proc.child.exitCode === null });
    } catch (err) {
      keepTempDir(dir);
      await proc.stop();
      throw new Error(`carrier-aaa did not come up: ${(err as Error).message}\n--- ${logFile} (kept) ---\n${tail(logFile)}\n--- config ---\n${text}`);
    }
    const { clients: _c, store: _s, ...shown } = cfg;
    void _c;
    void _s;
    return { id, proc, port, metricsUrl: `http://127.0.0.1:${httpPort}/metrics`, notes: [`config (clients nas1..nas${NAS_COUNT} = 127.0.0.1..${NAS_COUNT}, Redis store): \`${JSON.stringify(shown)}\``] };
  };

  // ---- Runs ------------------------------------------------------------------------------
  const rampRows: { rate: number; m: Measure; pass: boolean }[] = [];
  let capacity = givenCapacity;
  const sweep: SweepRow[] = [];
  const checkRows: CheckRow[] = [];
  const mixRows: { system: SystemId; multiplier: number; rate: number; m: Measure }[] = [];
  const floodRows: { system: SystemId; shareRate: number; m: Measure }[] = [];
  const stepRows: { system: SystemId; rate: number; m: Measure; recoveryP99Ms: number | null; recoveryStrictMs: number | null }[] = [];
  const memRows: { system: SystemId; rate: number; m: Measure }[] = [];
  const systemNotes: Partial<Record<SystemId, string[]>> = {};
  const isDisturbed = (m: Measure): boolean => m.foreignCores > 0.1 || isSlowed(m);
  const tag = (m: Measure): string =>
    (m.foreignCores > 0.1 ? ` [disturbed: other CPU ${fmt(m.foreignCores, 2)} core]` : "") +
    (isSlowed(m) ? ` [slowed: ${fmtSpeeds(cores(), m.coreSpeeds)} of full speed]` : "") +
    (m.slowedAttempts.length ? ` [repeated ${m.slowedAttempts.length}x: slowed cores]` : "");

  for (const id of systems) {
    const sut = await startSystem(id);
    if (cpuQuota !== undefined) {
      limitCpu(sut.proc.pid, cpuQuota, cpuPeriodMs);
      sut.notes.push(`limited to ${cpuQuota} % of core ${serverCpu ?? "(any)"} (CFS quota ${fmt((cpuQuota * cpuPeriodMs) / 100, 2)} ms per ${cpuPeriodMs} ms)`);
    }
    systemNotes[id] = sut.notes;
    log(`${LABEL[id]}: pid ${sut.proc.pid} answering on 127.0.0.1:${sut.port}`);
    try {
      if (warmupS > 0) {
        const wr = capacity ? capacity * 0.5 : ramp[0]!;
        log(`${id}: warm-up ${warmupS} s at ${Math.round(wr)}/s (not recorded)`);
        await measure(sut, [pap(wr, warmupS)], warmupS, { retry: false });
        await settle(sut);
      }
      if (capacity === undefined) {
        let fails = 0;
        let best: number | undefined;
        for (const rate of ramp) {
          const m = await measure(sut, [pap(rate, rampDuration)], rampDuration);
          const r = m.reports[0]!;
          const pass = r.timeouts <= lossTolerance * r.sent && r.latencyMs.p99 <= budgetMs && r.badAuthenticator + r.badMessageAuthenticator + r.malformed === 0;
          rampRows.push({ rate, m, pass });
          log(`ramp ${rate}/s: answered ${r.answeredPerSec}/s, timeouts ${r.timeouts}, p99 ${fmt(r.latencyMs.p99, 1)} ms -> ${pass ? "pass" : "fail"}${tag(m)}`);
          if (pass) {
            best = rate;
            fails = 0;
          } else if (++fails >= 2) break;
          await settle(sut);
        }
        if (best === undefined) {
          capacity = ramp[0]! / 2;
          notes.push(`no ramp rate passed; capacity taken as ${capacity}/s (half the lowest ramp rate)`);
        } else capacity = best;
        log(`capacity: ${capacity}/s`);
        await settle(sut);
      }
      const C = capacity;
      if (runs.has("sweep")) {
        for (const mult of multipliers) {
          const rate = Math.round(mult * C);
          const m = await measure(sut, [pap(rate, duration)], duration);
          sweep.push({ system: id, multiplier: mult, rate, ...m });
          const r = m.reports[0]!;
          log(`${id} sweep ${mult}x = ${rate}/s: answered ${r.answeredPerSec}/s, goodput ${r.goodput}/s, timeouts ${r.timeouts}, p99 ${fmt(r.latencyMs.p99, 1)} ms, CPU ${fmt(m.serverCpuPct, 0)} %${tag(m)}${m.unanswered ? `; not answered: ${fmtUnanswered(m.unanswered)}` : ""}`);
          await settle(sut);
        }
        const own = sweep.filter((r) => r.system === id);
        const g = own.length ? Math.max(...own.map((r) => r.reports[0]!.goodput)) : 0;
        for (const factor of g > 0 ? gStarChecks : []) {
          const rate = Math.round(factor * g);
          const m = await measure(sut, [pap(rate, duration)], duration);
          checkRows.push({ system: id, factor, gStar: g, rate, ...m });
          const r = m.reports[0]!;
          log(`${id} ${factor}x G* (${g}/s) = ${rate}/s: goodput ${r.goodput}/s = ${pct(r.goodput, g, 1)} of G*, sent ${Math.round(r.sent / duration)}/s, p99 ${fmt(r.latencyMs.p99, 1)} ms, CPU ${fmt(m.serverCpuPct, 0)} %${tag(m)}${m.unanswered ? `; not answered: ${fmtUnanswered(m.unanswered)}` : ""}`);
          await settle(sut);
        }
      }
      if (runs.has("mix")) {
        for (const mult of mixMultipliers) {
          const rate = Math.round(mult * C);
          const m = await measure(sut, [{ args: ["--mode", "mix", "--mix", mixSpec, "--rate", String(rate), "--duration", String(duration)], label: `mix ${rate}/s` }], duration);
          mixRows.push({ system: id, multiplier: mult, rate, m });
          const cl = m.reports[0]!.classes ?? {};
          log(`${id} mix ${mult}x = ${rate}/s: within budget ${Object.entries(cl).map(([k, v]) => `${k} ${pct(v.withinBudget, v.sent)}`).join(", ")}${tag(m)}`);
          await settle(sut);
        }
      }
      if (runs.has("flood")) {
        const share = (floodShare * C) / NAS_COUNT;
        const gens = Array.from({ length: NAS_COUNT }, (_, i) => {
          const rate = i === NAS_COUNT - 1 ? share * floodFactor : share;
          return { args: ["--mode", "pap", "--rate", String(Math.round(rate)), "--duration", String(duration), "--bind", `127.0.0.${i + 1}`], label: `nas${i + 1} ${Math.round(rate)}/s` };
        });
        const m = await measure(sut, gens, duration);
        floodRows.push({ system: id, shareRate: share, m });
        log(`${id} flood (share ${Math.round(share)}/s, nas${NAS_COUNT} x${floodFactor}): within budget ${m.reports.map((r, i) => `nas${i + 1} ${pct(r.withinBudget, r.sent)}`).join(", ")}${tag(m)}${m.unanswered ? `; not answered: ${fmtUnanswered(m.unanswered)}` : ""}`);
        await settle(sut);
      }
      if (runs.has("step")) {
        const hi = Math.round(stepFactor * C);
        const lo = Math.round(C);
        const m = await measure(
          sut,
          [{ args: ["--mode", "pap", "--steps", `${lo}:${stepSeconds},${hi}:${stepSeconds},${lo}:${stepSeconds}`, "--timeline-ms", String(timelineMs)], label: `step ${lo}->${hi}->${lo}/s` }],
          3 * stepSeconds,
        );
        const tl = m.reports[0]!.timeline;
        const from = 2 * stepSeconds * 1000;
        const to = 3 * stepSeconds * 1000;
        const recoveryP99Ms = tl ? recoveryMs(tl, { fromMs: from, toMs: to, budgetMs }) : null;
        const recoveryStrictMs = tl ? recoveryMs(tl, { fromMs: from, toMs: to, budgetMs, minWithinShare: 0.99 }) : null;
        stepRows.push({ system: id, rate: lo, m, recoveryP99Ms, recoveryStrictMs });
        log(`${id} step ${lo} -> ${hi} -> ${lo}/s: p99 back within ${budgetMs} ms ${recoveryP99Ms === null ? "not within the run" : `after ${recoveryP99Ms} ms`}; >= 99 % within budget ${recoveryStrictMs === null ? "not within the run" : `after ${recoveryStrictMs} ms`}${tag(m)}`);
        await settle(sut);
      }
      if (memoryRun) {
        const rate = Math.round(4 * C);
        const m = await measure(sut, [pap(rate, memorySeconds)], memorySeconds, { sampleRss: true, maxPackets: Math.ceil(rate * memorySeconds * 1.1) + 1000 });
        memRows.push({ system: id, rate, m });
        const s = m.rssSeries ?? [];
        log(`${id} memory ${rate}/s for ${memorySeconds} s: RSS ${fmt(s[0]?.[1], 0)} -> ${fmt(s[s.length - 1]?.[1], 0)} MiB (max ${fmt(Math.max(...s.map((x) => x[1])), 0)})${tag(m)}`);
      }
    } catch (err) {
      if (!(err instanceof OutOfTime)) throw err;
      outOfTime = err.message;
    } finally {
      await sut.proc.stop();
    }
    if (outOfTime !== undefined) {
      const left = systems.slice(systems.indexOf(id) + 1);
      log(`--max-minutes ${maxMinutes} reached before ${outOfTime}: no further runs${left.length ? ` (not run: ${left.join(", ")})` : ""}; writing the report`);
      notes.push(`**stopped at --max-minutes ${maxMinutes}** before ${outOfTime}; that run and every later one${left.length ? ` (and the systems ${left.join(", ")})` : ""} were not made`);
      break;
    }
  }
  await speed?.stop();
  await redis.stop();

  // ---- Reports ---------------------------------------------------------------------------
  const C = capacity!;
  const gStar: Partial<Record<SystemId, number>> = {};
  for (const id of systems) {
    const rows = sweep.filter((r) => r.system === id);
    if (rows.length) gStar[id] = Math.max(...rows.map((r) => r.reports[0]!.goodput));
  }
  /** The system the targets are for: carrier-aaa with the scheduler on (off when on was skipped). */
  const targetSystem: SystemId | undefined = systems.includes("carrier-on") ? "carrier-on" : systems.includes("carrier-off") ? "carrier-off" : undefined;
  function judge(id: SystemId): Verdict[] {
    const mine = <T extends { system: SystemId }>(xs: T[]): T[] => xs.filter((x) => x.system === id);
    const fr = sweep.filter((r) => r.system === "freeradius");
    const frBest = fr.length ? fr.reduce((w, r) => (r.reports[0]!.goodput > w.reports[0]!.goodput ? r : w)) : undefined;
    return judgeTargets({
      budgetMs,
      gStar: gStar[id] ?? 0,
      baselineGStar: frBest ? { value: frBest.reports[0]!.goodput, what: `FreeRADIUS ${frBest.multiplier}x`, slowed: isSlowed(frBest) } : undefined,
      checks: mine(checkRows).map((r) => ({ value: { factor: r.factor, goodput: r.reports[0]!.goodput }, what: `${r.factor}x G*`, slowed: isSlowed(r) })),
      p99s: [
        ...mine(sweep).map((r) => ({ value: r.reports[0]!.latencyMs.p99, what: `${r.multiplier}x C`, slowed: isSlowed(r) })),
        ...mine(checkRows).map((r) => ({ value: r.reports[0]!.latencyMs.p99, what: `${r.factor}x G*`, slowed: isSlowed(r) })),
      ],
      status: mine(mixRows)
        .filter((r) => r.m.reports[0]!.classes?.["status"])
        .map((r) => {
          const c = r.m.reports[0]!.classes!["status"]!;
          return { value: c.sent > 0 ? c.withinBudget / c.sent : NaN, what: `mix ${r.multiplier}x`, slowed: isSlowed(r.m) };
        }),
      flood: mine(floodRows).map((r) => ({ value: Math.min(...r.m.reports.slice(0, NAS_COUNT - 1).map(successShare)), what: "flood", slowed: isSlowed(r.m) })),
      stepRecoveryMs: mine(stepRows).map((r) => ({ value: r.recoveryP99Ms, what: "step", slowed: isSlowed(r.m) })),
      memoryGrowthMiB: mine(memRows).map((r) => {
        const s = r.m.rssSeries ?? [];
        return { value: (s[s.length - 1]?.[1] ?? NaN) - (s[0]?.[1] ?? NaN), what: "memory", slowed: isSlowed(r.m) };
      }),
    });
  }
  const base = path.basename(outPrefix);
  const svgFile = `${outPrefix}.svg`;
  const stepSvgFile = `${outPrefix}-step.svg`;
  if (sweep.length) {
    const series = (f: (r: Report) => number): Series[] =>
      systems
        .filter((id) => sweep.some((r) => r.system === id))
        .map((id) => ({ name: LABEL[id], color: COLOR[id], points: sweep.filter((r) => r.system === id).map((r) => [r.rate, f(r.reports[0]!)] as [number, number]) }));
    const xMax = Math.max(...sweep.map((r) => r.rate));
    const panels: Panel[] = [
      {
        title: "Goodput vs offered load",
        xLabel: "offered load, requests/s",
        yLabel: `goodput (answered ≤ ${budgetMs} ms), /s`,
        series: [...series((r) => r.goodput), { name: "offered (ideal)", color: "#999", dashed: true, points: [[0, 0], [xMax, xMax]] }],
        xMin: 0,
        xMax,
        hLines: [{ y: C, label: `capacity ${C}/s` }],
      },
      {
        title: "p99 latency of answered requests",
        xLabel: "offered load, requests/s",
        yLabel: "p99 latency, ms (log)",
        series: series((r) => r.latencyMs.p99),
        yLog: true,
        xMin: 0,
        xMax,
        hLines: [{ y: budgetMs, label: `budget ${budgetMs} ms` }],
      },
    ];
    writeFileSync(svgFile, svgChart(panels, `${base}: capacity ${C}/s, ${duration} s per step, open-loop Poisson, server on one core`));
  }
  if (stepRows.some((s) => s.m.reports[0]!.timeline)) {
    const tlSeries = (f: (tl: Timeline, b: number) => number | null): Series[] =>
      stepRows
        .filter((s) => s.m.reports[0]!.timeline)
        .map((s) => {
          const tl = s.m.reports[0]!.timeline!;
          return { name: LABEL[s.system], color: COLOR[s.system], points: tl.sent.map((_, b) => [((b + 0.5) * tl.intervalMs) / 1000, f(tl, b) ?? NaN] as [number, number]) };
        });
    const lo = Math.round(C);
    const hi = Math.round(stepFactor * C);
    const offered: Series = {
      name: "offered",
      color: "#999",
      dashed: true,
      points: [[0, lo], [stepSeconds, lo], [stepSeconds, hi], [2 * stepSeconds, hi], [2 * stepSeconds, lo], [3 * stepSeconds, lo]],
    };
    const panels: Panel[] = [
      {
        title: `Step ${lo} -> ${hi} -> ${lo}/s: p99 per ${timelineMs} ms`,
        xLabel: "intended send time, s",
        yLabel: "p99 of answered, ms (log)",
        series: tlSeries((tl, b) => tl.p99Ms[b] ?? null),
        yLog: true,
        xMin: 0,
        xMax: 3 * stepSeconds,
        hLines: [{ y: budgetMs, label: `budget ${budgetMs} ms` }],
      },
      {
        title: "Answered within budget",
        xLabel: "intended send time, s",
        yLabel: "answered ≤ budget, /s",
        series: [...tlSeries((tl, b) => ((tl.withinBudget[b] ?? 0) * 1000) / tl.intervalMs), offered],
        xMin: 0,
        xMax: 3 * stepSeconds,
      },
    ];
    writeFileSync(stepSvgFile, svgChart(panels, `${base}: step run, by intended send time (requests sent in an interval and how they fared)`));
  }

  const md = renderMarkdown();
  mkdirSync(path.dirname(outPrefix), { recursive: true });
  writeFileSync(`${outPrefix}.md`, md);
  writeFileSync(
    `${outPrefix}.json`,
    JSON.stringify(
      { started: started.toISOString(), argv: process.argv.slice(2), commit: commit + dirty, capacity: C, capacityMeasured: givenCapacity === undefined, budgetMs, timeoutMs, duration, multipliers, gStar, rampRows, sweep, checkRows, targets: targetSystem ? judge(targetSystem) : null, mixRows, floodRows, stepRows, memRows, notes, systemNotes },
      null,
      1,
    ) + "\n",
  );
  process.stdout.write(md);
  log(`written: ${path.relative(process.cwd(), outPrefix)}.md/.json${sweep.length ? "/.svg" : ""}${stepRows.length ? ` and -step.svg` : ""}`);
  clearTimeout(deadline);

  function renderMarkdown(): string {
    const b = budgetMs;
    const L: string[] = [];
    const allMeasures: { what: string; m: Measure }[] = [
      ...rampRows.map((r) => ({ what: `ramp ${r.rate}/s`, m: r.m })),
      ...sweep.map((r) => ({ what: `${r.system} ${r.multiplier}x`, m: r as Measure })),
      ...checkRows.map((r) => ({ what: `${r.system} ${r.factor}x G*`, m: r as Measure })),
      ...mixRows.map((r) => ({ what: `${r.system} mix ${r.multiplier}x`, m: r.m })),
      ...floodRows.map((r) => ({ what: `${r.system} flood`, m: r.m })),
      ...stepRows.map((r) => ({ what: `${r.system} step`, m: r.m })),
      ...memRows.map((r) => ({ what: `${r.system} memory`, m: r.m })),
    ];
    L.push(`# Overload benchmark ${started.toISOString().slice(0, 16).replace("T", " ")} UTC${quick ? " (quick: harness check, short steps)" : ""}`, "");
    L.push(`Command: \`npx tsx load-tests/bench-overload.ts ${process.argv.slice(2).join(" ")}\``, "");
    L.push(
      `carrier-aaa at commit ${commit}${dirty}. PAP + Message-Authenticator, ${users} subscribers in a private redis-server, open-loop Poisson arrivals (C generator), ` +
        `give-up ${timeoutMs} ms, budget ${b} ms; ${serverCpu !== undefined ? `server alone on core ${serverCpu}, redis-server + generators + this script on core ${auxCpu}` : "not pinned"}.`,
    );
    L.push(
      `Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"}, Linux ${os.release()}, Node ${process.version}, ${versionOf("redis-server", ["--version"])}, ` +
        `${versionOf("freeradius", ["-v"]).replace(/^radiusd: /, "")}. Load average before ${loadBefore}, after ${loadAvg()}.`,
      "",
    );
    for (const id of systems) L.push(`- ${LABEL[id]}: ${(systemNotes[id] ?? []).join("; ")}`);
    for (const n of notes) L.push(`- note: ${n}`);
    L.push("");

    L.push("## Capacity", "");
    if (rampRows.length) {
      L.push(
        `Measured by a ramp on carrier-aaa with the scheduler off, ${rampDuration} s per rate: capacity = highest rate with p99 of answers ≤ ${b} ms and at most ` +
          `${lossTolerance * 100} % of requests lost (timeouts). **Capacity C = ${C}/s.**`,
        "",
      );
      L.push(
        mdTable(
          ["offered/s", "answered/s", "timeouts", "p50 ms", "p99 ms", "server CPU", "other CPU", "pass"],
          rampRows.map((r) => {
            const x = r.m.reports[0]!;
            return [r.rate, x.answeredPerSec, x.timeouts, fmt(x.latencyMs.p50, 2), fmt(x.latencyMs.p99, 1), `${fmt(r.m.serverCpuPct, 0)} %`, fmt(r.m.foreignCores, 2), r.pass ? "yes" : "no"];
          }),
        ),
        "",
      );
    } else {
      L.push(`**Capacity C = ${C}/s** (given with --capacity).`, "");
    }

    if (targetSystem) {
      L.push(`## Targets: ${LABEL[targetSystem]}`, "");
      L.push(
        "Judged from the runs below. *: a figure behind the verdict came from a run on slowed cores (see Conditions), which measured a slower machine.",
        "",
      );
      L.push(mdTable(["target", "figure", "met"], judge(targetSystem).map((v) => [v.target, v.figure, fmtMet(v)]), 3), "");
      // A G* check that answered more than the sweep's peak: the sweep's steps missed the peak.
      const g = gStar[targetSystem] ?? 0;
      const over = checkRows.filter((r) => r.system === targetSystem && r.reports[0]!.goodput > g);
      if (over.length) {
        const peak = Math.max(...over.map((r) => r.reports[0]!.goodput));
        L.push(
          `- G* is the peak of the sweep (${g}/s); the run at ${over.map((r) => `${r.factor}x`).join(" and ")} G* answered more within the budget (up to ${peak}/s), so the sweep's steps ` +
            `missed the true peak. Against that peak the checks read: ${checkRows
              .filter((r) => r.system === targetSystem)
              .map((r) => `offered ${fmt(r.rate / peak, 2)}x, goodput ${pct(r.reports[0]!.goodput, peak, 1)}`)
              .join("; ")}.`,
          "",
        );
      }
    }

    if (sweep.length) {
      L.push("## Sweep: offered load in multiples of C", "");
      L.push(`![goodput and p99 vs offered load](${path.basename(svgFile)})`, "");
      for (const id of systems) {
        const rows = sweep.filter((r) => r.system === id);
        if (!rows.length) continue;
        const g = gStar[id]!;
        L.push(`### ${LABEL[id]} (G* = ${g}/s)`, "");
        L.push(
          mdTable(
            ["offered", "answered/s", `goodput/s (≤ ${b} ms)`, "goodput / G*", "p50 ms", "p99 ms", "timeouts", "server CPU", "RSS MiB", "other CPU"],
            rows.map((r) => {
              const x = r.reports[0]!;
              return [
                `${r.multiplier}x = ${r.rate}/s`,
                x.answeredPerSec,
                x.goodput,
                pct(x.goodput, g, 0),
                fmt(x.latencyMs.p50, 2),
                fmt(x.latencyMs.p99, 1),
                x.timeouts,
                `${fmt(r.serverCpuPct, 0)} %`,
                fmt(r.rssMiB, 0),
                `${fmt(r.foreignCores, 2)}${isDisturbed(r) ? " *" : ""}`,
              ];
            }),
          ),
          "",
        );
        const why = rows.filter((r) => r.unanswered);
        if (why.length) {
          L.push("Not answered by the server, by reason (from its /metrics; the rest of the timeouts were dropped by the kernel on full receive queues, or answered after the give-up time):", "");
          for (const r of why) L.push(`- ${r.multiplier}x: ${fmtUnanswered(r.unanswered)}`);
          L.push("");
        }
      }
      if (checkRows.length) {
        L.push("### At multiples of each system's own G*", "");
        L.push(
          `After its sweep, each system was offered ${gStarChecks.map((f) => `${f}x`).join(" and ")} its own G* (the targets are set there; the sweep's multiples of C do not hit them). ` +
            "sent/s shows whether the generator reached the offered rate.",
          "",
        );
        L.push(
          mdTable(
            ["system", "offered", "sent/s", "goodput/s", "goodput / G*", "p50 ms", "p99 ms", "timeouts", "server CPU", "other CPU"],
            checkRows.map((r) => {
              const x = r.reports[0]!;
              return [
                LABEL[r.system],
                `${r.factor}x G* = ${r.rate}/s`,
                Math.round(x.sent / duration),
                x.goodput,
                pct(x.goodput, r.gStar, 1),
                fmt(x.latencyMs.p50, 2),
                fmt(x.latencyMs.p99, 1),
                x.timeouts,
                `${fmt(r.serverCpuPct, 0)} %`,
                `${fmt(r.foreignCores, 2)}${isDisturbed(r) ? " *" : ""}`,
              ];
            }),
            1,
          ),
          "",
        );
        const why = checkRows.filter((r) => r.unanswered);
        if (why.length) {
          L.push("Not answered by the server, by reason:", "");
          for (const r of why) L.push(`- ${LABEL[r.system]}, ${r.factor}x G*: ${fmtUnanswered(r.unanswered)}`);
          L.push("");
        }
      }
      L.push("Summary, goodput as a share of capacity C:", "");
      L.push(
        mdTable(
          ["system", "G*/s", "G* / C", ...multipliers.filter((m) => m >= 1).map((m) => `goodput at ${m}x`)],
          systems
            .filter((id) => gStar[id] !== undefined)
            .map((id) => [
              LABEL[id],
              gStar[id]!,
              pct(gStar[id]!, C, 0),
              ...multipliers.filter((m) => m >= 1).map((m) => {
                const r = sweep.find((x) => x.system === id && x.multiplier === m);
                return r ? `${r.reports[0]!.goodput} (${pct(r.reports[0]!.goodput, C, 0)})` : "-";
              }),
            ]),
          1,
        ),
        "",
      );
    }

    if (mixRows.length) {
      L.push("## Mixed classes", "");
      L.push(
        `Mix \`${mixSpec}\` (status = Status-Server, state = Access-Request with a State attribute, pap = plain Access-Request), ${duration} s each. ` +
          `Success = a verified answer within ${b} ms, as a share of the requests of that class sent.`,
        "",
      );
      const classes = ["status", "state", "pap"];
      L.push(
        mdTable(
          ["system", "offered", ...classes.map((c) => `${c}: success ≤ ${b} ms`), ...classes.map((c) => `${c}: p99 ms`), "answered/s", "other CPU"],
          mixRows.map((r) => {
            const x = r.m.reports[0]!;
            const cl = x.classes ?? {};
            return [
              LABEL[r.system],
              `${r.multiplier}x = ${r.rate}/s`,
              ...classes.map((c) => (cl[c] ? `${pct(cl[c]!.withinBudget, cl[c]!.sent)} of ${cl[c]!.sent}` : "-")),
              ...classes.map((c) => fmt(cl[c]?.latencyMs.p99 ?? null, 1)),
              x.answeredPerSec,
              `${fmt(r.m.foreignCores, 2)}${isDisturbed(r.m) ? " *" : ""}`,
            ];
          }),
          1,
        ),
        "",
      );
    }

    if (floodRows.length) {
      L.push("## One NAS flooding", "");
      const share = floodRows[0]!.shareRate;
      L.push(
        `Four NASes (source addresses 127.0.0.1..${NAS_COUNT}, each its own client), one generator each, ${duration} s: nas1..nas${NAS_COUNT - 1} at their share ` +
          `${Math.round(share)}/s (${floodShare}x C split ${NAS_COUNT} ways), nas${NAS_COUNT} at ${floodFactor}x its share (${Math.round(share * floodFactor)}/s); ` +
          `total offered ${Math.round(share * (NAS_COUNT - 1 + floodFactor))}/s = ${fmt((share * (NAS_COUNT - 1 + floodFactor)) / C, 2)}x C. Target: the others ≥ 95 % within ${b} ms.`,
        "",
      );
      L.push(
        mdTable(
          ["system", "NAS", "offered/s", "sent", "answered", `within ${b} ms`, "success", "p99 ms", "timeouts"],
          floodRows.flatMap((r) =>
            r.m.reports.map((x, i) => [
              i === 0 ? `${LABEL[r.system]}${isDisturbed(r.m) ? " *" : ""}` : "",
              `nas${i + 1}${i === NAS_COUNT - 1 ? " (flood)" : ""}`,
              Math.round(i === NAS_COUNT - 1 ? r.shareRate * floodFactor : r.shareRate),
              x.sent,
              x.answered,
              x.withinBudget,
              pct(x.withinBudget, x.sent),
              fmt(x.latencyMs.p99, 1),
              x.timeouts,
            ]),
          ),
          2,
        ),
        "",
      );
      for (const r of floodRows) {
        const others = r.m.reports.slice(0, NAS_COUNT - 1).map(successShare);
        const worst = Math.min(...others);
        L.push(`- ${LABEL[r.system]}: well-behaved NASes' worst success ${fmt(100 * worst, 1)} % -> target ${worst >= 0.95 ? "met" : "**not met**"}.`);
      }
      // What the run's capacity allowed: fair queuing shares what the server answers in time
      // equally among backlogged NASes, so a run that answered T/s in all cannot promise a NAS
      // more than T/4 once every NAS is backlogged (max-min fairness).
      for (const r of floodRows) {
        const total = r.m.reports.reduce((s, x) => s + x.goodput, 0);
        L.push(
          `- ${LABEL[r.system]}: answered within the budget in all ${total}/s = ${fmt(total / C, 2)}x C. Shared equally by the ${NAS_COUNT} NASes, that is ` +
            `${Math.round(total / NAS_COUNT)}/s each = ${pct(Math.min(total / NAS_COUNT, r.shareRate), r.shareRate, 0)} of a well-behaved NAS's rate ` +
            `(the 95 % target needs ${fmt((NAS_COUNT * 0.95 * r.shareRate) / C, 2)}x C in all, unless the flooder is held below an equal share).`,
        );
      }
      for (const r of floodRows) if (r.m.unanswered) L.push(`- ${LABEL[r.system]}, not answered by the server (client outcome:reason, from its /metrics): ${fmtUnanswered(r.m.unanswered)}.`);
      L.push("");
    }

    if (stepRows.length) {
      L.push("## Step 1x -> 2x -> 1x", "");
      L.push(
        `${stepSeconds} s per phase, timeline per ${timelineMs} ms of intended send time. Recovery = time after the step down until every later interval has p99 of ` +
          `answers ≤ ${b} ms (*p99*), and additionally ≥ 99 % of its requests answered within ${b} ms (*strict*: lost requests count).`,
        "",
      );
      L.push(`![step run timeline](${path.basename(stepSvgFile)})`, "");
      L.push(
        mdTable(
          ["system", "steps", "recovery (p99)", "recovery (strict)", "answered/s", "timeouts", "p99 ms (whole run)", "other CPU"],
          stepRows.map((r) => {
            const x = r.m.reports[0]!;
            const rec = (v: number | null): string => (v === null ? `not within ${stepSeconds} s` : `${v} ms`);
            return [LABEL[r.system], `${r.rate} -> ${Math.round(stepFactor * C)} -> ${r.rate}/s`, rec(r.recoveryP99Ms), rec(r.recoveryStrictMs), x.answeredPerSec, x.timeouts, fmt(x.latencyMs.p99, 1), `${fmt(r.m.foreignCores, 2)}${isDisturbed(r.m) ? " *" : ""}`];
          }),
          2,
        ),
        "",
      );
    }

    if (memRows.length) {
      L.push(`## Memory at 4x for ${memorySeconds} s`, "");
      L.push(
        mdTable(
          ["system", "offered/s", "RSS start MiB", "RSS end MiB", "RSS max MiB", "growth MiB", "goodput/s", "other CPU"],
          memRows.map((r) => {
            const s = r.m.rssSeries ?? [];
            const first = s[0]?.[1] ?? NaN;
            const last = s[s.length - 1]?.[1] ?? NaN;
            return [LABEL[r.system], r.rate, fmt(first, 0), fmt(last, 0), fmt(Math.max(...s.map((x) => x[1])), 0), fmt(last - first, 0), r.m.reports[0]!.goodput, `${fmt(r.m.foreignCores, 2)}${isDisturbed(r.m) ? " *" : ""}`];
          }),
        ),
        "",
      );
    }

    L.push("## Conditions", "");
    const disturbed = allMeasures.filter((x) => x.m.foreignCores > 0.1);
    L.push(
      disturbed.length
        ? `- **disturbed** (other processes used > 0.1 core on the benchmark cores; marked *): ${disturbed.map((x) => `${x.what} (${fmt(x.m.foreignCores, 2)})`).join(", ")}. Repeat those before drawing conclusions.`
        : "- quiet: no run had more than 0.1 core of other work on the benchmark cores.",
    );
    if (!speed) L.push("- core speed: not probed (no C compiler for load-tests/core-speed.c).");
    else {
      const slowed = allMeasures.filter((x) => isSlowed(x.m));
      const repeated = allMeasures.filter((x) => x.m.slowedAttempts.length > 0);
      const all = allMeasures.flatMap((x) => x.m.coreSpeeds).filter(Number.isFinite);
      L.push(
        slowed.length
          ? `- **slowed** (a benchmark core ran below ${Math.round(100 * SLOW_CORE)} % of its full speed for a quarter of the run or more${retrySlowed > 0 ? `, also after ${retrySlowed} ${retrySlowed === 1 ? "repeat" : "repeats"}` : ""}; marked *): ${slowed.map((x) => `${x.what} (${fmtSpeeds(cores(), x.m.coreSpeeds)})`).join("; ")}. The host slowed the VM down: such a run measured a slower machine.`
          : `- core speed: every recorded run ran at ${Math.round(100 * SLOW_CORE)} % of full speed or more on both benchmark cores (lowest ${all.length ? Math.round(100 * Math.min(...all)) : "?"} %).`,
      );
      if (repeated.length)
        L.push(
          `- repeated because a core was slowed (the speeds of the discarded attempts): ${repeated.map((x) => `${x.what} (${x.m.slowedAttempts.map((sp) => fmtSpeeds(cores(), sp)).join("; ")})`).join(", ")}.`,
        );
    }
    const lag = allMeasures.filter((x) => x.m.reports.some((r) => r.achievedSendRate < 0.98 * r.intendedRate || r.sendLagMs.p99 > 5));
    if (lag.length) L.push(`- warning: a generator lagged (sent < 98 % of intended, or send-lag p99 > 5 ms) in ${lag.map((x) => x.what).join(", ")}: latency there includes generator delay.`);
    const aux = allMeasures.filter((x) => x.m.auxCoreBusyPct > 90);
    if (aux.length) L.push(`- warning: the aux core (Redis + generators) was > 90 % busy in ${aux.map((x) => `${x.what} (${fmt(x.m.auxCoreBusyPct, 0)} %)`).join(", ")}.`);
    L.push("");
    L.push(
      "Definitions: offered = intended Poisson rate; answered = verified replies per second; goodput = replies within the budget per second; G* = the highest goodput of a " +
        "system over the sweep; p50/p99 = latency of answered requests from their intended send time; timeouts = requests without a valid reply within the give-up time " +
        "(lost, whether dropped by the kernel or shed by the server); server CPU = process CPU time as a share of one core; RSS = VmRSS after the run; other CPU = cores' worth " +
        "of CPU used on the benchmark cores by processes not part of the benchmark. See docs/overload-benchmark.md.",
      "",
    );
    return L.join("\n");
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-overload: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
