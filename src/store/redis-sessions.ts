// Sessions and accounting history in Redis. Key design, with hash tags for Redis Cluster, and the
// retransmission rules: docs/accounting.md. In short, every key of a subscriber's sessions lives in
// the bucket crc32(user) mod `buckets`, whose keys all carry the hash tag {sess:B}, so that one Lua
// script can update the session, the user and NAS indexes, the stale index, the Simultaneous-Use
// claims and the bucket's Stream atomically, in one round trip, on one cluster slot.
//
//   P{sess:B}:s:<nas>\n<sid>\n<user>   HASH   the session (fields of the records, flags st/sp/fps)
//   P{sess:B}:u:<user>                 SET    live sessions of the user (members nas\nsid\nuser)
//   P{sess:B}:n:<nas>                  SET    live sessions of the NAS in this bucket
//   P{sess:B}:live                     ZSET   live sessions, score = stale deadline when indexed (ms)
//   P{sess:B}:c:<user>                 ZSET   Simultaneous-Use claims, score = expiry (ms)
//   P{sess:B}:acct                     STREAM accounting history of this bucket (MAXLEN ~)
//   P{sess:B}:o:<nas>\n<sid>\n<kind>   STRING Accounting-On/Off seen (retransmission guard, TTL)
//
// Failure model as the subscriber store's (redis-store.ts): no offline queue, no replay after a
// reconnect, a deadline per call. A write acknowledged by Redis is only as durable as Redis's own
// persistence (AOF): see docs/accounting.md.
import type { RedisOptions } from "ioredis";
import { checkSentinels, createRedisClient, nodeOptions, redisTarget } from "./redis-client.js";
import { clusterStartError, isCluster, uncoveredSlots } from "./redis-cluster.js";
import type { RedisStoreConfig } from "./config.js";
import { StoreError } from "./errors.js";
import { claimId, startGuess } from "./memory-sessions.js";
import {
  FINGERPRINTS_KEPT,
  interimFingerprint,
  parseSessionMember,
  sessionBucket,
  sessionMember,
  staleDeadline,
  type AccountingRecord,
  type ClaimResult,
  type HistoryEntry,
  type RecordResult,
  type Session,
  type SessionFilter,
  type SessionStore,
  type SessionStoreDeps,
} from "./sessions.js";
import { safeErrorMessage, withDeadline } from "./util.js";
import { checkCommandPermissions, isNoPermError, permissionProblem, sessionStoreProbes } from "./redis-permissions.js";
import { defineSessionScripts, type ScriptedRedis } from "./redis-session-scripts.js";
import { ReplicaWait } from "./redis-wait.js";

const SWEEP_BATCH = 500;


export class RedisSessionStore implements SessionStore {
  readonly kind = "redis" as const;
  private readonly redis: ScriptedRedis;
  /** Accounting writes: `redis`, or with waitReplicas a connection of their own (WAIT blocks it). */
  private readonly writer: ScriptedRedis;
  private readonly replicaWait: ReplicaWait | undefined;
  private readonly connOptions: RedisOptions;
  private readonly prefix: string;
  private readonly buckets: number;
  private readonly perBucketMaxLen: number;
  private readonly adminTimeoutMs: number;
  private state: "new" | "started" | "closed" = "new";
  /** Accounting writes sent whose reply has not arrived (timed-out ones included). */
  private inFlight = 0;
  private down = true;
  private lastConnError: string | undefined;
  /** Commands the Redis user may not run (checked after every connect); see problems(). */
  private denied: string[] = [];
  private permissionCheck: Promise<void> = Promise.resolve();
  /** Last NOPERM log line (ms, Date.now) and how many were held back since: one line per 10 s. */
  private noPermLoggedAt = -Infinity;
  private noPermHeld = 0;

