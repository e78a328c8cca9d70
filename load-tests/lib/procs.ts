// Process plumbing for the benchmark scripts: start pinned helpers, remember exactly which
// processes we started, and kill those (by pid, never by name) on exit, error or Ctrl-C.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync, readdirSync, existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import dgram from "node:dgram";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let handlersInstalled = false;

function killAllSync(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
      try {
        process.kill(c.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  children.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

/** Kill what we started when this process ends, however it ends. */
export function installCleanup(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", killAllSync);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      process.stderr.write(`\n${sig}: stopping everything this benchmark started\n`);
      killAllSync();
      process.exit(130);
    });
  }
}

export function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

/** Keep a temp dir after exit (e.g. to read a failed server's log). */
export function keepTempDir(d: string): void {
  tempDirs.delete(d);
}

export function which(cmd: string): string | null {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : null;
}

export interface Started {
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Start `cmd args` pinned to `cpu` (taskset execs the command, so the pid is the command's),
 * stdout+stderr to logFile.
 */
export function startPinned(
  cmd: string,
  args: string[],
  o: { cpu?: number | string; logFile: string; env?: NodeJS.ProcessEnv; cwd?: string; ownProcessGroup?: boolean },
): Started {
  installCleanup();
  const fd = openSync(o.logFile, "a");
  const [file, argv] = o.cpu === undefined ? [cmd, args] : ["taskset", ["-c", String(o.cpu), cmd, ...args]];
  // ownProcessGroup: FreeRADIUS signals its whole process group (kill(-pgid, SIGTERM)) when it
  // exits, which would take this script down with it.
  const child = spawn(file, argv, { stdio: ["ignore", fd, fd], env: o.env ?? process.env, cwd: o.cwd, detached: o.ownProcessGroup === true });
  closeSync(fd);
  children.add(child);
  child.on("exit", () => children.delete(child));
  child.on("error", () => children.delete(child));
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  const pid = child.pid;
  const stop = async (graceMs = 3000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await gone;
    clearTimeout(t);
  };
  return { child, pid, logFile: o.logFile, stop };
}

/**
 * Run `cmd args` pinned to `cpu` to completion, stdout captured, stderr passed through with a
 * prefix (progress lines). Tracked like startPinned, killed after watchdogMs.
 */
export function runPinned(
  cmd: string,
  args: string[],
  o: { cpu?: number; watchdogMs: number; stderrPrefix?: string; quiet?: boolean; cwd?: string; onStderrLine?: (line: string) => void; onStart?: (pid: number) => void },
): Promise<{ code: number | null; stdout: string }> {
  installCleanup();
  const [file, argv] = o.cpu === undefined ? [cmd, args] : ["taskset", ["-c", String(o.cpu), cmd, ...args]];
  const child = spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"], cwd: o.cwd });
  children.add(child);
  let stdout = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (d: string) => (stdout += d));
  let partial = "";
  child.stderr!.setEncoding("utf8");
  if (child.pid !== undefined) o.onStart?.(child.pid);
  child.stderr!.on("data", (d: string) => {
    if (o.quiet && !o.onStderrLine) return;
    const lines = (partial + d).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) {
      o.onStderrLine?.(l);
      if (!o.quiet) process.stderr.write(`${o.stderrPrefix ?? ""}${l}\n`);
    }
  });
  const watchdog = setTimeout(() => child.kill("SIGKILL"), o.watchdogMs);
  return new Promise((resolve, reject) => {
    child.on("error", (err) => {
      clearTimeout(watchdog);
      children.delete(child);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(watchdog);
      children.delete(child);
      if (partial && !o.quiet) process.stderr.write(`${o.stderrPrefix ?? ""}${partial}\n`);
      resolve({ code, stdout });
    });
  });
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function waitTcp(port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.end();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (!alive()) throw new Error(`process meant to listen on tcp ${port} exited`);
    if (Date.now() > end) throw new Error(`nothing listening on tcp ${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** VmRSS and VmHWM (peak) of a live process, in MiB; null when gone or not Linux. */
export function memoryMiB(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = /VmRSS:\s+(\d+) kB/.exec(s);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(s);
    if (!rss || !hwm) return null;
    return { rss: Number(rss[1]) / 1024, hwm: Number(hwm[1]) / 1024 };
  } catch {
    return null;
  }
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (user+system, all threads) of a live process in ms; null when gone. */
export function cpuMs(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** Pids of the live children of a process (Linux /proc/PID/task/TID/children). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/)) if (c) out.push(Number(c));
    }
  } catch {
    // gone, or not Linux
  }
  return out;
}

/**
 * CPU time of a process and its live children, in ms (`serve --workers N`: the primary and its
 * workers); null when the process is gone. A child that exited is not counted.
 */
export function treeCpuMs(pid: number): number | null {
  const own = cpuMs(pid);
  if (own === null) return null;
  return childPids(pid).reduce((s, c) => s + (cpuMs(c) ?? 0), own);
}

/** As memoryMiB, summed over a process and its live children. */
export function treeMemoryMiB(pid: number): { rss: number; hwm: number } | null {
  const own = memoryMiB(pid);
  if (own === null) return null;
  for (const c of childPids(pid)) {
    const m = memoryMiB(c);
    if (m) {
      own.rss += m.rss;
      own.hwm += m.hwm;
    }
  }
  return own;
}

/** Busy (non-idle) CPU time per core in ms, from /proc/stat. */
export function coreBusyMs(): number[] {
  if (!existsSync("/proc/stat")) return [];
  const out: number[] = [];
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2]!.split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal: busy excludes idle and iowait.
    const busy = v[0]! + v[1]! + v[2]! + v[5]! + v[6]! + v[7]!;
    out[Number(m[1])] = busy * TICK_MS;
  }
  return out;
}

export function loadAvg(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}

export interface RedisServer {
  port: number;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** A private redis-server on a free port (no persistence), pinned to `cpu`. */
export async function startRedis(o: { cpu?: number; dir: string }): Promise<RedisServer> {
  if (!which("redis-server")) throw new Error("redis-server is not installed (apt-get install redis-server)");
  const port = await freeTcpPort();
  const p = startPinned("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", o.dir, "--protected-mode", "yes"], {
    cpu: o.cpu,
    logFile: path.join(o.dir, "redis.log"),
  });
  await waitTcp(port, 5000, () => p.child.exitCode === null);
  return { port, url: `redis://127.0.0.1:${port}/0`, pid: p.pid, stop: () => p.stop() };
}

/**
 * On a shared machine other jobs disturb the figures: wait (at most maxS seconds) until the
 * CPU used on `cores` by processes other than `ourPids` and this one stays below 0.1 core for
 * 2 consecutive seconds. Returns the last measured foreign load, in cores.
 */
export async function waitQuiet(o: { cores: number[]; ourPids: number[]; maxS: number; log?: (s: string) => void }): Promise<number> {
  if (o.maxS <= 0) return NaN;
  const end = Date.now() + o.maxS * 1000;
  const ours = (): number => o.ourPids.reduce((s, p) => s + (cpuMs(p) ?? 0), 0);
  let quiet = 0;
  let said = false;
  let foreign = NaN;
  while (quiet < 2 && Date.now() < end) {
    const b0 = coreBusyMs();
    const p0 = ours();
    const s0 = process.cpuUsage();
    await sleep(1000);
    const b1 = coreBusyMs();
    const su = process.cpuUsage(s0);
    const busy = o.cores.reduce((acc, c) => acc + ((b1[c] ?? 0) - (b0[c] ?? 0)), 0);
    foreign = Math.max(0, busy - (ours() - p0) - (su.user + su.system) / 1000) / 1000;
    if (foreign < 0.1) {
      quiet++;
    } else {
      quiet = 0;
      if (!said) o.log?.(`waiting for other jobs to quiet down (${foreign.toFixed(2)} cores busy outside the benchmark)...`);
      said = true;
    }
  }
  if (quiet < 2) o.log?.(`machine still busy after ${o.maxS} s: running anyway (see the "other CPU" column)`);
  return foreign;
}

const quotaGroups = new Set<string>();

/**
 * Limit a process (all its threads) to `percent` of one core with the kernel's CPU bandwidth
 * control (a cgroup with a CFS quota over `periodMs`, default 10 ms; cgroup v2 `cpu.max` or v1
 * `cpu.cfs_quota_us`), for overload runs whose offered load must be a multiple of a capacity
 * the generator cannot otherwise reach. Needs root and a writable cgroup cpu controller; throws
 * with the reason otherwise. The group is removed when this script exits.
 */
export function limitCpu(pid: number, percent: number, periodMs = 10): string {
  if (!(percent > 0 && percent <= 100)) throw new RangeError(`CPU quota must be 1..100 % (got ${percent})`);
  const periodUs = Math.round(periodMs * 1000);
  const quotaUs = Math.round((periodUs * percent) / 100);
  // The kernel's floor for the quota is 1 ms.
  if (quotaUs < 1000 || periodUs > 1_000_000) throw new RangeError(`CPU quota: ${percent} % of a ${periodMs} ms period is ${quotaUs / 1000} ms (at least 1 ms, period at most 1 s)`);
  const v2 = existsSync("/sys/fs/cgroup/cgroup.controllers") && readFileSync("/sys/fs/cgroup/cgroup.controllers", "utf8").split(/\s+/).includes("cpu");
  const root = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/cpu";
  if (!existsSync(root)) throw new Error("no cgroup cpu controller at /sys/fs/cgroup (v2) or /sys/fs/cgroup/cpu (v1)");
  const dir = path.join(root, `carrier-aaa-bench-${process.pid}-${pid}`);
  try {
    mkdirSync(dir);
    if (v2) writeFileSync(path.join(dir, "cpu.max"), `${quotaUs} ${periodUs}`);
    else {
      writeFileSync(path.join(dir, "cpu.cfs_period_us"), String(periodUs));
      writeFileSync(path.join(dir, "cpu.cfs_quota_us"), String(quotaUs));
    }
    writeFileSync(path.join(dir, "cgroup.procs"), String(pid));
  } catch (err) {
    throw new Error(`cannot limit pid ${pid} to ${percent} % of a core in ${dir}: ${(err as Error).message} (root and a writable cgroup cpu controller are needed)`);
  }
  if (quotaGroups.size === 0) process.on("exit", removeQuotaGroups);
  quotaGroups.add(dir);
  return dir;
}

function removeQuotaGroups(): void {
  const wait = new Int32Array(new SharedArrayBuffer(4));
  for (const d of quotaGroups) {
    // A process killed a moment ago may still be leaving the group.
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        rmdirSync(d);
        break;
      } catch {
        Atomics.wait(wait, 0, 0, 10);
      }
    }
  }
  quotaGroups.clear();
}
