// `serve --workers 2` as an operator runs it: the compiled bin, a primary holding the sockets and
// two worker processes, on a real Redis, over real UDP (and radclient). Covers: both workers
// serve and a source address always reaches the same one; Status-Server; a duplicate answered
// with the cached bytes across a rolling restart; a rolling restart under steady load loses
// nothing; a killed worker is replaced; SIGTERM drains and exits 0; bad flags.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { Code } from "../../src/radius/codes.js";
import { decodePacket } from "../../src/radius/packet.js";
import { verifyResponseAuthenticator } from "../../src/radius/authenticator.js";
import { decodeAttributes } from "../../src/radius/values.js";
import { defaultDictionary } from "../../src/radius/dictionary.js";
import { steer } from "../../src/transport/steering.js";
import { groupLayout, workerOfQueue } from "../../src/cluster/layout.js";
import { freePort, startRedis, type TestRedis } from "../helpers/redis.js";
import { accessRequest, statusServer } from "../helpers/packets.js";
import { api } from "../helpers/http.js";

const BIN = path.resolve("bin/carrier-aaa.js");
const TOKEN = "cluster-test-token-0123456789";
const run = promisify(execFile);

let redis: TestRedis;
let admin: Redis;
let dir: string;
let cfg: string;
let udpPort: number;
let httpPort: number;
let child: ChildProcess;
let out = "";
let logFile: string;

const sub = (reply: Record<string, unknown>) => JSON.stringify({ username: "alice", password: "s3cret", reply });

