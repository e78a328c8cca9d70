// The admin API over real HTTP against a live server: token checks, subscribers and groups CRUD
// on both stores, and bad input that must get a 4xx naming the field (never a 500).
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { api } from "../helpers/http.js";
import { prng } from "../helpers/prng.js";

const TOKEN = "admin-token-0123456789abcdef";
const AUTH_TOKEN = "portal-token-0123456789abcdef";

let redis: TestRedis;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-http-"));
  // The memory store's files must exist (an empty file is an empty store).
  for (const f of ["subs.jsonl", "groups.jsonl", "none.jsonl", "audit.jsonl", "audit-groups.jsonl", "tok.jsonl"]) writeFileSync(path.join(dir, f), "", { mode: 0o600 });
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const backends: Array<[string, () => Record<string, unknown>]> = [
  ["redis", () => ({ redis: { url: redis.url, keyPrefix: `${redis.keyPrefix}admin:`, groupRefreshMs: 100 } })],
  ["memory", () => ({ memory: { file: path.join(dir, "subs.jsonl"), groupsFile: path.join(dir, "groups.jsonl") } })],
];

describe.each(backends)("admin API on the %s store", (_name, storeConfig) => {
  let server: TestServer;
  let port: number;
  const call = (method: string, p: string, o: Parameters<typeof api>[3] = {}) => api(port, method, p, { token: TOKEN, ...o });

  beforeAll(async () => {
    server = await startTestServer({ store: storeConfig(), http: { host: "127.0.0.1", port: 0, token: TOKEN, authToken: AUTH_TOKEN, maxBodyBytes: 2048 } }, "warn");
    port = server.http!.port;
  });
  afterAll(async () => {
    await server.close();
  });

  it("refuses a missing or wrong token with 401 and a Bearer challenge; the auth-only token is 403 outside /v1/auth", async () => {
    for (const token of [undefined, "x", TOKEN.slice(0, -1) + "X", TOKEN + "0", ""]) {
      const r = await api(port, "GET", "/v1/subscribers/alice", token === undefined ? {} : { token });
      expect([token, r.status]).toEqual([token, 401]);
      expect(r.headers["www-authenticate"]).toMatch(/^Bearer /);
      expect(r.json.error.code).toBe("unauthorized");
    }
    const basic = await api(port, "GET", "/v1/groups", { headers: { authorization: `Basic ${Buffer.from(`a:${TOKEN}`).toString("base64")}` } });
    expect(basic.status).toBe(401);
    const portal = await api(port, "GET", "/v1/groups", { token: AUTH_TOKEN });
    expect(portal.status).toBe(403);
    // Unauthenticated routes stay open.
    expect((await api(port, "GET", "/healthz")).status).toBe(200);
    expect((await api(port, "GET", "/readyz")).json).toMatchObject({ ready: true, draining: false });
  });

  it("subscribers: PUT creates (201) then replaces (200); GET never shows the password; DELETE 204 then 404", async () => {
    const put1 = await call("PUT", "/v1/subscribers/alice", { body: { password: "s3cret", groups: ["gold"], reply: { "Framed-IP-Address": "10.0.0.5" } } });
    expect(put1.status).toBe(201);
    expect(put1.json).toEqual({ username: "alice", enabled: true, groups: ["gold"], reply: { "Framed-IP-Address": "10.0.0.5" }, credential: "password" });
    expect(put1.text).not.toContain("s3cret");
    const put2 = await call("PUT", "/v1/subscribers/alice", { body: { username: "alice", password: "n3w", maxSessions: 2 } });
    expect(put2.status).toBe(200);
    const got = await call("GET", "/v1/subscribers/alice");
    expect(got.status).toBe(200);
    expect(got.json).toEqual({ username: "alice", enabled: true, groups: [], reply: {}, maxSessions: 2, credential: "password" });
    expect(await server.store.getSubscriber("alice")).toMatchObject({ password: "n3w" });
    expect((await call("DELETE", "/v1/subscribers/alice")).status).toBe(204);
    expect((await call("DELETE", "/v1/subscribers/alice")).status).toBe(404);
    const gone = await call("GET", "/v1/subscribers/alice");
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe("not_found");
  });

  it("subscribers: PATCH merges, null removes optional fields, a new password replaces the hash", async () => {
    expect((await call("PATCH", "/v1/subscribers/nobody", { body: { enabled: false } })).status).toBe(404);
    await call("PUT", "/v1/subscribers/bob", { body: { passwordHash: "$scrypt$ln=10,r=8,p=1$c2FsdA$aGFzaA", expiresAt: "2030-01-01T00:00:00Z", maxSessions: 3 } });
    const p1 = await call("PATCH", "/v1/subscribers/bob", { body: { enabled: false, expiresAt: null } });
    expect(p1.status).toBe(200);
    expect(p1.json).toEqual({ username: "bob", enabled: false, groups: [], reply: {}, maxSessions: 3, credential: "passwordHash" });
    const p2 = await call("PATCH", "/v1/subscribers/bob", { body: { password: "plain", maxSessions: null } });
    expect(p2.json.credential).toBe("password");
    expect(p2.json.maxSessions).toBeUndefined();
    const stored = await server.store.getSubscriber("bob");
    expect(stored?.passwordHash).toBeUndefined();
    expect(stored?.password).toBe("plain");
    const bad = await call("PATCH", "/v1/subscribers/bob", { body: { enabled: null } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe("enabled");
    const rename = await call("PATCH", "/v1/subscribers/bob", { body: { username: "robert" } });
    expect(rename.status).toBe(400);
    expect(rename.json.error.field).toBe("username");
  });

  it("subscribers: an ntHash is never shown (credential: ntHash) and a new credential replaces it", async () => {
    const nt = "44EBBA8D5312B8D611474411F56989AE";
    const put = await call("PUT", "/v1/subscribers/carol", { body: { ntHash: nt } });
    expect(put.status).toBe(201);
    expect(put.json).toEqual({ username: "carol", enabled: true, groups: [], reply: {}, credential: "ntHash" });
    expect(JSON.stringify((await call("GET", "/v1/subscribers/carol")).json)).not.toContain(nt);
    const p = await call("PATCH", "/v1/subscribers/carol", { body: { password: "clientPass" } });
    expect(p.json.credential).toBe("password");
    const stored = await server.store.getSubscriber("carol");
    expect(stored?.ntHash).toBeUndefined();
    const back = await call("PATCH", "/v1/subscribers/carol", { body: { ntHash: nt } });
    expect(back.json.credential).toBe("ntHash");
    expect((await server.store.getSubscriber("carol"))?.password).toBeUndefined();
    const both = await call("PUT", "/v1/subscribers/carol", { body: { ntHash: nt, password: "x" } });
    expect(both.status).toBe(400);
  });

  it("subscribers: the listing pages with a bounded limit and an opaque cursor", async () => {
    for (let i = 0; i < 12; i++) expect((await call("PUT", `/v1/subscribers/page${i}`, { body: { password: `pw${i}` } })).status).toBe(201);
    const seen = new Set<string>();
    let next: string | null = null;
    let pages = 0;
    do {
      const r = await call("GET", `/v1/subscribers?limit=5${next ? `&cursor=${next}` : ""}`);
      expect(r.status).toBe(200);
      for (const s of r.json.subscribers) {
        expect(s.password).toBeUndefined();
        seen.add(s.username);
      }
      next = r.json.next;
      pages++;
    } while (next !== null && pages < 50);
    for (let i = 0; i < 12; i++) expect(seen.has(`page${i}`)).toBe(true);
    for (const q of ["limit=0", "limit=1001", "limit=abc", "cursor=xyz", "color=red"]) {
      const r = await call("GET", `/v1/subscribers?${q}`);
      expect([q, r.status]).toEqual([q, 400]);
      expect(r.json.error.field).toBe(q.split("=")[0]);
    }
  });

  it("groups: PUT/GET/list/DELETE, reply checked against the dictionary", async () => {
    const put = await call("PUT", "/v1/groups/gold", { body: { reply: { "Session-Timeout": 7200 } } });
    expect(put.status).toBe(201);
    expect(put.json).toEqual({ group: "gold", reply: { "Session-Timeout": 7200 } });
    expect((await call("PUT", "/v1/groups/gold", { body: { group: "gold", reply: { "Idle-Timeout": 60 } } })).status).toBe(200);
    expect((await call("GET", "/v1/groups/gold")).json).toEqual({ group: "gold", reply: { "Idle-Timeout": 60 } });
    expect((await call("GET", "/v1/groups")).json.groups).toContainEqual({ group: "gold", reply: { "Idle-Timeout": 60 } });
    const bad = await call("PUT", "/v1/groups/silver", { body: { reply: { "No-Such-Attribute": 1 } } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe("reply");
    expect(bad.json.error.message).toMatch(/No-Such-Attribute/);
    expect((await call("PUT", "/v1/groups/bad%20name", { body: { reply: {} } })).json.error.field).toBe("group");
    expect((await call("DELETE", "/v1/groups/gold")).status).toBe(204);
    expect((await call("GET", "/v1/groups/gold")).status).toBe(404);
  });

  it("bad input gets a 4xx that names the field, never a 500", async () => {
    const cases: Array<{ name: string; method: string; path: string; o: Parameters<typeof api>[3]; status: number; field?: string }> = [
      { name: "malformed JSON", method: "PUT", path: "/v1/subscribers/x", o: { raw: '{"password": "s3cret",' }, status: 400 },
      { name: "empty body", method: "PUT", path: "/v1/subscribers/x", o: { raw: "" }, status: 400 },
      { name: "array body", method: "PUT", path: "/v1/subscribers/x", o: { body: [1, 2] }, status: 400 },
      { name: "unknown field", method: "PUT", path: "/v1/subscribers/x", o: { body: { password: "p", colour: "red" } }, status: 400, field: "colour" },
      { name: "unknown nested field", method: "PUT", path: "/v1/groups/g", o: { body: { reply: {}, extra: { a: 1 } } }, status: 400, field: "extra" },
      { name: "wrong type", method: "PUT", path: "/v1/subscribers/x", o: { body: { password: 42 } }, status: 400, field: "password" },
      { name: "bad expiresAt", method: "PUT", path: "/v1/subscribers/x", o: { body: { password: "p", expiresAt: "tomorrow" } }, status: 400, field: "expiresAt" },
      { name: "bad reply value", method: "PUT", path: "/v1/subscribers/x", o: { body: { password: "p", reply: { "Framed-IP-Address": "not-an-ip" } } }, status: 400, field: "reply" },
      { name: "username mismatch", method: "PUT", path: "/v1/subscribers/x", o: { body: { username: "y", password: "p" } }, status: 400, field: "username" },
      { name: "control char in username", method: "PUT", path: "/v1/subscribers/a%0Ab", o: { body: { password: "p" } }, status: 400, field: "username" },
      { name: "bad percent-encoding", method: "GET", path: "/v1/subscribers/%E0%A4%A", o: {}, status: 400, field: "username" },
      { name: "too long username", method: "GET", path: `/v1/subscribers/${"u".repeat(254)}`, o: {}, status: 400, field: "username" },
      { name: "oversized body", method: "PUT", path: "/v1/subscribers/x", o: { body: { password: "p", reply: { "Reply-Message": "m".repeat(3000) } } }, status: 413 },
      { name: "not JSON", method: "PUT", path: "/v1/subscribers/x", o: { raw: "password=p", headers: { "content-type": "application/x-www-form-urlencoded" } }, status: 415 },
      { name: "unknown route", method: "GET", path: "/v1/nothing", o: {}, status: 404 },
      { name: "wrong method", method: "POST", path: "/v1/subscribers/x", o: { body: {} }, status: 405 },
      { name: "auth: missing password", method: "POST", path: "/v1/auth", o: { body: { username: "x" } }, status: 400, field: "password" },
      { name: "auth: unknown field", method: "POST", path: "/v1/auth", o: { body: { username: "x", password: "p", nas: "n" } }, status: 400, field: "nas" },
      { name: "auth: password too long", method: "POST", path: "/v1/auth", o: { body: { username: "x", password: "p".repeat(129) } }, status: 400, field: "password" },
      { name: "auth: empty username", method: "POST", path: "/v1/auth", o: { body: { username: "", password: "p" } }, status: 400, field: "username" },
    ];
    for (const c of cases) {
      const r = await call(c.method, c.path, c.o);
      expect([c.name, r.status]).toEqual([c.name, c.status]);
      expect([c.name, typeof r.json?.error?.message]).toEqual([c.name, "string"]);
      if (c.field !== undefined) expect([c.name, r.json.error.field]).toEqual([c.name, c.field]);
      if (c.status === 405) expect(r.headers["allow"]).toMatch(/GET/);
    }
    // A chunked body (no content-length) is cut off at the limit too.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, method: "PUT", path: "/v1/subscribers/x", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write('{"password":"p","reply":{"Reply-Message":"');
      for (let i = 0; i < 10; i++) req.write("m".repeat(500));
      req.end('"}}');
    });
    expect(chunked).toBe(413);
    // A client that goes away in the middle of its body: the server carries on (checked below).
    await new Promise<void>((resolve) => {
      const req = http.request({ host: "127.0.0.1", port, method: "PUT", path: "/v1/subscribers/x", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", "content-length": "100" } });
      req.on("error", () => resolve());
      req.write('{"password":');
      setTimeout(() => req.destroy(), 50);
    });
    // Random bytes as bodies and paths: always a 4xx, and the server keeps serving.
    const rnd = prng(7);
    for (let i = 0; i < 60; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
      const seg = encodeURIComponent(bytes.toString("latin1").slice(0, 40)) || "x";
      for (const [method, p] of [["PUT", `/v1/subscribers/${seg}`], ["PATCH", `/v1/subscribers/${seg}`], ["POST", "/v1/auth"], ["PUT", `/v1/groups/${seg}`]] as const) {
        const r = await call(method, p, { raw: bytes });
        expect([method, r.status >= 400 && r.status < 500]).toEqual([method, true]);
      }
    }
    expect((await api(port, "GET", "/healthz")).status).toBe(200);
    const metrics = (await api(port, "GET", "/metrics")).text;
    expect(metrics).not.toMatch(/aaa_http_requests_total\{[^}]*status="5\d\d"/);
    expect(metrics).toMatch(/aaa_http_requests_total\{route="\/v1\/subscribers\/:username",status="400"\} \d+/);
  }, 20_000);
});

describe("without a token", () => {
  it("the admin API is disabled (404 saying so, and a log line); /metrics, /healthz and /readyz answer", async () => {
    const server = await startTestServer({ store: { memory: { file: path.join(dir, "none.jsonl") } }, http: { host: "127.0.0.1", port: 0 } }, "warn");
    try {
      expect(server.adminApi).toBe(false);
      const r = await api(server.http!.port, "GET", "/v1/subscribers/alice", { token: TOKEN });
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe("admin_api_disabled");
      expect((await api(server.http!.port, "POST", "/v1/auth", { token: TOKEN, body: { username: "a", password: "b" } })).status).toBe(404);
      expect(server.logs.some((l) => l.includes("admin API disabled"))).toBe(true);
      expect((await api(server.http!.port, "GET", "/healthz")).status).toBe(200);
      const m = await api(server.http!.port, "GET", "/metrics");
      for (const name of ["process_resident_memory_bytes", "process_cpu_seconds_total", "nodejs_heap_used_bytes", "nodejs_eventloop_delay_seconds", "aaa_event_loop_delay_seconds"]) {
        expect([name, m.text.includes(`# TYPE ${name} `)]).toEqual([name, true]);
      }
      expect(m.text).toMatch(/# TYPE process_cpu_seconds_total counter/);
    } finally {
      await server.close();
    }
  });
});

describe("audit and token replacement", () => {
  it("logs each change with its name (never the body) and accepts new tokens after setTokens", async () => {
    const server = await startTestServer({ store: { memory: { file: path.join(dir, "audit.jsonl"), groupsFile: path.join(dir, "audit-groups.jsonl") } }, http: { host: "127.0.0.1", port: 0, token: TOKEN } }, "info");
    const { listenHttp } = await import("../../src/http/server.js");
    const side = await listenHttp({ host: "127.0.0.1", port: 0, metrics: server.metrics, ready: () => ({ ready: true, detail: {} }), token: TOKEN, admin: undefined });
    try {
      const port = server.http!.port;
      expect((await api(port, "PUT", "/v1/subscribers/carol", { token: TOKEN, body: { password: "top-secret-pw" } })).status).toBe(201);
      expect((await api(port, "PATCH", "/v1/subscribers/carol", { token: TOKEN, body: { enabled: false } })).status).toBe(200);
      expect((await api(port, "DELETE", "/v1/subscribers/carol", { token: TOKEN })).status).toBe(204);
      expect((await api(port, "PUT", "/v1/groups/g1", { token: TOKEN, body: { reply: {} } })).status).toBe(201);
      const audit = server.logs.filter((l) => l.includes("admin API:"));
      expect(audit.map((l) => JSON.parse(l).admin)).toEqual([
        { action: "put", kind: "subscriber", name: "carol", created: true },
        { action: "patch", kind: "subscriber", name: "carol" },
        { action: "delete", kind: "subscriber", name: "carol" },
        { action: "put", kind: "group", name: "g1", created: true },
      ]);
      expect(server.logs.join("\n")).not.toContain("top-secret-pw");
      expect(server.logs.join("\n")).not.toContain(TOKEN);
      // Without admin deps the /v1 routes do not exist, whatever the token.
      expect((await api(side.address.port, "GET", "/v1/groups", { token: TOKEN })).json.error.code).toBe("admin_api_disabled");
    } finally {
      await side.close();
      await server.close();
    }
  });

  it("setTokens: the old token stops working, the new ones work at once", async () => {
    const server = await startTestServer({ store: { memory: { file: path.join(dir, "tok.jsonl") } } }, "warn");
    const { listenHttp } = await import("../../src/http/server.js");
    const calls: string[] = [];
    const side = await listenHttp({
      host: "127.0.0.1",
      port: 0,
      metrics: server.metrics,
      ready: () => ({ ready: true, detail: {} }),
      token: TOKEN,
      admin: { store: server.store, dictionary: (await import("../../src/radius/dictionary.js")).defaultDictionary(), maxBodyBytes: 4096, now: () => 0, authClient: "http", authenticate: async (r) => (calls.push(r.username), { kind: "answered", result: "reject", reason: "unknown_user" }) },
    });
    try {
      const port = side.address.port;
      expect((await api(port, "GET", "/v1/groups", { token: TOKEN })).status).toBe(200);
      side.setTokens("new-admin-token-0123456789", "new-portal-token-0123456789");
      expect((await api(port, "GET", "/v1/groups", { token: TOKEN })).status).toBe(401);
      expect((await api(port, "GET", "/v1/groups", { token: "new-admin-token-0123456789" })).status).toBe(200);
      expect((await api(port, "POST", "/v1/auth", { token: "new-portal-token-0123456789", body: { username: "u", password: "p" } })).json).toEqual({ result: "reject", reason: "rejected" });
      expect(calls).toEqual(["u"]);
    } finally {
      await side.close();
      await server.close();
    }
  });
});
