// ONE contract suite, run against both SubscriberStore implementations (memory with temp files,
// Redis with a private redis-server), plus the implementation-specific behaviour of each.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { MemoryStore } from "../../src/store/memory-store.js";
import { RedisStore } from "../../src/store/redis-store.js";
import { StoreError } from "../../src/store/store.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import {
  memoryHarness,
  Opened,
  recordingLogger,
  redisConfig,
  redisHarness,
  rejection,
  sentinelHarness,
  sub,
  waitFor,
} from "./harness.js";
import { storeContract } from "./store-contract.js";
import { describeIf, itIf, itOwnRedis } from "../helpers/skip.js";
import { haveRedisServer, startSentinelGroup, type SentinelGroup } from "../helpers/sentinel.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "store");
const log = recordingLogger();
let redis: TestRedis;
const mem = memoryHarness(log);
const red = redisHarness(() => redis, log);
const opened = new Opened();

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await opened.closeAll();
});
afterAll(async () => {
  mem.cleanup();
  await red.cleanup();
  await redis.stop();
});


storeContract(mem, opened);
storeContract(red, opened);

// The same contract with the primary found through Redis Sentinel (ports 26300-26304).
describeIf(haveRedisServer, "redis-server is not installed")("over Redis Sentinel", () => {
  let group: SentinelGroup | undefined;
  const sen = sentinelHarness(() => group!, log);
  beforeAll(async () => {
    group = await startSentinelGroup(26300);
  }, 30_000);
  afterAll(async () => {
    sen.cleanup();
    await group?.stop();
  });
  storeContract(sen, opened);
});

