// POST /v1/admin/reload: the same live reload as SIGHUP, over the admin API.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { loadConfig } from "../../src/config/load.js";
import { createLogger } from "../../src/log.js";
import { startServer, type RunningServer } from "../../src/server.js";

const TOKEN = "admin-token-0123456789abcdef";
const AUTH_ONLY = "auth-only-token-0123456789ab";
let dir: string;
let file: string;
let server: RunningServer;

function write(extra: Record<string, unknown> = {}): void {
  writeFileSync(
    file,
    JSON.stringify({
      radius: { auth: { host: "127.0.0.1", port: 0 } },
      clients: [{ name: "test", address: "127.0.0.1", secret: "testing123" }],
      store: { memory: { file: path.join(dir, "subs.jsonl") } },
      http: { host: "127.0.0.1", port: 0, token: TOKEN, authToken: AUTH_ONLY },
      log: { level: "silent" },
      ...extra,
    }),
  );
}

async function post(token: string | null): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${server.http!.port}/v1/admin/reload`, {
    method: "POST",
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-reload-http-"));
  file = path.join(dir, "config.json");
  writeFileSync(path.join(dir, "subs.jsonl"), JSON.stringify({ username: "alice", password: "s3cret" }) + "\n");
  write();
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  server = await startServer(loadConfig(file), createLogger("silent", sink), { configFile: file });
});

afterAll(async () => {
  await server.close();
});

describe("POST /v1/admin/reload", () => {
  it("needs the admin token: none is 401, the auth-only token is 403", async () => {
    expect((await post(null)).status).toBe(401);
    expect((await post(AUTH_ONLY)).status).toBe(403);
  });

  it("applies a valid file (200, new version) and refuses a bad one (422, naming the key; old version kept)", async () => {
    write({ auth: { rejectReplyMessage: "no" } });
    const ok = await post(TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, version: 2 });
    expect(ok.body.applied).toContain("auth.rejectReplyMessage");

    write({ scheduler: { budgetMs: -1 } });
    const bad = await post(TOKEN);
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ ok: false, version: 2 });
    expect(String(bad.body.error)).toMatch(/scheduler\.budgetMs/);
  });
});
