// Assembles a running server from a validated configuration: store, dictionary, client table,
// worker pool, scheduler and the core, behind a UDP listener, plus the optional HTTP side.
import { performance } from "node:perf_hooks";
import type { Config } from "./config/schema.js";
import { Dictionary, defaultDictionary } from "./radius/dictionary.js";
import { createSessionStore, createStore } from "./store/store.js";
import type { SessionStore } from "./store/sessions.js";
import type { SubscriberStore } from "./store/store.js";
import { ClientTable } from "./verify/clients.js";
import { Scheduler, REQUEST_CLASSES, classBudgetMs } from "./admit/scheduler.js";
import { sampleSignals } from "./admit/signals.js";
import { RadiusCore } from "./pipeline/pipeline.js";
import { WorkerPool } from "./pipeline/worker-pool.js";
import { listenUdp, type UdpListener } from "./transport/udp.js";
import { listenHttp, type HttpSide } from "./http/server.js";
import { registerProcessMetrics } from "./metrics/process-metrics.js";
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
  /** Datagrams the kernel dropped on the auth listener's queues (0 where unknown: node:dgram). */
  kernelDrops(): number;
  /** Whether the admin API (/v1) answers: the HTTP side is on and a token is configured. */
  readonly adminApi: boolean;
  /**
   * Graceful stop: close the UDP listener and stop HTTP intake, let requests in flight finish
   * within their deadlines (at most `graceMs`, default the largest class budget + 1 s), then
   * close the scheduler, the worker pool and the store. Resolves with what was still pending
   * when the grace period ended (0 after a clean drain).
   */
  close(opts?: { graceMs?: number }): Promise<{ abandoned: number }>;
}

/** Scheduler client (fair-queuing unit and `client` label) of POST /v1/auth. */
export const HTTP_AUTH_CLIENT = "http";

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
    clientWeights: new Map([...config.clients.map((c) => [c.name, c.weight ?? 1] as const), [HTTP_AUTH_CLIENT, config.http?.authWeight ?? 1] as const]),
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
  const processMetrics = registerProcessMetrics(metrics);
  let auth: UdpListener | undefined;
  let authBound = false;
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
  const release = async (): Promise<void> => {
    clearInterval(sweeper);
    summary.stop();
    signals.stop();
    processMetrics.stop();
    scheduler.close();
    await http?.close(0);
    await pool.close();
    await store.close();
    await sessions.close();
  };
  let closing: Promise<{ abandoned: number }> | undefined;
  const maxBudget = Math.max(...REQUEST_CLASSES.map((c) => classBudgetMs(config.scheduler, c)));
  const close = (opts: { graceMs?: number } = {}): Promise<{ abandoned: number }> => {
    closing ??= (async () => {
      const graceMs = opts.graceMs ?? maxBudget + 1000;
      // 1. Stop intake: no new datagrams, no new HTTP requests.
      authBound = false;
      const discarded = metrics.counter("aaa_datagrams_total", { listener: "auth", outcome: "dropped", reason: "shutting_down", class: "none", client: "unknown" });
      auth?.stopReceiving(() => discarded.value++);
      const discardedAcct = metrics.counter("aaa_datagrams_total", { listener: "acct", outcome: "dropped", reason: "shutting_down", class: "none", client: "unknown" });
      acct?.stopReceiving(() => discardedAcct.value++);
      http?.drain();
      // 2. Drain: what was admitted finishes (answered, or shed at its deadline).
      const t0 = now();
      const busy = (): number => scheduler.pending + (http?.active ?? 0);
      while (busy() > 0 && now() - t0 < graceMs) await new Promise((r) => setTimeout(r, 5));
      const abandoned = scheduler.pending;
      log.info({ drainedMs: Math.round(now() - t0), abandoned }, abandoned === 0 ? "drained: no request in flight" : "grace period over: requests still in flight are abandoned");
      // 3. Release everything.
      await auth?.close();
      await acct?.close();
      await release();
      return { abandoned };
    })();
    return closing;
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
    if (config.radius.acct) {
      acct = await listenUdp({
        name: "acct",
        host: config.radius.acct.host,
        port: config.radius.acct.port,
        recvBufferSize: config.radius.acct.recvBufferSize,
        io: config.radius.acct.io,
        flows: config.radius.acct.io === "dgram" ? 0 : (config.radius.acct.flows ?? 0),
        onFallback: (reason) => log.info({ reason }, "native UDP I/O unavailable for accounting, using node:dgram"),
        now,
        onEvent: (ev, send) => core.handle(ev, send),
        onSendError: (err) => log.warn({ err: err.message }, "UDP send failed"),
      });
    }
    authBound = true;
    if (config.http) {
      const bound = auth;
      const h = config.http;
      http = await listenHttp({
        host: h.host,
        port: h.port,
        metrics,
        token: h.token,
        authToken: h.authToken,
        admin: {
          store,
          dictionary,
          maxBodyBytes: h.maxBodyBytes,
          authenticate: (req) => core.authenticate(req),
          now,
          authClient: HTTP_AUTH_CLIENT,
          audit: (change) => log.info({ admin: change }, `admin API: ${change.kind} ${change.action}`),
        },
        ready: () => ({
          ready: store.isAvailable() && authBound,
          detail: { store: store.kind, storeAvailable: store.isAvailable(), listeners: { auth: authBound ? `${bound.address.address}:${bound.address.port}` : null } },
        }),
        onError: (err, route) => log.error({ err: { message: (err as Error)?.message }, route }, "HTTP handler failed"),
      });
      if (!http.adminEnabled) log.warn({ http: http.address }, "admin API disabled: no http.token or http.tokenEnv configured (only /metrics, /healthz and /readyz answer)");
    }
  } catch (err) {
    await auth?.close();
    await acct?.close();
    await release();
    throw err;
  }
  scheduler.setKernelStampedArrivals(auth.io === "native" && (acct === undefined || acct.io === "native"));
  const heldBack = auth;
  const acctListener = acct;
  scheduler.onBacklogChange = (backlogged) => {
    heldBack.holdBack(backlogged);
    acctListener?.holdBack(backlogged);
  };
  const authListener = auth;
  metrics.gauge("aaa_udp_kernel_drops", "Datagrams the kernel dropped since start because a receive queue of the listener was full (native io; monotonic).", () => {
    const out: Array<{ labels: Record<string, string>; value: number }> = [];
    for (const [listener, l] of [["auth", authListener], ["acct", acctListener]] as const) {
      const v = l?.kernelDrops();
      if (v !== undefined) out.push({ labels: { listener }, value: v });
    }
    return out;
  });
  log.info(
    {
      auth: auth.address,
      acct: acct?.address,
      io: auth.io,
      queues: auth.queues,
      http: http?.address,
      adminApi: http?.adminEnabled ?? false,
      clients: config.clients.length,
      store: store.kind,
      classes: REQUEST_CLASSES.length,
      shedding: scheduler.enabled,
    },
    "carrier-aaa listening",
  );
  return {
    auth: auth.address,
    http: http?.address ?? null,
    adminApi: http?.adminEnabled ?? false,
    acct: acct?.address ?? null,
    sessions,
    core,
    metrics,
    store,
    scheduler,
    kernelDrops: () => authListener.kernelDrops() ?? 0,
    close,
  };
}