describe("RedisStore specifics", () => {
  async function fresh(): Promise<{ store: RedisStore; prefix: string; admin: Redis }> {
    const b = await red.fresh();
    const store = (await opened.open(b)) as RedisStore;
    const prefix = (store as unknown as { prefix: string }).prefix;
    const admin = new Redis(redis.url);
    opened.track({ close: async () => admin.disconnect() });
    return { store, prefix, admin };
  }

  // Pausing a shared REDIS_URL would disturb others: only on the test's own redis-server.
  itIf(!process.env["REDIS_URL"], "REDIS_URL is a shared Redis, whose other clients decide when an MGET is in flight")("batches lookups only while an MGET is in flight: an idle store sends at once, a busy one shares the next MGET", async () => {
    const store = new RedisStore(redisConfig(redis, `${redis.keyPrefix}batching:`, { batchDelayMs: 10, commandTimeoutMs: 2000 }), log);
    opened.track(store);
    await store.start();
    await store.putSubscribers([sub("alice"), sub("bob")]);
    const admin = new Redis(redis.url);
    opened.track({ close: async () => admin.disconnect() });
    const mgets = async (): Promise<number> => Number(/cmdstat_mget:calls=(\d+)/.exec(await admin.info("commandstats"))?.[1] ?? 0);
    // Idle: one lookup goes out at the end of the turn, not after the 10 ms window.
    const idle = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await store.getSubscriber("alice");
      idle.push(performance.now() - t0);
    }
    idle.sort((x, y) => x - y);
    expect(idle[10]).toBeLessThan(8);
    // Busy: Redis holds the first MGET for 150 ms; lookups made meanwhile, in separate turns,
    // wait for the window and share one MGET.
    const before = await mgets();
    await admin.call("CLIENT", "PAUSE", "150", "ALL");
    const first = store.getSubscriber("alice");
    const later: Array<Promise<unknown>> = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      later.push(store.getSubscriber(i % 2 ? "alice" : "bob"));
    }
    await expect(first).resolves.toMatchObject({ username: "alice" });
    await Promise.all(later);
    expect((await mgets()) - before).toBe(2);
  });

  it("uses the documented key layout", async () => {
    const { store, prefix, admin } = await fresh();
    await store.putSubscribers([sub("alice")]);
    await store.putGroups([{ group: "gold", reply: { "Filter-Id": "g" } }]);
    expect(JSON.parse((await admin.get(`${prefix}sub:alice`))!)).toEqual(sub("alice"));
    expect(JSON.parse((await admin.get(`${prefix}group:gold`))!)).toEqual({ group: "gold", reply: { "Filter-Id": "g" } });
    expect(await admin.smembers(`${prefix}groups`)).toEqual(["gold"]);
    expect(await admin.get(`${prefix}groups:rev`)).toBe("1");
    await store.deleteGroup("gold");
    expect(await admin.get(`${prefix}groups:rev`)).toBe("2");
    expect(await admin.exists(`${prefix}group:gold`)).toBe(0);
  });

  it("a record failing the schema is STORE_CORRUPT_RECORD, never a crash, and the store keeps working", async () => {
    const { store, prefix, admin } = await fresh();
    await admin.set(`${prefix}sub:garbage`, "\x00not json {password: TOPSECRET");
    await admin.set(`${prefix}sub:schema`, JSON.stringify({ username: "schema", password: "TOPSECRET", enabled: "yes" }));
    await admin.set(`${prefix}sub:other`, JSON.stringify(sub("someone-else")));
    for (const u of ["garbage", "schema", "other"]) {
      const err = await rejection(store.getSubscriber(u));
      expect(err).toBeInstanceOf(StoreError);
      expect(err.code).toBe("STORE_CORRUPT_RECORD");
      expect(err.message).toContain(u);
      expect(err.message).not.toContain("TOPSECRET");
    }
    expect(store.stats()).toMatchObject({ corrupt: 3, errors: 3, inFlight: 0 });
    // A key of another type is not a subscriber record: MGET reads it as nil, an unknown user.
    await admin.hset(`${prefix}sub:hash`, "f", "v");
    await expect(store.getSubscriber("hash")).resolves.toBeNull();
    await store.putSubscribers([sub("fine")]);
    await expect(store.getSubscriber("fine")).resolves.toEqual(sub("fine"));
    expect(store.isAvailable()).toBe(true);
    // The admin listing reports corrupt records instead of failing (MGET skips the hash).
    const corrupt = new Set<string>();
    const listed = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await store.listSubscribers({ cursor, count: 100 });
      page.corrupt.forEach((u) => corrupt.add(u));
      page.subscribers.forEach((x) => listed.add(x.username));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect([...corrupt].sort()).toEqual(["garbage", "other", "schema"]);
    expect([...listed]).toEqual(["fine"]);
  });

  it("a group change reaches a SECOND instance within a few refresh periods", async () => {
    const b = await red.fresh();
    const writer = await opened.open(b);
    const reader = await opened.open(b);
    await writer.putGroups([{ group: "gold", reply: { "Session-Timeout": 1 } }]);
    // groupRefreshMs is 100 in these tests.
    expect(await waitFor(() => reader.getGroup("gold")?.reply["Session-Timeout"] === 1, 2000)).toBe(true);
    await writer.putGroups([{ group: "gold", reply: { "Session-Timeout": 2 } }]);
    expect(await waitFor(() => reader.getGroup("gold")?.reply["Session-Timeout"] === 2, 2000)).toBe(true);
    await writer.deleteGroup("gold");
    expect(await waitFor(() => reader.getGroup("gold") === undefined, 2000)).toBe(true);
  });

  it("a corrupt group record keeps its last good version and does not stop the others", async () => {
    const { store, prefix, admin } = await fresh();
    await store.putGroups([{ group: "a", reply: { "Filter-Id": "a" } }, { group: "b", reply: { "Filter-Id": "b" } }]);
    await admin.set(`${prefix}group:a`, "{broken");
    await admin.set(`${prefix}group:b`, JSON.stringify({ group: "b", reply: { "Filter-Id": "b2" } }));
    await admin.incr(`${prefix}groups:rev`);
    expect(await waitFor(() => store.getGroup("b")?.reply["Filter-Id"] === "b2", 2000)).toBe(true);
    expect(store.getGroup("a")).toEqual({ group: "a", reply: { "Filter-Id": "a" } });
    expect(log.lines.some((l) => l.includes("stored group a is not valid JSON"))).toBe(true);
  });

  itOwnRedis("a bulk write stopping at a failing batch reports exactly what was written", async () => {
    const store = new RedisStore(redisConfig(redis, `${redis.keyPrefix}oom:`), log, { batchSize: 500 });
    opened.track(store);
    await store.start();
    const admin = new Redis(redis.url);
    try {
      const info = await admin.info("memory");
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
      await admin.config("SET", "maxmemory", String(used + 400_000));
      const subs = Array.from({ length: 6000 }, (_, i) => sub(`oom${i}`, { reply: { "Filter-Id": "x".repeat(40) } }));
      const report = await store.putSubscribers(subs);
      await admin.config("SET", "maxmemory", "0");
      expect(report.written).toBeGreaterThan(0);
      expect(report.written).toBeLessThan(subs.length);
      expect(report.written % 500).toBe(0); // whole batches only
      expect(report.failed).toBe(subs.length - report.written);
      expect(report.uncertain).toBeUndefined();
      expect(report.firstError).toMatch(/OOM/);
      // Exactly input[0 .. written-1] is stored.
      const stored = await admin.mget(subs.map((s) => `${redis.keyPrefix}oom:sub:${s.username}`));
      const present = stored.map((v) => v !== null);
      expect(present.lastIndexOf(true)).toBe(report.written - 1);
      expect(present.filter(Boolean)).toHaveLength(report.written);
    } finally {
      await admin.config("SET", "maxmemory", "0");
      admin.disconnect();
    }
  });

  it("writes while Redis is unreachable report every record as failed", async () => {
    const store = new RedisStore(redisConfig(redis, "unused:", { url: "redis://127.0.0.1:1/0", connectTimeoutMs: 200 }), log);
    opened.track(store);
    await store.start();
    expect(await store.putSubscribers([sub("a"), sub("b")])).toEqual({ written: 0, failed: 2, firstError: "STORE_UNAVAILABLE: Redis not connected" });
    expect((await rejection(store.deleteSubscriber("a"))).code).toBe("STORE_UNAVAILABLE");
  });
});

