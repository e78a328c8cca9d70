// Reconnect storms with the default scheduler: what the kernel drops and what is shed unread is
// served afresh when the NAS retransmits the same request, and every datagram the server read is
// counted once. A second process plays the NASes (it must send while this one is busy or blocked).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { loadUdpMmsg } from "../../src/transport/native/binding.js";
import { accessRequest } from "../helpers/packets.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { itIf } from "../helpers/skip.js";

const SOCKETS = 8;
const native = process.env["CARRIER_AAA_TEST_IO"] !== "dgram" && loadUdpMmsg().binding !== null;

/**
 * The NAS side, run with `node -e`: one socket per packet slot group (packet i on socket
 * i % SOCKETS, so that Identifiers never repeat on a socket); on "go" from stdin it sends every
 * unanswered request unchanged (same source port, Identifier and authenticator: a retransmission),
 * then reports the round on stdout. "end" prints the totals and exits.
 */
const NAS = `
const dgram = require("node:dgram"), fs = require("node:fs"), rl = require("node:readline");
const [file, port, n] = process.argv.slice(1);
const packets = fs.readFileSync(file, "utf8").trim().split("\\n").map((h) => Buffer.from(h, "hex"));
const sockets = [], answered = new Map(), codes = {};
let sent = 0, pending = ${SOCKETS};
for (let s = 0; s < ${SOCKETS}; s++) {
  const sock = dgram.createSocket({ type: "udp4", sendBufferSize: 1 << 22 });
  sock.on("message", (m) => {
    for (let i = s; i < packets.length; i += ${SOCKETS}) {
      if (packets[i][1] === m[1] && !answered.has(i)) { answered.set(i, m[0]); codes[m[0]] = (codes[m[0]] || 0) + 1; break; }
    }
  });
  sock.bind(0, "127.0.0.1", () => { if (--pending === 0) process.stdout.write("ready\\n"); });
  sockets.push(sock);
}
// "go": all at once; "go N": N datagrams every 10 ms (retransmission timers spread over time).
rl.createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.startsWith("go")) {
    const todo = [];
    for (let i = 0; i < packets.length; i++) if (!answered.has(i)) todo.push(i);
    const per = Number(line.slice(3)) || todo.length;
    const step = (from) => {
      for (const i of todo.slice(from, from + per)) sockets[i % ${SOCKETS}].send(packets[i], +port, "127.0.0.1");
      if (from + per < todo.length) return setTimeout(step, 10, from + per);
      sent += todo.length;
      process.stdout.write(JSON.stringify({ round: todo.length }) + "\\n");
    };
    step(0);
  } else if (line === "end") {
    process.stdout.write(JSON.stringify({ sent, answered: answered.size, codes }) + "\\n");
    for (const s of sockets) s.close();
    process.exit(0);
  }
});
`;

interface Nas {
  /** Send every unanswered request (`perTenMs` every 10 ms, else at once); resolves with how many. */
  round(perTenMs?: number): Promise<number>;
  /** Ask for a round and return at once: the datagrams leave while this process does something else. */
  roundNoWait(): void;
  end(): Promise<{ sent: number; answered: number; codes: Record<string, number> }>;
}