  constructor(
    private readonly rc: RedisStoreConfig,
    private readonly d: SessionStoreDeps,
  ) {
    this.prefix = rc.keyPrefix;
    this.buckets = d.config.buckets;
    this.perBucketMaxLen = Math.max(100, Math.ceil(d.config.streamMaxLen / d.config.buckets));
    this.adminTimeoutMs = Math.max(2000, 10 * rc.commandTimeoutMs);
    this.connOptions = nodeOptions(rc);
    const redis = createRedisClient(rc, {
      connectionName: "carrier-aaa-sessions",
      // The scripts of the hot paths (one per Accounting-Request, one per Access-Request with a
      // session limit) are sent as they come: inside an auto-pipeline, every command and its
      // Pipeline object outlived two scavenges and was promoted, lengthening GC pauses; sent
      // alone, they die young (docs/benchmarks.md, "Accounting").
      autoPipeliningIgnoredCommands: ["acctRecord", "acctClaim"],
    });
    this.redis = defineSessionScripts(redis);
    if (rc.waitReplicas > 0) {
      // Claims and admin reads must not queue behind a WAIT (up to a whole deadline when a
      // replica is down): the accounting writes and their WAITs get a connection of their own.
      this.writer = defineSessionScripts(createRedisClient(rc, { connectionName: "carrier-aaa-acct", autoPipeliningIgnoredCommands: ["acctRecord"] }));
      this.writer.on("error", () => {});
      this.replicaWait = new ReplicaWait(this.writer, rc.waitReplicas);
    } else {
      this.writer = this.redis;
    }
    this.redis.on("error", (err: unknown) => {
      this.lastConnError = safeErrorMessage(err);
    });
    this.redis.on("ready", () => {
      if (this.down && this.state === "started") this.d.log.info({ store: "redis-sessions" }, "Redis connection for sessions ready");
      this.down = false;
      if (this.state === "started") this.permissionCheck = this.checkPermissions();
    });
    this.redis.on("close", () => {
      if (!this.down && this.state === "started") {
        this.d.log.warn({ store: "redis-sessions", err: this.lastConnError }, "Redis connection for sessions lost; accounting is not answered until it returns");
      }
      this.down = true;
    });
    this.redis.on("end", () => {
      // ioredis gave up reconnecting on its own: keep trying while started.
      if (this.state !== "started") return;
      setTimeout(() => {
        if (this.state === "started" && this.redis.status === "end") this.redis.connect().catch(() => {});
      }, 1000).unref();
    });
  }

  // ---- keys ----
  private bucketPrefix(b: number): string {
    return `${this.prefix}{sess:${b}}:`;
  }
  private userBucket(user: string): string {
    return this.bucketPrefix(sessionBucket(user, this.buckets));
  }

  async start(): Promise<void> {
    if (this.state === "started") return;
    if (this.state === "closed") throw new StoreError("STORE_UNAVAILABLE", "session store is closed");
    await checkSentinels(this.rc);
    this.state = "started";
    try {
      const writer = this.writer !== this.redis ? [this.writer.connect()] : [];
      await withDeadline(Promise.all([this.redis.connect(), ...writer]), this.rc.connectTimeoutMs + 1000, "connecting to Redis");
      // A cluster client resolves connect() a tick before its "ready" event (the permission check).
      if (isCluster(this.redis)) await new Promise((resolve) => setImmediate(resolve));
      const uncovered = isCluster(this.redis) ? uncoveredSlots(this.redis) : 0;
      if (uncovered > 0) {
        await this.close();
        throw new StoreError("STORE_UNAVAILABLE", `store.redis.cluster: the cluster is not ready (${uncovered} of 16384 slots have no master)`);
      }
    } catch (err) {
      if (err instanceof StoreError && err.message.startsWith("store.redis.cluster")) throw err;
      // A cluster that is unreachable or not ready at start is a configuration problem: refused.
      if (isCluster(this.redis)) {
        await this.close();
        throw await clusterStartError(this.rc, this.connOptions, this.rc.connectTimeoutMs);
      }
      this.d.log.warn(
        { store: "redis-sessions", ...redisTarget(this.rc), err: this.lastConnError ?? safeErrorMessage(err) },
        "Redis unreachable at start; accounting is not answered until it is reachable, retrying in the background",
      );
    }
    await this.permissionCheck;
  }

