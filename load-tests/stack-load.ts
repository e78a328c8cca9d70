// The compose `loadtest` profile: load a running stack (docker compose --profile loadtest up
// loadtest), HTTP and RADIUS at once. Seeds the generated subscribers into the stack's Redis,
// then runs autocannon against POST /v1/auth and the Node RADIUS generator (open loop) in
// parallel, and prints both results and the server's outcome counters. Settings come from the
// environment (compose passes them from .env):
//
//   AAA_URL (http://carrier-aaa:9812)  AAA_HTTP_TOKEN  RADIUS_SERVER (carrier-aaa:1812)
//   RADIUS_SECRET (testing123)  REDIS_URL (redis://redis:6379/0)  LOAD_USERS (10000)
//   LOAD_DURATION (30)  LOAD_CONNECTIONS (32)  LOAD_RADIUS_RATE (2000, 0 = HTTP only)
//
// It writes to the Redis it is pointed at (aaa:sub:user000001..): meant for the lab stack only.
import { spawn } from "node:child_process";
import { lookup } from "node:dns/promises";
import path from "node:path";
import { LOAD_TESTS_DIR } from "./lib/cbuild.js";
import { runAutocannon } from "./lib/http-load.js";
import type { LoadReport } from "./radius-load.js";
import { seed } from "./seed-redis.js";

const env = (k: string, d: string): string => process.env[k] || d;
const int = (k: string, d: number): number => {
  const v = Number(env(k, String(d)));
  if (!Number.isInteger(v) || v < 0) throw new Error(`${k} must be a non-negative integer`);
  return v;
};

async function main(): Promise<void> {
  const url = env("AAA_URL", "http://carrier-aaa:9812");
  const token = process.env["AAA_HTTP_TOKEN"];
  if (!token) throw new Error("AAA_HTTP_TOKEN is not set (the admin token of the stack, see .env.example)");
  const users = int("LOAD_USERS", 10_000);
  const duration = int("LOAD_DURATION", 30);
  const connections = int("LOAD_CONNECTIONS", 32);
  const radiusRate = int("LOAD_RADIUS_RATE", 2000);
  const [rHost, rPort] = env("RADIUS_SERVER", "carrier-aaa:1812").split(":");
  const secret = env("RADIUS_SECRET", "testing123");

  const seeded = await seed({
    url: env("REDIS_URL", "redis://redis:6379/0"),
    users,
    userPrefix: "user",
    keyPrefix: "aaa:",
    frPrefix: "fr:user:",
    layouts: new Set(["aaa"]),
    sessionTimeout: 3600,
    // The stack's own Redis listens on 6379 inside the compose network.
    allowPort6379: true,
  });
  console.log(`seeded ${seeded.users} subscribers in ${seeded.ms} ms`);

  // dgram would resolve the name for every datagram: resolve once.
  const radiusIp = (await lookup(rHost ?? "carrier-aaa", { family: 4 })).address;
  const radius =
    radiusRate > 0
      ? new Promise<LoadReport>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            ["--import", "tsx", path.join(LOAD_TESTS_DIR, "radius-load.ts"), "--server", `${radiusIp}:${rPort ?? "1812"}`, "--secret", secret, "--rate", String(radiusRate), "--duration", String(duration), "--users-count", String(users), "--json", "--quiet"],
            { stdio: ["ignore", "pipe", "inherit"] },
          );
          let out = "";
          child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
          child.on("error", reject);
          child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!) as LoadReport) : reject(new Error(`RADIUS generator exited with ${code}`))));
        })
      : undefined;
  const http = await runAutocannon({ url, token, connections, pipelining: 1, duration, users, seed: 1 });
  const r = http.result;
  console.log(`HTTP  POST /v1/auth: ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`);
  if (radius) {
    const q = await radius;
    console.log(`RADIUS Access-Request: offered ${radiusRate}/s, answered ${q.answeredPerSec}/s, goodput ${q.goodput}/s, timeouts ${q.timeouts}, p50 ${q.latencyMs.p50} ms, p99 ${q.latencyMs.p99} ms`);
  }
  const metrics = await (await fetch(`${url}/metrics`)).text();
  console.log("server outcomes (aaa_datagrams_total):");
  for (const line of metrics.split("\n")) if (line.startsWith("aaa_datagrams_total{")) console.log(`  ${line}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`stack-load: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
