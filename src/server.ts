// Assembles a running server from a validated configuration: store, dictionary, client table,
// worker pool, scheduler and the core, behind a UDP listener, plus the optional HTTP side.
import { performance } from "node:perf_hooks";
import type { Config } from "./config/schema.js";
import { Dictionary, defaultDictionary } from "./radius/dictionary.js";
import { createStore } from "./store/store.js";
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
  readonly core: RadiusCore;
  readonly metrics: Metrics;
  readonly store: SubscriberStore;
  readonly scheduler: Scheduler;
  /** Datagrams the kernel dropped on the auth listener's queues (0 where unknown: node:dgram). */
  kernelDrops(): number;
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
  });
  registerSchedulerMetrics(metrics, scheduler, store, signals, core);
  const summary = startShedSummary(metrics, scheduler, log);
  let auth: UdpListener | undefined;
  let http: HttpSide | undefined;
  const stopAll = async (): Promise<void> => {
    summary.stop();
    signals.stop();
    await auth?.close();
    await http?.close();
    scheduler.close();
    await pool.close();
    await store.close();
  };
  try {
    await core.handlers.ready();
    auth = await listenUdp({
      name: "auth",
      host: config.radius.auth.host,
      port: config.radius.auth.port,
      recvBufferSize: config.radius.auth.recvBufferSize,
      io: config.radius.auth.io,
      flows: config.radius.auth.io === "dgram" ? 0 : (config.radius.auth.flows ?? (config.scheduler.enabled ? 8 : 0)),
      onFallback: (reason) => log.info({ reason }, "native UDP I/O unavailable, using node:dgram"),
      now,
      onEvent: (ev, send) => core.handle(ev, send),
      onSendError: (err) => log.warn({ err: err.message }, "UDP send failed"),
    });
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
  scheduler.setKernelStampedArrivals(auth.io === "native");
  const heldBack = auth;
  scheduler.onBacklogChange = (backlogged) => heldBack.holdBack(backlogged);
  const authListener = auth;
  metrics.gauge("aaa_udp_kernel_drops", "Datagrams the kernel dropped since start because a receive queue of the listener was full (native io; monotonic).", () => {
    const v = authListener.kernelDrops();
    return v === undefined ? [] : [{ labels: { listener: "auth" }, value: v }];
  });
  log.info({ auth: auth.address, io: auth.io, queues: auth.queues, http: http?.address, clients: config.clients.length, store: store.kind, classes: REQUEST_CLASSES.length, shedding: scheduler.enabled }, "carrier-aaa listening");
  return {
    auth: auth.address,
    http: http?.address ?? null,
    core,
    metrics,
    store,
    scheduler,
    kernelDrops: () => authListener.kernelDrops() ?? 0,
    close: stopAll,
  };
}
