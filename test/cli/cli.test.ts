// The command line as an operator uses it: the compiled bin, real processes, real Redis.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { startRedis, freePort, type TestRedis } from "../helpers/redis.js";

const exec = promisify(execFile);
const BIN = path.resolve("bin/carrier-aaa.js");
let redis: TestRedis;
let dir: string;

async function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile("node", [BIN, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

function writeConfig(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  return file;
}

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-cli-"));
});

afterAll(async () => {
  await redis.stop();
});

describe("carrier-aaa CLI", () => {
  it("prints usage and refuses an unknown command", async () => {
    const r = await cli(["frobnicate"]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it("stops on an invalid config with a message naming the key", async () => {
    const cfg = writeConfig("bad.yaml", 'clients:\n  - { name: a, address: "127.0.0.1", secret: x, requireMessageAuthenticatr: true }\nstore: { memory: { file: s.jsonl } }\n');
    const r = await cli(["serve", "--config", cfg]);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/requireMessageAuthenticatr/);
  });

  it("imports subscribers into Redis: a bad line writes nothing and names its line; a good file is written", async () => {
    const cfg = writeConfig("redis.yaml", `clients:\n  - { name: a, address: "127.0.0.1", secret: testing123 }\nstore:\n  redis: { url: "${redis.url}", keyPrefix: "${redis.keyPrefix}" }\n`);
    const bad = path.join(dir, "bad.jsonl");
    writeFileSync(bad, ['{"username":"u1","password":"p1"}', '{"username":"u2"}', '{"username":"u3","password":"p3","reply":{"No-Such-Attribute":1}}'].join("\n"));
    const r1 = await cli(["subscribers", "import", bad, "--config", cfg]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/bad\.jsonl:2:/);
    expect(r1.stderr).toMatch(/bad\.jsonl:3:.*No-Such-Attribute/);
    const client = new Redis(redis.url);
    try {
      expect(await client.exists(`${redis.keyPrefix}sub:u1`)).toBe(0);
      const good = path.join(dir, "good.jsonl");
      writeFileSync(good, Array.from({ length: 500 }, (_, i) => JSON.stringify({ username: `user${i}`, password: `pw${i}`, groups: ["gold"] })).join("\n"));
      const r2 = await cli(["subscribers", "import", good, "--config", cfg]);
      expect(r2.stdout).toMatch(/500 written/);
      expect(r2.code).toBe(0);
      expect(JSON.parse((await client.get(`${redis.keyPrefix}sub:user7`)) ?? "{}").password).toBe("pw7");
      const groups = path.join(dir, "groups.jsonl");
      writeFileSync(groups, JSON.stringify({ group: "gold", reply: { "Session-Timeout": 60 } }) + "\n");
      const r3 = await cli(["groups", "import", groups, "--config", cfg]);
      expect(r3.code).toBe(0);
      expect(r3.stdout).toMatch(/1 written/);
    } finally {
      client.disconnect();
    }
  });

  it("serves, and radtest exits 0 on Accept, 1 on Reject, 2 without an answer", async () => {
    const port = await freePort();
    const subs = path.join(dir, "serve.jsonl");
    writeFileSync(subs, JSON.stringify({ username: "alice", password: "s3cret" }) + "\n");
    const cfg = writeConfig("serve.yaml", `radius: { auth: { host: "127.0.0.1", port: ${port} } }\nclients:\n  - { name: a, address: "127.0.0.1", secret: testing123 }\nstore: { memory: { file: serve.jsonl } }\nlog: { level: warn }\n`);
    const child: ChildProcess = spawn("node", [BIN, "serve", "--config", cfg], { stdio: "ignore" });
    try {
      let up = 2;
      for (let i = 0; i < 50 && up !== 0; i++) {
        up = (await cli(["radtest", "--server", `127.0.0.1:${port}`, "--secret", "testing123", "--status", "--timeout", "200", "--retries", "0"])).code;
      }
      expect(up).toBe(0);
      const ok = await cli(["radtest", "--server", `127.0.0.1:${port}`, "--secret", "testing123", "--user", "alice", "--password", "s3cret"]);
      expect(ok.stdout).toMatch(/Received Access-Accept/);
      expect(ok.code).toBe(0);
      const chap = await cli(["radtest", "--server", `127.0.0.1:${port}`, "--secret", "testing123", "--user", "alice", "--password", "s3cret", "--chap"]);
      expect(chap.code).toBe(0);
      const rej = await cli(["radtest", "--server", `127.0.0.1:${port}`, "--secret", "testing123", "--user", "alice", "--password", "wrong"]);
      expect(rej.stdout).toMatch(/Received Access-Reject/);
      expect(rej.code).toBe(1);
      const none = await cli(["radtest", "--server", `127.0.0.1:${port}`, "--secret", "wrong-secret", "--user", "alice", "--password", "s3cret", "--timeout", "200", "--retries", "0"]);
      expect(none.code).toBe(2);
    } finally {
      child.kill("SIGTERM");
      const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
      expect(code).toBe(0);
    }
  });

  it("hashes a password from stdin into a PHC string", async () => {
    const r = await cli(["hash-password"], "correct horse\n");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\$scrypt\$ln=12,r=8,p=1\$/);
    expect(r.stdout).not.toContain("correct horse");
  });

  it("validates the shipped demo config with check-config", async () => {
    const r = await cli(["check-config", "--config", "config/demo.yaml"]);
    expect(r.stdout).toMatch(/valid/);
    expect(readFileSync("config/demo.yaml", "utf8")).toMatch(/memory/);
  });
});
