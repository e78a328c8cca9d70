// The README's demo, top to bottom, against the shipped demo configuration (config/demo.yaml and
// its subscribers, on free ports): each step gets the answer the README promises. The commands
// are the README's: the checkout's bin for radtest, FreeRADIUS's radclient for the rest.
import { describe, it, expect, beforeAll, afterAll, jest } from "@jest/globals";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { freePort } from "../helpers/redis.js";
import { radtest as radtestInProcess } from "../../src/cli/radtest.js";

// Each step starts node processes (the bin, radclient); on a loaded 2-core machine one start can
// take seconds.
jest.setTimeout(120_000);

const BIN = path.resolve("bin/carrier-aaa.js");
let dir: string;
let server: ChildProcess;
let authPort: number;
let acctPort: number;

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: `${stdout}${stderr}` });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

// The README's radtest line; a longer wait than the default second, for a loaded test machine.
const radtest = (user: string, password: string, ...extra: string[]) =>
  run("node", [BIN, "radtest", "--server", `127.0.0.1:${authPort}`, "--secret", "testing123", "--user", user, "--password", password, "--timeout", "5000", ...extra]);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-demo-"));
  for (const f of ["demo-subscribers.jsonl", "demo-groups.jsonl"]) copyFileSync(path.join("config", f), path.join(dir, f));
  authPort = await freePort();
  acctPort = await freePort();
  const httpPort = await freePort();
  // The demo configuration as shipped, on free ports, and with a budget that a loaded test
  // machine meets (a reply ready after its deadline is not sent).
  type Section = Record<string, unknown>;
  const demo = parseYaml(readFileSync("config/demo.yaml", "utf8")) as { radius: { auth: Section; acct: Section }; http: Section; scheduler?: Section };
  demo.radius.auth["port"] = authPort;
  demo.radius.acct["port"] = acctPort;
  demo.http["port"] = httpPort;
  demo.scheduler = { ...(demo.scheduler ?? {}), budgetMs: 2000 };
  writeFileSync(path.join(dir, "demo.yaml"), stringifyYaml(demo));
  server = spawn("node", [BIN, "serve", "--config", path.join(dir, "demo.yaml")], { stdio: "ignore" });
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    up = (await radtestInProcess({ server: `127.0.0.1:${authPort}`, secret: "testing123", status: true, chap: false, timeoutMs: 200, retries: 0 })).code === "accept";
  }
  expect(up).toBe(true);
}, 90_000);

afterAll(async () => {
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
});

describe("the README demo, in order", () => {
  it("1. radtest alice: Access-Accept with Framed-IP-Address and the gold group's attributes", async () => {
    const r = await radtest("alice", "s3cret");
    expect(r.stdout).toMatch(/Received Access-Accept/);
    expect(r.stdout).toMatch(/Framed-IP-Address = 10\.0\.0\.5/);
    expect(r.stdout).toMatch(/Idle-Timeout = 600/);
    expect(r.code).toBe(0);
  });

  it("2. radclient -f req.txt (alice, PAP, Message-Authenticator) right after: Access-Accept", async () => {
    const req = path.join(dir, "req.txt");
    writeFileSync(req, 'User-Name = "alice"\nUser-Password = "s3cret"\nMessage-Authenticator = 0x00\n');
    const r = await run("radclient", ["-x", "-f", req, `127.0.0.1:${authPort}`, "auth", "testing123"]);
    expect(r.stdout).toMatch(/Received Access-Accept/);
    expect(r.code).toBe(0);
  });

  it("3. radclient status: answered", async () => {
    const r = await run("radclient", ["-x", `127.0.0.1:${authPort}`, "status", "testing123"], "Message-Authenticator = 0x00\n");
    expect(r.stdout).toMatch(/Received Access-Accept/);
    expect(r.code).toBe(0);
  });

  it("4. the accounting Start for alice: Accounting-Response", async () => {
    const r = await run("radclient", ["-x", `127.0.0.1:${acctPort}`, "acct", "testing123"], 'User-Name = "alice"\nAcct-Session-Id = "s1"\nAcct-Status-Type = Start\nFramed-IP-Address = 10.0.0.5\n');
    expect(r.stdout).toMatch(/Received Accounting-Response/);
    expect(r.code).toBe(0);
  });

  it("5. alice again, with her session open: still Access-Accept (PAP and CHAP)", async () => {
    expect((await radtest("alice", "s3cret")).code).toBe(0);
    expect((await radtest("alice", "s3cret", "--chap")).code).toBe(0);
  });

  it("6. the table: bob Accept with a Reply-Message; carol PAP Accept, CHAP Reject; dave and erin Reject", async () => {
    const bob = await radtest("bob", "hunter2");
    expect(bob.stdout).toMatch(/Reply-Message = Welcome, Bob/);
    expect(bob.code).toBe(0);
    expect((await radtest("carol", "carolpw")).code).toBe(0);
    expect((await radtest("carol", "carolpw", "--chap")).code).toBe(1);
    expect((await radtest("dave", "letmein")).code).toBe(1);
    expect((await radtest("erin", "expired1")).code).toBe(1);
    expect((await radtest("alice", "wrong")).code).toBe(1);
  });

  it("7. frank (maxSessions 1): the first Accept holds his one slot, a second login is rejected", async () => {
    const first = await radtest("frank", "onlyonce");
    expect(first.stdout).toMatch(/Received Access-Accept/);
    expect(first.code).toBe(0);
    const second = await radtest("frank", "onlyonce");
    expect(second.stdout).toMatch(/Received Access-Reject/);
    expect(second.code).toBe(1);
  });
});
