// Which of the Redis commands a store needs the configured (ACL) user may not run, found at start
// and after every reconnect, so that a user without e.g. @scripting is named at once instead of
// every Accounting-Request failing as a write error.
//
// How: on a connection of its own, MULTI, then each needed command with arguments of the right
// arity and keys under the store's prefix, then DISCARD. Redis checks a command's ACL (command
// and keys) when it is queued, so each one answers QUEUED or NOPERM, and DISCARD drops them all:
// nothing is executed. Unlike ACL DRYRUN (Redis 7+, and itself an @admin command), this works
// for the restricted users it is meant to check. If MULTI itself is refused, nothing else is
// sent (the commands would run for real) and MULTI is reported.
import { isCluster, masterOf, type RedisClient } from "./redis-cluster.js";
import { safeErrorMessage } from "./util.js";

export interface CommandProbe {
  /** The command as the problem report names it, e.g. "EVALSHA". */
  name: string;
  /** The command and its arguments (arity-valid; keys under the store's prefix). */
  argv: [string, ...string[]];
}

export type PermissionCheck =
  | { ok: true }
  | { ok: false; denied: string[] }
  /** Could not be checked (connection failed, unexpected answer): nothing is concluded. */
  | { ok: "unknown"; error: string };

const NOPERM = /^NOPERM/;

/**
 * Checks `probes` on a short-lived duplicate of `client`; on a cluster, of the master that owns
 * the probes' key (they all use one key, so the MULTI stays in one slot). Never rejects.
 */
export async function checkCommandPermissions(client: RedisClient, probes: readonly CommandProbe[], timeoutMs: number): Promise<PermissionCheck> {
  const redis = isCluster(client) ? masterOf(client, probes[0]?.argv[1] ?? "") : client;
  if (redis === undefined) return { ok: "unknown", error: "no master owns the probe key's slot" };
  const conn = redis.duplicate({ lazyConnect: true, enableAutoPipelining: false, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectionName: "carrier-aaa-permission-check" });
  conn.on("error", () => {});
  const timer = setTimeout(() => conn.disconnect(), timeoutMs);
  timer.unref();
  const call = async (argv: readonly string[]): Promise<{ ok: true } | { ok: false; message: string }> => {
    try {
      await conn.call(argv[0]!, ...argv.slice(1));
      return { ok: true };
    } catch (err) {
      return { ok: false, message: safeErrorMessage(err) };
    }
  };
  try {
    await conn.connect();
    const multi = await call(["MULTI"]);
    if (!multi.ok) return NOPERM.test(multi.message) ? { ok: false, denied: ["MULTI"] } : { ok: "unknown", error: multi.message };
    const denied: string[] = [];
    for (const p of probes) {
      const r = await call(p.argv);
      if (!r.ok) {
        if (NOPERM.test(r.message)) denied.push(p.name);
        else return { ok: "unknown", error: `${p.name}: ${r.message}` };
      }
    }
    await call(["DISCARD"]);
    return denied.length === 0 ? { ok: true } : { ok: false, denied };
  } catch (err) {
    return { ok: "unknown", error: safeErrorMessage(err) };
  } finally {
    clearTimeout(timer);
    conn.disconnect();
  }
}

/** A Redis reply error that says the user lacks a permission (ACL). */
export function isNoPermError(err: unknown): boolean {
  return err instanceof Error && NOPERM.test(err.message);
}

/** What the subscriber store (redis-store.ts) sends, with keys under `prefix`. */
export function subscriberStoreProbes(prefix: string): CommandProbe[] {
  const k = `${prefix}permission-check`;
  return [
    { name: "MGET", argv: ["MGET", k, k] },
    { name: "GET", argv: ["GET", k] },
    { name: "SET", argv: ["SET", k, "x"] },
    { name: "DEL", argv: ["DEL", k] },
    { name: "SADD", argv: ["SADD", k, "x"] },
    { name: "SREM", argv: ["SREM", k, "x"] },
    { name: "SMEMBERS", argv: ["SMEMBERS", k] },
    { name: "INCR", argv: ["INCR", k] },
    { name: "SCAN", argv: ["SCAN", "0", "MATCH", `${prefix}sub:*`, "COUNT", "10"] },
  ];
}

/** What the session store (redis-sessions.ts) sends, its scripts' commands included (they run with the caller's ACL). */
export function sessionStoreProbes(prefix: string): CommandProbe[] {
  const k = `${prefix}{sess:0}:permission-check`;
  const simple: Array<[string, ...string[]]> = [
    ["HSET", k, "f", "v"],
    ["HGET", k, "f"],
    ["HMGET", k, "f"],
    ["EXPIRE", k, "60"],
    ["PEXPIRE", k, "60000"],
    ["SADD", k, "m"],
    ["SREM", k, "m"],
    ["SCARD", k],
    ["SMEMBERS", k],
    ["SET", k, "v"],
    ["XADD", k, "MAXLEN", "~", "100", "*", "f", "v"],
    ["XRANGE", k, "-", "+", "COUNT", "1"],
    ["ZADD", k, "1", "m"],
    ["ZCARD", k],
    ["ZPOPMIN", k],
    ["ZRANGE", k, "0", "1"],
    ["ZRANGEBYSCORE", k, "0", "1"],
    ["ZREM", k, "m"],
    ["ZREMRANGEBYSCORE", k, "0", "1"],
  ];
  return [
    // ioredis runs defined scripts with EVALSHA and falls back to EVAL on NOSCRIPT.
    { name: "EVALSHA", argv: ["EVALSHA", "0".repeat(40), "1", k] },
    { name: "EVAL", argv: ["EVAL", "return 1", "1", k] },
    ...simple.map((argv) => ({ name: argv[0], argv })),
  ];
}

/** The /readyz and log wording of a failed check. */
export function permissionProblem(store: string, denied: readonly string[]): string {
  return `${store}: the Redis user may not run ${denied.join(", ")} (grant them with ACL SETUSER, e.g. +@scripting for EVAL/EVALSHA)`;
}
