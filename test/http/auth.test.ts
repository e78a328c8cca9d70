// POST /v1/auth: a JSON PAP authentication through the same scheduler, handler and store as a
// RADIUS Access-Request; shed requests get 503 with Retry-After, as RADIUS ones are dropped.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { Redis } from "ioredis";
import { hashPassword } from "../../src/handle/password-hash.js";
import { Code } from "../../src/radius/codes.js";
import { decodePacket } from "../../src/radius/packet.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";
import { accessRequest } from "../helpers/packets.js";
import { api } from "../helpers/http.js";
import { itOwnRedis } from "../helpers/skip.js";

const TOKEN = "admin-token-0123456789abcdef";
const PORTAL = "portal-token-0123456789abcdef";

let redis: TestRedis;
let admin: Redis;

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  const p = redis.keyPrefix;
  const put = (s: { username: string } & Record<string, unknown>) => admin.set(`${p}sub:${s.username}`, JSON.stringify({ enabled: true, groups: [], reply: {}, ...s }));
  await put({ username: "alice", password: "s3cret", groups: ["gold"], reply: { "Framed-IP-Address": "10.0.0.5" } });
  await put({ username: "hashed", passwordHash: hashPassword("h4shed", { ln: 10, r: 8, p: 1 }) });
  await put({ username: "off", password: "pw", enabled: false });
  await put({ username: "old", password: "pw", expiresAt: "2020-01-01T00:00:00Z" });
  await admin.set(`${p}group:gold`, JSON.stringify({ group: "gold", reply: { "Session-Timeout": 7200 } }));
  await admin.sadd(`${p}groups`, "gold");
});
afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});

describe("POST /v1/auth", () => {
  let server: TestServer;
  let port: number;
  beforeAll(async () => {
    server = await startTestServer({
      store: { redis: { url: redis.url, keyPrefix: redis.keyPrefix } },
      http: { host: "127.0.0.1", port: 0, token: TOKEN, authToken: PORTAL, revealRejectReason: true },
    }, "warn");
    port = server.http!.port;
  });
  afterAll(async () => {
    await server.close();
  });
  const auth = (username: string, password: string, token = PORTAL) => api(port, "POST", "/v1/auth", { token, body: { username, password } });

  it("accepts with the reply attributes (groups resolved), rejects with a reason (http.revealRejectReason: true), with either token", async () => {
    const ok = await auth("alice", "s3cret");
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ result: "accept", reply: { "Session-Timeout": 7200, "Framed-IP-Address": "10.0.0.5" } });
    expect((await auth("alice", "s3cret", TOKEN)).json.result).toBe("accept");
    expect((await auth("hashed", "h4shed")).json.result).toBe("accept");
    for (const [user, pw, reason] of [
      ["alice", "wrong", "bad_password"],
      ["alice", "s3cre", "bad_password"],
      ["nobody", "x", "unknown_user"],
      ["off", "pw", "disabled"],
      ["old", "pw", "expired"],
      ["hashed", "nope", "bad_password"],
    ] as const) {
      const r = await auth(user, pw);
      expect([user, pw, r.status, r.json]).toEqual([user, pw, 200, { result: "reject", reason }]);
    }
    expect((await auth("alice", "s3cret", "not-the-token-at-all")).status).toBe(401);
  });

  it("is counted like a RADIUS request: outcome counter with listener http, reject reasons, its own latency histogram", async () => {
    const before = server.metrics.get("aaa_datagrams_total", { listener: "http", outcome: "answered", reason: "accept", class: "access", client: "http" });
    const rejects = server.metrics.get("aaa_access_rejects_total", { reason: "bad_password" });
    await auth("alice", "s3cret");
    await auth("alice", "nope");
    expect(server.metrics.get("aaa_datagrams_total", { listener: "http", outcome: "answered", reason: "accept", class: "access", client: "http" })).toBe(before + 1);
    expect(server.metrics.get("aaa_access_rejects_total", { reason: "bad_password" })).toBe(rejects + 1);
    const m = (await api(port, "GET", "/metrics")).text;
    expect(m).toMatch(/aaa_http_auth_seconds_count\{class="access"\} [1-9]/);
    expect(m).toMatch(/aaa_http_requests_total\{route="\/v1\/auth",status="200"\} [1-9]/);
    // RADIUS latency is not mixed with HTTP's.
    expect(m).not.toMatch(/aaa_response_seconds_count\{class="access"\} [1-9]/);
  });

  it("a store that is down gives 503 with Retry-After, never a reject", async () => {
    const s2 = await startTestServer({ store: { redis: { url: "redis://127.0.0.1:1/0", connectTimeoutMs: 100 } }, http: { host: "127.0.0.1", port: 0, token: TOKEN } }, "silent");
    try {
      const r = await api(s2.http!.port, "POST", "/v1/auth", { token: TOKEN, body: { username: "alice", password: "s3cret" } });
      expect(r.status).toBe(503);
      expect(r.headers["retry-after"]).toBe("1");
      expect(r.json.error.message).toMatch(/STORE_UNAVAILABLE/);
      expect((await api(s2.http!.port, "GET", "/readyz")).status).toBe(503);
    } finally {
      await s2.close();
    }
  });
});

