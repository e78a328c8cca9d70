// Operations on the whole server of `serve --workers N`, done by the primary: merged metrics,
// reload of every worker, rolling restart (each worker replaced in turn without losing a datagram).
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import type { CounterSeries, Metrics } from "../metrics/counters.js";
import { mergePrometheus } from "./metrics-merge.js";
import { lowerWhileStarting } from "./priority.js";
import type { CallOp } from "./protocol.js";
import { EXIT_MARGIN_MS, HANDOVER_TIMEOUT_MS, READY_TIMEOUT_MS, type ChildState, type Slot, type Supervisor } from "./supervisor.js";
import { workersProblem } from "./workers.js";

/** Per-worker answer time for GET /metrics. */
const METRICS_TIMEOUT_MS = 2_000;
const RELOAD_TIMEOUT_MS = 30_000;
/**
 * Rolling restart: how long the old worker keeps reading next to its replacement, whose code runs
 * unoptimised for its first seconds (docs/benchmarks.md); while both read, each takes what it can.
 */
const ROLLING_OVERLAP_MS = 3000;
/**
 * Rolling restart: the pause between one worker's replacement and the start of the next, so that
 * two fresh workers do not start at once while the others serve (docs/benchmarks.md).
 */
const ROLLING_SETTLE_MS = 6000;

export interface OperationsOptions {
  supervisor: Supervisor;
  /** The configuration the primary started with (its sockets stay as bound). */
  config: Config;
  configFile: string;
  workers: number;
  log: Logger;
  /** The primary's own metrics, appended to the merged exposition. */
  metrics: Metrics;
}

export class ClusterOperations {
  private reloadChain: Promise<unknown> = Promise.resolve();
  private restarting = false;
  private readonly restartsOk: CounterSeries;
  private readonly restartsFailed: CounterSeries;

  constructor(private readonly o: OperationsOptions) {
    o.metrics.describe("aaa_cluster_rolling_restarts_total", "Rolling restarts by result (ok: every worker replaced; failed: stopped at a worker that did not start).");
    this.restartsOk = o.metrics.counter("aaa_cluster_rolling_restarts_total", { result: "ok" });
    this.restartsFailed = o.metrics.counter("aaa_cluster_rolling_restarts_total", { result: "failed" });
    o.metrics.gauge("aaa_cluster_restart_in_progress", "1 while a rolling restart runs.", () => [{ labels: {}, value: this.restarting ? 1 : 0 }]);
  }

  /** A call from a worker (its HTTP side serves the whole server). */
  async answer(op: CallOp): Promise<unknown> {
    if (op === "metrics") return this.metricsText();
    if (op === "reload") return this.reloadAll("admin API");
    return this.startRestart("admin API");
  }

  /** GET /metrics: every reading worker's metrics, merged, then the primary's own. */
  async metricsText(): Promise<string> {
    const { supervisor: sup, log } = this.o;
    const parts = await Promise.all(
      sup.slots.map(async (s) => {
        const c = sup.reader(s);
        if (!c) return null;
        try {
          return { worker: String(s.index), text: String(await sup.call(c, "metrics", METRICS_TIMEOUT_MS)) };
        } catch (err) {
          log.warn({ worker: s.index, err: (err as Error).message }, "metrics: worker left out");
          return null;
        }
      }),
    );
    return mergePrometheus(parts.filter((p): p is { worker: string; text: string } => p !== null), this.o.metrics.toPrometheus());
  }

  /** Every worker reloads its configuration file; one reload of the whole server at a time. */
  reloadAll(why: string): Promise<{ ok: boolean; workers: unknown[] }> {
    const { supervisor: sup, log } = this.o;
    const run = this.reloadChain.then(async () => {
      log.info({ why, file: this.o.configFile }, "reloading every worker");
      const results = await Promise.all(
        sup.slots.map(async (s) => {
          const c = sup.reader(s);
          if (!c) return { worker: s.index, ok: false, error: "no worker is serving in this slot (being replaced)" };
          try {
            const r = (await sup.call(c, "reload", RELOAD_TIMEOUT_MS)) as Record<string, unknown>;
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
    this.reloadChain = run.catch(() => undefined);
    return run;
  }

  /** Starts a rolling restart unless one runs or the file would not start; answers at once. */
  startRestart(why: string): { accepted: boolean } & Record<string, unknown> {
    const { supervisor: sup, config, log, workers: n } = this.o;
    if (sup.shuttingDown) return { accepted: false, error: "the server is shutting down" };
    if (this.restarting) return { accepted: false, error: "a rolling restart is already running" };
    // The replacements read the file: refuse before replacing anything if they could not start.
    let next: Config;
    try {
      next = loadConfig(this.o.configFile);
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
    this.restarting = true;
    log.info({ why, workers: n }, "rolling restart: replacing every worker in turn");
    void this.rollingRestart(why).finally(() => {
      this.restarting = false;
    });
    return {
      accepted: true,
      workers: n,
      pids: sup.slots.map((s) => s.current?.pid ?? null),
      detail: "each worker is replaced in turn (new code and configuration read from disk); watch the log or aaa_cluster_restart_in_progress",
    };
  }

  private async rollingRestart(why: string): Promise<void> {
    const { supervisor: sup, log } = this.o;
    const t0 = Date.now();
    const replaced: Array<{ worker: number; oldPid: number | null; newPid: number }> = [];
    try {
      for (const s of sup.slots) {
        if (sup.shuttingDown) throw new Error("the server is shutting down");
        // Let the previous replacement settle (see ROLLING_SETTLE_MS) before starting the next.
        if (s !== sup.slots[0]) await new Promise((r) => setTimeout(r, ROLLING_SETTLE_MS));
        replaced.push(await this.replaceSlot(s));
      }
      this.restartsOk.value++;
      log.info({ why, replaced, ms: Date.now() - t0 }, "rolling restart done: every worker replaced");
    } catch (err) {
      this.restartsFailed.value++;
      log.error({ why, replaced, err: (err as Error).message }, "rolling restart stopped");
    }
  }

  /** One slot's hand-over: the replacement reads, then the old worker retires and hands its duplicates over. */
  private async replaceSlot(s: Slot): Promise<{ worker: number; oldPid: number | null; newPid: number }> {
    const { supervisor: sup, log } = this.o;
    const old = s.current;
    const next = sup.spawn(s.index, "rolling_restart");
    const restorePriority = lowerWhileStarting(next.pid, log);
    s.next = next;
    try {
      await sup.waitMessage(next, "ready", READY_TIMEOUT_MS);
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
    const reading = sup.waitMessage(next, "reading", HANDOVER_TIMEOUT_MS + READY_TIMEOUT_MS);
    restorePriority();
    sup.send(next, { t: "start" });
    await reading;
    if (old && old.state !== "exited") await new Promise((r) => setTimeout(r, ROLLING_OVERLAP_MS));
    if (old && old.state !== "exited") {
      old.state = "retiring";
      const handedOver = sup.waitMessage(old, "handover", HANDOVER_TIMEOUT_MS).catch((err: unknown) => err as Error);
      sup.send(old, { t: "retire" });
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
    log.info({ worker: s.index, oldPid: old?.pid, newPid: next.pid }, "worker replaced (rolling restart)");
    return { worker: s.index, oldPid: old?.pid ?? null, newPid: next.pid };
  }
}
