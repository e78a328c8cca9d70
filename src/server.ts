// Assembles a running server from a validated configuration: the core (stores, dictionary, client
// table, worker pool, scheduler; src/server/core.ts) behind the UDP listeners, plus the optional
// HTTP side. Live reload and shutdown are parts of their own under src/server/.
import type { Config } from "./config/schema.js";
import { REQUEST_CLASSES, classBudgetMs } from "./admit/scheduler.js";
import { startShedSummary } from "./metrics/scheduler-metrics.js";
import { warmUp } from "./pipeline/warm-up.js";
import type { HttpSide } from "./http/server.js";
import type { Logger } from "./log.js";
import { buildCore, type ServerCore } from "./server/core.js";
import { startHttpSide } from "./server/http.js";
import { eachListener, openListeners, registerUdpMetrics, type Listeners } from "./server/listeners.js";
import { createReloader } from "./server/reload.js";
import { drainAndClose, releaseServer, type Intake } from "./server/shutdown.js";
import { startSessionSweeper } from "./server/sweeper.js";
import type { RunningServer, StartOptions } from "./server/types.js";

export { loadDictionary } from "./server/core.js";
export { HTTP_AUTH_CLIENT } from "./server/types.js";
export type { InheritedListener, InheritedSockets, ReloadResult, RunningServer, StartOptions } from "./server/types.js";

export async function startServer(config: Config, log: Logger, opts: StartOptions = {}): Promise<RunningServer> {
  const inh = opts.inherited;
  if (inh && config.radius.acct && !inh.acct) throw new Error("radius.acct is configured but no accounting sockets were inherited");
  const parts = await buildCore(config, log, inh?.worker !== undefined ? { eapStateTag: inh.worker } : {});
  const sweeper = startSessionSweeper(parts.sessions, config.sessions.sweepIntervalSeconds * 1000, log);
  const intake: Intake = { open: false };
  let listeners: Listeners;
  try {
    await parts.core.handlers.ready();
    // The hot path runs on synthetic requests before the first datagram is read (a server
    // started into a peak meets it with optimised code).
    log.debug({ warmUp: warmUp(parts.now) }, "request path warmed up");
    listeners = await openListeners(config, parts, log, inh);
  } catch (err) {
    await releaseServer(parts, [sweeper], undefined);
    throw err;
  }
  const summary = startShedSummary(parts.metrics, parts.scheduler, log, 1000, () => {
    const hb = listeners.auth.flowHoldBackStats?.();
    const kq = listeners.auth.kernelQueueStats?.();
    return { ...(hb ? { flowHoldBack: hb } : {}), ...(kq ? { receiveBuffers: kq } : {}) };
  });
  const timers = [sweeper, summary];
  intake.open = true;
  registerUdpMetrics(parts.metrics, listeners);
  const reloader = createReloader({ config, configFile: opts.configFile, parts, listeners, log });
  let http: HttpSide | undefined;
  if (config.http) {
    try {
      http = await startHttpSide(config.http, { parts, listeners, acctConfigured: config.radius.acct !== undefined, intake, reloader, inherited: inh, log });
    } catch (err) {
      for (const [, l] of eachListener(listeners)) await l.close();
      await releaseServer(parts, timers, undefined);
      throw err;
    }
  }
  connectHoldBack(parts, listeners);
  logListening(config, parts, listeners, http, log);

  const maxBudget = Math.max(...REQUEST_CLASSES.map((c) => classBudgetMs(config.scheduler, c)));
  let closing: Promise<{ abandoned: number }> | undefined;
  const release = (): Promise<void> => releaseServer(parts, timers, http);
  return {
    auth: listeners.auth.address,
    http: http?.address ?? null,
    adminApi: http?.adminEnabled ?? false,
    acct: listeners.acct?.address ?? null,
    sessions: parts.sessions,
    core: parts.core,
    metrics: parts.metrics,
    store: parts.store,
    scheduler: parts.scheduler,
    tlsWorkers: parts.eapSetup.tlsWorkers,
    kernelDrops: () => listeners.auth.kernelDrops() ?? 0,
    reload: reloader.reload,
    reloadFromFile: reloader.reloadFromFile,
    runningConfig: reloader.running,
    close: (o?: { graceMs?: number }) => {
      reloader.close();
      closing ??= drainAndClose({ parts, listeners, http, intake, log, release }, o?.graceMs ?? maxBudget + 1000);
      return closing;
    },
    startReading: () => {
      for (const [, l] of eachListener(listeners)) l.startReading();
    },
    retire: () => {
      for (const [, l] of eachListener(listeners)) l.retire();
      http?.stopAccepting();
    },
  };
}

/** The scheduler holds the listeners back while it is backlogged (kernel-side shedding). */
function connectHoldBack(parts: ServerCore, listeners: Listeners): void {
  const { auth, acct } = listeners;
  parts.scheduler.setKernelStampedArrivals(auth.io === "native" && (acct === undefined || acct.io === "native"));
  parts.scheduler.onBacklogChange = (backlogged) => {
    for (const [, l] of eachListener(listeners)) l.holdBack(backlogged);
  };
}

function logListening(config: Config, parts: ServerCore, listeners: Listeners, http: HttpSide | undefined, log: Logger): void {
  log.info(
    {
      auth: listeners.auth.address,
      acct: listeners.acct?.address,
      io: listeners.auth.io,
      queues: listeners.auth.queues,
      http: http?.address,
      adminApi: http?.adminEnabled ?? false,
      clients: config.clients.length,
      store: parts.store.kind,
      classes: REQUEST_CLASSES.length,
      shedding: parts.scheduler.enabled,
    },
    "carrier-aaa listening",
  );
}
