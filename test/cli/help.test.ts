// Command-line conventions, through the compiled bin in real processes: --help on every command
// (stdout, exit 0), --version.
import { describe, it, expect, jest } from "@jest/globals";
import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

// Each step starts node processes; on a loaded 2-core machine one start can take seconds.
jest.setTimeout(120_000);

const BIN = path.resolve("bin/carrier-aaa.js");
const VERSION = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("node", [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("--help and --version", () => {
  const commands = [["serve"], ["check-config"], ["subscribers"], ["subscribers", "import"], ["groups"], ["radtest"], ["hash-password"], ["sessions"], ["sessions", "list"], ["session"], ["session", "coa"]];

  it.each(commands)("%s %s --help prints its usage on stdout and exits 0", async (...words) => {
    const cmd = words.filter((w): w is string => typeof w === "string");
    const results = await Promise.all(["--help", "-h"].map(async (flag) => ({ flag, r: await cli([...cmd, flag]) })));
    for (const { flag, r } of results) {
      expect([cmd.join(" "), flag, r.code, r.stderr]).toEqual([cmd.join(" "), flag, 0, ""]);
      expect(r.stdout).toMatch(new RegExp(`^usage: carrier-aaa ${cmd[0]}`));
    }
  });

  it("hash-password --help does not read stdin (stdin left open)", async () => {
    const child = spawn("node", [BIN, "hash-password", "--help"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(null);
      }, 10_000);
      child.once("exit", (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    child.stdin.destroy();
    expect(code).toBe(0);
    expect(out).toMatch(/^usage: carrier-aaa hash-password/);
  });

  it("carrier-aaa --help, -h and help COMMAND exit 0; no command is a usage error (64)", async () => {
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^usage: carrier-aaa <command>/);
    }
    expect((await cli(["help", "radtest"])).stdout).toMatch(/^usage: carrier-aaa radtest/);
    expect((await cli([])).code).toBe(64);
  });

  it("--version and -V print the package version", async () => {
    for (const flag of ["--version", "-V"]) {
      const r = await cli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${VERSION}\n`);
    }
  });

  it("an unknown option is still a usage error (64)", async () => {
    const r = await cli(["radtest", "--frobnicate"]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--frobnicate/);
  });
});
