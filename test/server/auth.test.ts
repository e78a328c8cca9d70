// Access-Request and Status-Server end to end over real UDP, on the memory store.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket, findAttribute, findAttributes } from "../../src/radius/packet.js";
import { verifyResponseAuthenticator } from "../../src/radius/authenticator.js";
import { decodeAttributes } from "../../src/radius/values.js";
import { defaultDictionary } from "../../src/radius/dictionary.js";
import { hashPassword } from "../../src/handle/password-hash.js";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";
import { accessRequest, statusServer, verifiedReply } from "../helpers/packets.js";

const SECRET = Buffer.from("testing123");
let server: TestServer;
let peer: UdpPeer;
let sent = 0;

function send(packet: Buffer, waitMs = 1000): Promise<Buffer | null> {
  sent++;
  return peer.request(packet, server.port, waitMs);
}

const replyOf = (raw: Buffer | null, requestAuthenticator: Buffer) => verifiedReply(raw, requestAuthenticator, SECRET);

function attrs(p: ReturnType<typeof decodePacket>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of decodeAttributes(defaultDictionary(), p)) out[a.name] = a.value;
  return out;
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-auth-"));
  const subs = [
    { username: "alice", password: "s3cret", groups: ["gold"], reply: { "Framed-IP-Address": "10.0.0.5", "Session-Timeout": 3600 } },
    { username: "hashed", passwordHash: hashPassword("h4shed", { ln: 10, r: 8, p: 1 }) },
    { username: "off", password: "pw", enabled: false },
    { username: "old", password: "pw", expiresAt: "2020-01-01T00:00:00Z" },
    { username: "ünïcode", password: "pässwörd-with-a-long-tail-0123456789-0123456789-0123456789" },
  ];
  writeFileSync(path.join(dir, "subs.jsonl"), subs.map((s) => JSON.stringify(s)).join("\n") + "\n");
  writeFileSync(path.join(dir, "groups.jsonl"), JSON.stringify({ group: "gold", reply: { "Session-Timeout": 7200, "Idle-Timeout": 600 } }) + "\n");
  server = await startTestServer({
    store: { memory: { file: path.join(dir, "subs.jsonl"), groupsFile: path.join(dir, "groups.jsonl") } },
    clients: [
      { name: "test", address: "127.0.0.1", secret: "testing123" },
      { name: "legacy", address: "127.0.0.4", secret: "legacy-secret", requireMessageAuthenticator: false },
    ],
    auth: { rejectReplyMessage: "Access denied" },
  });
  peer = new UdpPeer();
  await peer.bind();
});

afterAll(async () => {
  peer.close();
  await server.close();
});

describe("Access-Request", () => {
  it("accepts PAP with the right password, with group and own reply attributes, own overriding group", async () => {
    const { packet, authenticator } = accessRequest({ user: "alice", password: "s3cret" });
    const p = replyOf(await send(packet), authenticator);
    expect(p.code).toBe(Code.AccessAccept);
    const a = attrs(p);
    expect(a["Framed-IP-Address"]).toBe("10.0.0.5");
    expect(a["Session-Timeout"]).toBe(3600);
    expect(a["Idle-Timeout"]).toBe(600);
  });

  it("rejects a wrong password with the configured Reply-Message and counts the reason", async () => {
    const before = server.metrics.get("aaa_access_rejects_total", { reason: "bad_password" });
    const { packet, authenticator } = accessRequest({ user: "alice", password: "wrong" });
    const p = replyOf(await send(packet), authenticator);
    expect(p.code).toBe(Code.AccessReject);
    expect(attrs(p)["Reply-Message"]).toBe("Access denied");
    expect(server.metrics.get("aaa_access_rejects_total", { reason: "bad_password" })).toBe(before + 1);
  });

  it.each([
    ["nobody", "pw", "unknown_user"],
    ["off", "pw", "disabled"],
    ["old", "pw", "expired"],
  ])("rejects %s (%s) as %s", async (user, password, reason) => {
    const before = server.metrics.get("aaa_access_rejects_total", { reason });
    const { packet, authenticator } = accessRequest({ user, password });
    expect(replyOf(await send(packet), authenticator).code).toBe(Code.AccessReject);
    expect(server.metrics.get("aaa_access_rejects_total", { reason })).toBe(before + 1);
  });

  it("handles long UTF-8 names and passwords", async () => {
    const { packet, authenticator } = accessRequest({ user: "ünïcode", password: "pässwörd-with-a-long-tail-0123456789-0123456789-0123456789" });
    expect(replyOf(await send(packet), authenticator).code).toBe(Code.AccessAccept);
  });

  it("accepts CHAP against a cleartext password and rejects a wrong one", async () => {
    const ok = accessRequest({ user: "alice", password: "s3cret", chap: true });
    expect(replyOf(await send(ok.packet), ok.authenticator).code).toBe(Code.AccessAccept);
    const bad = accessRequest({ user: "alice", password: "nope", chap: true });
    expect(replyOf(await send(bad.packet), bad.authenticator).code).toBe(Code.AccessReject);
  });

  it("verifies PAP against a scrypt hash on the worker placement; CHAP cannot use a hash", async () => {
    expect(server.core.handlers.list()).toContainEqual({ name: "verify-password-hash", placement: "worker" });
    const ok = accessRequest({ user: "hashed", password: "h4shed" });
    expect(replyOf(await send(ok.packet, 3000), ok.authenticator).code).toBe(Code.AccessAccept);
    const bad = accessRequest({ user: "hashed", password: "h4shee" });
    expect(replyOf(await send(bad.packet, 3000), bad.authenticator).code).toBe(Code.AccessReject);
    const before = server.metrics.get("aaa_access_rejects_total", { reason: "method_not_possible" });
    const chap = accessRequest({ user: "hashed", password: "h4shed", chap: true });
    expect(replyOf(await send(chap.packet), chap.authenticator).code).toBe(Code.AccessReject);
    expect(server.metrics.get("aaa_access_rejects_total", { reason: "method_not_possible" })).toBe(before + 1);
  });

  it("echoes Proxy-State attributes in order", async () => {
    const states = [Buffer.from("first"), Buffer.from("second")];
    const { packet, authenticator } = accessRequest({ user: "alice", password: "s3cret", proxyState: states });
    const p = replyOf(await send(packet), authenticator);
    expect(findAttributes(p, Attr.ProxyState).map((a) => a.value.toString())).toEqual(["first", "second"]);
  });

  it("drops a request without Message-Authenticator when the client requires one", async () => {
    const before = server.metrics.sum("aaa_datagrams_total", { listener: "auth", outcome: "dropped", reason: "missing_message_authenticator" });
    const { packet } = accessRequest({ user: "alice", password: "s3cret", messageAuthenticator: false });
    expect(await send(packet, 300)).toBeNull();
    expect(server.metrics.sum("aaa_datagrams_total", { listener: "auth", outcome: "dropped", reason: "missing_message_authenticator" })).toBe(before + 1);
  });

  it("drops a request signed with the wrong secret", async () => {
    const { packet } = accessRequest({ user: "alice", password: "s3cret", secret: "not-the-secret" });
    expect(await send(packet, 300)).toBeNull();
    expect(server.metrics.sum("aaa_datagrams_total", { listener: "auth", outcome: "dropped", reason: "bad_message_authenticator" })).toBeGreaterThan(0);
  });

  it("answers the same request twice with the same bytes (RFC 5080 duplicate cache)", async () => {
    const { packet, authenticator } = accessRequest({ user: "alice", password: "s3cret", identifier: 77 });
    const first = await send(packet);
    const second = await send(packet);
    replyOf(first, authenticator);
    expect(second).toEqual(first);
    expect(server.metrics.sum("aaa_datagrams_total", { listener: "auth", outcome: "duplicate", reason: "replayed" })).toBeGreaterThan(0);
  });
});

