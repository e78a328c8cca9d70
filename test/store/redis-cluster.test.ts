// The stores on Redis Cluster: three masters started here (ports 27300-27302; 27310-27312 for a
// cluster that is never created), the same contract suites as on one Redis, what a cluster adds
// (lookups over every master in one batch, streams spread over the shards, per-master SCAN), the
// import and `sessions list` CLIs, and the start-up errors that name store.redis.cluster.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Cluster } from "ioredis";
import { redisStoreConfigSchema, storeConfigSchema } from "../../src/store/config.js";
import { createSessionStore } from "../../src/store/factory.js";
import { groupByNode, slotOf } from "../../src/store/redis-cluster.js";
import { RedisSessionStore } from "../../src/store/redis-sessions.js";
import { RedisStore } from "../../src/store/redis-store.js";
import { sessionBucket, type SessionStore } from "../../src/store/sessions.js";
import { haveClusterTools, startCluster, type TestCluster } from "../helpers/redis-cluster.js";
import { describeIf, itIf } from "../helpers/skip.js";
import { Opened, recordingLogger, rejection, sub, waitFor, type Harness } from "./harness.js";
import { storeContract } from "./store-contract.js";
import { rec, sessionsConfig, sessionsContract, T0, type Backend } from "./sessions-contract-suite.js";

const tools = haveClusterTools();
const REASON = "redis-server or redis-cli is not installed";
const itCluster = itIf(tools, REASON);
const PORTS = [27300, 27301, 27302];
const BIN = path.resolve("bin/carrier-aaa.js");

let cluster: TestCluster;
let admin: Cluster;
let n = 0;
const log = recordingLogger();
const opened = new Opened();
const sessions: SessionStore[] = [];
const dirs: string[] = [];

function clusterConfig(keyPrefix: string, overrides: Record<string, unknown> = {}) {
  return redisStoreConfigSchema.parse({ cluster: cluster.urls, keyPrefix, commandTimeoutMs: 500, connectTimeoutMs: 1000, groupRefreshMs: 100, ...overrides });
}

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "aaa-cluster-store-"));
  dirs.push(d);
  return d;
}

const harness: Harness = {
  name: "redis",
  label: "redis-cluster",
  async fresh() {
    const prefix = `c${++n}:`;
    const dir = tempDir();
    return { dir, create: () => new RedisStore(clusterConfig(prefix), log) };
  },
};

