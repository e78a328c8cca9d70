// Live reload: prepare everything that can fail, then swap in one synchronous step; one reload
// at a time. Keys that need a restart keep their running value (config/reload.ts plans it).
import type { Config } from "../config/schema.js";
import { loadConfig } from "../config/load.js";
import { planReload } from "../config/reload.js";
import type { Dictionary } from "../radius/dictionary.js";
import { StoreError } from "../store/store.js";
import { ClientTable } from "../verify/clients.js";
import type { Logger } from "../log.js";
import { clientWeights, loadDictionary, type ServerCore } from "./core.js";
import { reconfigureListeners, type Listeners } from "./listeners.js";
import type { ReloadResult } from "./types.js";

export interface Reloader {
  /** See RunningServer.reload. */
  reload(next: Config): Promise<ReloadResult>;
  /** See RunningServer.reloadFromFile. */
  reloadFromFile(file?: string): Promise<ReloadResult>;
  /** The configuration in force. */
  running(): Config;
  /** From now on every reload fails ("the server is shutting down"). */
  close(): void;
}

export interface ReloaderOptions {
  config: Config;
  /** The file re-read by reloadFromFile() without an argument. */
  configFile: string | undefined;
  parts: ServerCore;
  listeners: Listeners;
  log: Logger;
}

export function createReloader(o: ReloaderOptions): Reloader {
  const { parts, listeners, log } = o;
  const { metrics, core, scheduler, store, eapSetup } = parts;
  let running = o.config;
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
    scheduler.setClientWeights(clientWeights(eff));
    scheduler.reconfigure(eff.scheduler);
    reconfigureListeners(listeners, eff.scheduler);
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

  const reloadFromFile = async (file = o.configFile): Promise<ReloadResult> => {
    if (file === undefined) return failed("no configuration file to re-read (the server was started from an object)");
    let next: Config;
    try {
      next = loadConfig(file);
    } catch (err) {
      return failed((err as Error).message);
    }
    return reload(next);
  };

  return {
    reload,
    reloadFromFile,
    running: () => running,
    close: () => {
      closed = true;
    },
  };
}
