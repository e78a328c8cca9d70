// Writes of the Redis subscriber store: bulk MULTI/EXEC batches with an exact report, and the
// error a failed single write becomes.
import type { ChainableCommander, Cluster } from "ioredis";
import { StoreError } from "./errors.js";
import type { RedisClient } from "./redis-cluster.js";
import { isNotSentError, isReplyError } from "./redis-lookups.js";
import type { WriteReport } from "./store.js";
import { safeErrorMessage, type StoreLogger } from "./util.js";

export function writeError(what: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  if (isNotSentError(err)) return new StoreError("STORE_UNAVAILABLE", `${what} failed: Redis not connected`);
  return new StoreError("STORE_WRITE_FAILED", `${what} failed: ${safeErrorMessage(err)}`);
}

export interface WriteBatchesInput<T> {
  records: readonly T[];
  /** Records per MULTI/EXEC. */
  batchSize: number;
  /** Commands `add` queues per record (to count the records whose commands all succeeded). */
  perRecord: number;
  add: (m: ChainableCommander, rec: T) => void;
  /** Queued once at the end of each batch (e.g. the groups revision INCR). */
  finish?: ((m: ChainableCommander) => void) | undefined;
}

/**
 * Sequential MULTI/EXEC batches, stopping at the first failed one, so the report is exact:
 * EXEC is all-or-nothing for queue-time errors (EXECABORT, e.g. OOM) and a batch is awaited
 * before the next is sent. The one unknowable case, a connection lost after EXEC was sent, is
 * reported as `uncertain`.
 */
export async function writeBatches<T>(redis: RedisClient, log: StoreLogger, { records, batchSize, perRecord, add, finish }: WriteBatchesInput<T>): Promise<WriteReport> {
  const total = records.length;
  if (total === 0) return { written: 0, failed: 0 };
  let written = 0;
  for (let off = 0; off < total; off += batchSize) {
    const batch = records.slice(off, off + batchSize);
    const m = redis.multi();
    for (const rec of batch) add(m, rec);
    finish?.(m);
    let res: [error: Error | null, result: unknown][] | null;
    try {
      res = await m.exec();
    } catch (err) {
      const definite = isReplyError(err) || isNotSentError(err);
      // EXECABORT says only that the transaction was discarded; the command refused while it
      // was queued (OOM, ...) says why.
      const previous = (err as { previousErrors?: unknown[] }).previousErrors?.[0];
      const why = previous !== undefined ? `${safeErrorMessage(err)} (${safeErrorMessage(previous)})` : safeErrorMessage(err);
      const report: WriteReport = { written, failed: total - written, firstError: why };
      if (!definite) report.uncertain = batch.length;
      log.error({ store: "redis", written, failed: report.failed, uncertain: report.uncertain, err: report.firstError }, "bulk write stopped");
      return report;
    }
    if (res === null) {
      return { written, failed: total - written, firstError: "transaction aborted" };
    }
    const firstErr = res.find(([e]) => e !== null)?.[0];
    if (firstErr) {
      // Runtime errors inside EXEC (wrong key types) do not roll back: count exactly the records
      // whose commands all succeeded.
      let ok = 0;
      for (let i = 0; i < batch.length; i++) {
        const cmds = res.slice(i * perRecord, (i + 1) * perRecord);
        if (cmds.every(([e]) => e === null)) ok++;
      }
      written += ok;
      const message = safeErrorMessage(firstErr);
      log.error({ store: "redis", written, err: message }, "bulk write stopped: Redis reported errors inside a batch");
      return { written, failed: total - written, firstError: message };
    }
    written += batch.length;
  }
  return { written, failed: 0 };
}

// ---- Redis Cluster: no MULTI across slots ----

/**
 * Writes each record with its own command (`write`), `batchSize` at a time (ioredis pipelines
 * those of one master together), stopping after a batch with a failure. Each command succeeds or
 * fails on its own, so the count is exact; a command whose connection was lost is `uncertain`.
 */
export async function writeEach<T>(log: StoreLogger, { records, batchSize, write }: { records: readonly T[]; batchSize: number; write: (rec: T) => Promise<unknown> }): Promise<WriteReport> {
  const total = records.length;
  let written = 0;
  for (let off = 0; off < total; off += batchSize) {
    const results = await Promise.allSettled(records.slice(off, off + batchSize).map((r) => write(r)));
    const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    written += results.length - failures.length;
    if (failures.length > 0) {
      const report: WriteReport = { written, failed: total - written, firstError: safeErrorMessage(failures[0]) };
      const uncertain = failures.filter((e) => !isReplyError(e) && !isNotSentError(e)).length;
      if (uncertain > 0) report.uncertain = uncertain;
      log.error({ store: "redis", written, failed: report.failed, uncertain: report.uncertain, err: report.firstError }, "bulk write stopped");
      return report;
    }
  }
  return { written, failed: 0 };
}

export interface GroupKeys<K> {
  record: K;
  set: string;
  rev: string;
}

/**
 * Group writes on a cluster, where the record, the names set and the revision live in different
 * slots: records first, then their names, then the revision. A reader reads the revision before
 * the data, so whatever it sees in between is reloaded at its next poll (docs/redis-cluster.md).
 */
export async function clusterPutGroups<G extends { group: string }>(c: Cluster, log: StoreLogger, groups: readonly G[], batchSize: number, keys: GroupKeys<(g: G) => string>): Promise<WriteReport> {
  const total = groups.length;
  let written = 0;
  for (let off = 0; off < total; off += batchSize) {
    const batch = groups.slice(off, off + batchSize);
    const report = await writeEach(log, { records: batch, batchSize, write: (g) => c.set(keys.record(g), JSON.stringify(g)) });
    const stored = report.failed === 0;
    try {
      // The names of a failed batch are added too: a record that did get written is then seen.
      await c.sadd(keys.set, ...batch.map((g) => g.group));
      await c.incr(keys.rev);
    } catch (err) {
      const message = safeErrorMessage(err);
      log.error({ store: "redis", written, err: message }, "group write stopped: the names set or the revision could not be updated");
      return { written, failed: total - written, firstError: message };
    }
    if (!stored) return { ...report, written: written + report.written, failed: total - written - report.written };
    written += batch.length;
  }
  return { written, failed: 0 };
}

/** Group delete on a cluster: the name leaves the set first, then the record, then the revision moves. */
export async function clusterDeleteGroup(c: Cluster, keys: GroupKeys<string>, name: string): Promise<boolean> {
  try {
    await c.srem(keys.set, name);
    const deleted = await c.del(keys.record);
    await c.incr(keys.rev);
    return deleted > 0;
  } catch (err) {
    throw writeError(`deleting group ${name}`, err);
  }
}
