// The ioredis client under both Redis stores (subscribers, sessions), built from store.redis:
// one URL (standalone), Redis Sentinel (sentinels + name) or Redis Cluster (cluster, see
// redis-cluster.ts). Same failure model in both modes
// (redis-store.ts, header): no offline queue, no retry, no replay after a reconnect.
//
// Sentinel mode (docs/high-availability.md): ioredis asks the sentinels for the primary at every
// (re)connect and checks the role it reaches. A failover is noticed three ways: the old primary's
// socket closes (it died); the failover detector hears +switch-master from a sentinel and drops
// the connection (it was demoted while alive); a write answered READONLY (a demoted primary not
// yet announced) drops the connection too. Each then reconnects to whatever the sentinels name.
import { Redis, type RedisOptions } from "ioredis";
import { createClusterClient, type RedisClient } from "./redis-cluster.js";
import { DEFAULT_REDIS_URL, type RedisStoreConfig } from "./config.js";
import { StoreError } from "./errors.js";
import { GuardedConnector, GuardedSentinelConnector } from "./redis-connector.js";
import { redisTlsOptions } from "./redis-tls.js";
import { redactUrl, safeErrorMessage, withDeadline } from "./util.js";

export interface RedisClientOptions {
  /** CLIENT SETNAME, so the connections can be told apart in CLIENT LIST. */
  connectionName: string;
  /** Commands sent alone rather than in an auto-pipeline (see the callers). */
  autoPipeliningIgnoredCommands: string[];
  /** Cap of the reconnect backoff. Default 1000 ms. */
  reconnectMaxDelayMs?: number;
}

/** "host:port" or "[v6]:port" (the schema checked the form). */
export function parseSentinel(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(":");
  const host = addr.slice(0, i);
  return { host: host.startsWith("[") ? host.slice(1, -1) : host, port: Number(addr.slice(i + 1)) };
}

/** What to log about where the store connects: never a credential. */
export function redisTarget(config: RedisStoreConfig): Record<string, unknown> {
  if (config.sentinels !== undefined) return { sentinels: config.sentinels, name: config.name };
  if (config.cluster !== undefined) return { cluster: config.cluster.map(redactUrl) };
  return { url: redactUrl(config.url ?? DEFAULT_REDIS_URL) };
}

/** Options of one connection to a node (TLS, the guarded socket, the connect timeout): probes at start. */
export function nodeOptions(config: RedisStoreConfig): RedisOptions {
  const tls = redisTlsOptions(config);
  return { ...(tls ? { tls } : {}), Connector: GuardedConnector, connectTimeout: config.connectTimeoutMs };
}

