// Redis Cluster (store.redis.cluster): building the client, and what differs from one Redis.
// On a cluster every command, MULTI, script and pipeline must keep its keys in one slot (hash
// tags decide the slot), and SCAN walks one node. The stores call the helpers below where a
// standalone Redis takes one command: reads of many keys are split by slot and sent as one
// pipeline per master. See docs/redis-cluster.md.
import calculateSlot from "cluster-key-slot";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { RedisStoreConfig } from "./config.js";
import { StoreError } from "./errors.js";
import { redactUrl, safeErrorMessage } from "./util.js";

/** The client a store talks through: one Redis, or a cluster of them. */
export type RedisClient = Redis | Cluster;

export const SLOTS = 16384;

export function isCluster(c: RedisClient): c is Cluster {
  return c instanceof Cluster;
}

export function slotOf(key: string): number {
  return calculateSlot(key);
}

/** The cluster client for store.redis.cluster, from the options of one connection (redis-client.ts). */
export function createClusterClient(urls: readonly string[], options: RedisOptions & { retryStrategy: (times: number) => number }): Cluster {
  const { retryStrategy, enableOfflineQueue, enableAutoPipelining, autoPipeliningIgnoredCommands, lazyConnect, ...node } = options;
  const first = new URL(urls[0]!);
  return new Cluster(clusterNodes(urls), {
    redisOptions: {
      ...node,
      ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
      ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    },
    clusterRetryStrategy: (times: number) => retryStrategy(times),
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
    ...(autoPipeliningIgnoredCommands !== undefined ? { autoPipeliningIgnoredCommands } : {}),
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    enableReadyCheck: true,
    slotsRefreshTimeout: Math.max(1000, options.connectTimeout ?? 1000),
    // A MOVED/ASK is followed at once; a cluster that is down is not waited for (no queue).
    retryDelayOnClusterDown: 0,
    retryDelayOnTryAgain: 0,
  });
}

export function clusterNodes(urls: readonly string[]): Array<{ host: string; port: number }> {
  return urls.map((u) => {
    const url = new URL(u);
    return { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(url.port || 6379) };
  });
}

/** The masters, in a stable order (host:port): what SCAN and per-node work iterate. */
export function masters(c: RedisClient): Redis[] {
  if (!isCluster(c)) return [c];
  return c.nodes("master").sort((a, b) => (nodeKey(a) < nodeKey(b) ? -1 : nodeKey(a) > nodeKey(b) ? 1 : 0));
}

function nodeKey(r: Redis): string {
  return `${r.options.host}:${r.options.port}`;
}

/** The master that owns `key`'s slot per the client's slot table, or undefined when unknown. */
export function masterOf(c: Cluster, key: string): Redis | undefined {
  const owner = c.slots[slotOf(key)]?.[0];
  return owner === undefined ? undefined : c.nodes("master").find((n) => nodeKey(n) === owner);
}

/**
 * Indexes of `keys` grouped by the master owning their slot (ioredis's slot table), so that each
 * group can go out as one pipeline. Keys of a slot nobody owns form a group of their own.
 */
export function groupByNode(c: Cluster, keys: readonly string[]): number[][] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const slot = slotOf(keys[i]!);
    const owner = c.slots[slot]?.[0] ?? `slot:${slot}`;
    const g = groups.get(owner);
    if (g) g.push(i);
    else groups.set(owner, [i]);
  }
  return [...groups.values()];
}

/**
 * MGET of keys that all live on one master: one MGET when they share a slot, else one pipeline
 * of one MGET per slot. Values in the order of `keys`; rejects with the first error.
 */
export async function mgetOneNode(c: Cluster, keys: readonly string[]): Promise<Array<string | null>> {
  const bySlot = new Map<number, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const slot = slotOf(keys[i]!);
    const g = bySlot.get(slot);
    if (g) g.push(i);
    else bySlot.set(slot, [i]);
  }
  if (bySlot.size === 1) return c.mget(keys as string[]);
  const groups = [...bySlot.values()];
  const pipe = c.pipeline();
  for (const g of groups) pipe.mget(g.map((i) => keys[i]!));
  const res = (await pipe.exec()) ?? [];
  const out = new Array<string | null>(keys.length).fill(null);
  groups.forEach((g, j) => {
    const [err, values] = res[j] ?? [new Error("pipeline reply missing"), null];
    if (err) throw err;
    const vs = values as Array<string | null>;
    g.forEach((idx, k) => {
      out[idx] = vs[k] ?? null;
    });
  });
  return out;
}

