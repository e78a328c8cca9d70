// Redis outages against a real, private redis-server: killed and restarted (test/helpers/redis.ts),
// paused (CLIENT PAUSE) to make replies late. Lookups use generous deadlines (5 s) and assert the
// error CODE: a hang would surface as STORE_TIMEOUT, so no wall-clock assertions are needed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import net from "node:net";
import { Redis } from "ioredis";
import { RedisStore } from "../../src/store/redis-store.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { Opened, recordingLogger, redisConfig, rejection, sub, waitFor } from "./harness.js";
import { itOwnRedis } from "../helpers/skip.js";

// kill()/restart()/CLIENT PAUSE only make sense on a private server: with a shared REDIS_URL
// these tests are skipped (the report says why) rather than disturb it.
const ownRedis = !process.env["REDIS_URL"];
const log = recordingLogger();
const opened = new Opened();
let redis: TestRedis;
let n = 0;

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

function newStore(overrides: Record<string, unknown> = {}): RedisStore {
  // Small reconnect cap so recovery is quick in tests.
  const s = new RedisStore(redisConfig(redis, `${redis.keyPrefix}o${++n}:`, overrides), log, { reconnectMaxDelayMs: 100 });
  return opened.track(s);
}

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await opened.closeAll();
  // A test that failed half-way may have left the server killed. restart() on a live server
  // would lose track of it (the helper keeps only the newest child), so probe first.
  if (ownRedis && !(await reachable(redis.port))) await redis.restart();
});
afterAll(async () => {
  await redis.stop();
});

describe("Redis outages", () => {
  itOwnRedis("starts with Redis down, fails fast while down, and serves once Redis is up", async () => {
    await redis.kill();
    const store = newStore();
    await store.start(); // resolves: the server must start without Redis
    expect(store.isAvailable()).toBe(false);
    const err = await rejection(store.getSubscriber("alice", 5000));
    expect(err.code).toBe("STORE_UNAVAILABLE");
    expect(await store.putSubscribers([sub("alice")])).toMatchObject({ written: 0, failed: 1 });
    expect(store.stats().inFlight).toBe(0);
    expect(log.lines.some((l) => l.includes("Redis unreachable at start"))).toBe(true);

    await redis.restart();
    expect(await waitFor(() => store.isAvailable(), 5000)).toBe(true);
    expect(await store.putSubscribers([sub("alice")])).toEqual({ written: 1, failed: 0 });
    await expect(store.getSubscriber("alice", 5000)).resolves.toEqual(sub("alice"));
  });

  itOwnRedis("killed mid-run: in-flight and new lookups reject STORE_UNAVAILABLE (no hang), then recovery", async () => {
    const store = newStore();
    await store.start();
    await store.putSubscribers([sub("alice")]);
    await store.putGroups([{ group: "gold", reply: { "Session-Timeout": 1 } }]);
    await expect(store.getSubscriber("alice", 5000)).resolves.toEqual(sub("alice"));

    // A burst in flight while the server dies: each lookup either got its answer or fails fast.
    const burst = Array.from({ length: 50 }, () => store.getSubscriber("alice", 5000).then(() => "ok", (e: { code: string }) => e.code));
    await redis.kill();
    const outcomes = await Promise.all(burst);
    for (const o of outcomes) expect(["ok", "STORE_UNAVAILABLE"]).toContain(o);

    expect(await waitFor(() => !store.isAvailable(), 5000)).toBe(true);
    expect((await rejection(store.getSubscriber("alice", 5000))).code).toBe("STORE_UNAVAILABLE");
    expect((await rejection(store.deleteSubscriber("alice"))).code).toBe("STORE_UNAVAILABLE");
    expect(store.stats().inFlight).toBe(0);
    // While down the cached groups keep serving (getGroup is synchronous and local).
    expect(store.getGroup("gold")).toEqual({ group: "gold", reply: { "Session-Timeout": 1 } });

    await redis.restart();
    expect(await waitFor(() => store.isAvailable(), 5000)).toBe(true);
    // The restarted server is empty (no persistence in tests): the group cache was reloaded
    // on reconnect, even though the revision counter could not tell.
    expect(store.getGroup("gold")).toBeUndefined();
    await expect(store.getSubscriber("alice", 5000)).resolves.toBeNull();
    await store.putSubscribers([sub("alice")]);
    await expect(store.getSubscriber("alice", 5000)).resolves.toEqual(sub("alice"));
    expect(log.lines.some((l) => l.includes("Redis connection lost"))).toBe(true);
    expect(log.lines.some((l) => l.includes("Redis connection ready"))).toBe(true);
  });

  itOwnRedis("a lookup past its deadline rejects STORE_TIMEOUT but stays in flight until the reply arrives", async () => {
    const store = newStore();
    await store.start();
    await store.putSubscribers([sub("alice")]);
    const admin = new Redis(redis.url);
    try {
      await admin.client("PAUSE", 400, "ALL");
      const err = await rejection(store.getSubscriber("alice", 30));
      expect(err.code).toBe("STORE_TIMEOUT");
      expect(store.stats()).toMatchObject({ inFlight: 1, timeouts: 1 });
      // The reply arrives after the pause; only then does it leave the in-flight count.
      expect(await waitFor(() => store.stats().inFlight === 0, 5000)).toBe(true);
      expect(store.stats().rtt?.samples).toBeGreaterThanOrEqual(1);
      await expect(store.getSubscriber("alice", 5000)).resolves.toEqual(sub("alice"));
    } finally {
      admin.disconnect();
    }
  });

  itOwnRedis("a server that stops answering is dropped (socket timeout), lookups fail fast, then it recovers", async () => {
    // commandTimeoutMs 50 -> socket timeout max(2000, 20 * 50) = 2000 ms.
    const store = newStore({ commandTimeoutMs: 50 });
    await store.start();
    const admin = new Redis(redis.url);
    try {
      await admin.client("PAUSE", 2600, "ALL");
      expect((await rejection(store.getSubscriber("alice", 5000))).code).toBe("STORE_TIMEOUT");
      expect(store.stats().inFlight).toBe(1);
      // No reply for 2 s: the connection is torn down, the pending lookup leaves the count, and
      // requests are refused at once instead of each waiting for its deadline.
      expect(await waitFor(() => !store.isAvailable(), 5000)).toBe(true);
      expect(store.stats().inFlight).toBe(0);
      expect((await rejection(store.getSubscriber("alice", 5000))).code).toBe("STORE_UNAVAILABLE");
      expect(await waitFor(() => store.isAvailable(), 5000)).toBe(true);
      await expect(store.getSubscriber("alice", 5000)).resolves.toBeNull();
    } finally {
      admin.disconnect();
    }
  });
});
