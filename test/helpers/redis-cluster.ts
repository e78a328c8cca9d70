// Test Redis Cluster: three (or more) redis-server processes with cluster mode on, in a temp dir,
// joined with `redis-cli --cluster create` (or left without slots, to test a cluster that is not
// ready). The caller picks the ports; stop() kills every process it started.
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";

export interface TestCluster {
  /** redis://127.0.0.1:P for each node. */
  urls: string[];
  ports: number[];
  stop(): Promise<void>;
}

/** redis-server and redis-cli are installed (the cluster tests skip otherwise). */
export function haveClusterTools(): boolean {
  return ["redis-server", "redis-cli"].every((bin) => spawnSync(bin, ["--version"], { stdio: "ignore" }).status === 0);
}

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

async function until(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`test cluster: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function clusterInfo(port: number): Promise<string> {
  const r = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  r.on("error", () => {});
  try {
    await r.connect();
    return String(await r.call("CLUSTER", "INFO"));
  } catch {
    return "";
  } finally {
    r.disconnect();
  }
}

/**
 * Starts one redis-server per port with cluster mode on. With `create` (default) the nodes are
 * joined into a cluster of masters (no replicas) and this resolves once every node reports
 * cluster_state:ok; without, they stay apart with no slots assigned (cluster_state:fail).
 */
export async function startCluster(ports: readonly number[], opts: { create?: boolean } = {}): Promise<TestCluster> {
  for (const p of ports) if (await portOpen(p)) throw new Error(`test cluster: port ${p} is already in use (a stale redis-server from an earlier run?)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-cluster-"));
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
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
    for (const p of ports) {
      const child = spawn(
        "redis-server",
        [
          "--port", String(p), "--bind", "127.0.0.1", "--dir", dir,
          "--cluster-enabled", "yes", "--cluster-config-file", `nodes-${p}.conf`, "--cluster-node-timeout", "2000",
          "--cluster-announce-ip", "127.0.0.1", "--save", "", "--appendonly", "no",
        ],
        { stdio: "ignore" },
      );
      child.on("error", () => {});
      children.push(child);
    }
    for (const p of ports) await until(`redis-server on port ${p} listening`, () => portOpen(p), 5000);
    if (opts.create !== false) {
      await new Promise<void>((resolve, reject) => {
        execFile("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"], { timeout: 20_000 }, (err, _out, stderr) =>
          err ? reject(new Error(`redis-cli --cluster create failed: ${stderr || err.message}`)) : resolve(),
        );
      });
      for (const p of ports) await until(`cluster_state:ok on port ${p}`, async () => /cluster_state:ok/.test(await clusterInfo(p)), 15_000);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls: ports.map((p) => `redis://127.0.0.1:${p}`), ports: [...ports], stop };
}
