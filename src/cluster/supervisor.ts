// The worker processes of `serve --workers N`: one per slot, forked with the slot's sockets;
// messages to and from them; a worker that dies is replaced after a backoff.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Logger } from "../log.js";
import type { CounterSeries, Metrics } from "../metrics/counters.js";
import { WORKER_ENV, type CallOp, type FromWorker, type ToWorker } from "./protocol.js";
import { workerSockets, type PrimarySockets } from "./sockets.js";

/** A worker must report ready (store connected, sockets adopted) within this. */
export const READY_TIMEOUT_MS = 60_000;
/** A retiring worker must hand its duplicates over within this; then the replacement starts without them. */
export const HANDOVER_TIMEOUT_MS = 10_000;
/** A retiring or stopping worker must exit within this after its drain (largest budget + 1 s); then SIGKILL. */
export const EXIT_MARGIN_MS = 10_000;
/** Replacement of a worker that died: 100 ms, doubling per death in a row, at most 5 s. */
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/** A worker that served this long resets the backoff of its slot. */
const STABLE_MS = 10_000;

export type ChildState = "starting" | "ready" | "serving" | "retiring" | "stopping" | "exited";

export interface Child {
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

export interface Slot {
  index: number;
  current: Child | null;
  /** The replacement being started (rolling restart). */
  next: Child | null;
  /** Deaths in a row (backoff). */
  deaths: number;
  replacing: boolean;
}

export type StartReason = "initial" | "rolling_restart" | "replacement";

export interface SupervisorOptions {
  workers: number;
  sockets: PrimarySockets;
  configFile: string;
  log: Logger;
  /** The primary's own metrics: worker starts, deaths and the number of workers reading. */
  metrics: Metrics;
}

export class Supervisor {
  readonly slots: Slot[];
  /** Set when the whole server stops: no replacement is started any more. */
  shuttingDown = false;
  private nextCallId = 1;
  private readonly calls = new Map<number, (value: unknown) => void>();
  private readonly workerModule = fileURLToPath(new URL("./worker.js", import.meta.url));
  private readonly deaths: CounterSeries;
  private readonly log: Logger;
  /** Answers the calls workers make (GET /metrics, admin reload and restart); given to startAll, before any worker exists. */
  private answerCall: (op: CallOp) => Promise<unknown> = () => Promise.reject(new Error("the server is still starting"));

  constructor(private readonly o: SupervisorOptions) {
    this.log = o.log;
    this.slots = Array.from({ length: o.workers }, (_, index) => ({ index, current: null, next: null, deaths: 0, replacing: false }));
    o.metrics.describe("aaa_cluster_worker_starts_total", "Worker processes started, by reason (initial, rolling_restart, replacement of one that died).");
    o.metrics.describe("aaa_cluster_worker_deaths_total", "Workers that exited unexpectedly (then replaced, with backoff).");
    this.deaths = o.metrics.counter("aaa_cluster_worker_deaths_total");
    o.metrics.gauge("aaa_cluster_workers", "Worker processes reading the sockets.", () => [{ labels: {}, value: this.slots.filter((s) => this.reader(s) !== null).length }]);
  }

  /** Starts a worker in every slot and waits until each reads; on failure kills them all and throws. */
  async startAll(answerCall: (op: CallOp) => Promise<unknown>): Promise<void> {
    this.answerCall = answerCall;
    try {
      for (const s of this.slots) s.current = this.spawn(s.index, "initial");
      await Promise.all(this.slots.map((s) => this.waitMessage(s.current!, "ready", READY_TIMEOUT_MS)));
      for (const s of this.slots) this.send(s.current!, { t: "start" });
      await Promise.all(this.slots.map((s) => this.waitMessage(s.current!, "reading", READY_TIMEOUT_MS)));
    } catch (err) {
      this.shuttingDown = true;
      for (const s of this.slots) if (s.current && s.current.state !== "exited") s.current.proc.kill("SIGKILL");
      await Promise.all(this.slots.map((s) => s.current?.exited));
      throw err;
    }
  }

  /** Graceful stop of every worker; those not gone within `boundMs` are killed. */
  async stopAll(boundMs: number): Promise<{ workers: number; clean: boolean }> {
    this.shuttingDown = true;
    const live = this.slots.flatMap((s) => [s.current, s.next]).filter((c): c is Child => c !== null && c.state !== "exited");
    for (const c of live) {
      c.state = "stopping";
      this.send(c, { t: "shutdown" });
    }
    const timer = setTimeout(() => {
      for (const c of live) {
        if (c.state !== "exited") {
          this.log.error({ worker: c.slot, pid: c.pid }, "worker did not stop in time: killed");
          c.proc.kill("SIGKILL");
        }
      }
    }, boundMs);
    const exits = await Promise.all(live.map((c) => c.exited));
    clearTimeout(timer);
    return { workers: live.length, clean: exits.every((e) => e.code === 0) };
  }

  /** SIGKILL to every worker still running (a second stop signal). */
  killAll(): void {
    for (const s of this.slots) for (const c of [s.current, s.next]) if (c && c.state !== "exited") c.proc.kill("SIGKILL");
  }

  /** The child of a slot that reads the sockets (during a hand-over, the replacement once it reads). */
  reader(s: Slot): Child | null {
    if (s.next?.state === "serving") return s.next;
    return s.current && (s.current.state === "serving" || s.current.state === "ready") ? s.current : null;
  }

