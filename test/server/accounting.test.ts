// The accounting listener end to end, over real UDP: Start/Interim/Stop, retransmissions, bad
// input, Accounting-On, and no reply unless the store acknowledged the write. Memory store and a
// private Redis.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import dgram from "node:dgram";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket, findAttribute } from "../../src/radius/packet.js";
import { verifyMessageAuthenticator, verifyResponseAuthenticator } from "../../src/radius/authenticator.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";
import { ACCT, accessRequest, accountingRequest, u32 } from "../helpers/packets.js";
import { itOwnRedis } from "../helpers/skip.js";

const SECRET = Buffer.from("testing123");
const listeners = { auth: { host: "127.0.0.1", port: 0 }, acct: { host: "127.0.0.1", port: 0 } };

/** Send and return the verified Accounting-Response, or null for no (valid) answer. */
async function acct(peer: UdpPeer, server: TestServer, packet: Buffer, waitMs = 1000): Promise<Buffer | null> {
  const raw = await peer.request(packet, server.acct!.port, waitMs);
  if (!raw) return null;
  const reply = decodePacket(raw);
  const request = decodePacket(packet);
  expect(reply.code).toBe(Code.AccountingResponse);
  expect(reply.identifier).toBe(request.identifier);
  expect(verifyResponseAuthenticator(reply, request.authenticator, SECRET)).toBe(true);
  return raw;
}

function outcomes(server: TestServer, reason: string): number {
  return server.metrics.sum("aaa_datagrams_total", { listener: "acct", reason });
}

