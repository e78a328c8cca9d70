// Assembles a running server from a validated configuration: store, dictionary, client table,
// worker pool, scheduler and the core, behind a UDP listener, plus the optional HTTP side.
import { performance } from "node:perf_hooks";
import type { Config } from "./config/schema.js";
import { loadConfig } from "./config/load.js";
import { effectiveFlows, planReload } from "./config/reload.js";
import { Dictionary, defaultDictionary } from "./radius/dictionary.js";
import { createSessionStore, createStore, StoreError } from "./store/store.js";
import type { SessionStore } from "./store/sessions.js";
import type { SubscriberStore } from "./store/store.js";
import { ClientTable } from "./verify/clients.js";
import { Scheduler, REQUEST_CLASSES, classBudgetMs } from "./admit/scheduler.js";
import { sampleSignals } from "./admit/signals.js";
import { flowHoldBackSettings, type FlowHoldBackStats } from "./admit/flow-holdback.js";
import { kernelQueueSettings } from "./admit/kernel-queue.js";
import { RadiusCore } from "./pipeline/pipeline.js";
import { EapServer } from "./eap/handler.js";
import { configureEap } from "./eap/config.js";
import { WorkerPool } from "./pipeline/worker-pool.js";
import { listenUdp, type UdpListener } from "./transport/udp.js";
import { exactSources } from "./transport/steering.js";
import { listenHttp, type HttpSide } from "./http/server.js";
import { registerProcessMetrics } from "./metrics/process-metrics.js";
import { Metrics } from "./metrics/counters.js";
import { registerSchedulerMetrics, startShedSummary } from "./metrics/scheduler-metrics.js";
import { warmUp } from "./pipeline/warm-up.js";
import type { Logger } from "./log.js";
import { describeBindError } from "./listen-error.js";

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
  /**
   * Live reload: swap in `next` (clients and secrets, client weights, scheduler settings, log
   * level, reject Reply-Message, dictionary; the store re-reads its data). Atomic: everything
   * that can fail is prepared first, then swapped in one synchronous step; on failure nothing
   * changes. Requests already received finish on the version they arrived with. Keys that need
   * a restart keep their running value and are listed in the result. Never rejects; reloads run
   * one at a time.
   */
  reload(next: Config): Promise<ReloadResult>;
  /** As `reload`, reading the file (default: the one the server was started from). */
  reloadFromFile(file?: string): Promise<ReloadResult>;
  /** The configuration in force (restart-only keys at their start-up values). */
  runningConfig(): Config;
  /** Whether the admin API (/v1) answers: the HTTP side is on and a token is configured. */
  readonly adminApi: boolean;
  /**
   * Graceful stop: close the UDP listener and stop HTTP intake, let requests in flight finish
   * within their deadlines (at most `graceMs`, default the largest class budget + 1 s), then
   * close the scheduler, the worker pool and the store. Resolves with what was still pending
   * when the grace period ended (0 after a clean drain).
   */
  close(opts?: { graceMs?: number }): Promise<{ abandoned: number }>;
  /** Begin reading the UDP sockets when started with `inherited.deferReading` (no-op otherwise). */
  startReading(): void;
  /**
   * Hand-over (rolling restart, worker of `serve --workers N`): stop reading the UDP sockets for
   * good (datagrams wait in the kernel queues for the replacement) and accept no new HTTP
   * connections. Requests in flight go on; close() then drains them and releases the rest.
   */
  retire(): void;
}

/** Scheduler client (fair-queuing unit and `client` label) of POST /v1/auth. */
export const HTTP_AUTH_CLIENT = "http";


export type ReloadResult =
  | {
      ok: true;
      /** Configuration version now in force (1 at start, +1 per successful reload). */
      version: number;
      /** Changed keys now in force (paths; clients by name; never values). */
      applied: string[];
      /** Changed keys that keep their running value until a restart. */
      needsRestart: string[];
      /** Applied, but something was not refreshed (e.g. Redis unreachable: cached groups kept). */
      warnings: string[];
    }
  | {
      ok: false;
      /** The version still in force. */
      version: number;
      /** Why nothing was changed (names the key or the file). */
      error: string;
    };