async function waitFor(re: RegExp, count = 1, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  const n = (): number => (readLog().match(new RegExp(re.source, "g")) ?? []).length;
  while (n() < count) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`no ${re} (x${count}) in:\n${out.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function readLog(): string {
  out = readFileSync(logFile, "utf8");
  return out;
}

function logLines(msg: string): Array<Record<string, unknown>> {
  return readLog()
    .split("\n")
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A UDP client bound to `address`, one request at a time. */
class Peer {
  readonly socket = dgram.createSocket("udp4");
  private waiting: ((b: Buffer | null) => void) | null = null;
  constructor(readonly address = "127.0.0.1") {
    this.socket.on("message", (m) => {
      const w = this.waiting;
      this.waiting = null;
      w?.(m);
    });
  }
  bind(): Promise<void> {
    return new Promise((r) => this.socket.bind(0, this.address, () => r()));
  }
  get port(): number {
    return this.socket.address().port;
  }
  request(buf: Buffer, waitMs = 2000): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiting = null;
        resolve(null);
      }, waitMs);
      this.waiting = (b) => {
        clearTimeout(t);
        resolve(b);
      };
      this.socket.send(buf, udpPort, "127.0.0.1");
    });
  }
  close(): void {
    this.socket.close();
  }
}

/** aaa_datagrams_total answered/accept of the auth listener, per worker label, from the merged /metrics. */
async function acceptsByWorker(): Promise<Record<string, number>> {
  const text = (await api(httpPort, "GET", "/metrics")).text;
  const by: Record<string, number> = {};
  for (const m of text.matchAll(/^aaa_datagrams_total\{worker="(\d+)",listener="auth",outcome="answered",reason="accept",[^}]*\} (\d+)$/gm)) {
    by[m[1]!] = (by[m[1]!] ?? 0) + Number(m[2]);
  }
  return by;
}

/** The worker a source address and port are steered to (the kernel's program, run by the interpreter). */
function workerOf(address: string, port: number): number | null {
  const layout = groupLayout(2, 1); // flows: scheduler off -> 0 -> 1 per worker
  const ip = Buffer.alloc(28); // IPv4 header, then the UDP header
  ip[0] = 0x45;
  address.split(".").forEach((o, i) => (ip[12 + i] = Number(o)));
  ip.writeUInt16BE(port, 20);
  return workerOfQueue(layout, steer(layout.plan, Buffer.from([1]), ip));
}

/** A bound peer on `address` whose source port the program steers to worker `w`. */
async function peerFor(w: number, address = "127.0.0.2"): Promise<Peer> {
  for (let i = 0; i < 200; i++) {
    const p = new Peer(address);
    await p.bind();
    if (workerOf(address, p.port) === w) return p;
    p.close();
  }
  throw new Error(`no source port of ${address} steered to worker ${w} in 200 tries`);
}

async function login(peer: Peer, opts: { chap?: boolean } = {}): Promise<{ code: number; raw: Buffer; sent: Buffer } | null> {
  const q = accessRequest({ user: "alice", password: "s3cret", chap: opts.chap ?? false });
  const raw = await peer.request(q.packet);
  if (!raw) return null;
  const p = decodePacket(raw);
  expect(verifyResponseAuthenticator(p, q.authenticator, Buffer.from("testing123"))).toBe(true);
  return { code: p.code, raw, sent: q.packet };
}

function workerPids(): Map<number, number> {
  // slot -> pid of the last worker started in it
  const m = new Map<number, number>();
  for (const l of logLines("worker started")) m.set(l.worker as number, l.pid as number);
  return m;
}

/** The nice value of every thread of a process, from /proc/<pid>/task/<tid>/stat (field 19). */
function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
  });
}

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  await admin.set(`${redis.keyPrefix}sub:alice`, sub({ "Session-Timeout": 100 }));
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-cluster-"));
  udpPort = await freePort();
  httpPort = await freePort();
  cfg = path.join(dir, "c.yaml");
  writeFileSync(
    cfg,
    [
      `radius: { auth: { host: "127.0.0.1", port: ${udpPort} } }`,
      `clients: [{ name: nas, address: "127.0.0.0/8", secret: testing123 }]`,
      `store: { redis: { url: "${redis.url}", keyPrefix: "${redis.keyPrefix}", commandTimeoutMs: 1000 } }`,
      // Generous: two workers, Redis and the test share a small loaded machine.
      `scheduler: { budgetMs: 2000 }`,
      `http: { host: "127.0.0.1", port: ${httpPort}, token: "${TOKEN}" }`,
      `duplicates: { windowMs: 30000 }`,
      `log: { level: info }`,
      `workerPool: { size: 1 }`,
    ].join("\n"),
  );
  // The log goes to a file, not a pipe: the server's log writes are synchronous, and a test
  // process busy elsewhere must not stall three processes on a full pipe.
  logFile = path.join(dir, "server.log");
  const fd = openSync(logFile, "a");
  child = spawn(process.execPath, [BIN, "serve", "--config", cfg, "--workers", "2"], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  await waitFor(/"msg":"carrier-aaa primary: every worker serving"/);
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGKILL");
    await gone;
    // The workers notice the primary is gone (IPC disconnect) and stop by themselves.
  }
  admin?.disconnect();
  await redis?.stop();
});

describe("serve --workers 2", () => {
  it("answers PAP (radclient) and CHAP, and Status-Server", async () => {
    const file = path.join(dir, "pap.txt");
    writeFileSync(file, 'User-Name = "alice"\nUser-Password = "s3cret"\nMessage-Authenticator = 0x00\n');
    const { stdout } = await run("radclient", ["-x", "-r", "1", "-t", "3", "-f", file, `127.0.0.1:${udpPort}`, "auth", "testing123"]);
    expect(stdout).toMatch(/Received Access-Accept/);
    expect(stdout).toMatch(/Session-Timeout = 100/);

    const peer = new Peer();
    await peer.bind();
    try {
      expect((await login(peer, { chap: true }))?.code).toBe(Code.AccessAccept);
      const st = statusServer();
      const raw = await peer.request(st.packet);
      expect(raw && decodePacket(raw).code).toBe(Code.AccessAccept);
    } finally {
      peer.close();
    }
  }, 30_000);

  it("serves each source address and port on the worker the steering program picks: one NAS address uses both workers", async () => {
    const before = await acceptsByWorker();
    for (const [w, n] of [[0, 3], [1, 2]] as const) {
      // One NAS address, a new source port per request: the port picks the worker.
      for (let i = 0; i < n; i++) {
        const p = await peerFor(w);
        try {
          expect((await login(p))?.code).toBe(Code.AccessAccept);
        } finally {
          p.close();
        }
      }
    }
    const after = await acceptsByWorker();
    expect((after["0"] ?? 0) - (before["0"] ?? 0)).toBe(3);
    expect((after["1"] ?? 0) - (before["1"] ?? 0)).toBe(2);
    // One exposition: each family's HELP once, the primary's own series without a worker label.
    const text = (await api(httpPort, "GET", "/metrics")).text;
    expect(text.match(/^# HELP aaa_datagrams_total /gm)).toHaveLength(1);
    expect(text).toMatch(/^aaa_cluster_workers 2$/m);
  }, 30_000);

  it("answers a retransmission after a rolling restart with the cached reply bytes", async () => {
    const peer = new Peer();
    await peer.bind();
    try {
      const first = await login(peer);
      expect(first?.code).toBe(Code.AccessAccept);
      await admin.set(`${redis.keyPrefix}sub:alice`, sub({ "Session-Timeout": 200 }));
      const pidsBefore = workerPids();
      child.kill("SIGUSR2");
      await waitFor(/"msg":"rolling restart done: every worker replaced"/, 1);
      const after = workerPids();
      for (const [slot, pid] of pidsBefore) expect(after.get(slot)).not.toBe(pid);
      // Where priorities can be given back (root here, as in CI), each replacement started at
      // the lowest CPU priority, and every one of its threads has the primary's priority now.
      if (process.getuid?.() === 0) {
        const lowered = logLines("replacement starting at the lowest CPU priority").map((l) => l.pid);
        for (const pid of after.values()) {
          expect(lowered).toContain(pid);
          expect(threadNices(pid)).toEqual(threadNices(pid).map(() => os.getPriority(child.pid!)));
        }
      }
      // Each replacement adopts its predecessor's duplicate cache (a dump file) just after the
      // predecessor stopped reading; a retransmission before that would be served afresh.
      await waitFor(/"msg":"duplicate cache of the previous worker adopted"/, 2);
      // The identical datagram (same source port, Identifier, Request Authenticator).
      const again = await peer.request(first!.sent);
      expect(again).not.toBeNull();
      expect(Buffer.compare(again!, first!.raw)).toBe(0);
      // A new request sees the new reply attributes.
      const fresh = await login(peer);
      const attrs = decodeAttributes(defaultDictionary(), decodePacket(fresh!.raw));
      expect(attrs.find((x) => x.name === "Session-Timeout")?.value).toBe(200);
      // The first request's reply was among what was adopted.
      expect(logLines("duplicate cache of the previous worker adopted").some((l) => (l.entries as number) >= 1)).toBe(true);
    } finally {
      peer.close();
    }
  }, 60_000);

  it("loses no request across a rolling restart under a steady load (admin API)", async () => {
    const total = 2400;
    const ratePerS = 300;
    const sockets = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const p = new Peer(`127.0.0.${(i % 8) + 2}`);
        await p.bind();
        return p;
      }),
    );
    // identifier -> authenticator, per socket; a reply is counted once, when it verifies.
    const pending = sockets.map(() => new Map<number, Buffer>());
    let answered = 0;
    let accepted = 0;
    sockets.forEach((p, s) => {
      p.socket.removeAllListeners("message");
      p.socket.on("message", (m) => {
        const pk = decodePacket(m);
        const auth = pending[s]!.get(pk.identifier);
        if (!auth || !verifyResponseAuthenticator(pk, auth, Buffer.from("testing123"))) return;
        pending[s]!.delete(pk.identifier);
        answered++;
        if (pk.code === Code.AccessAccept) accepted++;
      });
    });
    const restartsBefore = logLines("rolling restart done: every worker replaced").length;
    const pidsBefore = workerPids();
    let restart: Promise<{ status: number; json: { accepted?: boolean } }> | undefined;
    const t0 = Date.now();
    for (let i = 0; i < total; i++) {
      // Open loop: request i goes at t0 + i / rate, whatever the answers do.
      const due = t0 + (i * 1000) / ratePerS;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      const s = i % sockets.length;
      const id = Math.floor(i / sockets.length) % 256;
      const q = accessRequest({ user: "alice", password: "s3cret", identifier: id });
      pending[s]!.set(id, q.authenticator);
      sockets[s]!.socket.send(q.packet, udpPort, "127.0.0.1");
      if (i === Math.floor(total / 4)) restart = api(httpPort, "POST", "/v1/admin/restart", { token: TOKEN });
    }
    const r = await restart!;
    if (r.status !== 202) throw new Error(`POST /v1/admin/restart: ${r.status} ${JSON.stringify(r.json)}\n${readLog().slice(-3000)}`);
    expect(r.json.accepted).toBe(true);
    await waitFor(/"msg":"rolling restart done: every worker replaced"/, restartsBefore + 1, 60_000);
    const until = Date.now() + 5000;
    while (answered < total && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    for (const p of sockets) p.close();
    if (answered !== total) {
      // What the server says happened to the others (outcomes other than answered), and its log.
      const text = (await api(httpPort, "GET", "/metrics")).text;
      const other = text.split("\n").filter((l) => /^aaa_datagrams_total\{/.test(l) && !/outcome="answered"/.test(l));
      throw new Error(`${total - answered} of ${total} requests unanswered\n${other.join("\n")}\n--- log (all of it: ${logFile}) ---\n${readLog().slice(-4000)}`);
    }
    expect(accepted).toBe(total);
    const after = workerPids();
    for (const [slot, pid] of pidsBefore) expect(after.get(slot)).not.toBe(pid);
    // The restart overlapped the load: it began before the last request was sent.
    const began = logLines("rolling restart: replacing every worker in turn").pop()!;
    expect(Date.parse(began.time as string)).toBeLessThan(t0 + (total * 1000) / ratePerS);
  }, 90_000);

  it("replaces a killed worker; the addresses it served are answered again", async () => {
    const slot = 1;
    const victim = workerPids().get(slot)!;
    const startedBefore = logLines("worker started").length;
    process.kill(victim, "SIGKILL");
    await waitFor(/"msg":"worker replaced"/, logLines("worker replaced").length + 1);
    expect(logLines("worker started").length).toBe(startedBefore + 1);
    expect(workerPids().get(slot)).not.toBe(victim);
    const p = await peerFor(slot);
    try {
      expect((await login(p))?.code).toBe(Code.AccessAccept);
    } finally {
      p.close();
    }
    expect((await api(httpPort, "GET", "/metrics")).text).toMatch(/^aaa_cluster_worker_deaths_total 1$/m);
  }, 60_000);

  it("SIGTERM stops every worker gracefully and exits 0", async () => {
    const pids = [...workerPids().values()];
    const code = new Promise<number | null>((r) => child.once("exit", (n) => r(n)));
    child.kill("SIGTERM");
    expect(await code).toBe(0);
    expect(logLines("stopped").length).toBeGreaterThanOrEqual(3); // both workers and the primary
    // The primary waited for (and reaped) every worker before exiting.
    for (const pid of pids) expect(existsSync(`/proc/${pid}`)).toBe(false);
  }, 30_000);
});

describe("serve --workers: bad flags", () => {
  const serve = async (args: string[], config: string): Promise<{ code: number; err: string }> => {
    const file = path.join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, config);
    try {
      await run(process.execPath, [BIN, "serve", "--config", file, ...args], { timeout: 20_000 });
      return { code: 0, err: "" };
    } catch (e) {
      const x = e as { code?: number; stderr?: string };
      return { code: x.code ?? -1, err: x.stderr ?? "" };
    }
  };
  const base = (store: string, io = "auto"): string =>
    `radius: { auth: { host: "127.0.0.1", port: 0, io: ${io} } }\nclients: [{ name: nas, address: "127.0.0.1", secret: testing123 }]\nstore: ${store}\nlog: { level: warn }\n`;

  it("refuses --workers 0 and --workers abc", async () => {
    const memory = `{ memory: { file: "${path.join(dir, "s.jsonl")}" } }`;
    for (const v of ["0", "abc", "2.5"]) {
      const r = await serve(["--workers", v], base(memory));
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(new RegExp(`--workers must be a whole number from 1 \\(got "${v.replace(".", "\\.")}"\\)`));
    }
  }, 60_000);

  it("refuses N > 1 with the memory store, and with io dgram", async () => {
    const memory = `{ memory: { file: "${path.join(dir, "s.jsonl")}" } }`;
    const m = await serve(["--workers", "2"], base(memory));
    expect(m.code).not.toBe(0);
    expect(m.err).toMatch(/store\.memory keeps subscribers and sessions inside one process/);
    const d = await serve(["--workers", "2"], base(`{ redis: { url: "${redis.url}" } }`, "dgram"));
    expect(d.code).not.toBe(0);
    expect(d.err).toMatch(/radius\.auth\.io is "dgram"/);
  }, 60_000);
});
