// Hardening of the HTTP side and of error messages: "__proto__" in any body, out-of-range
// listing cursors, values of secret-bearing attributes never echoed, timeouts enforced on time
// over real sockets, a connection cap, and /metrics rendered at a bounded rate.
import { describe, it, expect, beforeAll, afterAll, jest } from "@jest/globals";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { defaultDictionary } from "../../src/radius/dictionary.js";
import { validateAttributeObject } from "../../src/radius/values.js";
import { importFile } from "../../src/store/jsonl.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { configSchema } from "../../src/config/schema.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { api } from "../helpers/http.js";

const TOKEN = "admin-token-0123456789abcdef";
const KEY = "0xZZ5ecretKeyMaterial0123456789";
let redis: TestRedis;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-harden-"));
  // A memory store's files must exist (an empty file is an empty store).
  for (const f of ["subs.jsonl", "groups.jsonl", "t-subs.jsonl", "import-target.jsonl"]) writeFileSync(path.join(dir, f), "");
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const backends: Array<[string, () => Record<string, unknown>]> = [
  ["redis", () => ({ redis: { url: redis.url, keyPrefix: `${redis.keyPrefix}h:` } })],
  ["memory", () => ({ memory: { file: path.join(dir, "subs.jsonl"), groupsFile: path.join(dir, "groups.jsonl") } })],
];

describe.each(backends)("admin API input on the %s store", (_name, storeConfig) => {
  let server: TestServer;
  let port: number;
  const call = (method: string, p: string, o: Parameters<typeof api>[3] = {}) => api(port, method, p, { token: TOKEN, ...o });
  beforeAll(async () => {
    server = await startTestServer({ store: storeConfig(), http: { host: "127.0.0.1", port: 0, token: TOKEN } }, "warn");
    port = server.http!.port;
  });
  afterAll(async () => {
    await server.close();
  });

  it("refuses __proto__ like constructor (400 unknown_field) in every body the API parses, nothing written", async () => {
    const cases: Array<[string, string, string, string]> = [
      ["PUT", "/v1/subscribers/p1", '{"password":"x","__proto__":{"enabled":false}}', "__proto__"],
      ["PUT", "/v1/subscribers/p1", '{"password":"x","\\u005f_proto__":{"enabled":false}}', "__proto__"],
      ["PUT", "/v1/subscribers/p1", '{"password":"x","reply":{"__proto__":"1"}}', "reply.__proto__"],
      ["PATCH", "/v1/subscribers/p1", '{"__proto__":{"maxSessions":3}}', "__proto__"],
      ["PUT", "/v1/groups/g1", '{"__proto__":{}}', "__proto__"],
      ["POST", "/v1/auth", '{"username":"a","password":"b","__proto__":{}}', "__proto__"],
    ];
    for (const [method, p, raw, field] of cases) {
      const r = await call(method, p, { raw });
      expect([method, p, raw, r.status, r.json?.error?.code, r.json?.error?.field]).toEqual([method, p, raw, 400, "unknown_field", field]);
    }
    const ctor = await call("PUT", "/v1/subscribers/p1", { raw: '{"password":"x","constructor":{}}' });
    expect([ctor.status, ctor.json.error.code]).toEqual([400, "unknown_field"]);
    expect((await call("GET", "/v1/subscribers/p1")).status).toBe(404);
    expect((await call("GET", "/v1/groups/g1")).status).toBe(404);
  });

  it("an out-of-range or non-numeric cursor is 400 naming the cursor, not 503", async () => {
    for (const cursor of ["99999999999999999999", "18446744073709551616", "abc", "-1", ""]) {
      const r = await call("GET", `/v1/subscribers?cursor=${cursor}`);
      expect([cursor, r.status, r.json.error.code, r.json.error.field]).toEqual([cursor, 400, "invalid_field", "cursor"]);
    }
    expect((await call("GET", "/v1/subscribers?cursor=0")).status).toBe(200);
  });

  it("a 400 about a secret-bearing reply attribute names it but does not echo its value", async () => {
    for (const attr of ["MS-MPPE-Send-Key", "MS-MPPE-Recv-Key", "MS-CHAP-MPPE-Keys", "CHAP-Password"]) {
      const r = await call("PUT", "/v1/subscribers/k1", { body: { password: "pw", reply: { [attr]: KEY } } });
      expect([attr, r.status, r.json.error.field]).toEqual([attr, 400, "reply"]);
      expect(r.json.error.message).toContain(attr);
      expect(r.text).not.toContain("5ecretKeyMaterial");
    }
    // Other attributes still say what was wrong with the value.
    const plain = await call("PUT", "/v1/subscribers/k1", { body: { password: "pw", reply: { "Framed-IP-Address": "not-an-address" } } });
    expect(plain.status).toBe(400);
    expect(plain.json.error.message).toContain("not-an-address");
  });
});