  spawn(slot: number, reason: StartReason): Child {
    const { stdio, spec } = workerSockets(this.o.sockets, slot, this.o.configFile);
    const proc = fork(this.workerModule, [], {
      execArgv: process.execArgv,
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc", ...stdio],
      env: { ...process.env, [WORKER_ENV]: JSON.stringify(spec) },
    });
    if (proc.pid === undefined) throw new Error(`worker ${slot}: fork failed`);
    let onExit!: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
    const c: Child = { proc, pid: proc.pid, slot, state: "starting", startedAt: Date.now(), exited: new Promise((r) => (onExit = r)), waiters: [] };
    this.o.metrics.counter("aaa_cluster_worker_starts_total", { reason }).value++;
    proc.on("message", (m: FromWorker) => this.onMessage(c, m));
    proc.on("error", (err) => this.log.error({ worker: slot, pid: c.pid, err: err.message }, "worker process error"));
    proc.on("exit", (code, signal) => {
      const was = c.state;
      c.state = "exited";
      onExit({ code, signal });
      this.onExit(c, was, code, signal);
    });
    this.log.info({ worker: slot, pid: c.pid, reason }, "worker started");
    return c;
  }

  send(c: Child, m: ToWorker): void {
    if (c.state === "exited" || !c.proc.connected) return;
    c.proc.send(m, (err) => {
      if (err) this.log.warn({ worker: c.slot, pid: c.pid, err: err.message, message: m.t }, "message to worker not delivered");
    });
  }

  /** The next message of type `t` from the child; rejects at the timeout or when it exits first. */
  waitMessage<T extends FromWorker["t"]>(c: Child, t: T, timeoutMs: number): Promise<Extract<FromWorker, { t: T }>> {
    return new Promise((resolve, reject) => {
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
  }

  /** A call to the worker (metrics, reload); rejects at the timeout or when it exits first. */
  call(c: Child, op: CallOp, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextCallId++;
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new Error(`worker ${c.slot} (pid ${c.pid}) did not answer ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.calls.set(id, (v) => {
        clearTimeout(timer);
        resolve(v);
      });
      void c.exited.then(() => {
        if (this.calls.delete(id)) {
          clearTimeout(timer);
          reject(new Error(`worker ${c.slot} (pid ${c.pid}) exited before answering ${op}`));
        }
      });
      this.send(c, { t: "call", id, op });
    });
  }

  private onMessage(c: Child, m: FromWorker): void {
    if (m.t === "ready" && c.state === "starting") c.state = "ready";
    if (m.t === "reading" && c.state === "ready") c.state = "serving";
    for (const w of c.waiters.filter((w) => w.t === m.t)) {
      c.waiters = c.waiters.filter((x) => x !== w);
      w.resolve(m);
    }
    switch (m.t) {
      case "handover": {
        const s = this.slots[c.slot]!;
        const to = s.next;
        if (!to || to === c) return;
        // The replacement is already reading (see the rolling restart): it imports while serving.
        this.send(to, { ...m, t: "duplicates" });
        return;
      }
      case "reply":
        this.calls.get(m.id)?.(m.value);
        this.calls.delete(m.id);
        return;
      case "call":
        void this.answerCall(m.op).then(
          (value) => this.send(c, { t: "reply", id: m.id, value }),
          (err: unknown) => this.send(c, { t: "reply", id: m.id, value: { ok: false, accepted: false, error: (err as Error)?.message ?? String(err) } }),
        );
        return;
      default:
        return;
    }
  }

  private onExit(c: Child, was: ChildState, code: number | null, signal: NodeJS.Signals | null): void {
    const s = this.slots[c.slot]!;
    if (this.shuttingDown || was === "retiring" || was === "stopping") {
      this.log.info({ worker: c.slot, pid: c.pid, code, signal }, "worker exited");
      return;
    }
    if (s.next === c) return; // a replacement that did not start: the rolling restart reports it
    if (s.current !== c) return;
    this.deaths.value++;
    const stable = Date.now() - c.startedAt >= STABLE_MS;
    s.deaths = stable ? 1 : s.deaths + 1;
    s.current = null;
    if (s.next) {
      // A rolling restart is replacing this slot: its replacement takes over.
      this.log.error({ worker: c.slot, pid: c.pid, code, signal }, "worker died during its rolling restart; the replacement takes over");
      return;
    }
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (s.deaths - 1));
    this.log.error({ worker: c.slot, pid: c.pid, code, signal, state: was, replaceInMs: delay, deathsInARow: s.deaths }, "worker died unexpectedly; its sockets keep their queues until the replacement reads them");
    this.scheduleReplacement(s, delay);
  }

  private scheduleReplacement(s: Slot, delay: number): void {
    if (s.replacing) return;
    s.replacing = true;
    setTimeout(() => {
      void (async () => {
        if (this.shuttingDown || s.current || s.next) {
          s.replacing = false;
          return;
        }
        const c = this.spawn(s.index, "replacement");
        s.current = c;
        try {
          await this.waitMessage(c, "ready", READY_TIMEOUT_MS);
          this.send(c, { t: "start" });
          await this.waitMessage(c, "reading", READY_TIMEOUT_MS);
          this.log.info({ worker: s.index, pid: c.pid }, "worker replaced");
        } catch (err) {
          this.log.error({ worker: s.index, err: (err as Error).message }, "replacement worker did not start");
          if (c.state !== "exited") c.proc.kill("SIGKILL");
        } finally {
          s.replacing = false;
        }
      })();
    }, delay).unref();
  }
}
