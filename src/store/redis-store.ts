// Redis-backed subscriber store, shared by every server of a deployment.
//
// Key layout (every key starts with config.keyPrefix, default "aaa:"):
//   ${prefix}sub:${username}  STRING  JSON of the subscriber (schema-valid, defaults applied).
//                                     One round trip per Access-Request: the lookups of one
//                                     event-loop turn share one MGET. A key of another type
//                                     reads as nil, i.e. an unknown user (rejected).
//   ${prefix}group:${name}    STRING  JSON of the group profile.
//   ${prefix}groups           SET     names of all group profiles.
//   ${prefix}groups:rev       STRING  integer, INCRed in the same MULTI as every group write or
//                                     delete. Each server polls it every groupRefreshMs and
//                                     reloads all groups (SMEMBERS + MGET) when it changes, and
//                                     after every reconnect (a restarted Redis may reuse a value).
//
// Failure model:
// - enableOfflineQueue: false + maxRetriesPerRequest: 0 + autoResendUnfulfilledCommands: false:
//   nothing is ever queued while disconnected or replayed after a reconnect. A lookup whose
//   connection is gone fails at once with STORE_UNAVAILABLE; it was useless after its deadline
//   anyway, and a replayed MULTI could re-apply an old write.
// - Per-lookup deadline: min(caller's timeoutMs, commandTimeoutMs), raced with one timer per
//   batch set to the batch's earliest deadline (the lookups of one turn arrive together). The
//   ioredis `commandTimeout` option is deliberately NOT used: it settles the command's promise at
//   expiry while the reply is still outstanding, which would make stats().inFlight lie. Our timer
//   rejects the caller; inFlight drops only when the reply (or the connection loss) arrives.
// - A reply that never arrives (half-open TCP, frozen server) is bounded by ioredis
//   `socketTimeout`: no data for that long while commands are pending destroys the socket, which
//   fails the pending commands (inFlight drops) and starts a reconnect. The group poll doubles as
//   a heartbeat, so this is also detected without traffic.
// - Reconnects forever with capped exponential backoff; start() resolves even when Redis is down
//   (with sentinels: when at least one sentinel knows the primary; see redis-client.ts; a Redis
//   Cluster that is unreachable or not ready at start is refused: docs/redis-cluster.md).
// - The client itself (every mode, options above): redis-client.ts.
import { once } from "node:events";
import type { ChainableCommander, RedisOptions } from "ioredis";
import { checkSentinels, createRedisClient, nodeOptions, redisTarget } from "./redis-client.js";
import type { RedisStoreConfig } from "./config.js";
import { StoreError } from "./errors.js";
import type { ListOptions, ListPage, StoreStats, SubscriberStore, WriteReport } from "./store.js";
import {
  groupSchema,
  isPlausibleUsername,
  summarizeIssues,
  type Group,
  type Subscriber,
} from "./subscriber.js";
import { RedisLookups } from "./redis-lookups.js";
import { clusterDeleteGroup, clusterPutGroups, writeBatches, writeEach, writeError } from "./redis-writes.js";
import { clusterStartError, isCluster, mgetAll, scanPage, uncoveredSlots, type RedisClient } from "./redis-cluster.js";
import { checkCommandPermissions, permissionProblem, subscriberStoreProbes } from "./redis-permissions.js";
import { cloneGroup, safeErrorMessage, validateAll, withDeadline, type StoreLogger } from "./util.js";

/** Tuning knobs that are not part of the user-facing config (tests use them). */
export interface RedisStoreTuning {
  /** Records per MULTI/EXEC batch. Default 1000. */
  batchSize?: number;
  /** Cap of the reconnect backoff. Default 1000 ms: reconnect attempts to a local Redis are cheap. */
  reconnectMaxDelayMs?: number;
}

type State = "new" | "started" | "closed";

/** Glob-escape for SCAN MATCH, so a prefix like "a*:" matches only itself. */
function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, "\\$&");
}

export class RedisStore implements SubscriberStore {
  readonly kind = "redis" as const;
  private readonly redis: RedisClient;
  private readonly connOptions: RedisOptions;
  private readonly prefix: string;
  private readonly commandTimeoutMs: number;
  /** Budget for background/admin reads (group reload, listing): not on a request's deadline. */
  private readonly backgroundTimeoutMs: number;
  private readonly batchSize: number;
  private readonly reconnectMaxDelayMs: number;

