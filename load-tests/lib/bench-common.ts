// What the whole-core bench scripts (bench-storm.ts, bench-scenarios.ts) share: their common
// options, CPU pinning, which systems run, a private seeded Redis, and writing the report.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { flag, num, optStr, stringOptions, type OptionSpec, type Parsed } from "./args.js";
import { LOAD_TESTS_DIR } from "./cbuild.js";
import { coreBusyMs, loadAvg, startRedis, which } from "./procs.js";
import { REPO, type SystemId } from "./systems.js";
import { seed } from "../seed-redis.js";

export const COMMON_OPTIONS: OptionSpec = {
  ...stringOptions("carrier-config", "users", "budget", "warmup", "warmup-rate", "pause", "fr-threads", "wait-quiet", "server-cpu", "aux-cpu", "out"),
  "skip-carrier-default": { type: "boolean" },
  "skip-carrier-off": { type: "boolean" },
  "keep-logs": { type: "boolean" },
  verbose: { type: "boolean" },
};

/** Usage lines of the options in COMMON_OPTIONS that mean the same in every such script. */
export function commonUsage(name: string): string {
  return `  --server-cpu N          core of the server (default 0)
  --aux-cpu N             core of redis-server, the generators and this script (default 1)
  --out FILE              markdown report (default load-tests/results/${name}-<date>.md; a
                          .json beside it)
  --keep-logs             keep carrier-aaa's configuration and log directories
  --verbose               pass the generators' per-second progress through
`;
}

export interface CommonSettings {
  budgetMs: number;
  warmupS: number;
  warmupRate: number;
  pauseS: number;
  frThreads: number;
  waitQuietS: number;
  /** --carrier-config: a carrier-aaa configuration template instead of the generated one */
  template: string | undefined;
  verbose: boolean;
}

export function commonSettings(a: Parsed): CommonSettings {
  return {
    budgetMs: num(a, "budget", 50, { min: 1 }),
    warmupS: num(a, "warmup", 3, { min: 0 }),
    warmupRate: num(a, "warmup-rate", 5000, { min: 1 }),
    pauseS: num(a, "pause", 3, { min: 0 }),
    frThreads: num(a, "fr-threads", 8, { min: 1, max: 256, int: true }),
    waitQuietS: num(a, "wait-quiet", 60, { min: 0 }),
    template: optStr(a, "carrier-config"),
    verbose: flag(a, "verbose"),
  };
}

/** First line of `cmd args` (a version banner), or "?". */
export function versionOf(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0]!.trim();
  } catch {
    return "?";
  }
}

export interface Pinning {
  /** undefined: no pinning (no taskset, or fewer than two cores) */
  serverCpu: number | undefined;
  auxCpu: number | undefined;
  /** the cores whose busy time is measured */
  cores: number[];
}

/** --server-cpu / --aux-cpu, and this script pinned to the aux core; a note says why not. */
export function pinCores(a: Parsed, notes: string[], sharing: string): Pinning {
  const ncpu = os.cpus().length;
  const serverCpu = num(a, "server-cpu", 0, { min: 0, int: true });
  const auxCpu = num(a, "aux-cpu", 1, { min: 0, int: true });
  if (!which("taskset") || ncpu < 2 || serverCpu >= ncpu || auxCpu >= ncpu) {
    notes.push(`no CPU pinning (taskset ${which("taskset") ? "present" : "missing"}, ${ncpu} cores)${sharing}`);
    return { serverCpu: undefined, auxCpu: undefined, cores: coreBusyMs().map((_, i) => i) };
  }
  try {
    execFileSync("taskset", ["-a", "-p", "-c", String(auxCpu), String(process.pid)], { stdio: "ignore" });
  } catch {
    notes.push("could not pin the bench script itself");
  }
  return { serverCpu, auxCpu, cores: [serverCpu, auxCpu] };
}

/** The systems to run: carrier-aaa's two configurations unless skipped, FreeRADIUS first or last when asked and installed. */
export function selectSystems(a: Parsed, freeradius: "first" | "last" | "none", notes: string[]): SystemId[] {
  const systems: SystemId[] = [];
  for (const id of ["carrier-default", "carrier-off"] as const) {
    if (flag(a, `skip-${id}`)) continue;
    if (!existsSync(path.join(REPO, "dist", "cli", "main.js"))) throw new Error("carrier-aaa is not built (dist/cli/main.js missing): run `npm run build`");
    systems.push(id);
  }
  if (freeradius !== "none") {
    if (which("freeradius") || which("radiusd")) {
      if (freeradius === "first") systems.unshift("freeradius");
      else systems.push("freeradius");
    } else {
      notes.push("FreeRADIUS is not installed: left out (apt-get install freeradius freeradius-redis)");
    }
  }
  if (systems.length === 0) throw new Error("nothing to run: every system skipped or unavailable");
  return systems;
}

/** What a report's header says about the run, besides its own figures. */
export interface RunContext {
  started: Date;
  loadBefore: string;
  loadAfter: string;
  notes: string[];
  systemNotes: Partial<Record<SystemId, string[]>>;
  serverCpu?: number;
  auxCpu?: number;
  argv: string[];
}

export interface ReportFile {
  started: Date;
  outFile: string;
  loadBefore: string;
}

/** The report's start time and file (--out, or results/<name>-<time>.md). */
export function reportFile(a: Parsed, name: string): ReportFile {
  const started = new Date();
  const stamp = started.toISOString().slice(0, 16).replace(":", "");
  return { started, outFile: optStr(a, "out") ?? path.join(LOAD_TESTS_DIR, "results", `${name}-${stamp}.md`), loadBefore: loadAvg() };
}

/** Writes the markdown report and its raw figures (.json), and prints the report. */
export function writeReport(f: ReportFile, md: string, rows: unknown, log: (s: string) => void): void {
  mkdirSync(path.dirname(f.outFile), { recursive: true });
  writeFileSync(f.outFile, md);
  writeFileSync(f.outFile.replace(/\.md$/, "") + ".json", JSON.stringify({ started: f.started.toISOString(), argv: process.argv.slice(2), rows }, null, 2) + "\n");
  process.stdout.write(md);
  log(`\nwritten: ${path.relative(process.cwd(), f.outFile)} (+ .json)`);
}

/** A private redis-server on the aux core, seeded with `users` subscribers in both layouts. */
export async function seededRedis(dir: string, auxCpu: number | undefined, users: number, log: (s: string) => void): Promise<Awaited<ReturnType<typeof startRedis>>> {
  const redis = await startRedis({ cpu: auxCpu, dir });
  const seeded = await seed({ url: redis.url, users, userPrefix: "user", keyPrefix: "aaa:", frPrefix: "fr:user:", layouts: new Set(["fr", "aaa"]), sessionTimeout: 3600 });
  log(`redis-server ${redis.url} (pid ${redis.pid}); seeded ${seeded.users} users (${seeded.keysWritten} keys) in ${seeded.ms} ms`);
  return redis;
}

/** Runs the script's main(), printing an error as "<name>: message" and exiting 1. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
