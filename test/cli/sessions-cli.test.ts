// `carrier-aaa sessions list` and `carrier-aaa session disconnect|coa` as an operator runs them:
// the compiled bin, a private Redis holding sessions written through the session store, and a NAS
// simulated on a real UDP socket.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Attr, Code } from "../../src/radius/codes.js";
import { configSchema } from "../../src/config/schema.js";
import { createSessionStore } from "../../src/store/factory.js";
import type { AccountingRecord, SessionStore } from "../../src/store/sessions.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { FakeNas } from "../helpers/fake-nas.js";

const BIN = path.resolve("bin/carrier-aaa.js");
let redis: TestRedis;
let dir: string;
let cfg: string;
let store: SessionStore;
let nas: FakeNas;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("node", [BIN, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const rec = (o: Partial<AccountingRecord>): AccountingRecord => ({
  kind: "start",
  nas: "lab",
  nasAddress: "127.0.0.1",
  sessionId: "s-1",
  user: "alice",
  eventTime: Date.now(),
  receivedAt: Date.now(),
  ...o,
});

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-sessions-cli-"));
  nas = new FakeNas(Buffer.from("coa-only-secret"));
  const nasPort = await nas.bind();
  cfg = path.join(dir, "redis.yaml");
  writeFileSync(
    cfg,
    [
      "clients:",
      `  - { name: lab, address: "127.0.0.1", secret: testing123, coa: { port: ${nasPort}, secret: coa-only-secret } }`,
      "store:",
      `  redis: { url: "${redis.url}", keyPrefix: "${redis.keyPrefix}" }`,
    ].join("\n"),
  );
  const config = configSchema.parse({ clients: [{ name: "lab", address: "127.0.0.1", secret: "x" }], store: { redis: { url: redis.url, keyPrefix: redis.keyPrefix } } });
  store = createSessionStore(config.store, config.sessions);
  await store.start();
  await store.record(rec({ sessionId: "s-1", user: "alice", framedIp: "10.0.0.5", nasPort: 3, nasIp: "127.0.0.1" }), 1000);
  await store.record(rec({ sessionId: "s-2", user: "bob" }), 1000);
  await store.record(rec({ sessionId: "s-3", user: "bob" }), 1000);
});

afterAll(async () => {
  nas.close();
  await store.close();
  await redis.stop();
});

describe("carrier-aaa sessions list", () => {
  it("lists live sessions, filtered by user or NAS", async () => {
    const all = await cli(["sessions", "list", "--config", cfg]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^USER\s+NAS\s+NAS-ADDRESS\s+SESSION-ID/m);
    expect(all.stdout).toMatch(/3 live sessions/);
    const alice = await cli(["sessions", "list", "--config", cfg, "--user", "alice"]);
    expect(alice.stdout).toMatch(/alice\s+lab\s+127\.0\.0\.1\s+s-1\s+3\s+10\.0\.0\.5/);
    expect(alice.stdout).toMatch(/1 live session$/m);
    const json = await cli(["sessions", "list", "--config", cfg, "--nas", "lab", "--json"]);
    expect(json.stdout.trim().split("\n").map((l) => JSON.parse(l).sessionId).sort()).toEqual(["s-1", "s-2", "s-3"]);
  });

  it("explains that the memory store keeps sessions inside the server", async () => {
    const mem = path.join(dir, "mem.yaml");
    writeFileSync(mem, `clients:\n  - { name: lab, address: "127.0.0.1", secret: testing123 }\nstore: { memory: { file: subs.jsonl } }\n`);
    const r = await cli(["sessions", "list", "--config", mem]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/memory store/);
  });
});

describe("carrier-aaa session disconnect|coa", () => {
  it("sends a Disconnect-Request with the CoA secret to the session's NAS and reports the ACK", async () => {
    nas.answer = () => ({ kind: "ack" });
    const before = nas.seen.length;
    const r = await cli(["session", "disconnect", "--config", cfg, "--user", "alice", "--irt", "200", "--mrc", "3"]);
    expect(r.stdout).toMatch(/Disconnect-ACK from 127\.0\.0\.1:\d+ \(lab, session s-1, user alice\) after 1 transmission/);
    expect(r.code).toBe(0);
    const seen = nas.seen[before]!;
    expect(seen.packet.code).toBe(Code.DisconnectRequest);
    expect(seen.authenticatorOk).toBe(true);
    expect(seen.packet.attributes.find((a) => a.type === Attr.AcctSessionId)?.value.toString()).toBe("s-1");
  });

  it("reports a NAK with its Error-Cause (exit 1)", async () => {
    nas.answer = () => ({ kind: "nak", errorCause: 503 });
    const r = await cli(["session", "disconnect", "--config", cfg, "--user", "alice", "--irt", "200", "--mrc", "3"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Disconnect-NAK .* Error-Cause = Session-Context-Not-Found \(503\)/);
  });

  it("sends a CoA-Request with --set attributes", async () => {
    nas.answer = () => ({ kind: "ack" });
    const before = nas.seen.length;
    const r = await cli(["session", "coa", "--config", cfg, "--user", "alice", "--set", "Session-Timeout=900", "--set", "Filter-Id=gold", "--irt", "200", "--mrc", "3"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/CoA-ACK/);
    const p = nas.seen[before]!.packet;
    expect(p.code).toBe(Code.CoARequest);
    expect(p.attributes.find((a) => a.type === Attr.SessionTimeout)?.value.readUInt32BE(0)).toBe(900);
    expect(p.attributes.find((a) => a.type === Attr.FilterId)?.value.toString()).toBe("gold");
  });

  it("exit 2 when the NAS never answers, 64 when several sessions match without --all, 3 for none", async () => {
    nas.answer = () => ({ kind: "silent" });
    const silent = await cli(["session", "disconnect", "--config", cfg, "--user", "alice", "--irt", "50", "--mrc", "2"]);
    expect(silent.code).toBe(2);
    expect(silent.stdout).toMatch(/no answer after 2 transmissions/);
    const many = await cli(["session", "disconnect", "--config", cfg, "--user", "bob"]);
    expect(many.code).toBe(64);
    expect(many.stderr).toMatch(/2 live sessions match/);
    nas.answer = () => ({ kind: "ack" });
    const both = await cli(["session", "disconnect", "--config", cfg, "--user", "bob", "--all", "--irt", "200", "--mrc", "3"]);
    expect(both.code).toBe(0);
    expect(both.stdout.match(/Disconnect-ACK/g)).toHaveLength(2);
    const none = await cli(["session", "disconnect", "--config", cfg, "--user", "nobody"]);
    expect(none.code).toBe(3);
  });
});
