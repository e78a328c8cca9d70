// Assembles a running server from a validated configuration: store, dictionary, client table,
// worker pool, scheduler and the core, behind a UDP listener, plus the optional HTTP side.
import { performance } from "node:perf_hooks";
import type { Config } from "./config/schema.js";
import { Dictionary, defaultDictionary } from "./radius/dictionary.js";
import { createSessionStore, createStore } from "./store/store.js";
import type { SessionStore } from "./store/sessions.js";
import type { SubscriberStore } from "./store/store.js";
import { ClientTable } from "./verify/clients.js";
import { Scheduler, REQUEST_CLASSES } from "./admit/scheduler.js";
import { sampleSignals } from "./admit/signals.js";
import { RadiusCore } from "./pipeline/pipeline.js";
import { WorkerPool } from "./pipeline/worker-pool.js";
import { listenUdp, type UdpListener } from "./transport/udp.js";
import { listenHttp, type HttpSide } from "./metrics/http.js";
import { Metrics } from "./metrics/counters.js";
import { registerSchedulerMetrics, startShedSummary } from "./metrics/scheduler-metrics.js";
import type { Logger } from "./log.js";

export interface RunningServer {
  readonly auth: { address: string; port: number };
  readonly http: { address: string; port: number } | null;
  /** The accounting listener, when `radius.acct` is configured. */
  readonly acct: { address: string; port: number } | null;
  readonly sessions: SessionStore;
  readonly core: RadiusCore;
  readonly metrics: Metrics;
  readonly store: SubscriberStore;
  readonly scheduler: Scheduler;
  close(): Promise<void>;
}

export async function loadDictionary(files: readonly string[]): Promise<Dictionary> {
  let dict = defaultDictionary();
  for (const f of files) dict = dict.merge(await Dictionary.loadFile(f));
  return dict;
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const now = (): number => performance.now();
  const metrics = new Metrics();
  const dictionary = await loadDictionary(config.dictionary.files);
  const store = createStore(config.store, log.child({ component: "store" }));
  await store.start();
  const sessions = createSessionStore(config.store, config.sessions, log.child({ component: "sessions" }));
  await sessions.start();
  const pool = new WorkerPool({ size: config.workerPool.size, maxQueue: config.workerPool.maxQueue, now });
  const scheduler = new Scheduler(config.scheduler, {
    clock: now,
    timers: {
      setInterval: (fn, ms) => setInterval(fn, ms).unref(),
      clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
    },
    clientWeights: new Map(config.clients.map((c) => [c.name, c.weight ?? 1])),
    onCallbackError: (err, where) => log.error({ err: (err as Error)?.message, where }, "scheduler callback failed"),
  });
  const signals = sampleSignals(scheduler, store);
  const core = new RadiusCore({
    clients: new ClientTable(config.clients),
    store,
    dictionary,
    scheduler,
    metrics,
    log,
    pool,
    now,
    duplicates: config.duplicates,
    rejectReplyMessage: config.auth.rejectReplyMessage,
    sessions,
  });
  registerSchedulerMetrics(metrics, scheduler, store, signals, core);
  metrics.gauge("aaa_sessions_store_up", "1 while the session store (accounting, Simultaneous-Use) is available.", () => [{ labels: {}, value: sessions.isAvailable() ? 1 : 0 }]);
  const summary = startShedSummary(metrics, scheduler, log);
  let auth: UdpListener | undefined;
  let http: HttpSide | undefined;
  let acct: UdpListener | undefined;
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping || !sessions.isAvailable()) return;
    sweeping = true;
    sessions
      .sweepStale()
      .then(
        (n) => {
          if (n > 0) log.info({ closed: n }, "stale sessions closed");
        },
        (err: unknown) => log.warn({ err: (err as Error)?.message }, "closing stale sessions failed; retrying at the next sweep"),
      )
      .finally(() => {
        sweeping = false;
      });
  }, config.sessions.sweepIntervalSeconds * 1000);
  sweeper.unref();
  const stopAll = async (): Promise<void> => {
    clearInterval(sweeper);
    summary.stop();
    signals.stop();
    await auth?.close();
    await acct?.close();
    await http?.close();
    scheduler.close();
    await pool.close();
    await store.close();
    await sessions.close();
  };
  try {
    await core.handlers.ready();
    auth = await listenUdp({
      name: "auth",
      host: config.radius.auth.host,
      port: config.radius.auth.port,
      recvBufferSize: config.radius.auth.recvBufferSize,
      now,
      onEvent: (ev, send) => core.handle(ev, send),
      onSendError: (err) => log.warn({ err: err.message }, "UDP send failed"),
    });
    if (config.radius.acct) {
      acct = await listenUdp({
        name: "acct",
        host: config.radius.acct.host,
        port: config.radius.acct.port,
        recvBufferSize: config.radius.acct.recvBufferSize,
        now,
        onEvent: (ev, send) => core.handle(ev, send),
        onSendError: (err) => log.warn({ err: err.message }, "UDP send failed"),
      });
    }
    if (config.http) {
      const bound = auth;
      http = await listenHttp({
        host: config.http.host,
        port: config.http.port,
        metrics: () => metrics.toPrometheus(),
        ready: () => ({ ready: store.isAvailable(), detail: { store: store.kind, storeAvailable: store.isAvailable(), auth: bound.address } }),
      });
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  log.info({ auth: auth.address, acct: acct?.address, http: http?.address, clients: config.clients.length, store: store.kind, classes: REQUEST_CLASSES.length, shedding: scheduler.enabled }, "carrier-aaa listening");
  return {
    auth: auth.address,
    http: http?.address ?? null,
    acct: acct?.address ?? null,
    sessions,
    core,
    metrics,
    store,
    scheduler,
    close: stopAll,
  };
}
