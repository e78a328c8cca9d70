// Live reload of a running server over real UDP: secrets rotate, a bad file changes nothing,
// restart-only keys are reported and kept, and requests in flight during a reload are answered
// on the version they arrived with.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket, findAttribute, type RadiusPacket } from "../../src/radius/packet.js";
import { verifyMessageAuthenticator, verifyResponseAuthenticator } from "../../src/radius/authenticator.js";
import { hashPassword } from "../../src/handle/password-hash.js";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";
import { accessRequest } from "../helpers/packets.js";

let dir: string;
let server: TestServer;
let peer: UdpPeer;
const configFile = (): string => path.join(dir, "carrier-aaa.json");

/** The configuration the server starts with, as a file; `patch` edits a copy. */
function baseConfig(): Record<string, any> {
  return {
    radius: { auth: { host: "127.0.0.1", port: 0, io: process.env.CARRIER_AAA_TEST_IO ?? "auto" } },
    clients: [{ name: "test", address: "127.0.0.1", secret: "testing123" }],
    store: { memory: { file: path.join(dir, "subs.jsonl"), groupsFile: path.join(dir, "groups.jsonl") } },
    log: { level: "debug" },
    workerPool: { size: 1 },
    // Long enough for the slow password hashes of the in-flight test.
    scheduler: { budgetMs: 20_000 },
  };
}

function writeConfig(patch: (c: Record<string, any>) => void = () => {}): void {
  const c = baseConfig();
  patch(c);
  writeFileSync(configFile(), JSON.stringify(c, null, 2));
}

function writeGroups(sessionTimeout: number): void {
  writeFileSync(path.join(dir, "groups.jsonl"), JSON.stringify({ group: "gold", reply: { "Session-Timeout": sessionTimeout } }) + "\n");
}

/** Decodes a reply and checks that `secret` signed it (Response Authenticator and Message-Authenticator). */
function signedWith(raw: Buffer | null, requestAuthenticator: Buffer, secret: string): RadiusPacket {
  expect(raw).not.toBeNull();
  const p = decodePacket(raw!);
  expect(verifyResponseAuthenticator(p, requestAuthenticator, Buffer.from(secret))).toBe(true);
  expect(verifyMessageAuthenticator(p, Buffer.from(secret), requestAuthenticator)).toBe("valid");
  return p;
}

function replyMessage(p: RadiusPacket): string | undefined {
  return findAttribute(p, Attr.ReplyMessage)?.value.toString("utf8");
}

/** waitMs bounds the wait for an answer that should not come (dropped requests). */
async function login(secret: string, user = "alice", password = "s3cret", waitMs = 2000): Promise<{ raw: Buffer | null; authenticator: Buffer }> {
  const req = accessRequest({ user, password, secret });
  return { raw: await peer.request(req.packet, server.port, waitMs), authenticator: req.authenticator };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-reload-"));
  const subs = [
    { username: "alice", password: "s3cret", groups: ["gold"] },
    // A deliberately slow hash (2^14 scrypt, ~80 ms): verifying it keeps a request in flight for a while.
    { username: "slow", passwordHash: hashPassword("slowpw", { ln: 14, r: 8, p: 1 }) },
  ];
  writeFileSync(path.join(dir, "subs.jsonl"), subs.map((s) => JSON.stringify(s)).join("\n") + "\n");
  writeGroups(100);
  const c = baseConfig();
  server = await startTestServer({ store: c.store, scheduler: c.scheduler });
  peer = new UdpPeer();
  await peer.bind();
});

afterAll(async () => {
  peer.close();
  await server.close();
});