  /** Which needed commands (the scripts' included) the ACL user lacks: logged once per change. */
  private async checkPermissions(): Promise<void> {
    const r = await checkCommandPermissions(this.redis, sessionStoreProbes(this.prefix), this.rc.connectTimeoutMs + this.adminTimeoutMs);
    if (r.ok === "unknown") return;
    const denied = r.ok ? [] : r.denied;
    if (denied.join() === this.denied.join()) return;
    this.denied = denied;
    if (denied.length > 0) this.d.log.error({ store: "redis-sessions", denied }, permissionProblem("session store (accounting, Simultaneous-Use)", denied));
    else this.d.log.info({ store: "redis-sessions" }, "Redis user may now run every command the session store needs");
  }

  problems(): string[] {
    return this.denied.length > 0 ? [permissionProblem("session store (accounting, Simultaneous-Use)", this.denied)] : [];
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    for (const c of this.writer !== this.redis ? [this.redis, this.writer] : [this.redis]) {
      if (c.status === "ready") await withDeadline(c.quit(), 500, "QUIT").catch(() => {});
      if (c.status !== "end") c.disconnect();
    }
  }

  isAvailable(): boolean {
    return this.state === "started" && this.redis.status === "ready" && this.writer.status === "ready";
  }

  private ensure(timeoutMs?: number, conn: ScriptedRedis = this.redis): void {
    if (this.state !== "started") throw new StoreError("STORE_UNAVAILABLE", `session store ${this.state === "new" ? "not started" : "closed"}`);
    if (conn.status !== "ready") throw new StoreError("STORE_UNAVAILABLE", "Redis not connected");
    if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new StoreError("STORE_TIMEOUT", "deadline already expired");
  }

