// Graceful shutdown of a live `carrier-aaa serve` process: SIGTERM closes intake, requests in
// flight (RADIUS and POST /v1/auth) are answered within their deadlines, Redis is closed, exit 0.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { Code } from "../../src/radius/codes.js";
import { decodePacket } from "../../src/radius/packet.js";
import { startRedis, freePort, type TestRedis } from "../helpers/redis.js";
import { UdpPeer } from "../helpers/server.js";
import { accessRequest } from "../helpers/packets.js";
import { api } from "../helpers/http.js";
import { itOwnRedis } from "../helpers/skip.js";

const BIN = path.resolve("bin/carrier-aaa.js");
const TOKEN = "shutdown-token-0123456789";
let redis: TestRedis;
let admin: Redis;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  await admin.set(`${redis.keyPrefix}sub:alice`, JSON.stringify({ username: "alice", password: "s3cret", enabled: true, groups: [], reply: {} }));
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-shutdown-"));
});
afterAll(async () => {
  admin.disconnect();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

function waitForLine(lines: string[], re: RegExp, child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const check = (): void => {
      const hit = lines.find((l) => re.test(l));
      if (hit) return resolve(hit);
      if (child.exitCode !== null) return reject(new Error(`server exited (${child.exitCode}) before ${re}: ${lines.join("\n")}`));
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`no ${re} within ${timeoutMs} ms: ${lines.join("\n")}`));
      setTimeout(check, 10);
    };
    check();
  });
}

describe("serve: SIGTERM", () => {
  itOwnRedis("stops intake, answers what is in flight, closes Redis and exits 0", async () => {
    const udpPort = await freePort();
    const httpPort = await freePort();
    const cfg = path.join(dir, "serve.yaml");
    writeFileSync(
      cfg,
      [
        `radius: { auth: { host: "127.0.0.1", port: ${udpPort} } }`,
        `clients: [{ name: t, address: "127.0.0.1", secret: testing123 }]`,
        `store: { redis: { url: "${redis.url}", keyPrefix: "${redis.keyPrefix}", commandTimeoutMs: 3000 } }`,
        `scheduler: { budgetMs: 3000 }`,
        `http: { host: "127.0.0.1", port: ${httpPort}, token: "${TOKEN}" }`,
        `log: { level: info }`,
        `workerPool: { size: 1 }`,
      ].join("\n"),
    );
    const child = spawn(process.execPath, [BIN, "serve", "--config", cfg, "--workers", "1"], { stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    child.stdout!.setEncoding("utf8").on("data", (d: string) => lines.push(...d.split("\n").filter(Boolean)));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => lines.push(...d.split("\n").filter(Boolean)));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const peer = new UdpPeer();
    await peer.bind();
    try {
      await waitForLine(lines, /carrier-aaa listening/, child, 15_000);
      // The store stops answering: the requests below stay in flight until it resumes.
      await admin.call("CLIENT", "PAUSE", "600", "ALL");
      const n = 20;
      for (let i = 0; i < n; i++) peer.send(accessRequest({ user: "alice", password: "s3cret", identifier: i }).packet, udpPort);
      const https = Array.from({ length: 3 }, () => api(httpPort, "POST", "/v1/auth", { token: TOKEN, body: { username: "alice", password: "s3cret" } }));
      await new Promise((r) => setTimeout(r, 150));
      child.kill("SIGTERM");
      await waitForLine(lines, /shutting down/, child, 5000);
      // Intake is closed: a request sent now is not answered.
      const late = new UdpPeer();
      await late.bind();
      const lateReply = await late.request(accessRequest({ user: "alice", password: "s3cret" }).packet, udpPort, 300);
      late.close();
      expect(lateReply).toBeNull();
      // Everything that was in flight is answered.
      const replies: number[] = [];
      for (let i = 0; i < n; i++) {
        const r = await peer.next(3000);
        if (!r) break;
        replies.push(decodePacket(r).code);
      }
      expect(replies).toEqual(new Array(n).fill(Code.AccessAccept));
      for (const r of await Promise.all(https)) expect([r.status, r.json]).toEqual([200, { result: "accept", reply: {} }]);
      expect(await exited).toBe(0);
      expect(lines.some((l) => /"abandoned":0/.test(l) && /drained/.test(l))).toBe(true);
      expect(lines.some((l) => /"msg":"stopped"/.test(l))).toBe(true);
      // The store's connection is gone.
      const clients = String(await admin.call("CLIENT", "LIST"));
      expect(clients).not.toMatch(/name=carrier-aaa-store/);
    } finally {
      peer.close();
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 30_000);
});