/** MGET of any keys: one command on one Redis; on a cluster one pipeline per master, in parallel. */
export async function mgetAll(c: RedisClient, keys: readonly string[]): Promise<Array<string | null>> {
  if (keys.length === 0) return [];
  if (!isCluster(c)) return c.mget(keys as string[]);
  const out = new Array<string | null>(keys.length).fill(null);
  await Promise.all(
    groupByNode(c, keys).map(async (g) => {
      const values = await mgetOneNode(c, g.map((i) => keys[i]!));
      g.forEach((idx, k) => {
        out[idx] = values[k] ?? null;
      });
    }),
  );
  return out;
}

/** A cluster is served only when every slot has a master; the count of those that have none. */
export function uncoveredSlots(c: Cluster): number {
  let n = 0;
  for (let s = 0; s < SLOTS; s++) if (!(c.slots[s]?.length)) n++;
  return n;
}

/**
 * Why a cluster client did not become ready at start, as an error naming store.redis.cluster:
 * asks each configured node for CLUSTER INFO on a short connection of its own.
 */
export async function clusterStartError(config: RedisStoreConfig, redisOptions: RedisOptions, timeoutMs: number): Promise<StoreError> {
  const urls = config.cluster ?? [];
  const nodes = clusterNodes(urls);
  const seen: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const first = new URL(urls[i]!);
    const probe = new Redis({
      ...redisOptions,
      host: n.host,
      port: n.port,
      ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
      ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: timeoutMs,
      connectionName: "carrier-aaa-cluster-check",
    });
    probe.on("error", () => {});
    try {
      await probe.connect();
      const info = String(await probe.call("CLUSTER", "INFO"));
      const field = (k: string): string | undefined => new RegExp(`^${k}:(\\S+)`, "m").exec(info)?.[1];
      const state = field("cluster_state");
      const assigned = Number(field("cluster_slots_assigned") ?? "0");
      if (state !== "ok" || assigned < SLOTS) {
        return new StoreError(
          "STORE_UNAVAILABLE",
          `store.redis.cluster: the cluster is not ready (cluster_state:${state ?? "?"}, ${SLOTS - assigned} of ${SLOTS} slots have no master${assigned === 0 ? ": create the cluster first, e.g. redis-cli --cluster create" : ""})`,
        );
      }
      seen.push(`${redactUrl(urls[i]!)} reports cluster_state:ok`);
    } catch (err) {
      const msg = safeErrorMessage(err);
      if (/cluster support disabled/i.test(msg)) {
        return new StoreError("STORE_UNAVAILABLE", `store.redis.cluster: ${redactUrl(urls[i]!)} is not a cluster node (cluster support disabled): use store.redis.url for a single Redis`);
      }
      seen.push(`${redactUrl(urls[i]!)}: ${msg}`);
    } finally {
      probe.disconnect();
    }
  }
  return new StoreError("STORE_UNAVAILABLE", `store.redis.cluster: the cluster could not be reached or did not become ready (${seen.join("; ")})`);
}

/**
 * One SCAN page over every master. On one Redis the cursor is SCAN's. On a cluster the masters
 * (in masters() order) are walked one after the other; the cursor is the node's SCAN cursor
 * shifted left by 10 bits plus the master's index, so it stays one decimal number.
 */
export async function scanPage(c: RedisClient, cursor: string, match: string, count: number): Promise<[next: string, keys: string[]]> {
  if (!isCluster(c)) return c.scan(cursor, "MATCH", match, "COUNT", count);
  const nodes = masters(c);
  const v = BigInt(cursor);
  const idx = Number(v & 1023n);
  const node = nodes[idx];
  if (node === undefined) throw new RangeError("invalid listing cursor");
  const [next, keys] = await node.scan((v >> 10n).toString(), "MATCH", match, "COUNT", count);
  if (next !== "0") return [((BigInt(next) << 10n) | BigInt(idx)).toString(), keys];
  return [idx + 1 < nodes.length ? String(idx + 1) : "0", keys];
}
