// A live server with the scheduler on, flooded while its store stalls: it must shed (silently,
// counted by reason), keep answering Status-Server, and serve normally afterwards.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { execFileSync } from "node:child_process";
import http from "node:http";
import { Redis } from "ioredis";
import { Code } from "../../src/radius/codes.js";
import { loadUdpMmsg } from "../../src/transport/native/binding.js";
import { decodePacket } from "../../src/radius/packet.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";
import { accessRequest, statusServer } from "../helpers/packets.js";
import { itIf, itOwnRedis } from "../helpers/skip.js";

let redis: TestRedis;
let server: TestServer;
let admin: Redis;

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  await admin.set(`${redis.keyPrefix}sub:alice`, JSON.stringify({ username: "alice", password: "s3cret", enabled: true, groups: [], reply: {} }));
  server = await startTestServer(
    {
      store: { redis: { url: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: 200 } },
      scheduler: { enabled: true, budgetMs: 200, maxQueue: 500, limiter: { initial: 8, min: 4, max: 64 } },
      http: { host: "127.0.0.1", port: 0 },
      // Sender and server share this process: a large buffer keeps the kernel from dropping
      // the flood, so that what is measured is the scheduler's shedding.
      radius: { auth: { host: "127.0.0.1", port: 0, recvBufferSize: 4 * 1024 * 1024 } },
    },
    "warn",
  );
});

afterAll(async () => {
  admin.disconnect();
  await server.close();
  await redis.stop();
});

describe("overload", () => {
  itOwnRedis("sheds while the store stalls, answers Status-Server throughout, and recovers", async () => {
    const flood = new UdpPeer();
    const probe = new UdpPeer();
    await flood.bind();
    await probe.bind();
    try {
      // The store stops answering for 600 ms: requests pile up behind the concurrency limit.
      await admin.call("CLIENT", "PAUSE", "600", "ALL");
      const total = 2000;
      for (let i = 0; i < total; i += 100) {
        for (let j = 0; j < 100; j++) flood.send(accessRequest({ user: "alice", password: "s3cret" }).packet, server.port);
        await new Promise((r) => setTimeout(r, 2));
      }
      const st = await probe.request(statusServer().packet, server.port, 1000);
      expect(st).not.toBeNull();
      expect(decodePacket(st!).code).toBe(Code.AccessAccept);

      await new Promise((r) => setTimeout(r, 1500));
      const shed = server.metrics.sum("aaa_datagrams_total", { outcome: "shed" });
      expect(shed).toBeGreaterThan(0);
      // Shedding is silent: nothing but Accepts went out (no Access-Reject to shed load).
      const replies = flood.received.map((b) => decodePacket(b).code);
      expect(replies.every((c) => c === Code.AccessAccept)).toBe(true);
      // Every flood datagram is accounted for exactly once: answered, shed (after classification,
      // or before it as stale), dropped, or dropped by the kernel while reading was held back.
      const flooded = (outcome: string) =>
        server.metrics.sum("aaa_datagrams_total", { outcome, class: "access" }) + server.metrics.sum("aaa_datagrams_total", { outcome, class: "none" });
      expect(flooded("answered")).toBe(replies.length);
      expect(replies.length + flooded("shed") + flooded("dropped") + server.kernelDrops()).toBe(total);

      const after = await probe.request(accessRequest({ user: "alice", password: "s3cret" }).packet, server.port, 1000);
      expect(after).not.toBeNull();
      expect(decodePacket(after!).code).toBe(Code.AccessAccept);

      const metrics = await get(server.http!.port, "/metrics");
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/aaa_datagrams_total\{[^}]*outcome="shed"[^}]*\} \d+/);
      expect(metrics.body).toMatch(/aaa_scheduler_limit \d+/);
      expect(metrics.body).toMatch(/aaa_response_seconds_bucket\{class="access",le="0.05"\} \d+/);
      expect((await get(server.http!.port, "/readyz")).status).toBe(200);
      expect((await get(server.http!.port, "/healthz")).status).toBe(200);
      expect(server.logs.some((l) => l.includes("shedding load"))).toBe(true);
    } finally {
      flood.close();
      probe.close();
    }
  }, 20_000);

  // Only the native reader has kernel arrival stamps (CI builds it).
  itIf(process.env["CARRIER_AAA_TEST_IO"] !== "dgram" && loadUdpMmsg().binding !== null, "only the native UDP reader has kernel arrival stamps")("sheds a datagram that waited in the kernel queue past its budget as stale, counted under its NAS", async () => {
    const stale = () => server.metrics.sum("aaa_datagrams_total", { outcome: "shed", reason: "stale", client: "test" });
    const answeredBefore = server.metrics.sum("aaa_datagrams_total", { outcome: "answered" });
    const before = stale();
    // Another process sends while this one (the server's) is blocked: the datagram waits in the
    // kernel queue, stamped on arrival, for longer than the 200 ms budget.
    const packet = accessRequest({ user: "alice", password: "s3cret" }).packet.toString("hex");
    const send = `const s=require("node:dgram").createSocket("udp4");s.send(Buffer.from("${packet}","hex"),${server.port},"127.0.0.1",()=>s.close())`;
    execFileSync(process.execPath, ["-e", send]);
    const until = performance.now() + 300;
    while (performance.now() < until) {
      // blocked
    }
    for (let i = 0; i < 100 && stale() === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stale()).toBe(before + 1);
    expect(server.metrics.sum("aaa_datagrams_total", { outcome: "answered" })).toBe(answeredBefore);
  });
});
