// store.redis.tls: config validation, file errors naming the key, paths relative to the config
// file, and a real rediss:// connection with a private CA, a servername and a client certificate
// (mutual TLS) when redis-server here supports TLS.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { configSchema } from "../../src/config/schema.js";
import { loadConfig, ConfigError } from "../../src/config/load.js";
import { redisTlsOptions } from "../../src/store/redis-tls.js";
import { Code } from "../../src/radius/codes.js";
import { decodePacket } from "../../src/radius/packet.js";
import { freePort } from "../helpers/redis.js";
import { startTestServer, UdpPeer } from "../helpers/server.js";
import { accessRequest } from "../helpers/packets.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-tls-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const base = { clients: [{ name: "a", address: "127.0.0.1", secret: "s" }] };
const issues = (store: unknown) => {
  const r = configSchema.safeParse({ ...base, store });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("store.redis.tls configuration", () => {
  it("is validated: rediss:// only, certFile with keyFile, no unknown keys", () => {
    expect(issues({ redis: { url: "rediss://127.0.0.1:6380/0", tls: { caFile: "ca.pem", servername: "redis.test", rejectUnauthorized: true } } })).toEqual([]);
    expect(issues({ redis: { url: "redis://127.0.0.1:6379/0", tls: { caFile: "ca.pem" } } }).join()).toMatch(/tls needs a rediss:\/\/ url/);
    expect(issues({ redis: { url: "rediss://h:6380", tls: { certFile: "c.pem" } } }).join()).toMatch(/keyFile.*certFile and keyFile go together|certFile and keyFile go together/);
    expect(issues({ redis: { url: "rediss://h:6380", tls: { caFiles: "x" } } }).join()).toMatch(/caFiles|Unrecognized/i);
    expect(issues({ redis: { url: "rediss://h:6380", tls: { caFile: "" } } }).join()).toMatch(/must not be empty/);
  });

  it("paths are relative to the config file; a missing file stops loading naming the key", () => {
    mkdirSync(path.join(dir, "conf", "certs"), { recursive: true });
    writeFileSync(path.join(dir, "conf", "certs", "ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    const file = path.join(dir, "conf", "aaa.yaml");
    const yaml = (tls: string) =>
      `clients:\n  - { name: a, address: 127.0.0.1, secret: s }\nstore:\n  redis:\n    url: rediss://127.0.0.1:6380/0\n    tls: ${tls}\n`;
    writeFileSync(file, yaml("{ caFile: certs/ca.pem }"));
    const cfg = loadConfig(file);
    expect("redis" in cfg.store && cfg.store.redis.tls?.caFile).toBe(path.join(dir, "conf", "certs", "ca.pem"));
    writeFileSync(file, yaml("{ caFile: certs/ca.pem, certFile: certs/client.pem, keyFile: certs/client.key }"));
    expect(() => loadConfig(file)).toThrow(ConfigError);
    expect(() => loadConfig(file)).toThrow(/store\.redis\.tls\.certFile: cannot read .*certs\/client\.pem \(ENOENT\)/);
  });

  it("redisTlsOptions reads the files; an unreadable one is named by its key", () => {
    const ca = path.join(dir, "ca-only.pem");
    writeFileSync(ca, "CA");
    expect(redisTlsOptions({ tls: { caFile: ca, servername: "redis.test", rejectUnauthorized: true } })).toEqual({ ca: Buffer.from("CA"), servername: "redis.test", rejectUnauthorized: true });
    expect(redisTlsOptions({ tls: undefined })).toBeUndefined();
    expect(() => redisTlsOptions({ tls: { caFile: ca, keyFile: dir, certFile: ca, rejectUnauthorized: true } })).toThrow(/^store\.redis\.tls\.keyFile: cannot read .* \(EISDIR\)$/);
  });
});

// A real TLS Redis needs redis-server built with TLS and openssl to make the certificates.
function tlsSupport(): { ok: true } | { ok: false; reason: string } {
  if (spawnSync("openssl", ["version"]).status !== 0) return { ok: false, reason: "openssl is not installed" };
  const r = spawnSync("redis-server", ["--port", "0", "--tls-port", "0", "--save", ""], { encoding: "utf8", timeout: 5000 });
  const out = `${r.stdout}${r.stderr}`;
  if (r.error || /Bad directive|not built with TLS|unsupported/i.test(out)) return { ok: false, reason: "redis-server was built without TLS" };
  return { ok: true };
}
const support = tlsSupport();
const describeTls = support.ok ? describe : describe.skip;

describeTls(`a rediss:// store with a private CA, servername and client certificate${support.ok ? "" : ` (skipped: ${support.reason})`}`, () => {
  let certs: string;
  let child: ChildProcess;
  let port: number;
  const f = (n: string) => path.join(certs, n);

  beforeAll(async () => {
    certs = mkdtempSync(path.join(os.tmpdir(), "aaa-tls-certs-"));
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: certs, stdio: "ignore" });
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=aaa-test-ca");
    writeFileSync(f("server.ext"), "subjectAltName=DNS:redis.test\n");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=redis.test");
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=carrier-aaa");
    ssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2");
    port = await freePort();
    child = spawn(
      "redis-server",
      ["--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1", "--tls-cert-file", f("server.pem"), "--tls-key-file", f("server.key"), "--tls-ca-cert-file", f("ca.pem"), "--tls-auth-clients", "yes", "--save", "", "--appendonly", "no", "--dir", certs],
      { stdio: "ignore" },
    );
    const tls = { ca: [readFileSync(f("ca.pem"))], cert: readFileSync(f("client.pem")), key: readFileSync(f("client.key")), servername: "redis.test" };
    for (let i = 0; ; i++) {
      const admin = new Redis({ host: "127.0.0.1", port, tls, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      admin.on("error", () => {});
      try {
        await admin.connect();
        await admin.set("aaa:sub:alice", JSON.stringify({ username: "alice", password: "s3cret", enabled: true, groups: [], reply: {} }));
        admin.disconnect();
        break;
      } catch (err) {
        admin.disconnect();
        if (i > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  afterAll(async () => {
    if (child.exitCode === null) await new Promise<void>((r) => { child.once("exit", () => r()); child.kill("SIGKILL"); });
    rmSync(certs, { recursive: true, force: true });
  });

  it("authenticates through Redis over mutual TLS, verifying the server as the servername", async () => {
    const server = await startTestServer({ store: { redis: { url: `rediss://127.0.0.1:${port}/0`, tls: { caFile: f("ca.pem"), certFile: f("client.pem"), keyFile: f("client.key"), servername: "redis.test" } } } }, "warn");
    const peer = new UdpPeer();
    await peer.bind();
    try {
      expect(server.store.isAvailable()).toBe(true);
      const raw = await peer.request(accessRequest({ user: "alice", password: "s3cret" }).packet, server.port);
      expect(decodePacket(raw!).code).toBe(Code.AccessAccept);
    } finally {
      peer.close();
      await server.close();
    }
  });

  it("is not available when the certificate does not match (no servername) or no client certificate is given", async () => {
    for (const tls of [{ caFile: f("ca.pem"), certFile: f("client.pem"), keyFile: f("client.key") }, { caFile: f("ca.pem"), servername: "redis.test" }]) {
      const server = await startTestServer({ store: { redis: { url: `rediss://127.0.0.1:${port}/0`, connectTimeoutMs: 500, tls } } }, "warn");
      try {
        expect(server.store.isAvailable()).toBe(false);
      } finally {
        await server.close();
      }
    }
  });
});