/** Sockets of one listener inherited from the primary process (see src/cluster/). */
export interface InheritedListener {
  fds: number[];
  /** Index in `fds` of the first socket still read while holding back (State, then Status-Server), or null. */
  keepFrom: number | null;
}

/** What a worker of `serve --workers N` is given by the primary process (src/cluster/primary.ts). */
export interface InheritedSockets {
  auth: InheritedListener;
  acct?: InheritedListener | undefined;
  /** The HTTP side's listening TCP socket, when `http` is configured. */
  httpFd?: number | undefined;
  /** Open the sockets but read nothing until startReading(). */
  deferReading?: boolean | undefined;
  /** Operations on the whole server, done through the primary. */
  cluster: {
    /** GET /metrics: every worker's metrics, merged. */
    metricsText(): Promise<string>;
    /** POST /v1/admin/reload: every worker reloads; the answer holds each one's result. */
    reloadAll(): Promise<{ ok: boolean } & Record<string, unknown>>;
    /** POST /v1/admin/restart. */
    restart(): Promise<{ accepted: boolean } & Record<string, unknown>>;
  };
}

export interface StartOptions {
  /** The configuration file, for `reloadFromFile()` (SIGHUP, admin API). */
  configFile?: string;
  /** Worker of `serve --workers N`: serve these sockets instead of binding the configured ones. */
  inherited?: InheritedSockets;
}

export async function loadDictionary(files: readonly string[]): Promise<Dictionary> {
  let dict = defaultDictionary();
  for (const f of files) dict = dict.merge(await Dictionary.loadFile(f));
  return dict;
}

