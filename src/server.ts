// Assembles a running server from a validated configuration: store, dictionary, client table,
// worker pool, admission and the core, behind a UDP listener.
import { performance } from "node:perf_hooks";
import type { Config } from "./config/schema.js";
import { Dictionary, defaultDictionary } from "./radius/dictionary.js";
import { createStore } from "./store/store.js";
import type { SubscriberStore } from "./store/store.js";
import { ClientTable } from "./verify/clients.js";
import { DeadlineAdmission } from "./admit/admit.js";
import { RadiusCore } from "./pipeline/pipeline.js";
import { WorkerPool } from "./pipeline/worker-pool.js";
import { listenUdp, type UdpListener } from "./transport/udp.js";
import { Metrics } from "./metrics/counters.js";
import type { Logger } from "./log.js";

export interface RunningServer {
  readonly auth: { address: string; port: number };
  readonly core: RadiusCore;
  readonly metrics: Metrics;
  readonly store: SubscriberStore;
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
  const core = new RadiusCore({
    clients: new ClientTable(config.clients),
    store,
    dictionary,
    admission: new DeadlineAdmission(config.scheduler.budgetMs),
    metrics,
    log,
    pool,
    now,
    duplicates: config.duplicates,
    rejectReplyMessage: config.auth.rejectReplyMessage,
  });
  let auth: UdpListener;
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
  } catch (err) {
    await pool.close();
    await store.close();
    throw err;
  }
  log.info({ auth: auth.address, clients: config.clients.length, store: store.kind }, "carrier-aaa listening");
  return {
    auth: auth.address,
    core,
    metrics,
    store,
    async close() {
      await auth.close();
      await pool.close();
      await store.close();
    },
  };
}
