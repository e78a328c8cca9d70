// Test Redis: each caller gets a redis-server of its own on a free port (or REDIS_URL when set,
// with a key prefix unique to the caller so that nothing it did not write is ever touched).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";

export interface TestRedis {
  url: string;
  /** Prefix unique to this instance: use it for every key so a shared REDIS_URL stays safe. */
  keyPrefix: string;
  port: number;
  /** Stop the server (no-op for an external REDIS_URL). */
  stop(): Promise<void>;
  /** Kill the server abruptly (own servers only), to test outages. */
  kill(): Promise<void>;
  /** Start it again on the same port after kill(). */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => { s.end(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`redis-server on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function startRedis(): Promise<TestRedis> {
  const keyPrefix = `test:${randomBytes(4).toString("hex")}:`;
  const external = process.env["REDIS_URL"];
  if (external) {
    const u = new URL(external);
    const noop = async (): Promise<void> => {};
    return { url: external, keyPrefix, port: Number(u.port || 6379), stop: noop, kill: noop, restart: noop };
  }
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-redis-"));
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
    child.on("error", () => {});
    await waitForPort(port, 5000);
  };
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => { c.once("exit", () => resolve()); c.kill("SIGKILL"); });
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}/0`,
    keyPrefix,
    port,
    kill,
    restart: launch,
    stop: async () => { await kill(); rmSync(dir, { recursive: true, force: true }); },
  };
}