describe("Status-Server (RFC 5997)", () => {
  it("answers with Access-Accept when it carries a valid Message-Authenticator", async () => {
    const { packet, authenticator } = statusServer();
    const p = replyOf(await send(packet), authenticator);
    expect(p.code).toBe(Code.AccessAccept);
  });

  it("drops it without a Message-Authenticator", async () => {
    const { packet } = statusServer({ messageAuthenticator: false });
    expect(await send(packet, 300)).toBeNull();
    expect(server.metrics.sum("aaa_datagrams_total", { listener: "auth", outcome: "dropped", reason: "status_without_message_authenticator" })).toBe(1);
  });
});

describe("clients", () => {
  it("answers a legacy client without Message-Authenticator when configured so, and still signs the reply", async () => {
    const legacy = new UdpPeer();
    await new Promise<void>((r) => legacy.socket.bind(0, "127.0.0.4", r));
    try {
      const { packet, authenticator } = accessRequest({ user: "alice", password: "s3cret", secret: "legacy-secret", messageAuthenticator: false });
      sent++;
      const raw = await legacy.request(packet, server.port);
      expect(raw).not.toBeNull();
      const p = decodePacket(raw!);
      expect(p.code).toBe(Code.AccessAccept);
      expect(verifyResponseAuthenticator(p, authenticator, Buffer.from("legacy-secret"))).toBe(true);
      expect(findAttribute(p, Attr.MessageAuthenticator)).toBeDefined();
    } finally {
      legacy.close();
    }
  });

  it("drops datagrams from an unknown source and logs it once per interval", async () => {
    const stranger = new UdpPeer();
    await new Promise<void>((r) => stranger.socket.bind(0, "127.0.0.3", r));
    try {
      for (let i = 0; i < 5; i++) {
        sent++;
        stranger.send(accessRequest({ user: "alice", password: "s3cret" }).packet, server.port);
      }
      expect(await stranger.next(300)).toBeNull();
      expect(server.metrics.sum("aaa_datagrams_total", { listener: "auth", outcome: "dropped", reason: "unknown_client" })).toBe(5);
      expect(server.logs.filter((l) => l.includes("unknown client")).length).toBe(1);
    } finally {
      stranger.close();
    }
  });
});

describe("bad input", () => {
  it("drops malformed datagrams with a named reason and keeps serving", async () => {
    const bad = [Buffer.alloc(0), Buffer.alloc(19, 1), Buffer.from("0101001400000000000000000000000000000000ff", "hex"), Buffer.from("01010020" + "00".repeat(16) + "0102", "hex")];
    for (const b of bad) expect(await send(b, 100)).toBeNull();
    const malformed = server.metrics.sum("aaa_datagrams_total", { outcome: "dropped" });
    expect(malformed).toBeGreaterThanOrEqual(bad.length);
    const { packet, authenticator } = accessRequest({ user: "alice", password: "s3cret" });
    expect(replyOf(await send(packet), authenticator).code).toBe(Code.AccessAccept);
  });
});

describe("accounting of outcomes and logs", () => {
  it("ends every datagram in exactly one counted outcome", async () => {
    await new Promise((r) => setTimeout(r, 50));
    expect(server.metrics.sum("aaa_datagrams_total")).toBe(sent);
  });

  it("never writes a password or a shared secret to the log, even at debug", () => {
    const all = server.logs.join("\n");
    expect(all).toContain('"msg":"request"');
    for (const secret of ["s3cret", "testing123", "h4shed", "legacy-secret", "pässwörd"]) expect(all).not.toContain(secret);
  });
});