export function createRedisClient(config: RedisStoreConfig, o: RedisClientOptions): RedisClient {
  const maxDelay = Math.max(10, o.reconnectMaxDelayMs ?? 1000);
  const backoff = (times: number): number => Math.min(50 * 2 ** Math.min(times - 1, 10), maxDelay) + Math.floor(Math.random() * 50);
  const tls = redisTlsOptions(config);
  const common: RedisOptions = {
    lazyConnect: true,
    enableAutoPipelining: true,
    autoPipeliningIgnoredCommands: o.autoPipeliningIgnoredCommands,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A command is never re-sent after a reconnect: its answer was already decided.
    autoResendUnfulfilledCommands: false,
    connectTimeout: config.connectTimeoutMs,
    // How long disconnect() waits for a graceful socket end; the default 2 s would keep a
    // closing process alive for nothing.
    disconnectTimeout: 200,
    // Bounds replies that never come (half-open TCP, frozen server); larger than any healthy gap.
    socketTimeout: Math.max(2000, 20 * config.commandTimeoutMs),
    retryStrategy: backoff,
    connectionName: o.connectionName,
  };
  if (config.cluster !== undefined) return createClusterClient(config.cluster, { ...common, retryStrategy: backoff, ...(tls ? { tls } : {}), Connector: GuardedConnector });
  if (config.sentinels === undefined) {
    return new Redis(config.url ?? DEFAULT_REDIS_URL, { ...common, ...(tls ? { tls } : {}), Connector: GuardedConnector });
  }
  const sentinelOptions: RedisOptions = {
    ...common,
    Connector: GuardedSentinelConnector,
    sentinels: config.sentinels.map(parseSentinel),
    name: config.name ?? "",
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(config.sentinelUsername !== undefined ? { sentinelUsername: config.sentinelUsername } : {}),
    ...(config.sentinelPassword !== undefined ? { sentinelPassword: config.sentinelPassword } : {}),
    // One tls section for both: where Redis uses TLS, its sentinels do too (tls-port).
    ...(tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
    // All sentinels unreachable: ask again after this (connect() keeps waiting meanwhile, and
    // commands fail at once: no offline queue).
    sentinelRetryStrategy: backoff,
    // A sentinel that accepts the connection but never answers must not stall the reconnect.
    sentinelCommandTimeout: config.connectTimeoutMs,
    failoverDetector: true,
    // A demoted primary answers writes with READONLY: reconnect (through the sentinels); the
    // failed command itself is not re-sent (1, not 2).
    reconnectOnError: (err: Error) => (err.message.startsWith("READONLY") ? 1 : false),
  };
  return new Redis(sentinelOptions);
}

type SentinelAnswer = { kind: "master" } | { kind: "unknown-name"; addr: string } | { kind: "error"; addr: string; auth: boolean; msg: string };

/**
 * Sentinel mode, at start: at least one sentinel must answer and know `name`. An unreachable list
 * or a wrong name is a configuration error (it would never heal by itself), named by its key.
 * Waits at most about connectTimeoutMs.
 */
export async function checkSentinels(config: RedisStoreConfig): Promise<void> {
  const sentinels = config.sentinels;
  if (sentinels === undefined) return;
  const tls = redisTlsOptions(config);
  const wait = config.connectTimeoutMs;
  const answers = await Promise.all(
    sentinels.map(async (addr): Promise<SentinelAnswer> => {
      const c = new Redis({
        ...parseSentinel(addr),
        ...(config.sentinelUsername !== undefined ? { username: config.sentinelUsername } : {}),
        ...(config.sentinelPassword !== undefined ? { password: config.sentinelPassword } : {}),
        ...(tls ? { tls } : {}),
        Connector: GuardedConnector,
        lazyConnect: true,
        enableReadyCheck: false,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
        connectTimeout: wait,
        disconnectTimeout: 200,
      });
      // The socket's own error (ECONNREFUSED, ...) says more than the rejected connect().
      let socketError: unknown;
      c.on("error", (err: unknown) => {
        socketError ??= err;
      });
      try {
        await withDeadline(c.connect(), wait, `connecting to sentinel ${addr}`);
        const r = await withDeadline(c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", config.name ?? ""), wait, `asking sentinel ${addr}`);
        return Array.isArray(r) && r.length === 2 ? { kind: "master" } : { kind: "unknown-name", addr };
      } catch (err) {
        const msg = safeErrorMessage(socketError ?? err);
        return { kind: "error", addr, auth: /WRONGPASS|NOAUTH|invalid password|invalid username/i.test(msg), msg };
      } finally {
        c.disconnect();
      }
    }),
  );
  if (answers.some((a) => a.kind === "master")) return;
  const unknown = answers.filter((a) => a.kind === "unknown-name").map((a) => a.addr);
  if (unknown.length > 0) {
    throw new StoreError("STORE_UNAVAILABLE", `store.redis.name: no sentinel monitors a master named "${config.name ?? ""}" (asked ${unknown.join(", ")})`);
  }
  const errors = answers.filter((a): a is Extract<SentinelAnswer, { kind: "error" }> => a.kind === "error");
  if (errors.length > 0 && errors.every((e) => e.auth)) {
    throw new StoreError("STORE_UNAVAILABLE", `store.redis.sentinelPassword: the sentinels refused the credentials (${errors.map((e) => e.addr).join(", ")})`);
  }
  throw new StoreError(
    "STORE_UNAVAILABLE",
    `store.redis.sentinels: no sentinel reachable within ${wait} ms (${errors.map((e) => `${e.addr}: ${e.msg}`).join("; ")})`,
  );
}