  private fail(what: string, err: unknown): StoreError {
    if (err instanceof StoreError) return err;
    const msg = safeErrorMessage(err);
    if (/enableOfflineQueue|Stream isn't writeable|Connection is closed/i.test(msg)) return new StoreError("STORE_UNAVAILABLE", `${what}: Redis not connected`);
    if (isNoPermError(err)) {
      // An ACL that changed at run time (the start check reports the rest): its own reason, and
      // one log line per 10 s rather than one per request.
      const now = Date.now();
      if (now - this.noPermLoggedAt >= 10_000) {
        this.d.log.error({ store: "redis-sessions", what, err: msg, suppressedSinceLast: this.noPermHeld }, "Redis refused a command: the user lacks a permission (NOPERM)");
        this.noPermLoggedAt = now;
        this.noPermHeld = 0;
      } else {
        this.noPermHeld++;
      }
      return new StoreError("STORE_NO_PERMISSION", `${what}: the Redis user lacks a permission (NOPERM)`);
    }
    return new StoreError("STORE_WRITE_FAILED", `${what} failed: ${msg}`);
  }

  async record(rec: AccountingRecord, timeoutMs: number): Promise<RecordResult> {
    this.ensure(timeoutMs, this.writer);
    const budget = Math.min(timeoutMs, this.rc.commandTimeoutMs);
    const t0 = performance.now();
    try {
      if (rec.kind === "on" || rec.kind === "off") return await withDeadline(this.replicated(this.onOff(rec), t0, budget), budget, "Accounting-On/Off");
      // Admission: once Redis is behind, every write queued behind it would miss its deadline
      // and still cost Redis its work; refusing the excess keeps the rest within the deadline.
      if (this.inFlight >= this.d.config.maxWritesInFlight) {
        throw new StoreError("STORE_OVERLOADED", `${this.inFlight} accounting writes already waiting for Redis`);
      }
      const bp = this.userBucket(rec.user);
      const m = sessionMember(rec.nas, rec.sessionId, rec.user);
      const now = this.d.wallClock();
      const r = await withDeadline(
        this.replicated(this.counted(this.writer.acctRecord(
          `${bp}s:${m}`,
          `${bp}u:${rec.user}`,
          `${bp}n:${rec.nas}`,
          `${bp}live`,
          `${bp}acct`,
          `${bp}c:${rec.user}`,
          rec.kind,
          m,
          interimFingerprint(rec),
          rec.eventTime,
          staleDeadline(rec, this.d.config),
          this.d.config.retainClosedSeconds,
          this.perBucketMaxLen,
          now,
          startGuess(rec),
          FINGERPRINTS_KEPT,
          JSON.stringify(rec),
        )), t0, budget),
        budget,
        "accounting write",
      );
      return { result: r === 1 ? "stored" : "duplicate" };
    } catch (err) {
      throw this.fail("accounting write", err);
    }
  }

  /** `p`, then with waitReplicas the WAIT that confirms it reached the replicas (same budget). */
  private async replicated<T>(p: Promise<T>, t0: number, budget: number): Promise<T> {
    const v = await p;
    if (this.replicaWait) {
      // A deadline that passes during WAIT means "not confirmed in time": said so, 1 ms before
      // the caller's own deadline would call it a plain timeout.
      const left = budget - (performance.now() - t0) - 1;
      await withDeadline(this.replicaWait.wait(left), left, "WAIT").catch((err: unknown) => {
        throw err instanceof StoreError && err.code === "STORE_TIMEOUT" ? new StoreError("STORE_NOT_REPLICATED", `no replica confirmed the write within ${Math.round(left)} ms`) : err;
      });
    }
    return v;
  }

  /** Count a command in flight until its reply (or failure) arrives, whoever waits for it. */
  private counted<T>(p: Promise<T>): Promise<T> {
    this.inFlight++;
    const done = (): void => {
      this.inFlight--;
    };
    p.then(done, done);
    return p;
  }

  private async onOff(rec: AccountingRecord): Promise<RecordResult> {
    const reason = rec.kind === "on" ? "nas-on" : "nas-off";
    const resets: Promise<number>[] = [];
    for (let b = 0; b < this.buckets; b++) {
      const bp = this.bucketPrefix(b);
      resets.push(this.writer.acctNasReset(`${bp}n:${rec.nas}`, `${bp}acct`, bp, rec.eventTime, reason, this.d.config.retainClosedSeconds, this.perBucketMaxLen));
    }
    const closed = (await Promise.all(resets)).reduce((a, n) => a + n, 0);
    const bp = this.bucketPrefix(sessionBucket(rec.nas, this.buckets));
    const logged = await this.writer.acctOnOffLog(
      `${bp}o:${sessionMember(rec.nas, rec.sessionId, rec.kind)}`,
      `${bp}acct`,
      this.d.config.retainClosedSeconds,
      this.perBucketMaxLen,
      rec.kind,
      JSON.stringify(rec),
    );
    return { result: logged === 1 ? "stored" : "duplicate", closed };
  }

  async claim(user: string, maxSessions: number, timeoutMs: number): Promise<ClaimResult> {
    this.ensure(timeoutMs);
    const bp = this.userBucket(user);
    const now = this.d.wallClock();
    const ttl = this.d.config.claimTtlSeconds * 1000;
    try {
      const [ok, inUse] = await withDeadline(
        this.redis.acctClaim(`${bp}u:${user}`, `${bp}c:${user}`, maxSessions, now, now + ttl, claimId(), ttl),
        Math.min(timeoutMs, this.rc.commandTimeoutMs),
        "Simultaneous-Use check",
      );
      return { ok: ok === 1, inUse };
    } catch (err) {
      throw this.fail("Simultaneous-Use check", err);
    }
  }

  private async readSessions(keys: string[]): Promise<Session[]> {
    if (keys.length === 0) return [];
    let res: Array<[Error | null, unknown]>;
    if (isCluster(this.redis)) {
      // A pipeline cannot span masters: one HGETALL each (ioredis pipelines those of a master).
      const c = this.redis;
      const settled = await withDeadline(Promise.allSettled(keys.map((k) => c.hgetall(k))), this.adminTimeoutMs, "reading sessions");
      res = settled.map((r) => (r.status === "fulfilled" ? [null, r.value] : [r.reason as Error, null]));
    } else {
      const pipe = this.redis.pipeline();
      for (const k of keys) pipe.hgetall(k);
      res = (await withDeadline(pipe.exec(), this.adminTimeoutMs, "reading sessions")) ?? [];
    }
    const out: Session[] = [];
    for (const [err, value] of res) {
      if (err || !value || typeof value !== "object" || Object.keys(value).length === 0) continue;
      out.push(toSession(value as Record<string, string>));
    }
    return out;
  }

  async listSessions(filter: SessionFilter = {}): Promise<Session[]> {
    this.ensure();
    const limit = filter.limit ?? 10_000;
    const keys: string[] = [];
    try {
      if (filter.user !== undefined) {
        const bp = this.userBucket(filter.user);
        for (const m of await this.redis.smembers(`${bp}u:${filter.user}`)) {
          const p = parseSessionMember(m);
          if (p && (filter.nas === undefined || p.nas === filter.nas)) keys.push(`${bp}s:${m}`);
        }
      } else {
        for (let b = 0; b < this.buckets && keys.length < limit; b++) {
          const bp = this.bucketPrefix(b);
          const members = filter.nas !== undefined ? await this.redis.smembers(`${bp}n:${filter.nas}`) : await this.redis.zrange(`${bp}live`, "0", String(limit - keys.length - 1));
          for (const m of members) keys.push(`${bp}s:${m}`);
        }
      }
      const sessions = (await this.readSessions(keys.slice(0, limit))).filter((s) => s.status === "live");
      return sessions.sort((a, b) => a.startedAt - b.startedAt);
    } catch (err) {
      throw this.fail("listing sessions", err);
    }
  }

  async getSession(nas: string, sessionId: string, user: string): Promise<Session | null> {
    this.ensure();
    const bp = this.userBucket(user);
    const [s] = await this.readSessions([`${bp}s:${sessionMember(nas, sessionId, user)}`]);
    return s ?? null;
  }

  async sweepStale(): Promise<number> {
    this.ensure();
    const now = this.d.wallClock();
    let total = 0;
    for (let b = 0; b < this.buckets; b++) {
      const bp = this.bucketPrefix(b);
      for (;;) {
        const [examined, closed] = await withDeadline(
          this.redis.acctSweep(`${bp}live`, `${bp}acct`, bp, now, SWEEP_BATCH, this.d.config.retainClosedSeconds, this.perBucketMaxLen),
          this.adminTimeoutMs,
          "closing stale sessions",
        );
        total += closed;
        if (examined < SWEEP_BATCH) break;
      }
    }
    return total;
  }

  async history(count = 100_000): Promise<HistoryEntry[]> {
    this.ensure();
    const all: HistoryEntry[] = [];
    for (let b = 0; b < this.buckets; b++) {
      const entries = await withDeadline(this.redis.xrange(`${this.bucketPrefix(b)}acct`, "-", "+", "COUNT", String(count)), this.adminTimeoutMs, "reading history");
      for (const [id, flat] of entries) {
        const rec = entryRecord(flat);
        if (rec) all.push({ ...rec, id } as HistoryEntry);
      }
    }
    return all.sort((a, b) => compareStreamIds(a.id, b.id));
  }
}

function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am - bm || as - bs;
}