  private state: State = "new";
  private groups = new Map<string, Group>();
  private groupsRev: string | null = null;
  /** Groups loaded on the CURRENT connection (the cache itself survives reconnects for getGroup). */
  private groupsLoaded = false;
  private refreshChain: Promise<void> = Promise.resolve();
  private readyRefresh: Promise<void> | undefined;
  private polling = false;
  private pollFailing = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** True while we consider Redis down; only transitions are logged (no log storm while down). */
  private down = true;
  private lastConnError: string | undefined;
  /** Commands the Redis user may not run (checked after every connect); see problems(). */
  private denied: string[] = [];
  private permissionCheck: Promise<void> = Promise.resolve();

  /** The hot path: batched MGET lookups, and the lookup counters. */
  private readonly lookups: RedisLookups;

  constructor(
    private readonly config: RedisStoreConfig,
    private readonly log: StoreLogger,
    tuning: RedisStoreTuning = {},
  ) {
    this.prefix = config.keyPrefix;
    this.commandTimeoutMs = config.commandTimeoutMs;
    this.backgroundTimeoutMs = Math.max(1000, 10 * config.commandTimeoutMs);
    this.batchSize = Math.max(1, tuning.batchSize ?? 1000);
    this.reconnectMaxDelayMs = Math.max(10, tuning.reconnectMaxDelayMs ?? 1000);
    this.connOptions = nodeOptions(config);
    this.redis = createRedisClient(config, {
      connectionName: "carrier-aaa-store",
      // The hot-path MGET is already one command per batch (see sendBatch); an auto-pipeline
      // around it adds a Pipeline object per batch that outlives several scavenges.
      autoPipeliningIgnoredCommands: ["mget"],
      reconnectMaxDelayMs: this.reconnectMaxDelayMs,
    });
    this.lookups = new RedisLookups(this.redis, config.keyPrefix, config.batchDelayMs);
    // Without an "error" listener ioredis prints every failed reconnect attempt to the console.
    this.redis.on("error", (err: unknown) => {
      this.lastConnError = safeErrorMessage(err);
    });
    this.redis.on("ready", () => this.onReady());
    this.redis.on("close", () => {
      // Whatever happened while disconnected (a restarted, empty Redis; a failover) is unknown:
      // not available again until the reload that follows the reconnect has succeeded.
      this.groupsLoaded = false;
      this.onDown();
    });
    this.redis.on("end", () => this.onEnd());
  }

  // ---- keys ----
  private subKey(username: string): string {
    return `${this.prefix}sub:${username}`;
  }
  private groupKey(name: string): string {
    return `${this.prefix}group:${name}`;
  }
  private get groupsSetKey(): string {
    return `${this.prefix}groups`;
  }
  private get revKey(): string {
    return `${this.prefix}groups:rev`;
  }

  // ---- lifecycle ----
  async start(): Promise<void> {
    if (this.state === "started") return;
    if (this.state === "closed") throw new StoreError("STORE_UNAVAILABLE", "Redis store is closed");
    // Sentinel mode: no sentinel answering, or none knowing the name, is a configuration error.
    await checkSentinels(this.config);
    this.state = "started";
    this.pollTimer = setInterval(() => this.poll(), this.config.groupRefreshMs);
    this.pollTimer.unref();
    try {
      await withDeadline(this.redis.connect(), this.config.connectTimeoutMs + 1000, "connecting to Redis");
    } catch (err) {
      // A cluster that is unreachable or not ready at start is a configuration problem: refused.
      if (isCluster(this.redis)) throw await this.refuseStart(await clusterStartError(this.config, this.connOptions, this.config.connectTimeoutMs));
      // The server must start anyway: lookups fail fast with STORE_UNAVAILABLE and ioredis keeps
      // reconnecting (retryStrategy); onReady() loads the groups when it succeeds.
      this.log.warn(
        { store: "redis", ...redisTarget(this.config), err: this.lastConnError ?? safeErrorMessage(err) },
        "Redis unreachable at start; lookups fail with STORE_UNAVAILABLE until it is reachable, retrying in the background",
      );
      return;
    }
    // A cluster client resolves connect() a tick before its "ready" event (which loads the groups).
    if (isCluster(this.redis) && this.readyRefresh === undefined) await withDeadline(once(this.redis, "ready"), this.config.connectTimeoutMs, "cluster ready").catch(() => {});
    const uncovered = isCluster(this.redis) ? uncoveredSlots(this.redis) : 0;
    if (uncovered > 0) throw await this.refuseStart(new StoreError("STORE_UNAVAILABLE", `store.redis.cluster: the cluster is not ready (${uncovered} of 16384 slots have no master)`));
    try {
      await this.readyRefresh;
    } catch {
      // Logged by onReady(); the poll retries.
    }
    await this.permissionCheck;
  }

