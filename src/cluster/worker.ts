// A worker of `serve --workers N`: a child process of the primary (primary.ts) that serves the
// sockets it inherited, with the same startServer as a single process. Entry point: the primary
// forks this file; it is not meant to be run by hand.
//
// Life: start the server on the inherited sockets without reading them -> "ready" -> on "start",
// read -> serve; on "snapshot", adopt a predecessor's duplicate cache (a dump file; or import its
// answered entries, the fallback). On "retire" (rolling restart): stop reading, finish the
// requests in flight, close, hand the whole duplicate cache over as a dump file, exit 0. On
// "shutdown": the single-process graceful stop.
import { open, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { createLogger } from "../log.js";
import { startServer, type RunningServer } from "../server.js";
import { splitSnapshot, type DuplicateCache, type DuplicateSnapshot } from "../verify/duplicates.js";
import { WORKER_ENV, type CallOp, type FromWorker, type ToWorker, type WorkerSpec } from "./protocol.js";

/** Duplicate entries the replacement imports per event-loop turn. */
const IMPORT_PIECE = 100;
/**
 * Pause between two imported pieces: the import is spread over time (85k entries, a 5 s cache at
 * 17k/s, over ~1.7 s) so that it never takes a large share of the replacement's event loop while
 * it serves at full rate. A retransmission that arrives before its entry is imported is served
 * afresh (RFC 5080 §2.2.2 allows it).
 */
const IMPORT_PAUSE_MS = 2;

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
   * Hands a duplicate snapshot to the replacement: the records go into a file (mode 0600) that
   * the replacement reads and removes, and only the file's name and the address table travel
   * through the primary. Measured at 45k/s over two workers: the whole 5 s cache in one IPC
   * message lost ~5.7k of 900k requests to receive-queue overflow in the serving workers, in
   * pieces ~0.3k for the transfer alone; see docs/benchmarks.md.
   */
  let handovers = 0;
  const handOver = async (snap: DuplicateSnapshot, final: boolean): Promise<void> => {
    if (snap.count === 0) {
      send({ t: "handover", snapshot: snap, final });
      return;
    }
    const file = path.join(os.tmpdir(), `carrier-aaa-handover-${process.pid}-${++handovers}.bin`);
    try {
      await writeFile(file, snap.records, { mode: 0o600 });
      send({ t: "handover", snapshot: { count: snap.count, addresses: snap.addresses, records: new Uint8Array(0) }, final, file });
    } catch (err) {
      log.warn({ err: (err as Error).message }, "duplicate hand-over file not written: sent through the primary instead");
      send({ t: "handover", snapshot: snap, final });
    }
  };

  /**
   * Hands the whole duplicate cache to the replacement as a dump file, which it adopts without
   * work per entry (DuplicateCache.adoptPredecessor). Falls back to a snapshot of the answered
   * entries if the file cannot be written. Returns the entries handed over (for the log).
   */
  const handOverCache = async (cache: DuplicateCache): Promise<number | string> => {
    const file = path.join(os.tmpdir(), `carrier-aaa-dump-${process.pid}-${++handovers}.bin`);
    try {
      const parts = cache.dump(performance.now(), Date.now());
      const fh = await open(file, "wx", 0o600);
      try {
        await fh.writev(parts);
      } finally {
        await fh.close();
      }
      send({ t: "handover", snapshot: { count: 0, addresses: [], records: new Uint8Array(0) }, final: true, dump: file });
      return "dump";
    } catch (err) {
      await rm(file, { force: true }).catch(() => undefined);
      log.warn({ err: (err as Error).message }, "duplicate dump not written: the answered entries are handed over one by one instead");
      const snap = cache.exportAnswered(performance.now());
      await handOver(snap, true);
      return snap.count;
    }
  };

  const stop = (how: "retire" | "shutdown", why: string): Promise<void> =>
    (stopping ??= (async () => {
      const s = server!;
      if (how === "retire") {
        // 1. Stop reading: from here on datagrams wait in the kernel queues for the replacement,
        //    which already reads the same sockets.
        s.retire();
        // 2. Finish what is in flight; its replies leave on the same sockets. First, so that a
        //    request in flight is not held up by the hand-over (measured: with the cache handed
        //    over before the drain, a few dozen requests in flight missed their deadline).
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

  // Duplicates handed over by a predecessor: imported one piece at a time, IMPORT_PAUSE_MS apart,
  // by a single loop. The pieces arrive as a burst of messages (read from the IPC pipe in one
  // go); importing each on arrival imported the whole cache in one event-loop turn.
  const imports: DuplicateSnapshot[] = [];
  let importing = false;
  let imported = 0;
  let skipped = 0;
  const drainImports = async (): Promise<void> => {
    importing = true;
    try {
      for (let piece = imports.shift(); piece; piece = imports.shift()) {
        try {
          const r = server!.core.duplicates.importAnswered(piece, performance.now());
          imported += r.imported;
          skipped += r.skipped;
        } catch (err) {
          log.error({ err: (err as Error).message }, "duplicate hand-over piece refused: retransmissions of those requests are served afresh");
        }
        await new Promise<void>((resolve) => setTimeout(resolve, IMPORT_PAUSE_MS));
      }
      log.info({ imported, skipped }, "duplicates taken over from the previous worker");
    } finally {
      importing = false;
    }
  };

  const onMessage = async (m: ToWorker): Promise<void> => {
    if (!server) {
      early.push(m);
      return;
    }
    switch (m.t) {
      case "start":
      case "snapshot": {
        if (m.t === "snapshot" && m.dump) {
          const file = m.dump;
          try {
            const bytes = await readFile(file).finally(() => rm(file, { force: true }));
            const entries = server.core.duplicates.adoptPredecessor(bytes, performance.now(), Date.now());
            log.info({ entries }, "duplicate cache of the previous worker adopted");
          } catch (err) {
            log.error({ err: (err as Error).message }, "duplicate dump refused: retransmissions of those requests are served afresh");
          }
        }
        if (m.snapshot && m.snapshot.count > 0) {
          try {
            let snap = m.snapshot;
            if (m.t === "snapshot" && m.file) {
              const file = m.file;
              const records = await readFile(file).finally(() => rm(file, { force: true }));
              snap = { ...snap, records };
            }
            for (const piece of splitSnapshot(snap, IMPORT_PIECE)) imports.push(piece);
          } catch (err) {
            log.error({ err: (err as Error).message }, "duplicate hand-over refused: retransmissions of those requests are served afresh");
          }
          if (!importing) void drainImports();
        }
        if (m.t === "start") {
          server.startReading();
          send({ t: "reading" });
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
