// A worker of `serve --workers N`: a child process of the primary (primary.ts) that serves the
// sockets it inherited, with the same startServer as a single process. Entry point: the primary
// forks this file; it is not meant to be run by hand.
//
// Life: start the server on the inherited sockets without reading them -> "ready" -> on "start",
// read -> serve; on "duplicates", adopt a predecessor's duplicate cache (its dump). On "retire"
// (rolling restart): stop reading, finish the requests in flight, close, hand the whole duplicate
// cache over as a dump file, exit 0. On "shutdown": the single-process graceful stop.
import { open, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { createLogger } from "../log.js";
import { startServer, type RunningServer } from "../server.js";
import type { DuplicateCache } from "../verify/duplicates/cache.js";
import { WORKER_ENV, type CallOp, type DuplicateHandover, type FromWorker, type ToWorker, type WorkerSpec } from "./protocol.js";

/** How long a call to the primary may take (metrics of every worker, a reload of every worker). */
const CALL_TIMEOUT_MS = 30_000;

function send(msg: FromWorker): void {
  process.send?.(msg);
}

async function main(): Promise<number> {
  const raw = process.env[WORKER_ENV];
  if (!raw || !process.send) {
    process.stderr.write("carrier-aaa: src/cluster/worker is started by `serve --workers N`, not by hand\n");
    return 64;
  }
  const spec = JSON.parse(raw) as WorkerSpec;
  const loaded = loadConfig(spec.configFile);
  // The primary's sockets are fixed for its life: the radius section it bound stays in force.
  const config: Config = { ...loaded, radius: spec.radius as Config["radius"] };
  const log = createLogger(config.log.level).child({ worker: spec.index });

  let nextId = 1;
  const pending = new Map<number, (value: unknown) => void>();
  const call = (op: CallOp): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const t = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the primary did not answer ${op} within ${CALL_TIMEOUT_MS} ms`));
      }, CALL_TIMEOUT_MS);
      pending.set(id, (v) => {
        clearTimeout(t);
        resolve(v);
      });
      send({ t: "call", id, op });
    });

  // The duplicate cache runs on the server's clock, performance.now() (see startServer).
  let server: RunningServer | undefined;
  let stopping: Promise<void> | undefined;
  const early: ToWorker[] = [];
  /**
   * Hands the whole duplicate cache to the replacement as a dump file, which it adopts without
   * work per entry (DuplicateCache.adoptPredecessor); through the primary if the file cannot be
   * written. Returns how it went (for the log).
   */
  let handovers = 0;
  const handOverCache = async (cache: DuplicateCache): Promise<string> => {
    const file = path.join(os.tmpdir(), `carrier-aaa-dump-${process.pid}-${++handovers}.bin`);
    let parts: Uint8Array[] | undefined;
    let how: DuplicateHandover;
    try {
      parts = cache.dump(performance.now(), Date.now());
      const fh = await open(file, "wx", 0o600);
      try {
        await fh.writev(parts);
      } finally {
        await fh.close();
      }
      how = { dump: file };
    } catch (err) {
      await rm(file, { force: true }).catch(() => undefined);
      log.warn({ err: (err as Error).message }, "duplicate dump file not written: the dump is sent through the primary instead");
      how = parts ? { bytes: Buffer.concat(parts) } : { none: true };
    }
    send({ t: "handover", ...how });
    return "dump" in how ? "dump" : "bytes" in how ? "dump through the primary" : "none";
  };

  const stop = (how: "retire" | "shutdown", why: string): Promise<void> =>
    (stopping ??= (async () => {
      const s = server!;
      if (how === "retire") {
        // 1. Stop reading: from here on datagrams wait in the kernel queues for the replacement,
        //    which already reads the same sockets.
        s.retire();
        // 2. Finish what is in flight; its replies leave on the same sockets. First, so that a
        //    request in flight is not held up by the hand-over past its deadline.
        const { abandoned } = await s.close();
        // 3. The whole duplicate cache, these last replies included, to the replacement. A
        //    retransmission that reached the replacement in between (a few ms) was served afresh.
        const handed = await handOverCache(s.core.duplicates);
        log.info({ why, abandoned, duplicates: handed }, "retired: reading stopped, requests in flight finished, duplicate cache handed over");
      } else {
        log.info({ why }, "shutting down: intake closed, draining requests in flight");
        const { abandoned } = await s.close();
        log.info({ abandoned }, "stopped");
      }
    })());

  const onMessage = async (m: ToWorker): Promise<void> => {
    if (!server) {
      early.push(m);
      return;
    }
    switch (m.t) {
      case "start":
        server.startReading();
        send({ t: "reading" });
        return;
      case "duplicates": {
        if ("none" in m) return;
        try {
          const file = "dump" in m ? m.dump : undefined;
          const bytes = file ? await readFile(file).finally(() => rm(file, { force: true })) : "bytes" in m ? m.bytes : new Uint8Array(0);
          const entries = server.core.duplicates.adoptPredecessor(bytes, performance.now(), Date.now());
          log.info({ entries }, "duplicate cache of the previous worker adopted");
        } catch (err) {
          log.error({ err: (err as Error).message }, "duplicate dump refused: retransmissions of those requests are served afresh");
        }
        return;
      }
      case "retire":
      case "shutdown":
        await stop(m.t, `primary: ${m.t}`);
        log.flush();
        process.exit(0);
        return;
      case "call": {
        let value: unknown;
        if (m.op === "metrics") value = server.metrics.toPrometheus();
        else if (m.op === "reload") value = await server.reloadFromFile(spec.configFile);
        else value = { error: `unknown call ${m.op}` };
        send({ t: "reply", id: m.id, value });
        return;
      }
      case "reply":
        pending.get(m.id)?.(m.value);
        pending.delete(m.id);
        return;
    }
  };
  process.on("message", (m: ToWorker) => {
    onMessage(m).catch((err: unknown) => log.error({ err: (err as Error)?.message, message: m.t }, "worker: message handling failed"));
  });
  // The primary coordinates Ctrl-C (SIGINT reaches the whole process group) and reloads (SIGHUP).
  process.on("SIGINT", () => undefined);
  process.on("SIGHUP", () => log.info("SIGHUP ignored by a worker: send it to the primary"));
  // SIGTERM to this worker alone (or to the whole group): hand over and stop; the primary
  // replaces it unless the server is stopping.
  process.on("SIGTERM", () => {
    if (!server) process.exit(0);
    void stop("retire", "SIGTERM").then(() => {
      log.flush();
      process.exit(0);
    });
  });
  // The primary is gone: nothing coordinates this process any more.
  process.on("disconnect", () => {
    if (!server) process.exit(1);
    void stop("shutdown", "primary gone").then(() => {
      log.flush();
      process.exit(0);
    });
  });

  server = await startServer(config, log, {
    configFile: spec.configFile,
    inherited: {
      auth: spec.auth,
      acct: spec.acct ?? undefined,
      httpFd: spec.httpFd ?? undefined,
      deferReading: true,
      worker: spec.index,
      cluster: {
        metricsText: async () => String(await call("metrics")),
        reloadAll: async () => (await call("reload")) as { ok: boolean } & Record<string, unknown>,
        restart: async () => (await call("restart")) as { accepted: boolean } & Record<string, unknown>,
      },
    },
  });
  send({ t: "ready" });
  for (const m of early.splice(0)) await onMessage(m);
  return -1; // keeps running
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`carrier-aaa worker: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  },
);