describe("POST /v1/auth and RADIUS share the scheduler", () => {
  itOwnRedis("with one slot and no queue, a request of either kind arriving while the slot is busy is shed (503 / no reply)", async () => {
    const server = await startTestServer({
      store: { redis: { url: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: 1500, batchDelayMs: 0 } },
      http: { host: "127.0.0.1", port: 0, token: TOKEN },
      scheduler: { enabled: true, budgetMs: 1500, maxQueue: 0, limiter: { initial: 1, min: 1, max: 1 } },
    }, "warn");
    const peer = new UdpPeer();
    await peer.bind();
    try {
      const port = server.http!.port;
      await admin.call("CLIENT", "PAUSE", "400", "ALL");
      // The first request takes the only slot and waits for the paused store.
      const first = api(port, "POST", "/v1/auth", { token: TOKEN, body: { username: "alice", password: "s3cret" } });
      const t0 = Date.now();
      while (server.scheduler.stats().inFlight < 1 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 5));
      expect(server.scheduler.stats().inFlight).toBe(1);
      const second = await api(port, "POST", "/v1/auth", { token: TOKEN, body: { username: "alice", password: "s3cret" } });
      expect(second.status).toBe(503);
      expect(second.headers["retry-after"]).toBe("1");
      expect(second.json.error).toMatchObject({ code: "shed" });
      expect(second.json.error.message).toMatch(/limit/);
      const radius = await peer.request(accessRequest({ user: "alice", password: "s3cret" }).packet, server.port, 200);
      expect(radius).toBeNull();
      expect((await first).json.result).toBe("accept");
      expect(server.metrics.get("aaa_datagrams_total", { listener: "http", outcome: "shed", reason: "limit", class: "access", client: "http" })).toBe(1);
      expect(server.metrics.get("aaa_datagrams_total", { listener: "auth", outcome: "shed", reason: "limit", class: "access", client: "test" })).toBe(1);
      // Once the slot is free both are served again.
      const again = await peer.request(accessRequest({ user: "alice", password: "s3cret" }).packet, server.port, 2000);
      expect(decodePacket(again!).code).toBe(Code.AccessAccept);
      expect((await api(port, "POST", "/v1/auth", { token: TOKEN, body: { username: "alice", password: "s3cret" } })).status).toBe(200);
    } finally {
      peer.close();
      await server.close();
    }
  });
});

describe("POST /v1/auth by default (http.revealRejectReason: false)", () => {
  let server: TestServer;
  let port: number;
  beforeAll(async () => {
    server = await startTestServer({
      store: { redis: { url: redis.url, keyPrefix: redis.keyPrefix } },
      http: { host: "127.0.0.1", port: 0, token: TOKEN, authToken: PORTAL },
    }, "info");
    port = server.http!.port;
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers one reason for every reject (no user enumeration); the real reason stays in the metrics and the log", async () => {
    const unknownBefore = server.metrics.get("aaa_access_rejects_total", { reason: "unknown_user" });
    const badBefore = server.metrics.get("aaa_access_rejects_total", { reason: "bad_password" });
    const unknown = await api(port, "POST", "/v1/auth", { token: PORTAL, body: { username: "nobody", password: "x" } });
    const bad = await api(port, "POST", "/v1/auth", { token: PORTAL, body: { username: "alice", password: "wrong" } });
    const off = await api(port, "POST", "/v1/auth", { token: PORTAL, body: { username: "off", password: "pw" } });
    for (const r of [unknown, bad, off]) expect([r.status, r.json]).toEqual([200, { result: "reject", reason: "rejected" }]);
    expect(unknown.text).toBe(bad.text);
    expect((await api(port, "POST", "/v1/auth", { token: PORTAL, body: { username: "alice", password: "s3cret" } })).json.result).toBe("accept");
    expect(server.metrics.get("aaa_access_rejects_total", { reason: "unknown_user" })).toBe(unknownBefore + 1);
    expect(server.metrics.get("aaa_access_rejects_total", { reason: "bad_password" })).toBe(badBefore + 1);
    const lines = server.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l["msg"] === "Access-Reject");
    expect(lines.map((l) => [l["user"], l["reason"]])).toEqual(
      expect.arrayContaining([
        ["nobody", "unknown_user"],
        ["alice", "bad_password"],
      ]),
    );
    expect(server.logs.join("\n")).not.toContain("wrong");
  });
});