describe("accounting on the memory store", () => {
  let server: TestServer;
  let peer: UdpPeer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "aaa-acct-"));
    writeFileSync(path.join(dir, "subs.jsonl"), "");
    server = await startTestServer({ radius: listeners, store: { memory: { file: path.join(dir, "subs.jsonl") } }, scheduler: { budgetMs: 1000 } }, "warn");
    peer = new UdpPeer();
    await peer.bind();
  });
  afterAll(async () => {
    peer.close();
    await server.close();
  });

  it("answers Start, Interim-Update and Stop only after recording them, and keeps the live session", async () => {
    expect(await acct(peer, server, accountingRequest({ status: ACCT.start, sessionId: "m-1", user: "alice", extra: [{ type: Attr.FramedIpAddress, value: Buffer.from([10, 0, 0, 9]) }] }))).not.toBeNull();
    let live = await server.sessions.listSessions({ user: "alice" });
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ nas: "test", sessionId: "m-1", framedIp: "10.0.0.9", nasIp: "127.0.0.1", nasAddress: "127.0.0.1" });
    expect(await acct(peer, server, accountingRequest({ status: ACCT.interim, sessionId: "m-1", user: "alice", sessionTime: 60, inputOctets: 7, inputGigawords: 2 }))).not.toBeNull();
    live = await server.sessions.listSessions({ user: "alice" });
    expect(live[0]).toMatchObject({ inputOctets: 2 * 2 ** 32 + 7, sessionTime: 60 });
    expect(await acct(peer, server, accountingRequest({ status: ACCT.stop, sessionId: "m-1", user: "alice", sessionTime: 90 }))).not.toBeNull();
    expect(await server.sessions.listSessions({ user: "alice" })).toEqual([]);
    expect(outcomes(server, "acct_start")).toBe(1);
    expect(outcomes(server, "acct_interim")).toBe(1);
    expect(outcomes(server, "acct_stop")).toBe(1);
  });

  it("answers a retransmission with a new Identifier and Acct-Delay-Time, without counting it twice", async () => {
    const first = accountingRequest({ status: ACCT.start, sessionId: "m-2", user: "bob", identifier: 10 });
    expect(await acct(peer, server, first)).not.toBeNull();
    expect(await acct(peer, server, accountingRequest({ status: ACCT.start, sessionId: "m-2", user: "bob", identifier: 11, delay: 3 }))).not.toBeNull();
    // The very same datagram again: answered from the duplicate cache (RFC 5080 §2.2.2).
    expect(await acct(peer, server, first)).not.toBeNull();
    const starts = (await server.sessions.history()).filter((h) => h.kind === "start" && h.sessionId === "m-2");
    expect(starts).toHaveLength(1);
    expect(outcomes(server, "acct_duplicate")).toBe(1);
    expect(server.metrics.sum("aaa_datagrams_total", { listener: "acct", outcome: "duplicate", reason: "replayed" })).toBe(1);
  });

  it("signs its answer with a Message-Authenticator when the request had one, and drops a bad one", async () => {
    const signed = accountingRequest({ status: ACCT.start, sessionId: "m-3", user: "carol", messageAuthenticator: true });
    const raw = await acct(peer, server, signed);
    expect(raw).not.toBeNull();
    const reply = decodePacket(raw!);
    expect(findAttribute(reply, Attr.MessageAuthenticator)).toBeDefined();
    // Computed over 16 zero octets in the authenticator field, as FreeRADIUS does for accounting
    // (radclient checks it: test/interop/radclient.test.ts).
    expect(verifyMessageAuthenticator(reply, SECRET, Buffer.alloc(16))).toBe("valid");

    const forged = Buffer.from(accountingRequest({ status: ACCT.start, sessionId: "m-4", user: "carol", messageAuthenticator: true }));
    // Corrupt the MA value (first attribute after the header), then fix the Request Authenticator
    // so that only the MA is wrong.
    forged[22] = forged[22]! ^ 1;
    const { computeRequestAuthenticator } = await import("../../src/radius/authenticator.js");
    computeRequestAuthenticator(forged, SECRET).copy(forged, 4);
    expect(await peer.request(forged, server.acct!.port, 300)).toBeNull();
    expect(outcomes(server, "bad_message_authenticator")).toBe(1);
  });

  it("drops, counts and never stores: a wrong Request Authenticator, no Acct-Session-Id, no Acct-Status-Type, an unknown client, an Access-Request", async () => {
    const before = (await server.sessions.history()).length;
    expect(await peer.request(accountingRequest({ status: ACCT.start, sessionId: "x-1", user: "eve", secret: "wrong-secret" }), server.acct!.port, 300)).toBeNull();
    expect(outcomes(server, "bad_request_authenticator")).toBe(1);
    expect(await peer.request(accountingRequest({ status: ACCT.start, user: "eve" }), server.acct!.port, 300)).toBeNull();
    expect(outcomes(server, "missing_acct_session_id")).toBe(1);
    expect(await peer.request(accountingRequest({ sessionId: "x-2", user: "eve" }), server.acct!.port, 300)).toBeNull();
    expect(outcomes(server, "missing_acct_status_type")).toBe(1);
    expect(await peer.request(accessRequest({ user: "eve", password: "x" }).packet, server.acct!.port, 300)).toBeNull();
    expect(outcomes(server, "unexpected_code")).toBe(1);
    // From 127.0.0.2: not a configured client.
    const stranger = dgram.createSocket("udp4");
    await new Promise<void>((r) => stranger.bind(0, "127.0.0.2", r));
    stranger.send(accountingRequest({ status: ACCT.start, sessionId: "x-3", user: "eve" }), server.acct!.port, "127.0.0.1");
    const got = await new Promise<boolean>((resolve) => {
      stranger.once("message", () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });
    stranger.close();
    expect(got).toBe(false);
    expect(outcomes(server, "unknown_client")).toBe(1);
    expect((await server.sessions.history()).length).toBe(before);
    expect(await server.sessions.listSessions({ user: "eve" })).toEqual([]);
  });

  it("Accounting-On closes every session of the NAS", async () => {
    for (let i = 0; i < 3; i++) expect(await acct(peer, server, accountingRequest({ status: ACCT.start, sessionId: `on-${i}`, user: `on-user${i}` }))).not.toBeNull();
    expect((await server.sessions.listSessions({ nas: "test" })).length).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 5));
    expect(await acct(peer, server, accountingRequest({ status: ACCT.on, sessionId: "00000000" }))).not.toBeNull();
    expect(await server.sessions.listSessions({ nas: "test" })).toEqual([]);
    expect(outcomes(server, "acct_on")).toBe(1);
  });

  it("keeps every datagram in exactly one outcome", async () => {
    const total = server.metrics.sum("aaa_datagrams_total", { listener: "acct" });
    // 3 + 3 + 2 + 4 + 1(stranger) + 4 sent above; each counted once.
    expect(total).toBe(17);
  });
});

