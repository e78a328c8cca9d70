// Writes the benchmark subscriber population (user000001.., password "pw-<username>", the
// same users the generator draws from) in the layouts the benchmarked servers read:
//   fr:user:<username>    HASH   password -> cleartext   (FreeRADIUS, rlm_redis HGET)
//   aaa:sub:<username>    STRING subscriber JSON          (carrier-aaa store, keyPrefix "aaa:")
// and/or a JSONL file for carrier-aaa's memory store (same records, one JSON per line).
//
//   npx tsx load-tests/seed-redis.ts --redis redis://127.0.0.1:PORT/0 [--users 100000] [--jsonl FILE]
//   npx tsx load-tests/seed-redis.ts --cluster redis://127.0.0.1:P1,redis://127.0.0.1:P2 --layouts aaa
//
// It refuses the system Redis on port 6379 unless --allow-port-6379 is given: benchmarks run
// their own redis-server, and 100k keys have no business in a shared instance.
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { pathToFileURL } from "node:url";
import { Cluster, Redis } from "ioredis";
import { flag, num, optStr, parse, str } from "./lib/args.js";
import { generatedUsers } from "./lib/radius.js";

export interface SeedOptions {
  /** Redis URL, or undefined to write only the JSONL file. */
  url?: string;
  /** Node URLs of a Redis Cluster to fill instead (one SET per key, pipelined per master). */
  cluster?: string[];
  users: number;
  userPrefix: string;
  /** carrier-aaa key prefix (config store.redis.keyPrefix). */
  keyPrefix: string;
  /** FreeRADIUS hash key prefix (as used in the rlm_redis HGET). */
  frPrefix: string;
  layouts: ReadonlySet<"fr" | "aaa">;
  jsonl?: string;
  sessionTimeout: number;
  allowPort6379?: boolean;
}

export interface SeedResult {
  users: number;
  keysWritten: number;
  ms: number;
}

/** The carrier-aaa subscriber record for a generated user (also one JSONL line). */
export function subscriberRecord(username: string, password: string, sessionTimeout: number): string {
  return JSON.stringify({ username, password, enabled: true, groups: [], reply: { "Session-Timeout": sessionTimeout } });
}

export async function seed(o: SeedOptions): Promise<SeedResult> {
  const t0 = performance.now();
  const users = generatedUsers(o.users, o.userPrefix);
  let keysWritten = 0;

  if (o.jsonl) {
    const out = createWriteStream(o.jsonl, { encoding: "utf8" });
    for (const u of users) {
      if (!out.write(subscriberRecord(u.username, u.password, o.sessionTimeout) + "\n")) await once(out, "drain");
    }
    out.end();
    await once(out, "finish");
  }

  if (o.url) {
    const u = new URL(o.url);
    if ((u.port === "" || u.port === "6379") && !o.allowPort6379) {
      throw new Error(`refusing to seed ${u.host}: port 6379 is the shared system Redis; start a private redis-server (or pass --allow-port-6379)`);
    }
    const redis = new Redis(o.url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true });
    redis.on("error", () => {
      // Surfaced by the failing command below; keep the default handler from printing.
    });
    try {
      await redis.connect();
      // Pipelined in chunks: one round trip per few thousand keys, bounded client memory.
      const CHUNK = 5000;
      for (let i = 0; i < users.length; i += CHUNK) {
        const p = redis.pipeline();
        for (const user of users.slice(i, i + CHUNK)) {
          if (o.layouts.has("fr")) p.hset(`${o.frPrefix}${user.username}`, "password", user.password);
          if (o.layouts.has("aaa")) p.set(`${o.keyPrefix}sub:${user.username}`, subscriberRecord(user.username, user.password, o.sessionTimeout));
        }
        const res = await p.exec();
        for (const [err] of res ?? []) {
          if (err) throw err;
          keysWritten++;
        }
      }
    } finally {
      redis.disconnect();
    }
  }
  if (o.cluster) keysWritten += await seedCluster(o, users);
  return { users: users.length, keysWritten, ms: Math.round(performance.now() - t0) };
}

