// A Redis ACL user without the commands the stores need (here: no @scripting, so no EVAL/EVALSHA
// for accounting) is detected at start on a real redis-server: an error line naming the
// commands, /readyz not ready with the reason, and accounting failures counted as
// store:STORE_NO_PERMISSION with a NOPERM log line instead of a generic write failure.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { Redis } from "ioredis";
import { Code } from "../../src/radius/codes.js";
import { decodePacket } from "../../src/radius/packet.js";
import { checkCommandPermissions, sessionStoreProbes, subscriberStoreProbes } from "../../src/store/redis-permissions.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";
import { ACCT, accessRequest, accountingRequest } from "../helpers/packets.js";
import { api } from "../helpers/http.js";

let redis: TestRedis;
let admin: Redis;
const userUrl = (user: string) => redis.url.replace("redis://", `redis://${user}:pw-0123456789@`);

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  const p = redis.keyPrefix;
  await admin.call("ACL", "SETUSER", "noscript", "on", ">pw-0123456789", `~${p}*`, "&*", "+@all", "-@scripting");
  await admin.call("ACL", "SETUSER", "full", "on", ">pw-0123456789", `~${p}*`, "&*", "+@all");
  await admin.call("ACL", "SETUSER", "otherkeys", "on", ">pw-0123456789", "~elsewhere:*", "+@all");
  await admin.set(`${p}sub:alice`, JSON.stringify({ username: "alice", password: "s3cret", enabled: true, groups: [], reply: {} }));
});
afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});

describe("Redis permission check (MULTI ... DISCARD probe)", () => {
  it("names the commands a user lacks, and finds nothing missing for a full user; executes nothing", async () => {
    const p = redis.keyPrefix;
    const check = async (user: string, probes: ReturnType<typeof sessionStoreProbes>) => {
      const r = new Redis(userUrl(user), { lazyConnect: true });
      await r.connect();
      try {
        return await checkCommandPermissions(r, probes, 2000);
      } finally {
        r.disconnect();
      }
    };
    expect(await check("noscript", sessionStoreProbes(p))).toEqual({ ok: false, denied: ["EVALSHA", "EVAL"] });
    expect(await check("noscript", subscriberStoreProbes(p))).toEqual({ ok: true });
    expect(await check("full", sessionStoreProbes(p))).toEqual({ ok: true });
    const other = await check("otherkeys", subscriberStoreProbes(p));
    expect(other.ok).toBe(false);
    expect((other as { denied: string[] }).denied).toEqual(expect.arrayContaining(["MGET", "GET", "SET", "DEL"]));
    // Nothing was executed: no probe key exists.
    expect(await admin.keys(`${p}*permission-check*`)).toEqual([]);
  });

  it("at start: an error line naming the commands, /readyz not ready with the reason; NOPERM at run time counted with its own reason", async () => {
    const server = await startTestServer(
      {
        store: { redis: { url: userUrl("noscript"), keyPrefix: redis.keyPrefix } },
        radius: { auth: { host: "127.0.0.1", port: 0 }, acct: { host: "127.0.0.1", port: 0 } },
        http: { host: "127.0.0.1", port: 0 },
      },
      "info",
    );
    const peer = new UdpPeer();
    await peer.bind();
    try {
      const lines = server.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
      const err = lines.find((l) => l["level"] === 50 && Array.isArray(l["denied"]));
      expect(err).toBeDefined();
      expect(err!["denied"]).toEqual(["EVALSHA", "EVAL"]);
      expect(err!["msg"]).toContain("EVALSHA, EVAL");
      expect(server.logs.join("\n")).not.toContain("pw-0123456789");

      const ready = await api(server.http!.port, "GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.json.ready).toBe(false);
      expect(ready.json.storeAvailable).toBe(true);
      expect(ready.json.storeProblems).toEqual([expect.stringContaining("EVALSHA, EVAL")]);

      // Authentication itself still works (MGET is allowed).
      const a = await peer.request(accessRequest({ user: "alice", password: "s3cret" }).packet, server.port);
      expect(decodePacket(a!).code).toBe(Code.AccessAccept);
      // Accounting: not acknowledged, counted as a permission failure, logged once.
      for (let i = 0; i < 3; i++) {
        expect(await peer.request(accountingRequest({ status: ACCT.start, sessionId: `np-${i}`, user: "alice" }), server.acct!.port, 400)).toBeNull();
      }
      expect(server.metrics.sum("aaa_datagrams_total", { listener: "acct", reason: "store:STORE_NO_PERMISSION" })).toBe(3);
      expect(server.metrics.sum("aaa_datagrams_total", { listener: "acct", reason: "store:STORE_WRITE_FAILED" })).toBe(0);
      const noperm = server.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => typeof l["msg"] === "string" && (l["msg"] as string).includes("NOPERM"));
      expect(noperm).toHaveLength(1);
    } finally {
      peer.close();
      await server.close();
    }
  });

  it("a full user: no problem reported, ready", async () => {
    const server = await startTestServer(
      { store: { redis: { url: userUrl("full"), keyPrefix: redis.keyPrefix } }, http: { host: "127.0.0.1", port: 0 } },
      "info",
    );
    try {
      const ready = await api(server.http!.port, "GET", "/readyz");
      expect([ready.status, ready.json.storeProblems]).toEqual([200, undefined]);
      expect(server.logs.some((l) => l.includes('"denied"'))).toBe(false);
    } finally {
      await server.close();
    }
  });
});
