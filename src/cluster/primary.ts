// The primary process of `serve --workers N`: owns every listening socket and never reads them;
// N worker processes (worker.ts) adopt the sockets and serve. Because the primary keeps the
// sockets open for its whole life, a worker can be replaced without losing a datagram: a closed
// SO_REUSEPORT socket loses its receive queue, a socket the primary still holds keeps it, and the
// next reader finds the datagrams that arrived meanwhile.
//
// Sockets (layout.ts): per UDP listener one SO_REUSEPORT group, W x F flow sockets steered by
// source address plus one Status-Server socket; worker w reads its F flow sockets and the shared
// Status-Server socket. The HTTP side: one listening TCP socket that every worker accepts on.
//
// Operations: SIGHUP / POST /v1/admin/reload reload every worker; SIGUSR2 / POST /v1/admin/restart
// replace every worker in turn (rolling restart; new workers load the code and configuration
// from disk); SIGTERM / SIGINT stop every worker gracefully; a worker that dies is replaced.
import { fork, type ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import { isIP } from "node:net";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { REQUEST_CLASSES, classBudgetMs } from "../admit/scheduler.js";
import { loadConfig } from "../config/load.js";
import { effectiveFlows } from "../config/reload.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import { Metrics } from "../metrics/counters.js";
import type { InheritedListener } from "../server.js";
import { loadUdpMmsg, type UdpMmsgBinding } from "../transport/native/binding.js";
import { describeBindError } from "../listen-error.js";
import { groupLayout, workerSocketIndices, MAX_FLOW_SOCKETS, type GroupLayout } from "./layout.js";
import { mergePrometheus } from "./metrics-merge.js";
import { WORKER_ENV, type CallOp, type FromWorker, type ToWorker, type WorkerSpec } from "./protocol.js";

/** A worker must report ready (store connected, sockets adopted) within this. */
const READY_TIMEOUT_MS = 60_000;
/** A retiring worker must hand its duplicates over within this; then the replacement starts without them. */
const HANDOVER_TIMEOUT_MS = 10_000;
/**
 * Rolling restart: how long the old worker keeps reading next to its replacement. A process that
 * has just started runs its code unoptimised for its first seconds (docs/benchmarks.md: a fresh
 * server is slower for ~10 s); alone at 20k/s it overflows its queues (measured: ~20k of 900k
 * requests lost at 45k/s over two workers when the old one stopped at once). While both read,
 * each takes what it can.
 */
const ROLLING_OVERLAP_MS = 3000;
/**
 * Rolling restart: the pause between one worker's replacement and the start of the next. Starting
 * a Node process takes ~0.4 s of CPU, and a fresh worker runs unoptimised code for its first
 * seconds; when the next replacement started at once, the two overlapped and the serving workers
 * missed deadlines (measured at 12.5k/s over two workers on 2 cores: 4 to 1 189 requests lost in
 * 11 runs, 0 in 3 runs with this pause; docs/benchmarks.md).
 */
const ROLLING_SETTLE_MS = 6000;
/**
 * Rolling restart: the replacement starts (module loading, store connection, the first
 * compilations) at the lowest CPU priority, and gets its priority back before it reads. Loading
 * costs ~0.4 s of CPU, taken from the workers still serving when cores are short; at the lowest
 * priority it takes only what they leave. Only where the priority can be given back (root or
 * CAP_SYS_NICE): otherwise the replacement would go on serving at the lowest priority.
 */
const STARTUP_NICE = 19;
/** A retiring or stopping worker must exit within this after its drain (largest budget + 1 s); then SIGKILL. */
const EXIT_MARGIN_MS = 10_000;
/** Per-worker answer time for GET /metrics. */
const METRICS_TIMEOUT_MS = 2_000;
const RELOAD_TIMEOUT_MS = 30_000;
/** Replacement of a worker that died: 100 ms, doubling per death in a row, at most 5 s. */
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/** A worker that served this long resets the backoff of its slot. */
const STABLE_MS = 10_000;

export class WorkersError extends Error {}

/** Default worker count: one per core with the Redis store; 1 with the embedded memory store. */
export function defaultWorkers(config: Config): number {
  return "redis" in config.store ? Math.min(MAX_FLOW_SOCKETS, os.availableParallelism()) : 1;
}

/** Why `workers` (> 1) cannot run with this configuration, or null. */
export function workersProblem(config: Config, workers: number): string | null {
  if (workers <= 1) return null;
  if (workers > MAX_FLOW_SOCKETS) return `--workers must be at most ${MAX_FLOW_SOCKETS}`;
  if (!("redis" in config.store)) {
    return `--workers ${workers}: store.memory keeps subscribers and sessions inside one process; each worker would hold its own copy, so admin API writes and Simultaneous-Use would not be shared. Use store.redis, or --workers 1`;
  }
  for (const [name, l] of [["auth", config.radius.auth], ["acct", config.radius.acct]] as const) {
    if (l?.io === "dgram") return `--workers ${workers}: radius.${name}.io is "dgram"; several workers share the sockets through the native UDP transport (io "auto" or "native")`;
  }
  const { binding, error } = loadUdpMmsg();
  if (!binding) return `--workers ${workers} needs the native UDP addon: ${error}`;
  return null;
}

export interface PrimaryOptions {
  config: Config;
  configFile: string;
  workers: number;
  log: Logger;
  /** Called once every worker serves (the CLI's --hint). */
  onServing?: (info: { authPort: number; httpPort: number | null }) => void;
}

type ChildState = "starting" | "ready" | "serving" | "retiring" | "stopping" | "exited";

interface Child {
  proc: ChildProcess;
  pid: number;
  slot: number;
  state: ChildState;
  startedAt: number;
  /** Resolved when the child exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waiters for a message type from this child. */
  waiters: Array<{ t: FromWorker["t"]; resolve: (m: FromWorker) => void }>;
}

interface Slot {
  index: number;
  current: Child | null;
  /** The replacement being started (rolling restart). */
  next: Child | null;
  /** Deaths in a row (backoff). */
  deaths: number;
  replacing: boolean;
}

interface BoundGroup {
  layout: GroupLayout;
  fds: number[];
}

export async function runPrimary(o: PrimaryOptions): Promise<number> {
  const { config, configFile, workers: n } = o;
  const log = o.log.child({ process: "primary" });
  const problem = workersProblem(config, n);
  if (problem) throw new WorkersError(problem);
  const binding = loadUdpMmsg().binding as UdpMmsgBinding;

  // ---- sockets, bound once for the life of the primary
  const bindListener = (name: "auth" | "acct", l: NonNullable<Config["radius"]["acct"]>, flows: number): BoundGroup => {
    const layout = groupLayout(n, flows);
    if (layout.reducedFrom !== null) {
      log.warn({ listener: name, workers: n, flows: layout.reducedFrom, flowsPerWorker: layout.flowsPerWorker }, `radius.${name}: flows per worker reduced so that workers x flows <= ${MAX_FLOW_SOCKETS}`);
    }
    try {
      const fds = binding.bindGroup(isIP(l.host) === 6 ? 6 : 4, l.host, l.port, l.recvBufferSize, 0, layout.plan.sockets, layout.plan.program);
      return { layout, fds };
    } catch (err) {
      throw describeBindError(`radius.${name}`, l.host, l.port, "udp", err);
    }
  };
  const held: number[] = [];
  let auth: BoundGroup;
  let acct: BoundGroup | null = null;
  let httpFd: number | null = null;
  try {
    auth = bindListener("auth", config.radius.auth, effectiveFlows(config));
    held.push(...auth.fds);
    if (config.radius.acct) {
      acct = bindListener("acct", config.radius.acct, config.radius.acct.flows ?? 0);
      held.push(...acct.fds);
    }
    if (config.http) {
      const h = config.http;
      try {
        httpFd = binding.listenTcp(isIP(h.host) === 6 ? 6 : 4, h.host, h.port, 511);
      } catch (err) {
        throw describeBindError("http", h.host, h.port, "tcp", err);
      }
      held.push(httpFd);
    }
  } catch (err) {
    if (held.length > 0) binding.closeFds(held);
    throw err;
  }
  const authPort = binding.socketPort(auth.fds[0]!);
  const acctPort = acct ? binding.socketPort(acct.fds[0]!) : null;
  const httpPort = httpFd !== null ? binding.socketPort(httpFd) : null;
  // Ports chosen by the kernel (port 0) are what every worker serves: the radius section they get.
  const boundRadius: Config["radius"] = {
    ...config.radius,
    auth: { ...config.radius.auth, port: authPort },
    ...(config.radius.acct && acctPort !== null ? { acct: { ...config.radius.acct, port: acctPort } } : {}),
  };

  // ---- metrics of the primary itself (appended to the merged /metrics)
  const metrics = new Metrics();
  metrics.describe("aaa_cluster_worker_starts_total", "Worker processes started, by reason (initial, rolling_restart, replacement of one that died).");
  metrics.describe("aaa_cluster_worker_deaths_total", "Workers that exited unexpectedly (then replaced, with backoff).");
  metrics.describe("aaa_cluster_rolling_restarts_total", "Rolling restarts by result (ok: every worker replaced; failed: stopped at a worker that did not start).");
  const starts = (reason: string) => metrics.counter("aaa_cluster_worker_starts_total", { reason });
  const deaths = metrics.counter("aaa_cluster_worker_deaths_total");
  const restartsOk = metrics.counter("aaa_cluster_rolling_restarts_total", { result: "ok" });
  const restartsFailed = metrics.counter("aaa_cluster_rolling_restarts_total", { result: "failed" });

  // ---- children
  const slots: Slot[] = Array.from({ length: n }, (_, index) => ({ index, current: null, next: null, deaths: 0, replacing: false }));
  metrics.gauge("aaa_cluster_workers", "Worker processes reading the sockets.", () => [{ labels: {}, value: slots.filter((s) => reader(s) !== null).length }]);
  metrics.gauge("aaa_cluster_restart_in_progress", "1 while a rolling restart runs.", () => [{ labels: {}, value: restarting ? 1 : 0 }]);
  let shuttingDown = false;
  let restarting = false;
  let nextCallId = 1;
  const calls = new Map<number, (value: unknown) => void>();
  const workerModule = fileURLToPath(new URL("./worker.js", import.meta.url));

  const listenerSpec = (g: BoundGroup, slot: number, firstFd: number): { stdio: number[]; inherited: InheritedListener } => {
    const idx = workerSocketIndices(g.layout, slot);
    return { stdio: idx.map((i) => g.fds[i]!), inherited: { fds: idx.map((_, k) => firstFd + k), keepFrom: idx.length - 2 } };
  };

  const send = (c: Child, m: ToWorker): void => {
    if (c.state === "exited" || !c.proc.connected) return;
    c.proc.send(m, (err) => {
      if (err) log.warn({ worker: c.slot, pid: c.pid, err: err.message, message: m.t }, "message to worker not delivered");
    });
  };

  const waitMessage = <T extends FromWorker["t"]>(c: Child, t: T, timeoutMs: number): Promise<Extract<FromWorker, { t: T }>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        c.waiters = c.waiters.filter((w) => w !== waiter);
        reject(new Error(`worker ${c.slot} (pid ${c.pid}) sent no "${t}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = { t, resolve: (m: FromWorker) => (clearTimeout(timer), resolve(m as Extract<FromWorker, { t: T }>)) };
      c.waiters.push(waiter);
      void c.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`worker ${c.slot} (pid ${c.pid}) exited (${signal ?? `code ${code}`}) before "${t}"`));
      });
    });

  const callWorker = (c: Child, op: CallOp, timeoutMs: number): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextCallId++;
      const timer = setTimeout(() => {
        calls.delete(id);
        reject(new Error(`worker ${c.slot} (pid ${c.pid}) did not answer ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      calls.set(id, (v) => {
        clearTimeout(timer);
        resolve(v);
      });
      void c.exited.then(() => {
        if (calls.delete(id)) {
          clearTimeout(timer);
          reject(new Error(`worker ${c.slot} (pid ${c.pid}) exited before answering ${op}`));
        }
      });
      send(c, { t: "call", id, op });
    });

  /** The child of a slot that reads the sockets (during a hand-over, the replacement once it reads). */
  const reader = (s: Slot): Child | null => {
    if (s.next?.state === "serving") return s.next;
    return s.current && (s.current.state === "serving" || s.current.state === "ready") ? s.current : null;
  };

  const spawnWorker = (slot: number, reason: "initial" | "rolling_restart" | "replacement"): Child => {
    const a = listenerSpec(auth, slot, 4);
    const b = acct ? listenerSpec(acct, slot, 4 + a.stdio.length) : null;
    const httpChildFd = httpFd !== null ? 4 + a.stdio.length + (b?.stdio.length ?? 0) : null;
    const spec: WorkerSpec = { index: slot, configFile, radius: boundRadius, auth: a.inherited, acct: b?.inherited ?? null, httpFd: httpChildFd };
    const proc = fork(workerModule, [], {
      execArgv: process.execArgv,
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc", ...a.stdio, ...(b?.stdio ?? []), ...(httpFd !== null ? [httpFd] : [])],
      env: { ...process.env, [WORKER_ENV]: JSON.stringify(spec) },
    });
    if (proc.pid === undefined) throw new Error(`worker ${slot}: fork failed`);
    let onExit!: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
    const c: Child = { proc, pid: proc.pid, slot, state: "starting", startedAt: Date.now(), exited: new Promise((r) => (onExit = r)), waiters: [] };
    starts(reason).value++;
    proc.on("message", (m: FromWorker) => onChildMessage(c, m));
    proc.on("error", (err) => log.error({ worker: slot, pid: c.pid, err: err.message }, "worker process error"));
    proc.on("exit", (code, signal) => {
      const was = c.state;
      c.state = "exited";
      onExit({ code, signal });
      onChildExit(c, was, code, signal);
    });
    log.info({ worker: slot, pid: c.pid, reason }, "worker started");
    return c;
  };

  const onChildMessage = (c: Child, m: FromWorker): void => {
    if (m.t === "ready" && c.state === "starting") c.state = "ready";
    if (m.t === "reading" && c.state === "ready") c.state = "serving";
    for (const w of c.waiters.filter((w) => w.t === m.t)) {
      c.waiters = c.waiters.filter((x) => x !== w);
      w.resolve(m);
    }
    switch (m.t) {
      case "handover": {
        const s = slots[c.slot]!;
        const to = s.next;
        if (!to || to === c) return;
        // The replacement is already reading (see rollingRestart): it imports while serving.
        send(to, { t: "snapshot", snapshot: m.snapshot, file: m.file, dump: m.dump });
        return;
      }
      case "reply":
        calls.get(m.id)?.(m.value);
        calls.delete(m.id);
        return;
      case "call":
        void answerCall(m.op).then(
          (value) => send(c, { t: "reply", id: m.id, value }),
          (err: unknown) => send(c, { t: "reply", id: m.id, value: { ok: false, accepted: false, error: (err as Error)?.message ?? String(err) } }),
        );
        return;
      default:
        return;
    }
  };

  const onChildExit = (c: Child, was: ChildState, code: number | null, signal: NodeJS.Signals | null): void => {
    const s = slots[c.slot]!;
    if (shuttingDown || was === "retiring" || was === "stopping") {
      log.info({ worker: c.slot, pid: c.pid, code, signal }, "worker exited");
      return;
    }
    if (s.next === c) return; // a replacement that did not start: the rolling restart reports it
    if (s.current !== c) return;
    deaths.value++;
    const stable = Date.now() - c.startedAt >= STABLE_MS;
    s.deaths = stable ? 1 : s.deaths + 1;
    s.current = null;
    if (s.next) {
      // A rolling restart is replacing this slot: its replacement takes over.
      log.error({ worker: c.slot, pid: c.pid, code, signal }, "worker died during its rolling restart; the replacement takes over");
      return;
    }
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (s.deaths - 1));
    log.error({ worker: c.slot, pid: c.pid, code, signal, state: was, replaceInMs: delay, deathsInARow: s.deaths }, "worker died unexpectedly; its sockets keep their queues until the replacement reads them");
    scheduleReplacement(s, delay);
  };

  const scheduleReplacement = (s: Slot, delay: number): void => {
    if (s.replacing) return;
    s.replacing = true;
    setTimeout(() => {
      void (async () => {
        if (shuttingDown || s.current || s.next) {
          s.replacing = false;
          return;
        }
        const c = spawnWorker(s.index, "replacement");
        s.current = c;
        try {
          await waitMessage(c, "ready", READY_TIMEOUT_MS);
          send(c, { t: "start", snapshot: null });
          await waitMessage(c, "reading", READY_TIMEOUT_MS);
          log.info({ worker: s.index, pid: c.pid }, "worker replaced");
        } catch (err) {
          log.error({ worker: s.index, err: (err as Error).message }, "replacement worker did not start");
          if (c.state !== "exited") c.proc.kill("SIGKILL");
        } finally {
          s.replacing = false;
        }
      })();
    }, delay).unref();
  };

  // ---- whole-server operations
  const metricsText = async (): Promise<string> => {
    const parts = await Promise.all(
      slots.map(async (s) => {
        const c = reader(s);
        if (!c) return null;
        try {
          return { worker: String(s.index), text: String(await callWorker(c, "metrics", METRICS_TIMEOUT_MS)) };
        } catch (err) {
          log.warn({ worker: s.index, err: (err as Error).message }, "metrics: worker left out");
          return null;
        }
      }),
    );
    return mergePrometheus(parts.filter((p): p is { worker: string; text: string } => p !== null), metrics.toPrometheus());
  };

  let reloadChain: Promise<unknown> = Promise.resolve();
  const reloadAll = (why: string): Promise<{ ok: boolean; workers: unknown[] }> => {
    const run = reloadChain.then(async () => {
      log.info({ why, file: configFile }, "reloading every worker");
      const results = await Promise.all(
        slots.map(async (s) => {
          const c = reader(s);
          if (!c) return { worker: s.index, ok: false, error: "no worker is serving in this slot (being replaced)" };
          try {
            const r = (await callWorker(c, "reload", RELOAD_TIMEOUT_MS)) as Record<string, unknown>;
            return { worker: s.index, pid: c.pid, ...r };
          } catch (err) {
            return { worker: s.index, pid: c.pid, ok: false, error: (err as Error).message };
          }
        }),
      );
      const ok = results.every((r) => r.ok === true);
      (ok ? log.info.bind(log) : log.error.bind(log))({ ok, results: results.map((r) => ({ worker: r.worker, ok: r.ok, version: (r as { version?: unknown }).version, error: (r as { error?: unknown }).error })) }, ok ? "every worker reloaded" : "reload failed on some worker");
      return { ok, workers: results };
    });
    reloadChain = run.catch(() => undefined);
    return run;
  };

  /**
   * Linux keeps a nice value per thread, and a thread inherits its creator's: the threads of a
   * process (V8's compiler and GC helpers, libuv's pool) are set one by one, as /proc lists them.
   */
  const setProcessPriority = (pid: number, nice: number): void => {
    let tids: number[] = [pid];
    try {
      tids = readdirSync(`/proc/${pid}/task`).map(Number).filter((t) => Number.isInteger(t) && t > 0);
    } catch {
      // not Linux, or gone: the process itself
    }
    for (const tid of tids) {
      try {
        os.setPriority(tid, nice);
      } catch (err) {
        if (tid === pid) throw err; // a thread may have ended meanwhile
      }
    }
  };

  /** Lower a starting worker's priority if it can be given back; returns how to give it back. */
  const lowerWhileStarting = (pid: number): (() => void) => {
    let own: number;
    try {
      own = os.getPriority(0);
      // Can we raise a priority? Try on ourselves (one step up and back).
      if (own <= -20) return () => undefined;
      os.setPriority(0, own - 1);
      os.setPriority(0, own);
      setProcessPriority(pid, STARTUP_NICE);
    } catch {
      return () => undefined;
    }
    log.info({ pid, nice: STARTUP_NICE }, "replacement starting at the lowest CPU priority");
    return () => {
      try {
        setProcessPriority(pid, own);
      } catch (err) {
        log.warn({ pid, err: (err as Error).message }, "could not give the replacement its priority back");
      }
    };
  };

  const rollingRestart = async (why: string): Promise<void> => {
    const t0 = Date.now();
    const replaced: Array<{ worker: number; oldPid: number | null; newPid: number }> = [];
    try {
      for (const s of slots) {
        if (shuttingDown) throw new Error("the server is shutting down");
        // Let the previous replacement settle (see ROLLING_SETTLE_MS) before starting the next.
        if (s !== slots[0]) await new Promise((r) => setTimeout(r, ROLLING_SETTLE_MS));
        const old = s.current;
        const next = spawnWorker(s.index, "rolling_restart");
        const restorePriority = lowerWhileStarting(next.pid);
        s.next = next;
        try {
          await waitMessage(next, "ready", READY_TIMEOUT_MS);
        } catch (err) {
          s.next = null;
          if (next.state !== "exited") next.proc.kill("SIGKILL");
          throw new Error(`worker ${s.index}: the replacement did not start (${(err as Error).message}); the running worker stays`);
        }
        // The replacement reads first, then the old worker stops: for a moment both read the same
        // sockets, so no datagram waits on a queue nobody reads (at 20k/s per worker a default
        // receive buffer holds a few milliseconds). Once the old worker has finished its requests
        // in flight, its duplicate cache follows as a dump file that the replacement adopts as
        // is; a retransmission that reaches the replacement in between is served afresh (RFC
        // 5080 §2.2.2 allows it; the NAS keeps the first answer).
        const reading = waitMessage(next, "reading", HANDOVER_TIMEOUT_MS + READY_TIMEOUT_MS);
        restorePriority();
        send(next, { t: "start", snapshot: null });
        await reading;
        if (old && old.state !== "exited") await new Promise((r) => setTimeout(r, ROLLING_OVERLAP_MS));
        if (old && old.state !== "exited") {
          old.state = "retiring";
          const handedOver = waitMessage(old, "handover", HANDOVER_TIMEOUT_MS).catch((err: unknown) => err as Error);
          send(old, { t: "retire" });
          const r = await handedOver;
          if (r instanceof Error) {
            log.error({ worker: s.index, pid: old.pid, err: r.message }, "the retiring worker did not hand over: its duplicates are not taken over");
            if ((old.state as ChildState) !== "exited") old.proc.kill("SIGKILL");
          }
        }
        if (old) {
          const gone = await Promise.race([old.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), EXIT_MARGIN_MS + 2000).unref())]);
          if (!gone) {
            log.error({ worker: s.index, pid: old.pid }, "the retiring worker did not exit: killed");
            old.proc.kill("SIGKILL");
            await old.exited;
          }
        }
        s.current = next;
        s.next = null;
        s.deaths = 0;
        replaced.push({ worker: s.index, oldPid: old?.pid ?? null, newPid: next.pid });
        log.info({ worker: s.index, oldPid: old?.pid, newPid: next.pid }, "worker replaced (rolling restart)");
      }
      restartsOk.value++;
      log.info({ why, replaced, ms: Date.now() - t0 }, "rolling restart done: every worker replaced");
    } catch (err) {
      restartsFailed.value++;
      log.error({ why, replaced, err: (err as Error).message }, "rolling restart stopped");
    }
  };

  const startRestart = (why: string): { accepted: boolean } & Record<string, unknown> => {
    if (shuttingDown) return { accepted: false, error: "the server is shutting down" };
    if (restarting) return { accepted: false, error: "a rolling restart is already running" };
    // The replacements read the file: refuse before replacing anything if they could not start.
    let next: Config;
    try {
      next = loadConfig(configFile);
    } catch (err) {
      log.error({ why, err: (err as Error).message }, "rolling restart refused: the configuration file is invalid");
      return { accepted: false, error: (err as Error).message };
    }
    const p = workersProblem(next, n);
    if (p) {
      log.error({ why, err: p }, "rolling restart refused");
      return { accepted: false, error: p };
    }
    if (JSON.stringify(next.radius) !== JSON.stringify(config.radius) || JSON.stringify([next.http?.host, next.http?.port]) !== JSON.stringify([config.http?.host, config.http?.port])) {
      log.warn({ why }, "rolling restart: radius and http host/port changed in the file; the primary's sockets stay as bound (restart the primary to change them)");
    }
    restarting = true;
    log.info({ why, workers: n }, "rolling restart: replacing every worker in turn");
    void rollingRestart(why).finally(() => {
      restarting = false;
    });
    return {
      accepted: true,
      workers: n,
      pids: slots.map((s) => s.current?.pid ?? null),
      detail: "each worker is replaced in turn (new code and configuration read from disk); watch the log or aaa_cluster_restart_in_progress",
    };
  };

  const answerCall = async (op: CallOp): Promise<unknown> => {
    if (op === "metrics") return metricsText();
    if (op === "reload") return reloadAll("admin API");
    return startRestart("admin API");
  };

  // ---- start every worker
  try {
    for (const s of slots) s.current = spawnWorker(s.index, "initial");
    await Promise.all(slots.map((s) => waitMessage(s.current!, "ready", READY_TIMEOUT_MS)));
    for (const s of slots) send(s.current!, { t: "start", snapshot: null });
    await Promise.all(slots.map((s) => waitMessage(s.current!, "reading", READY_TIMEOUT_MS)));
  } catch (err) {
    shuttingDown = true;
    for (const s of slots) if (s.current && s.current.state !== "exited") s.current.proc.kill("SIGKILL");
    await Promise.all(slots.map((s) => s.current?.exited));
    binding.closeFds(held);
    throw new WorkersError(`workers did not start: ${(err as Error).message}`);
  }
  log.info(
    {
      workers: n,
      pids: slots.map((s) => s.current!.pid),
      auth: { address: config.radius.auth.host, port: authPort, queues: auth.layout.plan.sockets, flowsPerWorker: auth.layout.flowsPerWorker },
      acct: acct ? { address: config.radius.acct!.host, port: acctPort, queues: acct.layout.plan.sockets } : undefined,
      http: httpPort !== null ? { address: config.http!.host, port: httpPort } : undefined,
    },
    "carrier-aaa primary: every worker serving",
  );
  o.onServing?.({ authPort, httpPort });

  // ---- signals
  const onHup = (): void => void reloadAll("SIGHUP");
  const onUsr2 = (): void => void startRestart("SIGUSR2");
  process.on("SIGHUP", onHup);
  process.on("SIGUSR2", onUsr2);
  const signal = await new Promise<string>((resolve) => {
    const first = (sig: string): void => {
      process.off("SIGINT", first);
      process.off("SIGTERM", first);
      const again = (sig2: string): void => {
        log.warn({ signal: sig2 }, "second signal while stopping: killing the workers, exiting now");
        for (const s of slots) for (const c of [s.current, s.next]) if (c && c.state !== "exited") c.proc.kill("SIGKILL");
        log.flush();
        process.exit(130);
      };
      process.once("SIGINT", again);
      process.once("SIGTERM", again);
      resolve(sig);
    };
    process.on("SIGINT", first);
    process.on("SIGTERM", first);
  });
  process.off("SIGHUP", onHup);
  process.off("SIGUSR2", onUsr2);
  shuttingDown = true;
  log.info({ signal }, "stopping every worker: intake closed, draining requests in flight");
  const live = slots.flatMap((s) => [s.current, s.next]).filter((c): c is Child => c !== null && c.state !== "exited");
  for (const c of live) {
    c.state = "stopping";
    send(c, { t: "shutdown" });
  }
  const bound = Math.max(...REQUEST_CLASSES.map((k) => classBudgetMs(config.scheduler, k))) + EXIT_MARGIN_MS;
  const timer = setTimeout(() => {
    for (const c of live) {
      if (c.state !== "exited") {
        log.error({ worker: c.slot, pid: c.pid }, "worker did not stop in time: killed");
        c.proc.kill("SIGKILL");
      }
    }
  }, bound);
  const exits = await Promise.all(live.map((c) => c.exited));
  clearTimeout(timer);
  binding.closeFds(held);
  const clean = exits.every((e) => e.code === 0);
  log.info({ workers: live.length, clean }, "stopped");
  log.flush();
  return 0;
}