export async function startServer(config: Config, log: Logger, opts: StartOptions = {}): Promise<RunningServer> {
  const inh = opts.inherited;
  if (inh && config.radius.acct && !inh.acct) throw new Error("radius.acct is configured but no accounting sockets were inherited");
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
  const eapSetup = configureEap(config.eap);
  const eap = new EapServer({
    methods: eapSetup.methods,
    maxConversations: config.eap.maxConversations,
    timeoutMs: config.eap.timeoutSeconds * 1000,
    now,
    metrics,
  });
  // Abandoned EAP conversations are freed at their timeout even when no request comes.
  const eapSweeper = setInterval(() => eap.sweep(), 1000);
  eapSweeper.unref();
  // Whether requests can be served: the signal of /readyz and of Status-Server (RFC 5997 §4).
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
    storeReady: () => storeReady(),
    answerStatusWhenStoreDown: config.radius.statusServer.answerWhenStoreDown,
  });
  const logSummary = setInterval(() => core.flushLogSummary(), 1000);
  logSummary.unref();
  registerSchedulerMetrics(metrics, scheduler, store, signals, core);
  metrics.gauge("aaa_sessions_store_up", "1 while the session store (accounting, Simultaneous-Use) is available.", () => [{ labels: {}, value: sessions.isAvailable() ? 1 : 0 }]);
  let auth: UdpListener | undefined;
  const summary = startShedSummary(metrics, scheduler, log, 1000, () => {
    const hb = auth?.flowHoldBackStats?.();
    const kq = auth?.kernelQueueStats?.();
    return { ...(hb ? { flowHoldBack: hb } : {}), ...(kq ? { receiveBuffers: kq } : {}) };
  });
  const processMetrics = registerProcessMetrics(metrics);
  let authBound = false;
  // POST /v1/admin/reload: bound once the reload machinery below exists.
  let reloadFromFileLate: (() => Promise<ReloadResult>) | undefined;
  let http: HttpSide | undefined;
  let httpAddress: { address: string; port: number } | undefined;
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
    clearInterval(eapSweeper);
    eap.close();
    clearInterval(logSummary);
    core.flushLogSummary();
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
    // The hot path runs on synthetic requests before the first datagram is read (a server
    // started into a peak meets it with optimised code).
    const warm = warmUp(now);
    log.debug({ warmUp: warm }, "request path warmed up");
    auth = await listenUdp({
      name: "auth",
      host: config.radius.auth.host,
      port: config.radius.auth.port,
      recvBufferSize: config.radius.auth.recvBufferSize,
      io: config.radius.auth.io,
      flows: effectiveFlows(config),
      // Clients named as single IPv4 hosts get flow queues of their own (set at start: clients
      // added by a reload are hashed until a restart).
      exactSources: exactSources(config.clients.map((c) => c.address)),
      flowHoldBack: flowHoldBackSettings(config.scheduler),
      kernelQueue: kernelQueueSettings(config.scheduler),
      cpuBound: () => scheduler.cpuBound,
      adopt: inh?.auth,
      deferReading: inh?.deferReading,
      onFallback: (reason) => log.info({ reason }, "native UDP I/O unavailable, using node:dgram"),
      now,
      onEvent: (ev, send) => core.handle(ev, send),
      stale: { isStale: (code, at) => core.isStale(code, at), onStale: (l, a) => core.countStale(l, a) },
      onSendError: (err) => log.warn({ err: err.message }, "UDP send failed"),
    }).catch((err: unknown) => {
      throw describeBindError("radius.auth", config.radius.auth.host, config.radius.auth.port, "udp", err);
    });
    if (config.radius.acct) {
      const acctConfig = config.radius.acct;
      acct = await listenUdp({
        name: "acct",
        host: config.radius.acct.host,
        port: config.radius.acct.port,
        recvBufferSize: config.radius.acct.recvBufferSize,
        io: config.radius.acct.io,
        flows: config.radius.acct.io === "dgram" ? 0 : (config.radius.acct.flows ?? 0),
        flowHoldBack: flowHoldBackSettings(config.scheduler),
        kernelQueue: kernelQueueSettings(config.scheduler),
        cpuBound: () => scheduler.cpuBound,
        adopt: inh?.acct,
        deferReading: inh?.deferReading,
        onFallback: (reason) => log.info({ reason }, "native UDP I/O unavailable for accounting, using node:dgram"),
        now,
        onEvent: (ev, send) => core.handle(ev, send),
        stale: { isStale: (code, at) => core.isStale(code, at), onStale: (l, a) => core.countStale(l, a) },
        onSendError: (err) => log.warn({ err: err.message }, "UDP send failed"),
      }).catch((err: unknown) => {
        throw describeBindError("radius.acct", acctConfig.host, acctConfig.port, "udp", err);
      });
    }
    authBound = true;
    if (config.http) {
      const bound = auth;
      const h = config.http;
      http = await listenHttp({
        host: h.host,
        port: h.port,
        fd: inh?.httpFd,
        metricsText: inh ? () => inh.cluster.metricsText() : undefined,
        metrics,
        token: h.token,
        authToken: h.authToken,
        headersTimeoutMs: h.headersTimeoutMs,
        requestTimeoutMs: h.requestTimeoutMs,
        maxConnections: h.maxConnections,
        metricsRendersPerSecond: h.metricsRendersPerSecond,
        admin: {
          store,
          dictionary,
          maxBodyBytes: h.maxBodyBytes,
          authenticate: (req) => core.authenticate(req),
          now,
          authClient: HTTP_AUTH_CLIENT,
          revealRejectReason: h.revealRejectReason,
          reload: inh
            ? () => inh.cluster.reloadAll()
            : () => (reloadFromFileLate ? reloadFromFileLate() : Promise.resolve({ ok: false, error: "the server is still starting" })),
          restart: inh ? () => inh.cluster.restart() : undefined,
          audit: (change) => log.info({ admin: change }, `admin API: ${change.kind} ${change.action}`),
        },
        ready: () => {
          const problems = storeProblems();
          const at = (a: { address: string; port: number }): string => (a.address.includes(":") ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
          return {
            ready: storeReady() && authBound,
            detail: {
              store: store.kind,
              storeAvailable: store.isAvailable(),
              sessionsAvailable: sessions.isAvailable(),
              ...(problems.length > 0 ? { storeProblems: problems } : {}),
              listeners: {
                auth: authBound ? at(bound.address) : null,
                // null: configured but not bound (starting, or shutting down); absent: not configured.
                ...(config.radius.acct ? { acct: authBound && acct ? at(acct.address) : null } : {}),
                http: httpAddress ? at(httpAddress) : null,
              },
            },
          };
        },
        onError: (err, route) => log.error({ err: { message: (err as Error)?.message }, route }, "HTTP handler failed"),
      });
      httpAddress = http.address;
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
  const holdBackGauge = (name: string, help: string, pick: (s: FlowHoldBackStats) => number): void => {
    metrics.gauge(name, help, () => {
      const out: Array<{ labels: Record<string, string>; value: number }> = [];
      for (const [listener, l] of [["auth", authListener], ["acct", acctListener]] as const) {
        const st = l?.flowHoldBackStats?.();
        if (st) out.push({ labels: { listener }, value: pick(st) });
      }
      return out;
    });
  };
  holdBackGauge("aaa_udp_flow_holdback_windows", "Windows in which a backlogged and a light kernel flow queue were both read (monotonic).", (s) => s.contendedWindows);
  holdBackGauge("aaa_udp_flow_holdback_pressure_windows", "Of those, windows whose light datagrams waited in the kernel longer than flowHoldBack.targetWaitMs (monotonic).", (s) => s.pressureWindows);
  holdBackGauge("aaa_udp_flow_holdback_holds", "Times a backlogged flow queue was not read for the rest of a window (monotonic).", (s) => s.holds);
  holdBackGauge("aaa_udp_flow_holdback_limited_flows", "Flow queues with a read allowance now.", (s) => s.limitedFlows);
  metrics.gauge("aaa_udp_receive_buffer_cuts", "Times a backlogged kernel queue's receive buffer was cut because its datagrams waited longer than scheduler.kernelQueue.targetWaitMs (monotonic).", () => {
    const out: Array<{ labels: Record<string, string>; value: number }> = [];
    for (const [listener, l] of [["auth", authListener], ["acct", acctListener]] as const) {
      const st = l?.kernelQueueStats?.();
      if (st) out.push({ labels: { listener }, value: st.cuts });
    }
    return out;
  });
  metrics.gauge("aaa_udp_receive_buffer_bytes", "Receive buffer (SO_RCVBUF as set) of each sized kernel queue.", () => {
    const out: Array<{ labels: Record<string, string>; value: number }> = [];
    for (const [listener, l] of [["auth", authListener], ["acct", acctListener]] as const) {
      const st = l?.kernelQueueStats?.();
      if (st) st.bytes.forEach((value, queue) => out.push({ labels: { listener, queue: String(queue) }, value }));
    }
    return out;
  });
  holdBackGauge("aaa_udp_flow_holdback_light_wait_ms", "Mean kernel wait of the light flow queues' datagrams in the last contended window (ms).", (s) => s.lightWaitMs);
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

  // --- live reload ---
  let running = config;
  let closed = false;
  let chain: Promise<unknown> = Promise.resolve();
  let pendingRestart: string[] = [];
  metrics.describe("aaa_config_reloads_total", "Configuration reloads by result (ok: applied; failed: refused, the running configuration stayed).");
  const reloadsOk = metrics.counter("aaa_config_reloads_total", { result: "ok" });
  const reloadsFailed = metrics.counter("aaa_config_reloads_total", { result: "failed" });
  metrics.gauge("aaa_config_version", "Configuration version in force: 1 at start, +1 per applied reload.", () => [{ labels: {}, value: core.version }]);
  metrics.gauge("aaa_config_restart_pending", "Changed settings that wait for a restart (see the last reload's needsRestart).", () => [{ labels: {}, value: pendingRestart.length }]);
  const failed = (error: string): ReloadResult => {
    reloadsFailed.value++;
    log.error({ error, version: core.version }, "configuration reload failed; the running configuration stays in force");
    return { ok: false, version: core.version, error };
  };
  const reloadNow = async (next: Config): Promise<ReloadResult> => {
    if (closed) return failed("the server is shutting down");
    const plan = planReload(running, next);
    const eff = plan.effective;
    // 1. Prepare everything that can fail; nothing is swapped yet.
    let clients: ClientTable;
    let dict: Dictionary | null = null;
    try {
      clients = new ClientTable(eff.clients);
    } catch (err) {
      return failed(`clients: ${(err as Error).message}`);
    }
    // Dictionary files are re-read (their contents may have changed); with none, the built-in
    // dictionary and the handler built on it stay (a new handler costs a re-optimisation).
    if (eff.dictionary.files.length > 0 || running.dictionary.files.length > 0) {
      try {
        dict = await loadDictionary(eff.dictionary.files);
      } catch (err) {
        return failed(`dictionary.files: ${(err as Error).message}`);
      }
    }
    // eap.tls: its files re-read and checked; swapped below for new conversations only.
    const eapTls = eapSetup.prepareReload(eff.eap);
    if (!eapTls.ok) return failed(eapTls.error);
    const warnings: string[] = [];
    try {
      await store.reload();
    } catch (err) {
      // Invalid data in the memory store's files: refuse the reload, as for a bad config file.
      // Redis unreachable: the config still applies; the group cache is refreshed by its poll.
      if (err instanceof StoreError && err.code === "STORE_LOAD_FAILED") return failed(`store: ${err.message}`);
      warnings.push(`store: not re-read (${(err as Error).message}); cached data kept`);
    }
    if (closed) return failed("the server is shutting down");
    // 2. Swap, in one synchronous step: no datagram is handled in between.
    log.level = eff.log.level;
    scheduler.setClientWeights(new Map([...eff.clients.map((c) => [c.name, c.weight ?? 1] as const), [HTTP_AUTH_CLIENT, eff.http?.authWeight ?? 1] as const]));
    scheduler.reconfigure(eff.scheduler);
    auth?.setFlowHoldBack?.(flowHoldBackSettings(eff.scheduler));
    acct?.setFlowHoldBack?.(flowHoldBackSettings(eff.scheduler));
    auth?.setKernelQueue?.(kernelQueueSettings(eff.scheduler));
    acct?.setKernelQueue?.(kernelQueueSettings(eff.scheduler));
    const version = core.reconfigure({ clients, dictionary: dict, rejectReplyMessage: eff.auth.rejectReplyMessage, authLinesPerSecond: eff.log.authLines.perSecond });
    eapTls.commit();
    plan.applied.push(...eapTls.applied);
    running = eff;
    pendingRestart = plan.needsRestart;
    reloadsOk.value++;
    log.info({ version, applied: plan.applied, needsRestart: plan.needsRestart, warnings, clients: clients.size }, "configuration reloaded");
    if (plan.needsRestart.length > 0) {
      log.warn({ needsRestart: plan.needsRestart }, "configuration reload: these settings need a restart; their running values stay in force until then");
    }
    return { ok: true, version, applied: plan.applied, needsRestart: plan.needsRestart, warnings };
  };
  const reload = (next: Config): Promise<ReloadResult> => {
    const run = chain.then(() => reloadNow(next)).catch((err: unknown) => failed(`internal error: ${(err as Error)?.message ?? String(err)}`));
    chain = run;
    return run;
  };
  const reloadFromFile = async (file = opts.configFile): Promise<ReloadResult> => {
    if (file === undefined) return failed("no configuration file to re-read (the server was started from an object)");
    let next: Config;
    try {
      next = loadConfig(file);
    } catch (err) {
      return failed((err as Error).message);
    }
    return reload(next);
  };
  reloadFromFileLate = () => reloadFromFile();

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
    reload,
    reloadFromFile,
    runningConfig: () => running,
    close: (opts?: { graceMs?: number }) => {
      closed = true;
      return close(opts);
    },
    startReading: () => {
      authListener.startReading();
      acctListener?.startReading();
    },
    retire: () => {
      authListener.retire();
      acctListener?.retire();
      http?.stopAccepting();
    },
  };
}
