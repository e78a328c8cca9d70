// check-config and imports, through the compiled bin in real processes.
import { describe, it, expect, beforeAll, afterAll, jest } from "@jest/globals";
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { startRedis, type TestRedis } from "../helpers/redis.js";

// Each step starts node processes (the bin, radclient); on a loaded 2-core machine one start can
// take seconds.
jest.setTimeout(120_000);

const BIN = path.resolve("bin/carrier-aaa.js");
let dir: string;
let redis: TestRedis;

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("node", [BIN, ...args], { timeout: 60_000, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function write(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, body, { mode: 0o600 });
  return file;
}

const memoryConfig = (name: string, store: string, extra = ""): string =>
  write(name, `clients:\n  - { name: a, address: "127.0.0.1", secret: testing123 }\nstore: { memory: ${store} }\n${extra}`);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-opcli-"));
  redis = await startRedis();
});

afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("check-config reads what serve reads", () => {
  const bad: Array<[string, () => string, RegExp]> = [
    ["a missing subscribers file", () => memoryConfig("missing.yaml", "{ file: nope.jsonl }"), /store\.memory: .*nope\.jsonl: no such file/],
    ["a missing groups file", () => (write("s1.jsonl", ""), memoryConfig("missing-g.yaml", "{ file: s1.jsonl, groupsFile: nogroups.jsonl }")), /nogroups\.jsonl: no such file \(the groups file/],
    ["a directory", () => (mkdirSync(path.join(dir, "adir.jsonl"), { recursive: true }), memoryConfig("dir.yaml", "{ file: adir.jsonl }")), /adir\.jsonl: cannot read file: is a directory, not a file \(EISDIR\)/],
    ["bad JSON", () => (write("badjson.jsonl", '{"username":"a","password":"p"}\n{"username": nope}\n'), memoryConfig("badjson.yaml", "{ file: badjson.jsonl }")), /badjson\.jsonl:2: invalid JSON/],
    ["an invalid record", () => (write("invalid.jsonl", '{"username":"a"}\n'), memoryConfig("invalid.yaml", "{ file: invalid.jsonl }")), /invalid\.jsonl:1: /],
    ["a bad groups line", () => (write("s2.jsonl", ""), write("g2.jsonl", '{"group":"x","reply":5}\n'), memoryConfig("badgroup.yaml", "{ file: s2.jsonl, groupsFile: g2.jsonl }")), /g2\.jsonl:1: /],
    ["a reply attribute the dictionary does not know", () => (write("unknown-attr.jsonl", '{"username":"a","password":"p","reply":{"No-Such-Attribute":1}}\n'), memoryConfig("attr.yaml", "{ file: unknown-attr.jsonl }")), /unknown-attr\.jsonl:1: reply: .*No-Such-Attribute/],
    ["a missing dictionary file", () => (write("s3.jsonl", ""), memoryConfig("dict.yaml", "{ file: s3.jsonl }", "dictionary: { files: [no-such.dictionary] }\n")), /dictionary\.files: .*no-such\.dictionary/],
    ["an unset http.tokenEnv variable", () => (write("s4.jsonl", ""), memoryConfig("token.yaml", "{ file: s4.jsonl }", "http: { tokenEnv: AAA_TEST_UNSET_TOKEN }\n")), /http\.tokenEnv: environment variable AAA_TEST_UNSET_TOKEN is not set/],
  ];

  it.each(bad)("fails with 78 on %s, naming the file and the problem", async (_what, make, message) => {
    const r = await cli(["check-config", "--config", make()]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(78);
  });

  const asRoot = process.getuid?.() === 0;
  // root reads a chmod-000 file anyway: as root this case cannot be produced and is skipped, saying why.
  (asRoot ? it.skip : it)(`fails with 78 on an unreadable file (EACCES)${asRoot ? " [skipped: running as root]" : ""}`, async () => {
    const f = write("locked.jsonl", "");
    chmodSync(f, 0o000);
    const r = await cli(["check-config", "--config", memoryConfig("locked.yaml", "{ file: locked.jsonl }")]);
    expect(r.stderr).toMatch(/locked\.jsonl: cannot read file: permission denied \(EACCES\)/);
    expect(r.code).toBe(78);
  });

  it("serve refuses the same missing file at start (exit 78, no 'listening')", async () => {
    const r = await cli(["serve", "--config", memoryConfig("serve-missing.yaml", "{ file: gone.jsonl }", 'radius: { auth: { host: "127.0.0.1", port: 0 } }\nlog: { level: info }\n')]);
    expect(r.stderr).toMatch(/gone\.jsonl: no such file/);
    expect(r.stdout).not.toMatch(/listening/);
    expect(r.code).toBe(78);
  });

  it("passes an empty file (an empty store) and the shipped demo config, saying what it read", async () => {
    write("empty.jsonl", "");
    const r = await cli(["check-config", "--config", memoryConfig("empty.yaml", "{ file: empty.jsonl }")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/configuration is valid \(1 client, store\.memory: 0 subscribers\)/);
    const demo = await cli(["check-config", "--config", "config/demo.yaml"]);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/store\.memory: \d+ subscribers, 2 groups/);
  });
});

describe("imports", () => {
  it("do not need http.tokenEnv's variable, and create a missing memory-store file", async () => {
    const cfg = memoryConfig("import.yaml", "{ file: fresh.jsonl }", "http: { tokenEnv: AAA_TEST_UNSET_TOKEN }\n");
    const input = write("in.jsonl", `${JSON.stringify({ username: "u1", password: "p1" })}\n`);
    const env = { ...process.env };
    delete env["AAA_TEST_UNSET_TOKEN"];
    const r = await cli(["subscribers", "import", input, "--config", cfg], env);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/subscribers: 1 written/);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, "fresh.jsonl"), "utf8")).toContain('"username":"u1"');
    const groups = write("gin.jsonl", `${JSON.stringify({ group: "g", reply: { "Session-Timeout": 60 } })}\n`);
    const g = await cli(["groups", "import", groups, "--config", memoryConfig("gimport.yaml", "{ file: fresh.jsonl, groupsFile: fresh-groups.jsonl }", "http: { tokenEnv: AAA_TEST_UNSET_TOKEN }\n")], env);
    expect(g.code).toBe(0);
    // ... while the server itself still needs it.
    expect((await cli(["check-config", "--config", cfg], env)).stderr).toMatch(/AAA_TEST_UNSET_TOKEN is not set/);
  });

  it("a 25 000-line import into Redis shows progress on stderr every 10 000 records", async () => {
    const cfg = write("redis-import.yaml", `clients:\n  - { name: a, address: "127.0.0.1", secret: testing123 }\nstore:\n  redis: { url: "${redis.url}", keyPrefix: "${redis.keyPrefix}progress:" }\n`);
    const n = 25_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(JSON.stringify({ username: `p${i}`, password: `pw${i}`, reply: { "Session-Timeout": 60 } }));
    const input = write("big.jsonl", `${lines.join("\n")}\n`);
    const r = await cli(["subscribers", "import", input, "--config", cfg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("subscribers: 25000 written\n");
    expect(r.stderr.trim().split("\n")).toEqual([
      "subscribers: 10000 of 25000 checked",
      "subscribers: 20000 of 25000 checked",
      "subscribers: 25000 of 25000 checked",
      "subscribers: 10000 of 25000 written",
      "subscribers: 20000 of 25000 written",
      "subscribers: 25000 of 25000 written",
    ]);
    const client = new Redis(redis.url);
    try {
      expect(JSON.parse((await client.get(`${redis.keyPrefix}progress:sub:p24999`)) ?? "{}").password).toBe("pw24999");
    } finally {
      client.disconnect();
    }
  });

  it("a small import prints no progress", async () => {
    const cfg = memoryConfig("small.yaml", "{ file: small.jsonl }");
    const input = write("small-in.jsonl", `${JSON.stringify({ username: "s", password: "p" })}\n`);
    const r = await cli(["subscribers", "import", input, "--config", cfg]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
  });
});
