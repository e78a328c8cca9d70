// Redis Sentinel: start-up errors that name the key, a failover under load (SIGKILL of the
// primary: service resumes, no acknowledged accounting record is lost with waitReplicas 1), a
// demoted-but-alive primary (writes do not stay on READONLY), and WAIT refusing an
// unreplicated write. Real processes: two set-ups (primary, replica, three sentinels) on ports
// 26320-26329. The contract suites also run over Sentinel (contract.test.ts,
// sessions-contract.test.ts).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import { z } from "zod";
import { configSchema } from "../../src/config/schema.js";
import { redisStoreConfigSchema, storeConfigSchema } from "../../src/store/config.js";
import { createSessionStore } from "../../src/store/factory.js";
import { RedisStore } from "../../src/store/redis-store.js";
import type { AccountingRecord, SessionStore } from "../../src/store/sessions.js";
import { haveRedisServer, startSentinelGroup, type SentinelGroup } from "../helpers/sentinel.js";
import { describeIf } from "../helpers/skip.js";
import { recordingLogger, sentinelConfig, sub } from "./harness.js";

const log = recordingLogger();
const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

function sessionsConfig() {
  return configSchema.parse({ clients: [{ name: "x", address: "127.0.0.1", secret: "s" }], store: { memory: { file: "x" } } }).sessions;
}

function sessions(group: SentinelGroup, prefix: string, overrides: Record<string, unknown> = {}): SessionStore {
  const s = createSessionStore({ redis: sentinelConfig(group, prefix, overrides) }, sessionsConfig(), log);
  closers.push(s);
  return s;
}