const backend: Backend = {
  name: "redis-cluster",
  async open(overrides = {}) {
    const clock = { now: T0 };
    const prefix = `s${++n}:`;
    const store = createSessionStore({ redis: clusterConfig(prefix) }, sessionsConfig(overrides), undefined, () => clock.now);
    sessions.push(store);
    await store.start();
    return { store, clock, prefix };
  },
};

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("node", [BIN, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The master (host:port) that owns a key's slot, from CLUSTER SLOTS. */
async function ownerTable(): Promise<(key: string) => string> {
  const slots = await admin.cluster("SLOTS");
  return (key) => {
    const s = slotOf(key);
    const r = slots.find(([lo, hi]) => s >= lo && s <= hi);
    return r?.[2] ? `${r[2][0]}:${r[2][1]}` : "none";
  };
}

beforeAll(async () => {
  if (!tools) return;
  cluster = await startCluster(PORTS);
  admin = new Cluster(cluster.urls.map((u) => ({ host: "127.0.0.1", port: Number(new URL(u).port) })), { lazyConnect: true });
  await admin.connect();
}, 40_000);
afterEach(async () => {
  await opened.closeAll();
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  admin?.disconnect();
  await cluster?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("store.redis.cluster configuration", () => {
  it("takes a list of node URLs; refuses url together with cluster, naming url; refuses a db number and mixed schemes", () => {
    const ok = redisStoreConfigSchema.parse({ cluster: ["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"] });
    expect(ok.cluster).toHaveLength(2);
    expect(ok.url).toBeUndefined();
    const mixed = storeConfigSchema.safeParse({ redis: { url: "redis://127.0.0.1:6379/0", cluster: ["redis://127.0.0.1:7000"] } });
    expect(mixed.success).toBe(false);
    expect(mixed.error?.issues[0]).toMatchObject({ path: ["redis", "url"], message: expect.stringMatching(/^url and cluster are exclusive/) });
    const db = redisStoreConfigSchema.safeParse({ cluster: ["redis://127.0.0.1:7000/2"] });
    expect(db.error?.issues[0]).toMatchObject({ path: ["cluster", 0], message: expect.stringMatching(/only db 0/) });
    const schemes = redisStoreConfigSchema.safeParse({ cluster: ["redis://127.0.0.1:7000", "rediss://127.0.0.1:7001"] });
    expect(schemes.error?.issues[0]).toMatchObject({ path: ["cluster", 1] });
    expect(redisStoreConfigSchema.safeParse({ cluster: [] }).success).toBe(false);
  });
});

describeIf(tools, REASON)("Redis Cluster: contract suites", () => {
  storeContract(harness, opened);
  sessionsContract(backend);
});

describe("Redis Cluster specifics", () => {
  itCluster("one batch of lookups over keys of every master is answered in full, one request per master, no CROSSSLOT", async () => {
    const s = await opened.open(await harness.fresh());
    const users = Array.from({ length: 600 }, (_, i) => sub(`u${i}`, { reply: { "Filter-Id": `f${i}` } }));
    expect(await s.putSubscribers(users)).toEqual({ written: 600, failed: 0 });
    const owner = await ownerTable();
    const prefix = `c${n}:`;
    expect(new Set(users.map((u) => owner(`${prefix}sub:${u.username}`))).size).toBe(3);
    // The batch of one event-loop turn is split by master (MAX_BATCH 256 keys a request).
    expect(groupByNode(admin, users.map((u) => `${prefix}sub:${u.username}`))).toHaveLength(3);
    const got = await Promise.all(users.map((u) => s.getSubscriber(u.username)));
    expect(got).toEqual(users);
    await expect(s.getSubscriber("nobody-here")).resolves.toBeNull();
    expect(s.stats()).toMatchObject({ inFlight: 0, errors: 0, timeouts: 0 });
  });

  itCluster("the 16 accounting streams are spread over all three masters; a bucket's keys share one slot", async () => {
    const { store, prefix = "" } = await backend.open();
    const owner = await ownerTable();
    const streams = Array.from({ length: 16 }, (_, b) => `${prefix}{sess:${b}}:acct`);
    const perMaster = new Map<string, number>();
    for (const k of streams) perMaster.set(owner(k), (perMaster.get(owner(k)) ?? 0) + 1);
    expect(perMaster.size).toBe(3);
    for (const count of perMaster.values()) expect(count).toBeGreaterThanOrEqual(4);
    // Records of users in every bucket land in their bucket's stream.
    const users: string[] = [];
    for (let i = 0; users.length < 16 || new Set(users.map((u) => sessionBucket(u, 16))).size < 16; i++) users.push(`user${i}`);
    for (const u of users) await store.record(rec("start", { user: u, sessionId: `s-${u}` }), 1000);
    for (const k of streams) expect(await admin.xlen(k)).toBeGreaterThan(0);
    const keys = await scanAll(`${prefix}*`);
    for (const k of keys) expect(slotOf(k)).toBe(slotOf(`${prefix}${k.slice(prefix.length).split("}")[0]}}`));
    // Listing without a user reads every bucket; Accounting-On closes the NAS's sessions in all.
    expect(await store.listSessions()).toHaveLength(users.length);
    expect(await store.record(rec("on", { eventTime: T0 + 1000, sessionId: "on-1" }), 1000)).toEqual({ result: "stored", closed: users.length });
    expect(await store.listSessions()).toHaveLength(0);
  });

  itCluster("listing pages over every master, with a cursor that stays one decimal number", async () => {
    const s = await opened.open(await harness.fresh());
    await s.putSubscribers(Array.from({ length: 300 }, (_, i) => sub(`l${i}`)));
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await s.listSubscribers({ count: 500, ...(cursor !== undefined ? { cursor } : {}) });
      for (const u of page.subscribers) seen.add(u.username);
      cursor = page.cursor;
      if (cursor !== undefined) expect(cursor).toMatch(/^\d{1,20}$/);
      pages++;
      // Other tests' keys share the cluster: SCAN visits them too, so pages are thin.
    } while (cursor !== undefined && pages < 2000);
    expect(seen.size).toBe(300);
    await expect(s.listSubscribers({ cursor: "1023" })).rejects.toBeInstanceOf(RangeError);
  });

  itCluster("a group change reaches a second instance; deleting it too", async () => {
    const b = await harness.fresh();
    const writer = await opened.open(b);
    const reader = await opened.open(b);
    await writer.putGroups([{ group: "gold", reply: { "Session-Timeout": 1 } }, { group: "silver", reply: {} }]);
    expect(await waitFor(() => reader.getGroup("gold")?.reply["Session-Timeout"] === 1 && reader.getGroup("silver") !== undefined, 3000)).toBe(true);
    expect(await writer.deleteGroup("gold")).toBe(true);
    expect(await writer.deleteGroup("gold")).toBe(false);
    expect(await waitFor(() => reader.getGroup("gold") === undefined, 3000)).toBe(true);
    expect(reader.listGroups().map((g) => g.group)).toEqual(["silver"]);
  });

  itCluster("`subscribers import` and `sessions list` work on a cluster configuration", async () => {
    const dir = tempDir();
    const prefix = `cli${++n}:`;
    const cfg = path.join(dir, "cluster.yaml");
    writeFileSync(
      cfg,
      ["clients:", `  - { name: lab, address: "127.0.0.1", secret: testing123 }`, "store:", `  redis: { cluster: [${cluster.urls.map((u) => `"${u}"`).join(", ")}], keyPrefix: "${prefix}" }`].join("\n"),
    );
    const file = path.join(dir, "subs.jsonl");
    writeFileSync(file, Array.from({ length: 50 }, (_, i) => JSON.stringify({ username: `imp${i}`, password: `pw${i}` })).join("\n") + "\n");
    const imp = await cli(["subscribers", "import", file, "--config", cfg]);
    expect(imp).toMatchObject({ code: 0, stdout: "subscribers: 50 written\n" });
    const s = await opened.open({ dir, create: () => new RedisStore(clusterConfig(prefix), log) });
    await expect(s.getSubscriber("imp49")).resolves.toMatchObject({ username: "imp49", password: "pw49" });
    const st = createSessionStore({ redis: clusterConfig(prefix) }, sessionsConfig());
    sessions.push(st);
    await st.start();
    for (const u of ["imp1", "imp2", "imp3"]) await st.record(rec("start", { user: u, sessionId: `x-${u}`, nas: "lab", eventTime: Date.now() }), 1000);
    const list = await cli(["sessions", "list", "--config", cfg]);
    expect(list.code).toBe(0);
    for (const u of ["imp1", "imp2", "imp3"]) expect(list.stdout).toContain(u);
  });

  itCluster("a cluster whose slots are not assigned refuses to start, naming store.redis.cluster; so does an unreachable one", async () => {
    const bare = await startCluster([27310, 27311, 27312], { create: false });
    try {
      const config = redisStoreConfigSchema.parse({ cluster: bare.urls, connectTimeoutMs: 300 });
      const t0 = Date.now();
      const err = await rejection(new RedisStore(config, log).start());
      expect(err.message).toMatch(/^store\.redis\.cluster: the cluster is not ready \(cluster_state:fail, 16384 of 16384 slots have no master/);
      expect(Date.now() - t0).toBeLessThan(5000);
      const serr = await rejection(new RedisSessionStore(config, { config: sessionsConfig(), log, wallClock: Date.now }).start());
      expect(serr.message).toMatch(/^store\.redis\.cluster: the cluster is not ready/);
    } finally {
      await bare.stop();
    }
    const gone = redisStoreConfigSchema.parse({ cluster: ["redis://127.0.0.1:27319"], connectTimeoutMs: 300 });
    const err = await rejection(new RedisStore(gone, log).start());
    expect(err.message).toMatch(/^store\.redis\.cluster: the cluster could not be reached or did not become ready \(redis:\/\/127\.0\.0\.1:27319: /);
  }, 30_000);
});

async function scanAll(match: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of admin.nodes("master")) {
    let cursor = "0";
    do {
      const [next, ks] = await node.scan(cursor, "MATCH", match, "COUNT", 1000);
      keys.push(...ks);
      cursor = next;
    } while (cursor !== "0");
  }
  return keys;
}