describe("live reload", () => {
  it("rotates a client secret: the old one stops working, the new one works", async () => {
    writeConfig();
    const same = await server.reloadFromFile(configFile());
    expect(same).toMatchObject({ ok: true, applied: [], needsRestart: [] });
    const before = await login("testing123");
    expect(signedWith(before.raw, before.authenticator, "testing123").code).toBe(Code.AccessAccept);

    writeConfig((c) => (c.clients[0].secret = "rotated-secret"));
    const r = await server.reloadFromFile(configFile());
    expect(r).toMatchObject({ ok: true, applied: ["clients.test.secret"], needsRestart: [] });
    expect(r.version).toBe(server.core.version);

    const dropsBefore = server.metrics.sum("aaa_datagrams_total", { reason: "bad_message_authenticator" });
    const old = await login("testing123", "alice", "s3cret", 300);
    expect(old.raw).toBeNull();
    expect(server.metrics.sum("aaa_datagrams_total", { reason: "bad_message_authenticator" })).toBe(dropsBefore + 1);
    const now = await login("rotated-secret");
    expect(signedWith(now.raw, now.authenticator, "rotated-secret").code).toBe(Code.AccessAccept);
    // The store's files did not change: they were not parsed again.
    expect(server.logs.filter((l) => l.includes("subscriber store reloaded"))).toHaveLength(0);
    // Reload logs name the key, never the secret.
    expect(server.logs.some((l) => l.includes("configuration reloaded") && l.includes("clients.test.secret"))).toBe(true);
    expect(server.logs.some((l) => l.includes("rotated-secret"))).toBe(false);
  });

  it("refuses a bad file, says which key is wrong, and keeps answering with the running configuration", async () => {
    const version = server.core.version;
    writeConfig((c) => {
      c.clients[0].secret = "never-applied";
      c.clients[0].secrett = "typo";
    });
    const r = await server.reloadFromFile(configFile());
    expect(r.ok).toBe(false);
    expect(r.version).toBe(version);
    expect(!r.ok && r.error).toMatch(/secrett/);
    expect(server.logs.some((l) => l.includes("configuration reload failed") && l.includes("secrett"))).toBe(true);

    // Broken YAML on the line of a secret: the message gives the position, not the line.
    const yamlFile = path.join(dir, "broken.yaml");
    writeFileSync(yamlFile, 'clients:\n  - name: test\n    address: 127.0.0.1\n    secret: "leaky-secret\nstore: { memory: { file: s.jsonl } }\n');
    const y = await server.reloadFromFile(yamlFile);
    expect(y.ok).toBe(false);
    expect(!y.ok && y.error).toMatch(/not valid YAML.*line/);
    expect(server.logs.some((l) => l.includes("leaky-secret"))).toBe(false);

    expect((await server.reloadFromFile(path.join(dir, "missing.yaml"))).ok).toBe(false);
    writeConfig((c) => {
      c.clients[0].secret = "never-applied";
      c.dictionary = { files: [path.join(dir, "no-such-dictionary")] };
    });
    const d = await server.reloadFromFile(configFile());
    expect(!d.ok && d.error).toMatch(/^dictionary\.files: /);
    // A scheduler setting that cannot work is refused at reload too, naming the key.
    writeConfig((c) => {
      c.clients[0].secret = "never-applied";
      c.scheduler = { budgetMs: 20_000, classes: { access: { minShare: -0.1 } } };
    });
    const sch = await server.reloadFromFile(configFile());
    expect(!sch.ok && sch.error).toMatch(/scheduler\.classes\.access\.minShare/);
    writeConfig((c) => {
      c.clients[0].secret = "never-applied";
      c.scheduler = { budgetMs: 20_000, classes: { access: { minShare: 0.6 }, acct: { minShare: 0.6 } } };
    });
    const sum = await server.reloadFromFile(configFile());
    expect(!sum.ok && sum.error).toMatch(/minShare values sum to 1\.25/);
    expect(server.core.version).toBe(version);
    const still = await login("rotated-secret");
    expect(signedWith(still.raw, still.authenticator, "rotated-secret").code).toBe(Code.AccessAccept);
    expect((await login("never-applied", "alice", "s3cret", 300)).raw).toBeNull();
  });

  it("refuses invalid store data as a whole and keeps the data it has", async () => {
    writeConfig((c) => (c.clients[0].secret = "rotated-secret"));
    const version = server.core.version;
    const subsFile = path.join(dir, "subs.jsonl");
    const good = readFileSync(subsFile, "utf8");
    writeFileSync(subsFile, good + '{"username":"broken","password":1}\n');
    try {
      const r = await server.reloadFromFile(configFile());
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error).toMatch(/^store: .*subs\.jsonl:3/);
      expect(server.core.version).toBe(version);
      const still = await login("rotated-secret");
      expect(signedWith(still.raw, still.authenticator, "rotated-secret").code).toBe(Code.AccessAccept);
    } finally {
      writeFileSync(subsFile, good);
    }
  });

  it("applies group profiles, the reject message and the log level; reports restart-only keys and keeps them", async () => {
    writeGroups(200);
    writeConfig((c) => {
      c.clients[0].secret = "rotated-secret";
      c.auth = { rejectReplyMessage: "try again" };
      c.log.level = "info";
      c.radius.auth.port = 1; // cannot move a bound socket
      c.workerPool.size = 3;
    });
    const r = await server.reloadFromFile(configFile());
    expect(r).toMatchObject({ ok: true, applied: ["log.level", "auth.rejectReplyMessage"], needsRestart: ["radius.auth.port", "workerPool.size"] });
    expect(server.runningConfig().radius.auth.port).toBe(0);
    expect(server.runningConfig().workerPool.size).toBe(1);
    expect(server.logs.some((l) => l.includes("need a restart") && l.includes("radius.auth.port"))).toBe(true);
    expect(server.logs.filter((l) => l.includes("subscriber store reloaded"))).toHaveLength(1);
    const exposition = server.metrics.toPrometheus();
    expect(exposition).toMatch(/^aaa_config_restart_pending 2$/m);
    expect(exposition).toMatch(new RegExp(`^aaa_config_version ${r.version}$`, "m"));
    expect(server.metrics.sum("aaa_config_reloads_total", { result: "failed" })).toBe(7);

    const debugLines = () => server.logs.filter((l) => l.includes('"msg":"request"')).length;
    const linesBefore = debugLines();
    const ok = await login("rotated-secret");
    const accept = signedWith(ok.raw, ok.authenticator, "rotated-secret");
    expect(findAttribute(accept, Attr.SessionTimeout)?.value.readUInt32BE(0)).toBe(200);
    const bad = await login("rotated-secret", "alice", "wrong");
    const reject = signedWith(bad.raw, bad.authenticator, "rotated-secret");
    expect(reject.code).toBe(Code.AccessReject);
    expect(replyMessage(reject)).toBe("try again");
    expect(debugLines()).toBe(linesBefore); // debug is off now
  });

  it("answers every request in flight during a reload, signed with the secret and settings it arrived with", async () => {
    writeConfig((c) => {
      c.clients[0].secret = "rotated-secret";
      c.auth = { rejectReplyMessage: "old message" };
    });
    expect((await server.reloadFromFile(configFile())).ok).toBe(true);

    // Slow hashes queue on the single worker thread: these stay in flight for a while.
    const inFlight = Array.from({ length: 6 }, (_, i) => accessRequest({ user: "slow", password: i % 2 ? "slowpw" : "wrong", secret: "rotated-secret", identifier: i }));
    const answered = server.metrics.sum("aaa_datagrams_total", { outcome: "answered" });
    for (const q of inFlight) peer.send(q.packet, server.port);
    const until = Date.now() + 5000;
    while (server.scheduler.stats().running < inFlight.length && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
    expect(server.scheduler.stats().running).toBe(inFlight.length);

    writeConfig((c) => {
      c.clients[0].secret = "third-secret";
      c.auth = { rejectReplyMessage: "new message" };
    });
    const r = await server.reloadFromFile(configFile());
    expect(r).toMatchObject({ ok: true, applied: ["clients.test.secret", "auth.rejectReplyMessage"] });
    // The swap happened while they were still being handled.
    expect(server.metrics.sum("aaa_datagrams_total", { outcome: "answered" })).toBeLessThan(answered + inFlight.length);

    const replies = new Map<number, Buffer>();
    while (replies.size < inFlight.length) {
      const raw = await peer.next(10_000);
      if (!raw) break;
      replies.set(raw[1]!, raw);
    }
    expect(replies.size).toBe(inFlight.length);
    inFlight.forEach((q, i) => {
      const p = signedWith(replies.get(i) ?? null, q.authenticator, "rotated-secret");
      if (i % 2) expect(p.code).toBe(Code.AccessAccept);
      else {
        expect(p.code).toBe(Code.AccessReject);
        expect(replyMessage(p)).toBe("old message");
      }
    });

    // New arrivals get the new version.
    const after = await login("third-secret", "alice", "wrong");
    expect(replyMessage(signedWith(after.raw, after.authenticator, "third-secret"))).toBe("new message");
  }, 30_000);

  it("answers every request of a steady stream across several reloads", async () => {
    const stream = new UdpPeer();
    await stream.bind();
    try {
      let sent = 0;
      let reloads = 0;
      // 40 rounds of 10 requests, 5 ms apart; a reload (reject message changes) every 8 rounds.
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < 10; i++) {
          const ok = (sent + i) % 3 !== 0;
          stream.send(accessRequest({ user: "alice", password: ok ? "s3cret" : "wrong", secret: "third-secret", identifier: (sent + i) & 0xff }).packet, server.port);
        }
        sent += 10;
        if (round % 8 === 4) {
          writeConfig((c) => {
            c.clients[0].secret = "third-secret";
            c.auth = { rejectReplyMessage: `round ${round}` };
          });
          const r = await server.reloadFromFile(configFile());
          expect(r.ok).toBe(true);
          reloads++;
        }
        await new Promise((res) => setTimeout(res, 5));
      }
      const until = Date.now() + 10_000;
      while (stream.received.length < sent && Date.now() < until) await new Promise((res) => setTimeout(res, 10));
      expect(reloads).toBe(5);
      expect(stream.received.length).toBe(sent);
      const codes = stream.received.map((b) => decodePacket(b).code);
      expect(codes.filter((c) => c === Code.AccessReject).length).toBe(Math.ceil(sent / 3));
    } finally {
      stream.close();
    }
  }, 30_000);

  it("re-reads dictionary files: an attribute they define can be sent after the reload", async () => {
    const dictFile = path.join(dir, "dictionary.local");
    writeFileSync(dictFile, "ATTRIBUTE\tReload-Test-Attr\t241\tinteger\n");
    writeFileSync(path.join(dir, "subs.jsonl"), JSON.stringify({ username: "dict", password: "pw", reply: { "Reload-Test-Attr": 7 } }) + "\n");
    writeConfig((c) => (c.clients[0].secret = "fourth-secret"));
    expect((await server.reloadFromFile(configFile())).ok).toBe(true);
    const before = await login("fourth-secret", "dict", "pw", 300);
    expect(before.raw).toBeNull(); // the attribute is unknown: the reply cannot be encoded
    writeConfig((c) => {
      c.clients[0].secret = "fourth-secret";
      c.dictionary = { files: [dictFile] };
    });
    expect(await server.reloadFromFile(configFile())).toMatchObject({ ok: true, applied: ["dictionary.files"] });
    const after = await login("fourth-secret", "dict", "pw");
    const p = signedWith(after.raw, after.authenticator, "fourth-secret");
    expect(p.code).toBe(Code.AccessAccept);
    expect(p.attributes.find((a) => a.type === 241)?.value.readUInt32BE(0)).toBe(7);
  });

  it("runs concurrent reloads one at a time, each on the outcome of the previous", async () => {
    const v = server.core.version;
    writeConfig((c) => (c.clients[0].secret = "fifth-secret"));
    const [a, b] = await Promise.all([server.reloadFromFile(configFile()), server.reloadFromFile(configFile())]);
    expect(a).toMatchObject({ ok: true, version: v + 1, applied: ["clients.test.secret", "dictionary.files"] });
    expect(b).toMatchObject({ ok: true, version: v + 2, applied: [] });
  });
});