/** The record of a stream entry (its `rec` field, JSON), or null for an entry not ours. */
function entryRecord(flat: string[]): Record<string, unknown> | null {
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (flat[i] !== "rec") continue;
    try {
      const v: unknown = JSON.parse(flat[i + 1]!);
      return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** Record fields that describe the request, not the session. */
const NOT_SESSION_FIELDS = new Set(["kind", "eventTime", "receivedAt", "delayTime"]);

function parseJson(s: string | undefined): Record<string, unknown> {
  if (s === undefined) return {};
  try {
    const v: unknown = JSON.parse(s);
    return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A session from its hash: the first record's attributes, the latest's over them, then the state. */
function toSession(h: Record<string, string>): Session {
  const out: Record<string, unknown> = {};
  for (const rec of [parseJson(h["first"]), parseJson(h["rec"])]) {
    for (const k of Object.keys(rec)) if (!NOT_SESSION_FIELDS.has(k) && rec[k] !== undefined && rec[k] !== null) out[k] = rec[k];
  }
  out["status"] = h["status"] === "closed" ? "closed" : "live";
  for (const k of ["startedAt", "updatedAt", "closedAt"] as const) if (h[k] !== undefined) out[k] = Number(h[k]);
  if (h["closeReason"] !== undefined) out["closeReason"] = h["closeReason"];
  return out as unknown as Session;
}