function start(sessionId: string, user = "alice"): AccountingRecord {
  const now = Date.now();
  return { kind: "start", nas: "nas1", nasAddress: "127.0.0.1", sessionId, user, eventTime: now, receivedAt: now };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("store.redis sentinel keys (schema)", () => {
  const err = (input: unknown): string => {
    const r = storeConfigSchema.safeParse(input);
    return r.success ? "" : z.prettifyError(r.error);
  };
  it("refuses url with sentinels, sentinels without name, and Sentinel keys without sentinels, naming the key", () => {
    expect(err({ redis: { url: "redis://h:6379/0", sentinels: ["h:26379"], name: "m" } })).toMatch(/url or sentinels, not both.*at redis\.url/s);
    expect(err({ redis: { sentinels: ["h:26379"] } })).toMatch(/master name.*at redis\.name/s);
    expect(err({ redis: { name: "m" } })).toMatch(/for Redis Sentinel.*at redis\.name/s);
    expect(err({ redis: { url: "redis://h:6379/0", sentinelPassword: "TOPSECRET" } })).not.toContain("TOPSECRET");
    expect(err({ redis: { sentinels: ["no-port"], name: "m" } })).toMatch(/host:port.*at redis\.sentinels\[0\]/s);
    const ok = redisStoreConfigSchema.parse({ sentinels: ["10.0.0.1:26379", "[::1]:26380"], name: "m", waitReplicas: 1 });
    expect(ok).toMatchObject({ sentinels: ["10.0.0.1:26379", "[::1]:26380"], name: "m", waitReplicas: 1 });
    expect(ok.url).toBeUndefined();
    // tls with sentinels needs no rediss:// URL.
    expect(err({ redis: { sentinels: ["h:26379"], name: "m", tls: {} } })).toBe("");
  });
});

describeIf(haveRedisServer, "redis-server is not installed")("Redis Sentinel", () => {
  let a: SentinelGroup | undefined;
  let b: SentinelGroup | undefined;
  beforeAll(async () => {
    [a, b] = await Promise.all([startSentinelGroup(26320), startSentinelGroup(26325)]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("start fails naming store.redis.sentinels when no sentinel answers, store.redis.name for an unknown name", async () => {
    const none = { ...sentinelConfig(a!, "x:"), sentinels: ["127.0.0.1:26398", "127.0.0.1:26399"] };
    const t0 = Date.now();
    await expect(new RedisStore(none, log).start()).rejects.toThrow(/^store\.redis\.sentinels: no sentinel reachable/);
    await expect(createSessionStore({ redis: none }, sessionsConfig(), log).start()).rejects.toThrow(/^store\.redis\.sentinels:/);
    expect(Date.now() - t0).toBeLessThan(3000);
    const wrongName = { ...sentinelConfig(a!, "x:"), name: "nosuchmaster" };
    await expect(new RedisStore(wrongName, log).start()).rejects.toThrow(/^store\.redis\.name: no sentinel monitors a master named "nosuchmaster"/);
    // One sentinel down out of three is not an error.
    const oneDown = { ...sentinelConfig(a!, "x:"), sentinels: ["127.0.0.1:26399", ...a!.sentinels] };
    const s = new RedisStore(oneDown, log);
    closers.push(s);
    await s.start();
    expect(s.isAvailable()).toBe(true);
  });

  it("waitReplicas: a write the replica does not confirm is refused (STORE_NOT_REPLICATED); its retransmission is", async () => {
    const store = sessions(b!, "wait:", { waitReplicas: 1, commandTimeoutMs: 300 });
    await store.start();
    expect(await store.record(start("w1"), 300)).toEqual({ result: "stored" });
    b!.signal(b!.initialReplica, "SIGSTOP");
    try {
      await expect(store.record(start("w2"), 300)).rejects.toMatchObject({ code: "STORE_NOT_REPLICATED" });
      // The connection stays usable: the next WAIT is not stuck behind the refused one.
      await expect(store.record(start("w3"), 300)).rejects.toMatchObject({ code: "STORE_NOT_REPLICATED" });
    } finally {
      b!.signal(b!.initialReplica, "SIGCONT");
    }
    // The NAS retransmits: the record is on the primary already (duplicate), now confirmed.
    expect(await store.record(start("w2"), 300)).toEqual({ result: "duplicate" });
    // Simultaneous-Use claims do not wait behind WAIT (their own connection).
    expect((await store.claim("bob", 1, 300)).ok).toBe(true);
  });

  it("a primary demoted while alive (SENTINEL FAILOVER): writes move to the new primary, not stuck on READONLY", async () => {
    const store = sessions(b!, "demote:");
    await store.start();
    const before = await b!.primaryPort();
    expect(await store.record(start("d0"), 500)).toEqual({ result: "stored" });
    const sentinel = new (await import("ioredis")).Redis({ port: b!.sentinelPorts[0], host: "127.0.0.1", lazyConnect: true });
    await sentinel.connect();
    await sentinel.call("SENTINEL", "FAILOVER", b!.name);
    sentinel.disconnect();
    const after = await b!.waitForNewPrimary(before, 10_000);
    expect(after).not.toBe(before);
    const t0 = Date.now();
    let n = 0;
    let firstOk = -1;
    const codes: string[] = [];
    while (Date.now() - t0 < 6000) {
      try {
        await store.record(start(`d${++n}`), 500);
        if (firstOk < 0) firstOk = Date.now() - t0;
        else if (Date.now() - t0 > firstOk + 500) break;
      } catch (err) {
        codes.push((err as { code?: string }).code ?? "?");
      }
      await sleep(20);
    }
    expect(firstOk).toBeGreaterThanOrEqual(0);
    expect(firstOk).toBeLessThan(5000);
    // After the first success, every write succeeds: not READONLY again and again.
    expect(await store.record(start("final"), 500)).toEqual({ result: "stored" });
    expect(await store.getSession("nas1", "final", "alice")).toMatchObject({ status: "live" });
    expect(codes.every((c) => ["STORE_UNAVAILABLE", "STORE_TIMEOUT", "STORE_WRITE_FAILED"].includes(c))).toBe(true);
  }, 20_000);

  it("SIGKILL of the primary under load: service resumes within 5 s, every acknowledged record is on the new primary", async () => {
    const group = a!;
    const subs = new RedisStore(sentinelConfig(group, "kill:", { commandTimeoutMs: 200 }), log);
    closers.push(subs);
    await subs.start();
    await subs.putSubscribers(Array.from({ length: 100 }, (_, i) => sub(`u${i}`)));
    const acct = sessions(group, "kill:", { waitReplicas: 1, commandTimeoutMs: 200 });
    await acct.start();

    const acked: string[] = [];
    const codes = new Map<string, number>();
    const okAt: number[] = [];
    let issued = 0;
    let settled = 0;
    let killedAt = Infinity;
    const count = (err: unknown) => {
      const c = (err as { code?: string }).code ?? "?";
      codes.set(c, (codes.get(c) ?? 0) + 1);
    };
    let stop = false;
    let seq = 0;
    // ~300 lookups/s and ~100 accounting writes/s.
    const load = (async () => {
      while (!stop) {
        for (let i = 0; i < 3; i++) {
          issued++;
          subs.getSubscriber(`u${(seq * 3 + i) % 100}`, 200).then(
            (s) => {
              settled++;
              if (s !== null) okAt.push(Date.now());
            },
            (err: unknown) => {
              settled++;
              count(err);
            },
          );
        }
        const sid = `k${++seq}`;
        issued++;
        acct.record(start(sid, `u${seq % 100}`), 200).then(
          () => {
            settled++;
            acked.push(sid);
          },
          (err: unknown) => {
            settled++;
            count(err);
          },
        );
        await sleep(10);
      }
    })();
    await sleep(1000);
    const old = await group.killPrimary();
    killedAt = Date.now();
    await group.waitForNewPrimary(old, 8000);
    // Service is back when lookups succeed again; then keep the load on for another second.
    const back = await (async () => {
      while (Date.now() - killedAt < 8000) {
        const firstAfter = okAt.find((t) => t > killedAt + 50);
        if (firstAfter !== undefined) return firstAfter - killedAt;
        await sleep(20);
      }
      return Infinity;
    })();
    await sleep(1000);
    stop = true;
    await load;
    const settleEnd = Date.now() + 2000;
    while (settled < issued && Date.now() < settleEnd) await sleep(10);

    process.stdout.write(`sentinel failover: lookups back ${back} ms after the kill; ${acked.length} records acknowledged; failures ${JSON.stringify([...codes])}\n`);
    expect(back).toBeLessThan(5000);
    // Nothing hangs: every lookup and write ended, in a value or a counted StoreError code.
    expect(settled).toBe(issued);
    for (const c of codes.keys()) expect(["STORE_UNAVAILABLE", "STORE_TIMEOUT", "STORE_NOT_REPLICATED", "STORE_WRITE_FAILED"]).toContain(c);
    // The last second of load was served.
    const lastSecond = okAt.filter((t) => t > Date.now() - 1500).length;
    expect(lastSecond).toBeGreaterThan(150);
    // Every acknowledged record is on the new primary.
    expect(acked.length).toBeGreaterThan(50);
    const missing: string[] = [];
    for (const sid of acked) {
      const n = Number(sid.slice(1));
      if ((await acct.getSession("nas1", sid, `u${n % 100}`)) === null) missing.push(sid);
    }
    expect(missing).toEqual([]);
    // The new primary has no replica left (the old primary is dead): with waitReplicas 1 a write
    // is done on it but not confirmed; without, it is acknowledged (no READONLY loop).
    await expect(acct.record(start("after", "u1"), 500)).rejects.toMatchObject({ code: "STORE_NOT_REPLICATED" });
    const plain = sessions(group, "kill:", { commandTimeoutMs: 200 });
    await plain.start();
    expect(await plain.record(start("after", "u1"), 500)).toEqual({ result: "duplicate" });
    expect(await plain.record(start("after2", "u1"), 500)).toEqual({ result: "stored" });
    expect(log.lines.join("\n")).not.toMatch(/TOPSECRET/);
  }, 25_000);
});