  /** Start-up refused: closes the client (nothing keeps the process alive) and returns `err`. */
  private async refuseStart(err: StoreError): Promise<StoreError> {
    await this.close();
    return err;
  }

  /**
   * Re-read the group profiles now (SIGHUP): normally the revision poll does this within
   * groupRefreshMs. Rejects when Redis cannot be read; the cached groups then stay.
   */
  reload(): Promise<void> {
    if (this.state !== "started") return Promise.reject(new StoreError("STORE_UNAVAILABLE", "redis store is not started"));
    return this.refreshGroups(true);
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.redis.status === "ready") {
      // QUIT lets pending replies arrive; a frozen server must not hang shutdown.
      await withDeadline(this.redis.quit(), 500, "QUIT").catch(() => {});
    }
    // After a completed QUIT the socket is gone; disconnect() would then arm a timer that
    // nothing clears (ioredis waits for a "close" that already happened).
    if (this.redis.status !== "end") this.redis.disconnect();
  }

  private onReady(): void {
    if (this.state === "closed") return;
    this.lastConnError = undefined;
    if (this.down) {
      this.down = false;
      this.log.info({ store: "redis", ...redisTarget(this.config) }, "Redis connection ready");
    }
    // Always reload after (re)connecting: the data may have changed or Redis may have restarted
    // empty and handed out a revision number we already saw.
    this.readyRefresh = this.refreshGroups(true).catch((err: unknown) => {
      this.log.warn({ store: "redis", err: safeErrorMessage(err) }, "loading group profiles failed; retrying");
      throw err;
    });
    this.readyRefresh.catch(() => {});
    this.permissionCheck = this.checkPermissions();
  }

  /** Which needed commands the ACL user lacks: logged once per change, reported by problems(). */
  private async checkPermissions(): Promise<void> {
    const r = await checkCommandPermissions(this.redis, subscriberStoreProbes(this.prefix), this.config.connectTimeoutMs + this.backgroundTimeoutMs);
    if (r.ok === "unknown") return;
    const denied = r.ok ? [] : r.denied;
    if (denied.join() === this.denied.join()) return;
    this.denied = denied;
    if (denied.length > 0) this.log.error({ store: "redis", denied }, permissionProblem("subscriber store", denied));
    else this.log.info({ store: "redis" }, "Redis user may now run every command the subscriber store needs");
  }

  problems(): string[] {
    return this.denied.length > 0 ? [permissionProblem("subscriber store", this.denied)] : [];
  }

  private onDown(): void {
    if (this.state !== "started" || this.down) return;
    this.down = true;
    this.log.warn(
      { store: "redis", ...redisTarget(this.config), err: this.lastConnError },
      "Redis connection lost; lookups fail with STORE_UNAVAILABLE until it returns",
    );
  }

  /** ioredis stopped reconnecting on its own (e.g. a failure inside connect()): keep trying. */
  private onEnd(): void {
    if (this.state !== "started") return;
    this.onDown();
    if (this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state === "started" && this.redis.status === "end") this.redis.connect().catch(() => {});
    }, this.reconnectMaxDelayMs);
    this.restartTimer.unref();
  }

  isAvailable(): boolean {
    // Serving subscribers before the group profiles are known would send replies without (or
    // with stale) group attributes: not available until a group load on this connection succeeded.
    return this.state === "started" && this.redis.status === "ready" && this.groupsLoaded;
  }

  stats(): StoreStats {
    return this.lookups.stats();
  }

  // ---- lookups ----
  getSubscriber(username: string, timeoutMs?: number): Promise<Subscriber | null> {
    if (!this.isAvailable()) {
      this.lookups.counts.errors++;
      const why = this.state !== "started" ? `store ${this.state === "new" ? "not started" : "closed"}` : "Redis not connected";
      return Promise.reject(new StoreError("STORE_UNAVAILABLE", `subscriber store unavailable (${why})`));
    }
    const budget = timeoutMs === undefined ? this.commandTimeoutMs : Math.min(timeoutMs, this.commandTimeoutMs);
    if (!(budget > 0)) {
      this.lookups.counts.timeouts++;
      return Promise.reject(new StoreError("STORE_TIMEOUT", `lookup of user ${username}: deadline already expired`));
    }
    if (!isPlausibleUsername(username)) return Promise.resolve(null);
    return this.lookups.lookup(username, budget);
  }

  getGroup(name: string): Group | undefined {
    const g = this.groups.get(name);
    return g === undefined ? undefined : cloneGroup(g);
  }

  listGroups(): Group[] {
    return [...this.groups.values()].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0)).map(cloneGroup);
  }

  async listSubscribers(opts: ListOptions = {}): Promise<ListPage> {
    if (opts.cursor !== undefined && !/^\d+$/.test(opts.cursor)) throw new RangeError("invalid listing cursor");
    this.ensureConnected();
    const count = Math.max(1, Math.min(opts.count ?? 100, 10_000));
    const [next, keys] = await withDeadline(
      scanPage(this.redis, opts.cursor ?? "0", `${escapeGlob(this.prefix)}sub:*`, count),
      this.backgroundTimeoutMs,
      "listing subscribers",
    ).catch((err: unknown) => {
      throw err instanceof StoreError || err instanceof RangeError ? err : new StoreError("STORE_UNAVAILABLE", `listing subscribers failed: ${safeErrorMessage(err)}`);
    });
    const subscribers: Subscriber[] = [];
    const corrupt: string[] = [];
    if (keys.length > 0) {
      const raws = await withDeadline(mgetAll(this.redis, keys), this.backgroundTimeoutMs, "listing subscribers");
      keys.forEach((key, i) => {
        const raw = raws[i];
        const username = key.slice(this.prefix.length + "sub:".length);
        if (raw === null || raw === undefined) return; // deleted meanwhile
        try {
          subscribers.push(this.lookups.decodeSubscriber(username, raw));
        } catch {
          corrupt.push(username);
        }
      });
    }
    return { subscribers, corrupt, cursor: next === "0" ? undefined : next };
  }

  // ---- groups cache ----
  private poll(): void {
    if (this.polling || this.state !== "started" || this.redis.status !== "ready") return;
    this.polling = true;
    this.refreshGroups(false)
      .then(
        () => {
          if (this.pollFailing) this.log.info({ store: "redis" }, "group refresh recovered");
          this.pollFailing = false;
        },
        (err: unknown) => {
          if (!this.pollFailing) this.log.warn({ store: "redis", err: safeErrorMessage(err) }, "group refresh failed; keeping cached groups");
          this.pollFailing = true;
        },
      )
      .finally(() => {
        this.polling = false;
      });
  }

  /** Serialised: a reload requested after a write must start after any reload already running. */
  private refreshGroups(force: boolean): Promise<void> {
    const run = this.refreshChain.then(() => this.loadGroups(force));
    this.refreshChain = run.catch(() => {});
    return run;
  }

  private async loadGroups(force: boolean): Promise<void> {
    const t = this.backgroundTimeoutMs;
    // Read the revision BEFORE the data: a write that lands in between bumps the revision past
    // the one recorded here, so the next poll reloads again (never a stale cache marked fresh).
    const rev = await withDeadline(this.redis.get(this.revKey), t, "reading group revision");
    if (!force && this.groupsLoaded && rev === this.groupsRev) return;
    const names = (await withDeadline(this.redis.smembers(this.groupsSetKey), t, "listing groups")).sort();
    const raws = await withDeadline(mgetAll(this.redis, names.map((n) => this.groupKey(n))), t, "loading groups");
    const next = new Map<string, Group>();
    names.forEach((name, i) => {
      const raw = raws[i];
      if (raw === null || raw === undefined) return; // deleted between SMEMBERS and MGET
      const group = this.decodeGroup(name, raw);
      if (group) {
        next.set(name, group);
        return;
      }
      // Keep the last good version rather than silently dropping the attributes of a whole group.
      const prev = this.groups.get(name);
      if (prev) next.set(name, prev);
    });
    const changed = rev !== this.groupsRev || !this.groupsLoaded;
    this.groups = next;
    this.groupsRev = rev;
    this.groupsLoaded = true;
    if (changed) this.log.info({ store: "redis", groups: next.size, rev }, "group profiles loaded");
  }

  private decodeGroup(name: string, raw: string): Group | undefined {
    let why: string;
    try {
      const parsed = groupSchema.safeParse(JSON.parse(raw));
      if (parsed.success && parsed.data.group === name) return parsed.data;
      why = parsed.success ? "holds a different group name" : `fails the schema: ${summarizeIssues(parsed.error)}`;
    } catch {
      why = "is not valid JSON";
    }
    this.lookups.counts.corrupt++;
    this.log.error({ store: "redis", group: name, code: "STORE_CORRUPT_RECORD" }, `stored group ${name} ${why}; keeping the previous version if any`);
    return undefined;
  }

  // ---- writes ----
  async putSubscribers(subs: readonly Subscriber[]): Promise<WriteReport> {
    const valid = validateAll(subs, "subscriber");
    if (isCluster(this.redis) && valid.length > 0) {
      // One MULTI cannot span slots: every SET on its own (auto-pipelined per master).
      const c = this.redis;
      return this.whenWritable(valid.length) ?? writeEach(this.log, { records: valid, batchSize: this.batchSize, write: (s) => c.set(this.subKey(s.username), JSON.stringify(s)) });
    }
    return this.writeBatches(valid, 1, (m, s) => {
      m.set(this.subKey(s.username), JSON.stringify(s));
    });
  }

  async putGroups(groups: readonly Group[]): Promise<WriteReport> {
    const valid = validateAll(groups, "group");
    if (isCluster(this.redis) && valid.length > 0) {
      const c = this.redis;
      const keys = { record: (g: Group) => this.groupKey(g.group), set: this.groupsSetKey, rev: this.revKey };
      const report = this.whenWritable(valid.length) ?? (await clusterPutGroups(c, this.log, valid, this.batchSize, keys));
      if (report.written > 0) await this.reloadAfterWrite();
      return report;
    }
    const report = await this.writeBatches(
      valid,
      2,
      (m, g) => {
        m.set(this.groupKey(g.group), JSON.stringify(g));
        m.sadd(this.groupsSetKey, g.group);
      },
      (m) => {
        m.incr(this.revKey);
      },
    );
    if (report.written > 0) await this.reloadAfterWrite();
    return report;
  }

  async deleteSubscriber(username: string): Promise<boolean> {
    this.ensureConnected();
    try {
      return (await this.redis.del(this.subKey(username))) > 0;
    } catch (err) {
      throw writeError(`deleting user ${username}`, err);
    }
  }

  async deleteGroup(name: string): Promise<boolean> {
    this.ensureConnected();
    if (isCluster(this.redis)) {
      const existed = await clusterDeleteGroup(this.redis, { record: this.groupKey(name), set: this.groupsSetKey, rev: this.revKey }, name);
      await this.reloadAfterWrite();
      return existed;
    }
    let res: [error: Error | null, result: unknown][] | null;
    try {
      res = await this.redis.multi().del(this.groupKey(name)).srem(this.groupsSetKey, name).incr(this.revKey).exec();
    } catch (err) {
      throw writeError(`deleting group ${name}`, err);
    }
    const failed = res?.find(([e]) => e !== null)?.[0];
    if (!res || failed) throw writeError(`deleting group ${name}`, failed ?? new Error("transaction aborted"));
    await this.reloadAfterWrite();
    return Number(res[0]?.[1] ?? 0) > 0;
  }

  private async reloadAfterWrite(): Promise<void> {
    // So getGroup() on this instance reflects the write once the call resolves. If it fails the
    // poll catches up: the revision changed.
    try {
      await this.refreshGroups(true);
    } catch (err) {
      this.log.warn({ store: "redis", err: safeErrorMessage(err) }, "reloading groups after a write failed; the poll will retry");
    }
  }

  private ensureConnected(): void {
    if (this.state !== "started") throw new StoreError("STORE_UNAVAILABLE", `Redis store ${this.state === "new" ? "not started" : "closed"}`);
    if (this.redis.status !== "ready") throw new StoreError("STORE_UNAVAILABLE", "Redis not connected");
  }

  /** The report of a write refused because the store cannot write now; undefined when it can. */
  private whenWritable(count: number): WriteReport | undefined {
    if (count === 0 || (this.state === "started" && this.redis.status === "ready")) return undefined;
    return { written: 0, failed: count, firstError: `STORE_UNAVAILABLE: ${this.state !== "started" ? "store not started" : "Redis not connected"}` };
  }

  private writeBatches<T>(records: readonly T[], perRecord: number, add: (m: ChainableCommander, rec: T) => void, finish?: (m: ChainableCommander) => void): Promise<WriteReport> {
    const refused = this.whenWritable(records.length);
    if (refused) return Promise.resolve(refused);
    return writeBatches(this.redis, this.log, { records, batchSize: this.batchSize, perRecord, add, finish });
  }
}
