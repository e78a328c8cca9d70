// The request path's log lines at the default level: one line per Access-Accept and
// Access-Reject (user, NAS, source, Calling-Station-Id, reason, time), bounded by
// log.authLines.perSecond with a summary of what was held back; a NAS with a wrong shared secret
// is named with a hint; unknown sources are capped over all addresses together.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import dgram from "node:dgram";
import os from "node:os";
import path from "node:path";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket } from "../../src/radius/packet.js";
import { AuthLineBudget, WindowCap } from "../../src/pipeline/auth-log.js";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";
import { accessRequest, accountingRequest, ACCT } from "../helpers/packets.js";

type Line = Record<string, unknown>;
const parse = (logs: string[]): Line[] => logs.map((l) => JSON.parse(l) as Line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-authlog-"));
  writeFileSync(path.join(dir, "subs.jsonl"), [{ username: "alice", password: "s3cret-pw" }, { username: "bob", password: "bobs-pw" }].map((s) => JSON.stringify(s)).join("\n") + "\n");
});

const store = () => ({ memory: { file: path.join(dir, "subs.jsonl") } });
const csid = (v: string) => ({ type: Attr.CallingStationId, value: Buffer.from(v) });

async function bindOn(address: string): Promise<UdpPeer> {
  const p = new UdpPeer();
  await new Promise<void>((r) => p.socket.bind(0, address, r));
  return p;
}

describe("Access-Accept / Access-Reject lines at info", () => {
  let server: TestServer;
  let peer: UdpPeer;
  beforeAll(async () => {
    server = await startTestServer(
      {
        store: store(),
        radius: { auth: { host: "127.0.0.1", port: 0 }, acct: { host: "127.0.0.1", port: 0 } },
        clients: [
          { name: "test", address: "127.0.0.1", secret: "testing123" },
          { name: "nas2", address: "127.0.0.5", secret: "nas2-secret" },
        ],
      },
      "info",
    );
    peer = new UdpPeer();
    await peer.bind();
  });
  afterAll(async () => {
    peer.close();
    await server.close();
  });

  it("writes one line per Accept and per Reject with user, client, source, Calling-Station-Id, reason and ms; never the password", async () => {
    const ok = await peer.request(accessRequest({ user: "alice", password: "s3cret-pw", extra: [csid("00-11-22-33-44-55")] }).packet, server.port);
    expect(decodePacket(ok!).code).toBe(Code.AccessAccept);
    const bad = await peer.request(accessRequest({ user: "alice", password: "not-her-pw", extra: [csid("66-77-88-99-AA-BB")] }).packet, server.port);
    expect(decodePacket(bad!).code).toBe(Code.AccessReject);
    const unknown = await peer.request(accessRequest({ user: "mallory", password: "whatever-pw" }).packet, server.port);
    expect(decodePacket(unknown!).code).toBe(Code.AccessReject);
    await sleep(50);
    const from = `127.0.0.1:${peer.socket.address().port}`;
    const lines = parse(server.logs).filter((l) => l["msg"] === "Access-Accept" || l["msg"] === "Access-Reject");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ level: 30, msg: "Access-Accept", user: "alice", client: "test", from, callingStationId: "00-11-22-33-44-55" });
    expect(lines[0]).not.toHaveProperty("reason");
    expect(lines[1]).toMatchObject({ level: 30, msg: "Access-Reject", user: "alice", client: "test", from, callingStationId: "66-77-88-99-AA-BB", reason: "bad_password" });
    expect(lines[2]).toMatchObject({ msg: "Access-Reject", user: "mallory", reason: "unknown_user" });
    for (const l of lines) expect(typeof l["ms"]).toBe("number");
    const all = server.logs.join("\n");
    for (const secret of ["s3cret-pw", "not-her-pw", "whatever-pw", "testing123"]) expect(all).not.toContain(secret);
  });

  it("a NAS with a wrong shared secret gets a warn line naming the client, the source and the secret, once per interval", async () => {
    const before = server.metrics.get("aaa_log_lines_suppressed_total", { kind: "bad_secret" });
    for (let i = 0; i < 4; i++) {
      expect(await peer.request(accessRequest({ user: "alice", password: "s3cret-pw", secret: "not-the-secret" }).packet, server.port, 200)).toBeNull();
    }
    // Accounting: the Request Authenticator does not verify (RFC 2866 §3); same client, same interval.
    expect(await peer.request(accountingRequest({ status: ACCT.start, sessionId: "s1", user: "alice", secret: "not-the-secret" }), server.acct!.port, 200)).toBeNull();
    const warns = parse(server.logs).filter((l) => typeof l["msg"] === "string" && (l["msg"] as string).includes("check the shared secret configured for this client"));
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ level: 40, client: "test", from: `127.0.0.1:${peer.socket.address().port}`, listener: "auth", reason: "bad_message_authenticator" });
    expect(server.metrics.get("aaa_log_lines_suppressed_total", { kind: "bad_secret" })).toBe(before + 4);
    expect(server.logs.join("\n")).not.toContain("not-the-secret");
    // Another NAS, accounting only: its own line.
    const nas2 = await bindOn("127.0.0.5");
    try {
      expect(await nas2.request(accountingRequest({ status: ACCT.start, sessionId: "s2", user: "bob", secret: "testing123" }), server.acct!.port, 200)).toBeNull();
    } finally {
      nas2.close();
    }
    const acctWarn = parse(server.logs).filter((l) => l["client"] === "nas2" && typeof l["msg"] === "string" && (l["msg"] as string).includes("check the shared secret"));
    expect(acctWarn).toHaveLength(1);
    expect(acctWarn[0]).toMatchObject({ listener: "acct", reason: "bad_request_authenticator", from: expect.stringMatching(/^127\.0\.0\.5:\d+$/) });
  });
});