describe("errors never echo values of secret-bearing attributes", () => {
  it("validateAttributeObject: every attribute flagged encrypted or a credential", () => {
    const dict = defaultDictionary();
    const secretValues: Record<string, unknown> = {
      "MS-MPPE-Send-Key": KEY,
      "MS-MPPE-Recv-Key": [KEY],
      "Tunnel-Password": { tag: 99, value: "5ecretKeyMaterial" },
      "User-Password": { not: "5ecretKeyMaterial" },
      "CHAP-Password": KEY,
      "MS-CHAP-MPPE-Keys": KEY,
    };
    const problems = validateAttributeObject(dict, secretValues);
    expect(problems.length).toBeGreaterThanOrEqual(5);
    for (const p of problems) expect(p).not.toContain("5ecretKeyMaterial");
    // Dictionary flags decide too: every encrypt= attribute is redacted.
    const encrypted = [...dict.attributes()].filter((d) => d.encrypt !== undefined);
    expect(encrypted.length).toBeGreaterThan(3);
    for (const d of encrypted) {
      for (const p of validateAttributeObject(dict, { [d.name]: ["0xZZ5ecretKeyMaterial", { x: "5ecretKeyMaterial" }] })) expect(p).not.toContain("5ecretKeyMaterial");
    }
  });

  it("an import error quoting a reply attribute does not include the key material", async () => {
    const file = path.join(dir, "import.jsonl");
    writeFileSync(file, JSON.stringify({ username: "u1", password: "pw", reply: { "MS-MPPE-Send-Key": KEY, "Framed-IP-Address": "nope" } }) + "\n");
    const store = new MemoryStore({ file: path.join(dir, "import-target.jsonl") }, { info: () => {}, warn: () => {}, error: () => {} });
    await store.start();
    const dict = defaultDictionary();
    const r = await importFile(store, "subscribers", file, { validateReply: (reply) => validateAttributeObject(dict, reply) });
    await store.close();
    expect(r.ok).toBe(false);
    const text = JSON.stringify(r.errors);
    expect(text).toContain("MS-MPPE-Send-Key");
    expect(text).not.toContain("5ecretKeyMaterial");
    expect(text).toContain("nope");
  });
});

/** Connects, writes `first`, and resolves with how long until the server closed the connection, and what it sent. */
function heldFor(port: number, first: string): Promise<{ ms: number; data: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = net.connect(port, "127.0.0.1", () => s.write(first));
    let data = "";
    s.on("data", (c: Buffer) => (data += c.toString("latin1")));
    s.on("error", () => {});
    s.on("close", () => resolve({ ms: performance.now() - t0, data }));
    setTimeout(() => {
      s.destroy();
      reject(new Error("connection still open after 10 s"));
    }, 10_000).unref();
  });
}

describe("HTTP timeouts, connection cap and /metrics under a flood (real sockets)", () => {
  let server: TestServer;
  let port: number;
  beforeAll(async () => {
    server = await startTestServer(
      {
        store: { memory: { file: path.join(dir, "t-subs.jsonl") } },
        http: { host: "127.0.0.1", port: 0, token: TOKEN, headersTimeoutMs: 600, requestTimeoutMs: 1200, maxConnections: 4, metricsRendersPerSecond: 2 },
      },
      "warn",
    );
    port = server.http!.port;
  });
  afterAll(async () => {
    await server.close();
  });

  it("cuts slow headers at headersTimeoutMs (not at Node's 30 s check interval)", async () => {
    const r = await heldFor(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
    expect(r.ms).toBeGreaterThanOrEqual(550);
    // Far below Node's default check interval (30 s), with room for a loaded machine.
    expect(r.ms).toBeLessThan(3000);
    expect(r.data).toMatch(/^HTTP\/1\.1 408/);
  });

  it("cuts a slow body with a valid token at requestTimeoutMs", async () => {
    const head = `PUT /v1/subscribers/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"password":`;
    const r = await heldFor(port, head);
    expect(r.ms).toBeGreaterThanOrEqual(1100);
    expect(r.ms).toBeLessThan(4000);
    expect((await api(port, "GET", "/v1/subscribers/slow", { token: TOKEN })).status).toBe(404);
  });

  it("closes connections past http.maxConnections at once; serves again when they are gone", async () => {
    const open: net.Socket[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const s = net.connect(port, "127.0.0.1");
        s.on("error", () => {});
        await new Promise<void>((r) => s.once("connect", () => r()));
        open.push(s);
      }
      await new Promise((r) => setTimeout(r, 50));
      const extra = await heldFor(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(extra.data).toBe("");
      expect(extra.ms).toBeLessThan(300);
    } finally {
      for (const s of open) s.destroy();
    }
    await new Promise((r) => setTimeout(r, 50));
    expect((await api(port, "GET", "/healthz")).status).toBe(200);
  });

  it("renders /metrics at most metricsRendersPerSecond; a flood gets the last text, fresh again a second later", async () => {
    const spy = jest.spyOn(server.metrics, "toPrometheus");
    try {
      await new Promise((r) => setTimeout(r, 1100)); // a full bucket
      const texts: string[] = [];
      for (let i = 0; i < 40; i++) texts.push((await api(port, "GET", "/metrics")).text);
      expect(texts.every((t) => t.includes("aaa_http_requests_total"))).toBe(true);
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(2);
      expect(spy.mock.calls.length).toBeLessThanOrEqual(4);
      await new Promise((r) => setTimeout(r, 1100));
      const fresh = (await api(port, "GET", "/metrics")).text;
      const m = /^aaa_http_requests_total\{route="\/metrics",status="200"\} (\d+)$/m.exec(fresh);
      expect(Number(m?.[1])).toBeGreaterThanOrEqual(40);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("http config", () => {
  it("requestTimeoutMs below headersTimeoutMs is refused naming the key", () => {
    const r = configSchema.safeParse({ clients: [{ name: "a", address: "127.0.0.1", secret: "s" }], store: { memory: { file: "x" } }, http: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(["http", "requestTimeoutMs"]);
  });
});
