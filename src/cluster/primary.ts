// The primary process of `serve --workers N`: owns every listening socket and never reads them;
// N worker processes (worker.ts) adopt the sockets and serve. Because the primary keeps the
// sockets open for its whole life, a worker can be replaced without losing a datagram: a closed
// SO_REUSEPORT socket loses its receive queue, a socket the primary still holds keeps it, and the
// next reader finds the datagrams that arrived meanwhile.
//
// Parts: sockets.ts (bound once), supervisor.ts (spawn, exit, backoff), operations.ts (merged
// metrics, reload of every worker, rolling restart). Signals: SIGHUP reloads every worker;
// SIGUSR2 replaces every worker in turn; SIGTERM / SIGINT stop every worker gracefully.
import { REQUEST_CLASSES, classBudgetMs } from "../admit/scheduler.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import { Metrics } from "../metrics/counters.js";
import { waitForStopSignal } from "../process-signals.js";
import { loadUdpMmsg, type UdpMmsgBinding } from "../transport/native/binding.js";
import { ClusterOperations } from "./operations.js";
import { bindPrimarySockets } from "./sockets.js";
import { EXIT_MARGIN_MS, Supervisor } from "./supervisor.js";
import { WorkersError, workersProblem } from "./workers.js";

export { defaultWorkers, WorkersError, workersProblem } from "./workers.js";

export interface PrimaryOptions {
  config: Config;
  configFile: string;
  workers: number;
  log: Logger;
  /** Called once every worker serves (the CLI's --hint). */
  onServing?: (info: { authPort: number; httpPort: number | null }) => void;
}

export async function runPrimary(o: PrimaryOptions): Promise<number> {
  const { config, configFile, workers: n } = o;
  const log = o.log.child({ process: "primary" });
  const problem = workersProblem(config, n);
  if (problem) throw new WorkersError(problem);
  const binding = loadUdpMmsg().binding as UdpMmsgBinding;
  const sockets = bindPrimarySockets(binding, config, n, log);

  // The primary's own metrics, appended to the merged /metrics.
  const metrics = new Metrics();
  const supervisor = new Supervisor({ workers: n, sockets, configFile, log, metrics });
  const ops = new ClusterOperations({ supervisor, config, configFile, workers: n, log, metrics });
  try {
    await supervisor.startAll((op) => ops.answer(op));
  } catch (err) {
    binding.closeFds(sockets.held);
    throw new WorkersError(`workers did not start: ${(err as Error).message}`);
  }
  const { ports } = sockets;
  log.info(
    {
      workers: n,
      pids: supervisor.slots.map((s) => s.current!.pid),
      auth: { address: config.radius.auth.host, port: ports.auth, queues: sockets.auth.layout.plan.sockets, flowsPerWorker: sockets.auth.layout.flowsPerWorker },
      acct: sockets.acct && config.radius.acct ? { address: config.radius.acct.host, port: ports.acct, queues: sockets.acct.layout.plan.sockets } : undefined,
      http: ports.http !== null && config.http ? { address: config.http.host, port: ports.http } : undefined,
    },
    "carrier-aaa primary: every worker serving",
  );
  o.onServing?.({ authPort: ports.auth, httpPort: ports.http });

  const signal = await waitForStopSignal({
    log,
    operations: { SIGHUP: () => void ops.reloadAll("SIGHUP"), SIGUSR2: () => void ops.startRestart("SIGUSR2") },
    onSecond: (sig) => {
      log.warn({ signal: sig }, "second signal while stopping: killing the workers, exiting now");
      supervisor.killAll();
    },
  });
  log.info({ signal }, "stopping every worker: intake closed, draining requests in flight");
  const bound = Math.max(...REQUEST_CLASSES.map((k) => classBudgetMs(config.scheduler, k))) + EXIT_MARGIN_MS;
  const { workers, clean } = await supervisor.stopAll(bound);
  binding.closeFds(sockets.held);
  log.info({ workers, clean }, "stopped");
  log.flush();
  return 0;
}
