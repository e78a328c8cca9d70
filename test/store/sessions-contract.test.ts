// ONE contract suite for the session stores (accounting, live sessions, Simultaneous-Use), run
// against the memory implementation and the Redis one (private redis-server), plus what is
// specific to Redis (key layout, atomicity under concurrency, refused writes).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import { createSessionStore } from "../../src/store/factory.js";
import type { SessionStore } from "../../src/store/sessions.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { redisConfig, sentinelConfig } from "./harness.js";
import { describeIf, itOwnRedis } from "../helpers/skip.js";
import { haveRedisServer, startSentinelGroup, type SentinelGroup } from "../helpers/sentinel.js";
import { rec, sessionsConfig, sessionsContract, T0, type Backend } from "./sessions-contract-suite.js";

let redis: TestRedis;
let prefixN = 0;
const opened: SessionStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await redis.stop();
});

const memory: Backend = {
  name: "memory",
  async open(overrides = {}) {
    const clock = { now: T0 };
    const store = createSessionStore({ memory: { file: "unused.jsonl" } }, sessionsConfig(overrides), undefined, () => clock.now);
    opened.push(store);
    await store.start();
    return { store, clock };
  },
};

const redisBackend: Backend = {
  name: "redis",
  async open(overrides = {}) {
    const clock = { now: T0 };
    const prefix = `${redis.keyPrefix}s${++prefixN}:`;
    const store = createSessionStore({ redis: redisConfig(redis, prefix) }, sessionsConfig(overrides), undefined, () => clock.now);
    opened.push(store);
    await store.start();
    return { store, clock, prefix };
  },
};

sessionsContract(memory);
sessionsContract(redisBackend);

// The same contract with the primary found through Redis Sentinel, each accounting write
// confirmed on the replica (waitReplicas: 1). Ports 26310-26314.
describeIf(haveRedisServer, "redis-server is not installed")("over Redis Sentinel, waitReplicas 1", () => {
  let group: SentinelGroup | undefined;
  beforeAll(async () => {
    group = await startSentinelGroup(26310);
  }, 30_000);
  afterAll(async () => {
    await group?.stop();
  });
  sessionsContract({
    name: "redis",
    async open(overrides = {}) {
      const clock = { now: T0 };
      const prefix = `sentinel:s${++prefixN}:`;
      const store = createSessionStore({ redis: sentinelConfig(group!, prefix, { waitReplicas: 1 }) }, sessionsConfig(overrides), undefined, () => clock.now);
      opened.push(store);
      await store.start();
      return { store, clock, prefix };
    },
  });
});

describe("Redis session store specifics", () => {
  it("puts every key in a {sess:N} hash-tag bucket, all of one subscriber's in the same one", async () => {
    const { store, prefix = "" } = await redisBackend.open({ buckets: 8 });
    for (let i = 0; i < 20; i++) await store.record(rec("start", { user: `user${i}`, sessionId: `s${i}` }), 1000);
    await store.claim("user3", 5, 1000);
    await store.record(rec("on", { user: "", sessionId: "0", eventTime: T0 + 5 }), 1000);
    const admin = new Redis(redis.url);
    try {
      const keys = await admin.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) expect(k.slice(prefix.length)).toMatch(/^\{sess:[0-7]\}:/);
      const tagsOf = (user: string) => new Set(keys.filter((k) => k.includes(`\n${user}`) || k.endsWith(`:${user}`)).map((k) => k.slice(prefix.length).split("}")[0]));
      expect(tagsOf("user3").size).toBe(1);
    } finally {
      admin.disconnect();
    }
  });

  itOwnRedis("refuses writes beyond maxWritesInFlight at once, without sending them, while Redis is behind", async () => {
    const { store } = await redisBackend.open({ maxWritesInFlight: 3 });
    const admin = new Redis(redis.url);
    try {
      await admin.call("CLIENT", "PAUSE", "400", "ALL");
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.record(rec("start", { sessionId: `busy-${i}` }), 3000)));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(refused.map((r) => (r.reason as { code: string }).code)).toEqual(["STORE_OVERLOADED", "STORE_OVERLOADED", "STORE_OVERLOADED"]);
      // Only the three that were sent are stored; capacity is back once their replies are in.
      expect((await store.history()).map((h) => (h as { sessionId: string }).sessionId).sort()).toEqual(["busy-0", "busy-1", "busy-2"]);
      expect((await store.record(rec("start", { sessionId: "busy-9" }), 1000)).result).toBe("stored");
    } finally {
      admin.disconnect();
    }
  });

  itOwnRedis("rejects a write Redis refuses (out of memory) with STORE_WRITE_FAILED, and stores nothing", async () => {
    const { store, prefix = "" } = await redisBackend.open();
    const admin = new Redis(redis.url);
    try {
      await admin.config("SET", "maxmemory", "1");
      await admin.config("SET", "maxmemory-policy", "noeviction");
      await expect(store.record(rec("start", { sessionId: "refused" }), 1000)).rejects.toMatchObject({ code: "STORE_WRITE_FAILED" });
    } finally {
      await admin.config("SET", "maxmemory", "0");
    }
    expect(await admin.keys(`${prefix}*`)).toEqual([]);
    admin.disconnect();
  });
});