async function startNas(dir: string, packets: Buffer[], port: number): Promise<Nas> {
  const file = path.join(dir, `packets-${Math.random().toString(36).slice(2)}.hex`);
  writeFileSync(file, packets.map((p) => p.toString("hex")).join("\n"));
  const child = spawn(process.execPath, ["-e", NAS, file, String(port), String(packets.length)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  let buf = "";
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString("utf8");
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const next = (): Promise<string> => {
    const l = lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((r) => waiters.push(r));
  };
  expect(await next()).toBe("ready");
  // Replies to rounds asked for without waiting, still to be read (they come in order).
  let unread = 0;
  const drain = async (): Promise<void> => {
    for (; unread > 0; unread--) await next();
  };
  return {
    round: async (perTenMs?: number) => {
      child.stdin.write(perTenMs ? `go ${perTenMs}\n` : "go\n");
      await drain();
      return (JSON.parse(await next()) as { round: number }).round;
    },
    roundNoWait: () => {
      unread++;
      child.stdin.write("go\n");
    },
    end: async () => {
      child.stdin.write("end\n");
      await drain();
      return JSON.parse(await next()) as { sent: number; answered: number; codes: Record<string, number> };
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: TestRedis;
let admin: Redis;
let dir: string;
const USERS = 2000;

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  const args: string[] = [];
  for (let i = 0; i < USERS; i++) args.push(`${redis.keyPrefix}sub:u${i}`, JSON.stringify({ username: `u${i}`, password: `pw${i}` }));
  await admin.mset(...args);
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-storm-"));
});

afterAll(async () => {
  admin.disconnect();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

function requests(n: number, from = 0): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const u = (from + i) % USERS;
    // Identifier i / SOCKETS on socket i % SOCKETS: unique per socket for n <= 256 * SOCKETS.
    out.push(accessRequest({ user: `u${u}`, password: `pw${u}`, identifier: Math.floor(i / SOCKETS) & 0xff }).packet);
  }
  return out;
}

describe("reconnect storm (default scheduler)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      {
        store: { redis: { url: redis.url, keyPrefix: redis.keyPrefix } },
        // A small receive buffer: the kernel drops most of a burst, as in a storm at many times capacity.
        radius: { auth: { host: "127.0.0.1", port: 0, recvBufferSize: 131_072, io: process.env.CARRIER_AAA_TEST_IO ?? "auto" } },
        scheduler: { budgetMs: 1000 },
      },
      "warn",
    );
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers every subscriber of a burst the kernel cannot hold, at their retransmissions, and counts every datagram read once", async () => {
    const n = 2000;
    const nas = await startNas(dir, requests(n), server.port);
    // The first attempts all at once; the retransmissions spread out, 50 every 10 ms, as NAS
    // timers spread them in a storm.
    const firstRound = await nas.round();
    let rounds = 1;
    // A NAS retransmits until it gives up; here until everything is answered (bounded in time).
    for (const until = Date.now() + 20_000; Date.now() < until; rounds++) {
      await sleep(500);
      if ((await nas.round(50)) === 0) break;
    }
    const r = await nas.end();
    expect(firstRound).toBe(n);
    expect(r.answered).toBe(n);
    expect(r.codes).toEqual({ "2": n });
    // The storm was real: the first round did not get through whole.
    expect(r.sent).toBeGreaterThan(n);
    if (native) expect(server.kernelDrops()).toBeGreaterThan(0);
    // Every datagram that reached the process ended in one counted outcome.
    const counted = server.metrics.sum("aaa_datagrams_total", { listener: "auth" });
    expect(counted + server.kernelDrops()).toBe(r.sent);
    expect(server.metrics.sum("aaa_datagrams_total", { listener: "auth", outcome: "answered" })).toBe(n);
  }, 40_000);
});

describe("requests that waited in the kernel past their budget", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      {
        store: { redis: { url: redis.url, keyPrefix: redis.keyPrefix } },
        radius: { auth: { host: "127.0.0.1", port: 0, recvBufferSize: 4 * 1024 * 1024, io: process.env.CARRIER_AAA_TEST_IO ?? "auto" } },
        scheduler: { budgetMs: 100 },
      },
      "warn",
    );
  });
  afterAll(async () => {
    await server.close();
  });

  // Only the native reader has kernel arrival stamps (CI builds it); node:dgram cannot tell.
  itIf(native, "only the native UDP reader has kernel arrival stamps")("are shed unread as stale, and their retransmissions are served afresh", async () => {
    const n = 300;
    const nas = await startNas(dir, requests(n, 500), server.port);
    const stale = () => server.metrics.sum("aaa_datagrams_total", { outcome: "shed", reason: "stale" });
    // The NAS sends while this process (the server's) is blocked: every datagram waits in the
    // kernel queue, stamped on arrival, for longer than the 100 ms budget.
    nas.roundNoWait();
    const until = performance.now() + 400;
    while (performance.now() < until) {
      // blocked
    }
    for (let i = 0; i < 100 && stale() < n; i++) await sleep(10);
    expect(stale()).toBe(n);
    expect(server.metrics.sum("aaa_datagrams_total", { outcome: "answered" })).toBe(0);
    // The same requests again, unchanged: nothing remembers them, so they are served.
    for (const until = Date.now() + 20_000; Date.now() < until; ) {
      if ((await nas.round(50)) === 0) break;
      await sleep(500);
    }
    const r = await nas.end();
    expect(r.answered).toBe(n);
    expect(r.codes).toEqual({ "2": n });
  }, 40_000);
});