describe("accounting on Redis", () => {
  let redis: TestRedis;
  let server: TestServer;
  let peer: UdpPeer;
  let admin: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url, { disconnectTimeout: 50 });
    await admin.set(`${redis.keyPrefix}sub:solo`, JSON.stringify({ username: "solo", password: "pw", maxSessions: 1 }));
    server = await startTestServer(
      {
        radius: listeners,
        store: { redis: { url: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: 300, groupRefreshMs: 100 } },
        scheduler: { budgetMs: 1000 },
        clients: [{ name: "test", address: "127.0.0.1", secret: "testing123", requireMessageAuthenticator: false }],
      },
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

  it("records Start/Interim/Stop in Redis and the history stream", async () => {
    expect(await acct(peer, server, accountingRequest({ status: ACCT.start, sessionId: "r-1", user: "rita" }))).not.toBeNull();
    expect(await acct(peer, server, accountingRequest({ status: ACCT.interim, sessionId: "r-1", user: "rita", sessionTime: 30, inputOctets: 100 }))).not.toBeNull();
    expect(await acct(peer, server, accountingRequest({ status: ACCT.interim, sessionId: "r-1", user: "rita", sessionTime: 30, inputOctets: 100, delay: 2 }))).not.toBeNull();
    expect((await server.sessions.listSessions({ user: "rita" }))[0]).toMatchObject({ inputOctets: 100, status: "live" });
    expect(await acct(peer, server, accountingRequest({ status: ACCT.stop, sessionId: "r-1", user: "rita", sessionTime: 40 }))).not.toBeNull();
    const kinds = (await server.sessions.history()).filter((h) => h.user === "rita").map((h) => h.kind);
    expect(kinds).toEqual(["start", "interim", "stop"]);
  });

  it("many concurrent Access-Requests for a subscriber with maxSessions 1: exactly one Accept, and one session", async () => {
    const peers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const p = new UdpPeer();
        await p.bind();
        return p;
      }),
    );
    try {
      const answers = await Promise.all(peers.map((p) => p.request(accessRequest({ user: "solo", password: "pw" }).packet, server.port, 2000)));
      const codes = answers.map((a) => (a ? decodePacket(a).code : null));
      expect(codes.filter((c) => c === Code.AccessAccept)).toHaveLength(1);
      expect(codes.filter((c) => c === Code.AccessReject)).toHaveLength(19);
      expect(server.metrics.sum("aaa_access_rejects_total", { reason: "max_sessions" })).toBe(19);
      // The accepted NAS starts the session; the slot it held becomes that session.
      expect(await acct(peer, server, accountingRequest({ status: ACCT.start, sessionId: "solo-1", user: "solo" }))).not.toBeNull();
      expect(await server.sessions.listSessions({ user: "solo" })).toHaveLength(1);
      const again = await peer.request(accessRequest({ user: "solo", password: "pw" }).packet, server.port);
      expect(decodePacket(again!).code).toBe(Code.AccessReject);
      // After its Stop the subscriber may log in again.
      expect(await acct(peer, server, accountingRequest({ status: ACCT.stop, sessionId: "solo-1", user: "solo" }))).not.toBeNull();
      const after = await peer.request(accessRequest({ user: "solo", password: "pw" }).packet, server.port);
      expect(decodePacket(after!).code).toBe(Code.AccessAccept);
    } finally {
      for (const p of peers) p.close();
    }
  });

  itOwnRedis("sends no Accounting-Response when Redis refuses the write, and stores nothing", async () => {
    await admin.config("SET", "maxmemory", "1");
    try {
      expect(await peer.request(accountingRequest({ status: ACCT.start, sessionId: "refused", user: "rita" }), server.acct!.port, 500)).toBeNull();
      expect(outcomes(server, "store:STORE_WRITE_FAILED")).toBe(1);
    } finally {
      await admin.config("SET", "maxmemory", "0");
    }
    expect((await server.sessions.history()).filter((h) => h.sessionId === "refused")).toEqual([]);
    // The NAS's retransmission succeeds once Redis takes writes again.
    expect(await acct(peer, server, accountingRequest({ status: ACCT.start, sessionId: "refused", user: "rita", delay: 3 }))).not.toBeNull();
  });

  itOwnRedis("sends no Accounting-Response while Redis is down", async () => {
    expect(server.metrics.toPrometheus()).toMatch(/^aaa_sessions_store_up 1$/m);
    await redis.kill();
    try {
      expect(await peer.request(accountingRequest({ status: ACCT.start, sessionId: "down", user: "rita" }), server.acct!.port, 500)).toBeNull();
      expect(server.metrics.toPrometheus()).toMatch(/^aaa_sessions_store_up 0$/m);
      expect(server.metrics.sum("aaa_datagrams_total", { listener: "acct", outcome: "dropped", reason: "store:STORE_UNAVAILABLE" })).toBeGreaterThan(0);
    } finally {
      await redis.restart();
    }
  });
});

void u32;
