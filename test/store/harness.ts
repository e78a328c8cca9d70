// Shared helpers for the store tests: backings (fresh, isolated data for one test), a logger that
// records every line (to prove no password is ever logged), polling.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { redisStoreConfigSchema } from "../../src/store/config.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { RedisStore, type RedisStoreTuning } from "../../src/store/redis-store.js";
import type { SubscriberStore } from "../../src/store/store.js";
import type { Subscriber } from "../../src/store/subscriber.js";
import type { StoreLogger } from "../../src/store/util.js";
import type { TestRedis } from "../helpers/redis.js";
import type { SentinelGroup } from "../helpers/sentinel.js";

export interface RecordingLogger extends StoreLogger {
  lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  const rec = (level: string) => (obj: object, msg?: string) => {
    lines.push(`${level} ${msg ?? ""} ${JSON.stringify(obj)}`);
  };
  return { lines, info: rec("info"), warn: rec("warn"), error: rec("error") };
}

/** Isolated data for one test: a new temp dir, or a new Redis key prefix. */
export interface Backing {
  /** A new (not started) store over this backing's data; several may coexist. */
  create(): SubscriberStore;
  /** Where import files for this test may be written. */
  dir: string;
}

export interface Harness {
  /** The store's `kind`. */
  name: string;
  /** In test titles, when not `name` (e.g. "redis-cluster"). */
  label?: string;
  fresh(): Promise<Backing>;
}

export function memoryHarness(log: StoreLogger): Harness & { cleanup(): void } {
  const dirs: string[] = [];
  return {
    name: "memory",
    async fresh() {
      const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-store-"));
      dirs.push(dir);
      // An empty store: the server refuses missing files.
      writeFileSync(path.join(dir, "subscribers.jsonl"), "", { mode: 0o600 });
      writeFileSync(path.join(dir, "groups.jsonl"), "", { mode: 0o600 });
      return {
        dir,
        create: () => new MemoryStore({ file: path.join(dir, "subscribers.jsonl"), groupsFile: path.join(dir, "groups.jsonl") }, log),
      };
    },
    cleanup() {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

let prefixCounter = 0;

export function redisConfig(redis: TestRedis, keyPrefix: string, overrides: Record<string, unknown> = {}) {
  return redisStoreConfigSchema.parse({
    url: redis.url,
    keyPrefix,
    commandTimeoutMs: 500,
    connectTimeoutMs: 500,
    groupRefreshMs: 100,
    ...overrides,
  });
}

export function redisHarness(getRedis: () => TestRedis, log: StoreLogger, tuning: RedisStoreTuning = {}): Harness & { cleanup(): Promise<void> } {
  const dirs: string[] = [];
  const prefixes: string[] = [];
  return {
    name: "redis",
    async fresh() {
      const redis = getRedis();
      // Unique per test, under the helper's unique prefix: tests never see each other's keys.
      const prefix = `${redis.keyPrefix}${++prefixCounter}:`;
      prefixes.push(prefix);
      const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-store-"));
      dirs.push(dir);
      // An empty store: the server refuses missing files.
      writeFileSync(path.join(dir, "subscribers.jsonl"), "", { mode: 0o600 });
      writeFileSync(path.join(dir, "groups.jsonl"), "", { mode: 0o600 });
      return { dir, create: () => new RedisStore(redisConfig(redis, prefix), log, tuning) };
    },
    async cleanup() {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
      // Only matters with a shared REDIS_URL: delete exactly the keys under our own prefixes.
      if (process.env["REDIS_URL"]) await deleteByPrefix(getRedis().url, prefixes);
    },
  };
}

/** store.redis for a Sentinel set-up (test timeouts as redisConfig's). */
export function sentinelConfig(group: SentinelGroup, keyPrefix: string, overrides: Record<string, unknown> = {}) {
  return redisStoreConfigSchema.parse({
    sentinels: group.sentinels,
    name: group.name,
    keyPrefix,
    commandTimeoutMs: 500,
    connectTimeoutMs: 500,
    groupRefreshMs: 100,
    ...overrides,
  });
}

/** The Redis harness over Redis Sentinel: the stores find the primary through the sentinels. */
export function sentinelHarness(getGroup: () => SentinelGroup, log: StoreLogger): Harness & { cleanup(): void } {
  const dirs: string[] = [];
  return {
    name: "redis",
    async fresh() {
      const prefix = `sentinel:${++prefixCounter}:`;
      const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-store-"));
      dirs.push(dir);
      writeFileSync(path.join(dir, "subscribers.jsonl"), "", { mode: 0o600 });
      writeFileSync(path.join(dir, "groups.jsonl"), "", { mode: 0o600 });
      return { dir, create: () => new RedisStore(sentinelConfig(getGroup(), prefix), log) };
    },
    cleanup() {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

async function deleteByPrefix(url: string, prefixes: readonly string[]): Promise<void> {
  const admin = new Redis(url, { lazyConnect: true });
  try {
    await admin.connect();
    for (const p of prefixes) {
      let cursor = "0";
      do {
        const [next, keys] = await admin.scan(cursor, "MATCH", `${p.replace(/[*?[\]\\]/g, "\\$&")}*`, "COUNT", 1000);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
      } while (cursor !== "0");
    }
  } finally {
    admin.disconnect();
  }
}

/** Poll until cond() holds or timeoutMs passes; returns the last value of cond(). */
export async function waitFor(cond: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return true;
}

export function sub(username: string, extra: Partial<Subscriber> = {}): Subscriber {
  return { username, password: `pw-${username}`, enabled: true, groups: [], reply: {}, ...extra };
}

/** Stores opened by a test, closed in afterEach. */
interface Closable {
  close(): Promise<void>;
}

export class Opened {
  private stores: Closable[] = [];
  async open(b: Backing): Promise<SubscriberStore> {
    const s = b.create();
    this.stores.push(s);
    await s.start();
    return s;
  }
  track<S extends Closable>(s: S): S {
    this.stores.push(s);
    return s;
  }
  async closeAll(): Promise<void> {
    const all = this.stores;
    this.stores = [];
    await Promise.all(all.map((s) => s.close()));
  }
}

/** Expect a promise to reject with a StoreError of this code; returns the error. */
export async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error("expected a rejection");
}
