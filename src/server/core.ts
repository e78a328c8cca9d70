// The request-serving parts of a server, before any socket is open: stores, dictionary, worker
// pool, scheduler, EAP and the core, with the timers and metrics that belong to them.
import { performance } from "node:perf_hooks";
import type { Config } from "../config/schema.js";
import { Dictionary, defaultDictionary } from "../radius/dictionary.js";
import { createSessionStore, createStore } from "../store/factory.js";
import type { SessionStore } from "../store/sessions.js";
import type { SubscriberStore } from "../store/store.js";
import { ClientTable } from "../verify/clients.js";
import { Scheduler } from "../admit/scheduler.js";
import { sampleSignals } from "../admit/signals.js";
import { RadiusCore } from "../pipeline/pipeline.js";
import { WorkerPool } from "../pipeline/worker-pool.js";
import { EapServer } from "../eap/handler.js";
import { configureEap, type EapSetup } from "../eap/config.js";
import { Metrics } from "../metrics/counters.js";
import { registerProcessMetrics } from "../metrics/process-metrics.js";
import { registerSchedulerMetrics } from "../metrics/scheduler-metrics.js";
import type { Logger } from "../log.js";
import { HTTP_AUTH_CLIENT } from "./types.js";

export interface ServerCore {
  /** Monotonic clock (ms) of deadlines and arrival stamps. */
  readonly now: () => number;
  readonly metrics: Metrics;
  readonly dictionary: Dictionary;
  readonly store: SubscriberStore;
  readonly sessions: SessionStore;
  readonly pool: WorkerPool;
  readonly scheduler: Scheduler;
  readonly core: RadiusCore;
  /** The EAP methods in force and the certificate swap of a live reload. */
  readonly eapSetup: EapSetup;
  /** Lasting store problems (for /readyz); empty when none. */
  storeProblems(): string[];
  /** Whether requests can be served: the signal of /readyz and of Status-Server (RFC 5997 §4). */
  storeReady(): boolean;
  /** Stops the timers and samplers started here (the first step of a release). */
  stopTimers(): void;
}

export async function loadDictionary(files: readonly string[]): Promise<Dictionary> {
  let dict = defaultDictionary();
  for (const f of files) dict = dict.merge(await Dictionary.loadFile(f));
  return dict;
}

/** The scheduler's fair-queuing weights: one per NAS by name, plus POST /v1/auth's. */
export function clientWeights(config: Pick<Config, "clients" | "http">): Map<string, number> {
  return new Map([...config.clients.map((c) => [c.name, c.weight ?? 1] as const), [HTTP_AUTH_CLIENT, config.http?.authWeight ?? 1] as const]);
}

/** `eapStateTag`: the worker index of serve --workers N, first octet of every EAP State (see EapServerOptions). */
export async function buildCore(config: Config, log: Logger, opts: { eapStateTag?: number } = {}): Promise<ServerCore> {
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
    clientWeights: clientWeights(config),
    onCallbackError: (err, where) => log.error({ err: (err as Error)?.message, where }, "scheduler callback failed"),
  });
  const signals = sampleSignals(scheduler, store);
  const eapSetup = configureEap(config.eap, process.env, {
    onTlsThreadExit: (info) => log.error(info, "EAP TLS worker thread died: its conversations fail (eap_tls_worker_failed); starting it again"),
  });
  const tlsWorkers = eapSetup.tlsWorkers;
  if (tlsWorkers) {
    metrics.gauge("aaa_eap_tls_worker_sessions", "TLS sessions of EAP conversations held on TLS worker threads.", () => [{ labels: {}, value: tlsWorkers.openSessions }]);
    metrics.gauge("aaa_eap_tls_worker_restarts_total", "TLS worker threads started again after they died.", () => [{ labels: {}, value: tlsWorkers.stats.restarts }], "counter");
  }
  const eap = new EapServer({
    methods: eapSetup.methods,
    maxConversations: config.eap.maxConversations,
    timeoutMs: config.eap.timeoutSeconds * 1000,
    now,
    metrics,
    ...(opts.eapStateTag !== undefined ? { stateTag: opts.eapStateTag } : {}),
  });
  // Abandoned EAP conversations are freed at their timeout even when no request comes.
  const eapSweeper = setInterval(() => eap.sweep(), 1000);
  eapSweeper.unref();
  const storeProblems = (): string[] => [...(store.problems?.() ?? []), ...(sessions.problems?.() ?? [])];
  const storeReady = (): boolean => store.isAvailable() && sessions.isAvailable() && storeProblems().length === 0;
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
    eap,
    authLinesPerSecond: config.log.authLines.perSecond,
    storeReady,
    answerStatusWhenStoreDown: config.radius.statusServer.answerWhenStoreDown,
  });
  const logSummary = setInterval(() => core.flushLogSummary(), 1000);
  logSummary.unref();
  registerSchedulerMetrics(metrics, scheduler, store, signals, () => core.duplicates.size);
  metrics.gauge("aaa_sessions_store_up", "1 while the session store (accounting, Simultaneous-Use) is available.", () => [{ labels: {}, value: sessions.isAvailable() ? 1 : 0 }]);
  const processMetrics = registerProcessMetrics(metrics);
  const stopTimers = (): void => {
    clearInterval(eapSweeper);
    eap.close();
    clearInterval(logSummary);
    core.flushLogSummary();
    signals.stop();
    processMetrics.stop();
  };
  return { now, metrics, dictionary, store, sessions, pool, scheduler, core, eapSetup, storeProblems, storeReady, stopTimers };
}