async function seedCluster(o: SeedOptions, users: ReadonlyArray<{ username: string; password: string }>): Promise<number> {
  const nodes = (o.cluster ?? []).map((u) => ({ host: new URL(u).hostname, port: Number(new URL(u).port || 6379) }));
  const c = new Cluster(nodes, { lazyConnect: true, enableAutoPipelining: true });
  c.on("error", () => {});
  let n = 0;
  try {
    await c.connect();
    const CHUNK = 5000;
    for (let i = 0; i < users.length; i += CHUNK) {
      const writes: Promise<unknown>[] = [];
      for (const user of users.slice(i, i + CHUNK)) {
        if (o.layouts.has("fr")) writes.push(c.hset(`${o.frPrefix}${user.username}`, "password", user.password));
        if (o.layouts.has("aaa")) writes.push(c.set(`${o.keyPrefix}sub:${user.username}`, subscriberRecord(user.username, user.password, o.sessionTimeout)));
      }
      await Promise.all(writes);
      n += writes.length;
    }
  } finally {
    c.disconnect();
  }
  return n;
}

const USAGE = `Usage: npx tsx load-tests/seed-redis.ts [--redis URL] [--jsonl FILE] [options]

  --redis URL          private redis-server to fill, e.g. redis://127.0.0.1:16379/0
  --cluster URLS       or a Redis Cluster: comma list of node URLs
  --jsonl FILE         also (or only) write the subscribers as JSONL for the memory store
  --users N            number of subscribers (default 100000): user000001..
  --user-prefix S      username prefix (default "user"); password is "pw-<username>"
  --key-prefix S       carrier-aaa key prefix (default "aaa:"): <prefix>sub:<username>
  --fr-prefix S        FreeRADIUS hash prefix (default "fr:user:")
  --layouts L          comma list of fr,aaa (default both)
  --session-timeout N  Session-Timeout in each carrier-aaa record (default 3600)
  --allow-port-6379    allow a Redis on port 6379 (normally the shared system instance)
`;

async function main(): Promise<void> {
  const a = parse(
    {
      redis: { type: "string" },
      cluster: { type: "string" },
      jsonl: { type: "string" },
      users: { type: "string" },
      "user-prefix": { type: "string" },
      "key-prefix": { type: "string" },
      "fr-prefix": { type: "string" },
      layouts: { type: "string" },
      "session-timeout": { type: "string" },
      "allow-port-6379": { type: "boolean" },
    },
    USAGE,
  );
  const url = optStr(a, "redis");
  const jsonl = optStr(a, "jsonl");
  const cluster = optStr(a, "cluster")?.split(",");
  if (!url && !jsonl && !cluster) {
    process.stderr.write(`nothing to do: give --redis URL and/or --jsonl FILE\n\n${USAGE}`);
    process.exit(64);
  }
  const layouts = new Set<"fr" | "aaa">();
  for (const l of str(a, "layouts", "fr,aaa").split(",")) {
    if (l !== "fr" && l !== "aaa") throw new Error(`--layouts: unknown layout ${l}`);
    layouts.add(l);
  }
  const r = await seed({
    url,
    cluster,
    jsonl,
    users: num(a, "users", 100000, { min: 1, int: true }),
    userPrefix: str(a, "user-prefix", "user"),
    keyPrefix: str(a, "key-prefix", "aaa:"),
    frPrefix: str(a, "fr-prefix", "fr:user:"),
    layouts,
    sessionTimeout: num(a, "session-timeout", 3600, { min: 0, int: true }),
    allowPort6379: flag(a, "allow-port-6379"),
  });
  process.stdout.write(
    `seeded ${r.users} users${url ? `: ${r.keysWritten} keys (${[...layouts].join(", ")}) in ${url.replace(/\/\/[^@/]*@/, "//***@")}` : ""}${jsonl ? `; JSONL ${jsonl}` : ""} in ${r.ms} ms\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`seed-redis: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
