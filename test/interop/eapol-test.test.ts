// EAP against a real peer: wpa_supplicant's eapol_test (Debian `eapoltest`) as supplicant and NAS,
// against a live server. It checks the MPPE keys of the Access-Accept against the MSK it derived
// itself ("MPPE keys OK") for keyed methods; `-n` skips that for EAP-MD5 (no keys).
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ntPasswordHash } from "../../src/mschap/mschapv2.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-eapol-"));
  writeFileSync(
    path.join(dir, "subs.jsonl"),
    [
      { username: "alice", password: "alice-pw", reply: { "Session-Timeout": 3600 } },
      { username: "nthash", ntHash: ntPasswordHash("nt-pw").toString("hex") },
      { username: "off", password: "off-pw", enabled: false },
    ]
      .map((s) => JSON.stringify(s))
      .join("\n"),
  );
  server = await startTestServer({ store: { memory: { file: path.join(dir, "subs.jsonl") } }, scheduler: { budgetMs: 2000 } }, "warn");
  // Generous: a cold server start on a loaded machine shared with other test files.
}, 60_000);

afterAll(async () => {
  await server?.close();
});

interface Run {
  code: number;
  out: string;
}

/** Runs eapol_test with one network block; resolves with its exit code and output. */
function eapolTest(network: Record<string, string>, extra: string[] = []): Promise<Run> {
  const conf = path.join(dir, `net-${Math.random().toString(36).slice(2)}.conf`);
  const lines = Object.entries(network).map(([k, v]) => `  ${k}=${v}`);
  writeFileSync(conf, `network={\n  key_mgmt=WPA-EAP\n  eapol_flags=0\n${lines.join("\n")}\n}\n`);
  return new Promise((resolve) => {
    execFile("eapol_test", ["-c", conf, "-a", "127.0.0.1", "-p", String(server.port), "-s", "testing123", "-t", "8", ...extra], { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

const lastLine = (r: Run): string => r.out.trim().split("\n").pop() ?? "";

describe("eapol_test against the server", () => {
  it("EAP-MD5 succeeds (no keys: -n)", async () => {
    const r = await eapolTest({ eap: "MD5", identity: '"alice"', password: '"alice-pw"' }, ["-n"]);
    expect(r.out).toMatch(/Access-Accept/);
    expect(lastLine(r)).toBe("SUCCESS");
    expect(r.code).toBe(0);
  });

  it("EAP-MD5 with a wrong password ends in Access-Reject", async () => {
    const r = await eapolTest({ eap: "MD5", identity: '"alice"', password: '"wrong"' }, ["-n"]);
    expect(r.out).toMatch(/Access-Reject/);
    expect(lastLine(r)).toBe("FAILURE");
    expect(r.code).not.toBe(0);
  });

  it("EAP-MSCHAPv2 succeeds with MPPE keys OK (cleartext password)", async () => {
    const r = await eapolTest({ eap: "MSCHAPV2", identity: '"alice"', password: '"alice-pw"' });
    expect(r.out).toMatch(/MPPE keys OK: 1 {2}mismatch: 0/);
    expect(lastLine(r)).toBe("SUCCESS");
    expect(r.code).toBe(0);
  });

  it("EAP-MSCHAPv2 succeeds with MPPE keys OK against an ntHash-only subscriber", async () => {
    const r = await eapolTest({ eap: "MSCHAPV2", identity: '"nthash"', password: '"nt-pw"' });
    expect(r.out).toMatch(/MPPE keys OK: 1 {2}mismatch: 0/);
    expect(lastLine(r)).toBe("SUCCESS");
  });

  it("EAP-MSCHAPv2 with a wrong password ends in Access-Reject", async () => {
    const r = await eapolTest({ eap: "MSCHAPV2", identity: '"alice"', password: '"wrong"' });
    expect(r.out).toMatch(/Access-Reject/);
    expect(lastLine(r)).toBe("FAILURE");
    expect(r.code).not.toBe(0);
  });

  it("EAP-MSCHAPv2 for a disabled subscriber ends in Access-Reject", async () => {
    const r = await eapolTest({ eap: "MSCHAPV2", identity: '"off"', password: '"off-pw"' });
    expect(r.out).toMatch(/Access-Reject/);
    expect(lastLine(r)).toBe("FAILURE");
  });
});