describe("the debug per-request line", () => {
  it("carries Calling-Station-Id", async () => {
    const server = await startTestServer({ store: store() }, "debug");
    const peer = new UdpPeer();
    await peer.bind();
    try {
      expect(await peer.request(accessRequest({ user: "bob", password: "bobs-pw", extra: [csid("aa:bb:cc:dd:ee:ff")] }).packet, server.port)).not.toBeNull();
      await sleep(20);
      const line = parse(server.logs).find((l) => l["msg"] === "request" && l["user"] === "bob");
      expect(line).toMatchObject({ level: 20, outcome: "answered", reason: "accept", callingStationId: "aa:bb:cc:dd:ee:ff", client: "test" });
    } finally {
      peer.close();
      await server.close();
    }
  });
});

describe("log.authLines.perSecond", () => {
  it("lets at most about perSecond lines through, counts the rest, and sums them up in one line per second", async () => {
    const server = await startTestServer({ store: store(), log: { level: "info", authLines: { perSecond: 5 } } }, "info");
    const peer = new UdpPeer();
    await peer.bind();
    try {
      const n = 40;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const reply = await peer.request(accessRequest({ user: "alice", password: i % 4 === 0 ? "s3cret-pw" : "wrong-pw" }).packet, server.port);
        expect(reply).not.toBeNull();
      }
      const elapsedS = (performance.now() - t0) / 1000;
      const written = parse(server.logs).filter((l) => l["msg"] === "Access-Accept" || l["msg"] === "Access-Reject").length;
      const suppressed = server.metrics.get("aaa_log_lines_suppressed_total", { kind: "auth" });
      expect(written + suppressed).toBe(n);
      expect(written).toBeGreaterThanOrEqual(5);
      // 5 at once plus the refill of 5/s over the time the 40 requests took.
      expect(written).toBeLessThanOrEqual(5 + Math.ceil(5 * elapsedS) + 1);
      expect(written).toBeLessThan(n);
      // The summary line comes within about a second.
      let summary: Line | undefined;
      for (let t = 0; t < 30 && !summary; t++) {
        await sleep(100);
        summary = parse(server.logs).find((l) => typeof l["msg"] === "string" && (l["msg"] as string).startsWith("Access-Accept/Reject lines suppressed"));
      }
      expect(summary).toBeDefined();
      const byResult = summary!["byResult"] as Record<string, number>;
      expect(Object.keys(byResult).every((k) => k === "accept" || k === "reject:bad_password")).toBe(true);
      expect(summary!["suppressed"]).toBe(Object.values(byResult).reduce((a, b) => a + b, 0));
      expect(summary!["suppressed"]).toBeGreaterThan(0);
    } finally {
      peer.close();
      await server.close();
    }
  });

  it("AuthLineBudget: a token bucket refilled at perSecond, at most one second's worth; drain() counts by kind", () => {
    const b = new AuthLineBudget(3, 0);
    expect([b.take("accept", 0), b.take("accept", 0), b.take("accept", 0), b.take("accept", 0), b.take("reject:x", 0)]).toEqual([true, true, true, false, false]);
    expect(b.drain()).toEqual({ total: 2, byKind: { accept: 1, "reject:x": 1 } });
    expect(b.drain()).toBeNull();
    expect(b.take("accept", 334)).toBe(true); // one token refilled after a third of a second
    expect(b.take("accept", 334)).toBe(false);
    // A long idle time refills one second's worth, not more.
    expect([1, 2, 3, 4].map(() => b.take("accept", 60_000))).toEqual([true, true, true, false]);
    b.setRate(0);
    expect(b.take("accept", 120_000)).toBe(false);
  });
});

describe("unknown-client warnings", () => {
  it("WindowCap: at most max lines per window over all keys; the next line says how many were held back", () => {
    const cap = new WindowCap(2, 10_000);
    expect([cap.allow(0), cap.allow(1), cap.allow(2), cap.allow(3), cap.allow(9_999)]).toEqual([0, 0, -1, -1, -1]);
    expect(cap.allow(10_000)).toBe(3);
    expect(cap.allow(10_001)).toBe(0);
  });

  it("many source addresses do not give one line each: at most 20 per 10 s, the rest counted", async () => {
    const server = await startTestServer({ store: store() }, "info");
    const peers: dgram.Socket[] = [];
    try {
      const sources = 60;
      for (let i = 0; i < sources; i++) {
        const s = dgram.createSocket("udp4");
        await new Promise<void>((r) => s.bind(0, `127.0.1.${i + 1}`, r));
        peers.push(s);
        s.send(accessRequest({ user: "alice", password: "s3cret-pw" }).packet, server.port, "127.0.0.1");
      }
      const dropped = () => server.metrics.sum("aaa_datagrams_total", { outcome: "dropped", reason: "unknown_client" });
      for (let t = 0; t < 50 && dropped() < sources; t++) await sleep(20);
      expect(dropped()).toBe(sources);
      const lines = parse(server.logs).filter((l) => l["msg"] === "datagram from unknown client dropped");
      expect(lines).toHaveLength(20);
      expect(server.metrics.get("aaa_log_lines_suppressed_total", { kind: "unknown_client" })).toBe(sources - 20);
    } finally {
      for (const s of peers) s.close();
      await server.close();
    }
  });
});