describe("MemoryStore specifics", () => {
  function tmp(): string {
    const d = mkdtempSync(path.join(os.tmpdir(), "aaa-mem-"));
    afterCleanup.push(d);
    return d;
  }
  const afterCleanup: string[] = [];
  afterAll(() => {
    for (const d of afterCleanup) rmSync(d, { recursive: true, force: true });
  });

  it("an invalid line stops start() with file:line and the problem, never the password", async () => {
    const dir = tmp();
    const file = path.join(dir, "subs.jsonl");
    copyFileSync(path.join(fixtures, "subscribers-bad-line.jsonl"), file);
    const s = new MemoryStore({ file }, log);
    const err = await rejection(s.start());
    expect(err.code).toBe("STORE_LOAD_FAILED");
    expect(err.message).toContain(`${file}:4: exactly one of password / passwordHash / ntHash is required`);
    expect(err.message).not.toContain("TOPSECRET");
    expect((err as StoreError).details).toEqual([{ line: 4, message: expect.stringContaining("exactly one") }]);
    expect(s.isAvailable()).toBe(false);
  });

  it("duplicate usernames in the file name both lines", async () => {
    const dir = tmp();
    const file = path.join(dir, "subs.jsonl");
    writeFileSync(file, '{"username":"a","password":"p"}\n\n# c\n{"username":"a","password":"q"}\n');
    const err = await rejection(new MemoryStore({ file }, log).start());
    expect(err.message).toBe(`${file}:4: duplicate username "a" (lines 1 and 4)`);
  });

  it("loads comments, blank lines, CRLF and a BOM; a missing file is refused, or (imports) starts empty and is created 0600 on first write", async () => {
    const dir = tmp();
    const file = path.join(dir, "subs.jsonl");
    writeFileSync(file, '\ufeff# hello\r\n\r\n{"username":"a","password":"p"}\r\n');
    const s = opened.track(new MemoryStore({ file }, log));
    await s.start();
    expect(await s.getSubscriber("a")).toEqual(sub("a", { password: "p" }));

    const newFile = path.join(dir, "new.jsonl");
    const refused = await rejection(new MemoryStore({ file: newFile }, log).start());
    expect(refused.code).toBe("STORE_LOAD_FAILED");
    expect(refused.message).toMatch(new RegExp(`^${newFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: no such file \\(the subscribers file of store\\.memory`));
    const groupsMissing = await rejection(new MemoryStore({ file, groupsFile: path.join(dir, "no-groups.jsonl") }, log).start());
    expect(groupsMissing.message).toMatch(/no-groups\.jsonl: no such file \(the groups file of store\.memory/);

    const s2 = opened.track(new MemoryStore({ file: newFile }, log, { createMissing: true }));
    await s2.start();
    await expect(s2.getSubscriber("a")).resolves.toBeNull();
    await s2.putSubscribers([sub("z")]);
    expect(statSync(newFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(newFile, "utf8").split("\n").filter((l) => l && !l.startsWith("#"))).toEqual([JSON.stringify(sub("z"))]);
  });

  it("a directory, an unreadable file and bad JSON are refused with the file and the problem named", async () => {
    const dir = tmp();
    const asDir = path.join(dir, "subs-dir.jsonl");
    mkdirSync(asDir);
    expect((await rejection(new MemoryStore({ file: asDir }, log).start())).message).toBe(`${asDir}: cannot read file: is a directory, not a file (EISDIR)`);
    const bad = path.join(dir, "bad.jsonl");
    writeFileSync(bad, '{"username":"a","password":"p"}\n{"username":\n');
    expect((await rejection(new MemoryStore({ file: bad }, log).start())).message).toMatch(new RegExp(`bad\\.jsonl:2: invalid JSON`));
  });

  // root reads a chmod-000 file anyway: as root this case cannot be produced and is skipped,
  // saying why (the directory case above still covers a file that cannot be read).
  const asRoot = process.getuid?.() === 0;
  (asRoot ? it.skip : it)(`an unreadable file (EACCES) is refused naming the file${asRoot ? " [skipped: running as root]" : ""}`, async () => {
    const dir = tmp();
    const locked = path.join(dir, "locked.jsonl");
    writeFileSync(locked, "", { mode: 0o000 });
    expect((await rejection(new MemoryStore({ file: locked }, log).start())).message).toBe(`${locked}: cannot read file: permission denied (EACCES)`);
  });

  it("a reload that finds the file gone keeps the data and says so", async () => {
    const dir = tmp();
    const file = path.join(dir, "subs.jsonl");
    writeFileSync(file, '{"username":"a","password":"p"}\n');
    const s = opened.track(new MemoryStore({ file }, log));
    await s.start();
    rmSync(file);
    const err = await rejection(s.reload());
    expect(err.code).toBe("STORE_LOAD_FAILED");
    expect(err.message).toMatch(/subs\.jsonl: no such file/);
    expect(await s.getSubscriber("a")).toEqual(sub("a", { password: "p" }));
  });

  it("without groupsFile, group writes fail loudly instead of being lost on restart", async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "s.jsonl"), "");
    const s = opened.track(new MemoryStore({ file: path.join(dir, "s.jsonl") }, log));
    await s.start();
    const report = await s.putGroups([{ group: "g", reply: {} }]);
    expect(report).toMatchObject({ written: 0, failed: 1 });
    expect(report.firstError).toMatch(/groupsFile/);
    expect(s.getGroup("g")).toBeUndefined();
  });

  it("a failed persist leaves memory unchanged and reports nothing written", async () => {
    const dir = tmp();
    const file = path.join(dir, "s.jsonl");
    const s = opened.track(new MemoryStore({ file }, log, { createMissing: true }));
    await s.start();
    await s.putSubscribers([sub("a")]);
    // A directory where the file should be: the rename over it fails (also for root, who would
    // ignore a read-only directory).
    rmSync(file);
    mkdirSync(file);
    const report = await s.putSubscribers([sub("a", { password: "changed" }), sub("b")]);
    expect(report.written).toBe(0);
    expect(report.failed).toBe(2);
    expect(report.firstError).toMatch(/persisting failed/);
    expect(await s.getSubscriber("a")).toEqual(sub("a"));
    await expect(s.getSubscriber("b")).resolves.toBeNull();
    expect((await rejection(s.deleteSubscriber("a"))).code).toBe("STORE_WRITE_FAILED");
    expect(await s.getSubscriber("a")).toEqual(sub("a"));
  });

  it("reload() picks up an edited file, and keeps the old data when the edit is invalid", async () => {
    const dir = tmp();
    const file = path.join(dir, "s.jsonl");
    writeFileSync(file, `${JSON.stringify(sub("a"))}\n`);
    const s = opened.track(new MemoryStore({ file }, log));
    await s.start();
    writeFileSync(file, `${JSON.stringify(sub("b"))}\n`);
    await s.reload();
    await expect(s.getSubscriber("a")).resolves.toBeNull();
    await expect(s.getSubscriber("b")).resolves.not.toBeNull();
    writeFileSync(file, "{oops\n");
    expect((await rejection(s.reload())).code).toBe("STORE_LOAD_FAILED");
    await expect(s.getSubscriber("b")).resolves.not.toBeNull();
  });
});

describe("logging", () => {
  it("never logged a password (runs last in this file)", () => {
    const all = log.lines.join("\n");
    expect(all).not.toMatch(/TOPSECRET|s3cret|pw-[a-z]/);
  });
});
