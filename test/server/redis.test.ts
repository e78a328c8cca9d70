// The server on the Redis store: lookups, group changes reaching a running server, and Redis
// going away and coming back while the server keeps running.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { Redis } from "ioredis";
import { Code } from "../../src/radius/codes.js";
import { decodePacket } from "../../src/radius/packet.js";
import { decodeAttributes } from "../../src/radius/values.js";
import { defaultDictionary } from "../../src/radius/dictionary.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";
import { accessRequest } from "../helpers/packets.js";
import { itOwnRedis } from "../helpers/skip.js";

let redis: TestRedis;
let server: TestServer;
let peer: UdpPeer;
let admin: Redis;

const sub = (username: string, password: string, extra: Record<string, unknown> = {}) => JSON.stringify({ username, password, ...extra });

async function answer(user: string, password: string, waitMs = 1000): Promise<number | null> {
  const raw = await peer.request(accessRequest({ user, password }).packet, server.port, waitMs);
  return raw ? decodePacket(raw).code : null;
}

async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  await admin.set(`${redis.keyPrefix}sub:alice`, sub("alice", "s3cret", { groups: ["gold"] }));
  server = await startTestServer(
    { store: { redis: { url: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: 200, groupRefreshMs: 100 } }, scheduler: { budgetMs: 500 } },
    "warn",
  );
  peer = new UdpPeer();
  await peer.bind();
});

afterAll(async () => {
  peer.close();
  admin.disconnect();
  await server.close();
  await redis.stop();
});

describe("Redis store behind the server", () => {
  it("authenticates a subscriber held in Redis", async () => {
    expect(await answer("alice", "s3cret")).toBe(Code.AccessAccept);
    expect(await answer("alice", "bad")).toBe(Code.AccessReject);
    expect(await answer("nobody", "x")).toBe(Code.AccessReject);
  });

  it("sees a group profile change within seconds, without a restart", async () => {
    const store = server.store;
    await store.putGroups([{ group: "gold", reply: { "Session-Timeout": 1234 } }]);
    const seen = await eventually(async () => {
      const raw = await peer.request(accessRequest({ user: "alice", password: "s3cret" }).packet, server.port);
      if (!raw) return false;
      return decodeAttributes(defaultDictionary(), decodePacket(raw)).some((a) => a.name === "Session-Timeout" && a.value === 1234);
    });
    expect(seen).toBe(true);
  });

  it("drops a request whose stored record is corrupt, with a named reason", async () => {
    await admin.set(`${redis.keyPrefix}sub:broken`, "{not json");
    expect(await answer("broken", "x", 300)).toBeNull();
    expect(server.metrics.sum("aaa_datagrams_total", { reason: "store:STORE_CORRUPT_RECORD" })).toBe(1);
  });

  itOwnRedis("keeps running while Redis is down, drops and counts, and resumes when it returns", async () => {
    await redis.kill();
    expect(await answer("alice", "s3cret", 500)).toBeNull();
    expect(server.metrics.sum("aaa_datagrams_total", { outcome: "dropped", reason: "store:STORE_UNAVAILABLE" }) + server.metrics.sum("aaa_datagrams_total", { reason: "store:STORE_TIMEOUT" })).toBeGreaterThan(0);
    await redis.restart();
    await admin.set(`${redis.keyPrefix}sub:alice`, sub("alice", "s3cret")).catch(() => undefined);
    const back = await eventually(async () => {
      await admin.set(`${redis.keyPrefix}sub:alice`, sub("alice", "s3cret")).catch(() => undefined);
      return (await answer("alice", "s3cret", 300)) === Code.AccessAccept;
    }, 10_000);
    expect(back).toBe(true);
  }, 20_000);
});
