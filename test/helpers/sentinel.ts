// A Redis Sentinel set-up on loopback for tests and load tests: a primary, one replica and three
// sentinels (quorum 2, down-after 1 s, failover-timeout 5 s), on the fixed ports base..base+4.
// Every process is started here and killed by stop() (also on process exit, as a last resort).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";

/** redis-server is installed (it runs sentinels too, with --sentinel). */
export const haveRedisServer = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;

export interface SentinelGroup {
  name: string;
  /** "127.0.0.1:port" of each sentinel, for store.redis.sentinels. */
  sentinels: string[];
  sentinelPorts: number[];
  /** The data nodes as started: the primary at base, the replica at base + 1. */
  initialPrimary: number;
  initialReplica: number;
  /** Send a signal to the data node on `port` (SIGSTOP/SIGCONT to freeze one). */
  signal(port: number, sig: NodeJS.Signals): void;
  /** Port of the primary the sentinels name now. */
  primaryPort(): Promise<number>;
  /** SIGKILL the current primary; resolves with its port. */
  killPrimary(): Promise<number>;
  /** Wait until the sentinels name a primary other than `oldPort`; resolves with its port. */
  waitForNewPrimary(oldPort: number, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`sentinel set-up: ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs one command on a short-lived connection. */
async function ask(port: number, ...argv: [string, ...string[]]): Promise<unknown> {
  const c = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableReadyCheck: false, connectTimeout: 500 });
  c.on("error", () => {});
  try {
    await c.connect();
    return await c.call(argv[0], ...argv.slice(1));
  } finally {
    c.disconnect();
  }
}

export async function startSentinelGroup(base: number, name = "mymaster"): Promise<SentinelGroup> {
  const ports = [base, base + 1, base + 2, base + 3, base + 4];
  for (const p of ports) if (await portOpen(p)) throw new Error(`sentinel set-up: port ${p} is already in use`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-sentinel-"));
  const byPort = new Map<number, ChildProcess>();
  const launch = (port: number, args: string[]): void => {
    const c = spawn("redis-server", args, { stdio: "ignore" });
    c.on("error", () => {});
    c.once("exit", () => live.delete(c));
    live.add(c);
    byPort.set(port, c);
  };
  const stop = async (): Promise<void> => {
    await Promise.all(
      [...byPort.values()].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once("exit", () => resolve());
            c.kill("SIGKILL");
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [primary, replica, ...sentinelPorts] = ports as [number, number, number, number, number];
    // No diskless-sync delay (5 s by default): the replica is in sync at once, also after a failover.
    const data = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--repl-diskless-sync-delay", "0"];
    launch(primary, ["--port", String(primary), ...data, "--dbfilename", `dump-${primary}.rdb`]);
    await until("primary up", 5000, async () => ((await portOpen(primary)) ? true : undefined));
    launch(replica, ["--port", String(replica), ...data, "--dbfilename", `dump-${replica}.rdb`, "--replicaof", "127.0.0.1", String(primary)]);
    await until("replica in sync", 5000, async () => (String(await ask(replica, "INFO", "replication")).includes("master_link_status:up") ? true : undefined));
    for (const p of sentinelPorts) {
      const conf = path.join(dir, `sentinel-${p}.conf`);
      writeFileSync(
        conf,
        [
          `port ${p}`,
          "bind 127.0.0.1",
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primary} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          "",
        ].join("\n"),
      );
      launch(p, [conf, "--sentinel"]);
    }
    // A failover needs the sentinels to know the replica and each other (hello messages, ~2 s).
    await until("sentinels ready", 15_000, async () => {
      for (const p of sentinelPorts) {
        const flat = (await ask(p, "SENTINEL", "MASTER", name)) as string[];
        const m = new Map<string, string>();
        for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i]!, flat[i + 1]!);
        if (m.get("num-slaves") !== "1" || m.get("num-other-sentinels") !== "2") return undefined;
      }
      return true;
    });
    const primaryPort = async (): Promise<number> => {
      for (const p of sentinelPorts) {
        const r = (await ask(p, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", name).catch(() => null)) as [string, string] | null;
        if (r) return Number(r[1]);
      }
      throw new Error("no sentinel names a primary");
    };
    return {
      name,
      sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`),
      sentinelPorts,
      initialPrimary: primary,
      initialReplica: replica,
      signal: (port, sig) => void byPort.get(port)?.kill(sig),
      primaryPort,
      async killPrimary() {
        const port = await primaryPort();
        const c = byPort.get(port);
        if (c && c.exitCode === null) await new Promise<void>((resolve) => {
          c.once("exit", () => resolve());
          c.kill("SIGKILL");
        });
        return port;
      },
      waitForNewPrimary: (oldPort, timeoutMs) => until("a new primary", timeoutMs, async () => {
        const p = await primaryPort();
        return p !== oldPort && String(await ask(p, "ROLE")).startsWith("master") ? p : undefined;
      }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
