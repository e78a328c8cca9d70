// A busy UDP port is named with its listener, address and port, on node:dgram, on the native
// addon and in the primary of `serve --workers N`.
import { describe, it, expect, beforeAll, afterAll, jest } from "@jest/globals";
import { execFile } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadUdpMmsg } from "../../src/transport/native/binding.js";
import { itIf } from "../helpers/skip.js";

// Each step starts node processes (the bin, radclient); on a loaded 2-core machine one start can
// take seconds.
jest.setTimeout(120_000);

const BIN = path.resolve("bin/carrier-aaa.js");
let dir: string;
let busy: dgram.Socket;
let busyPort: number;

function serve(config: string, extra: string[] = []): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile("node", [BIN, "serve", "--config", config, ...extra], { timeout: 20_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

function config(name: string, radius: string, store = "{ memory: { file: subs.jsonl } }"): string {
  const file = path.join(dir, name);
  writeFileSync(file, `radius: ${radius}\nclients:\n  - { name: a, address: "127.0.0.1", secret: testing123 }\nstore: ${store}\nlog: { level: warn }\n`);
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-bind-"));
  writeFileSync(path.join(dir, "subs.jsonl"), "");
  busy = dgram.createSocket("udp4");
  await new Promise<void>((r) => busy.bind(0, "127.0.0.1", r));
  busyPort = busy.address().port;
});

afterAll(() => {
  busy.close();
});

describe("a busy UDP port", () => {
  it("node:dgram: names radius.auth, the address and the port", async () => {
    const r = await serve(config("dgram.yaml", `{ auth: { host: "127.0.0.1", port: ${busyPort}, io: dgram } }`));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`carrier-aaa: radius.auth: cannot bind 127.0.0.1:${busyPort}/udp: address already in use`);
  });

  it("node:dgram: names radius.acct when the accounting port is the busy one", async () => {
    const r = await serve(config("acct.yaml", `{ auth: { host: "127.0.0.1", port: 0, io: dgram }, acct: { host: "127.0.0.1", port: ${busyPort}, io: dgram } }`));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`radius.acct: cannot bind 127.0.0.1:${busyPort}/udp: address already in use`);
  });

  const native = loadUdpMmsg();
  const itNative = itIf(native.binding !== null, "the native UDP addon is not built (CARRIER_AAA_NO_NATIVE=1)");
  itNative("native addon (one process, and the primary of --workers 2): the same message", async () => {
    const file = config("native.yaml", `{ auth: { host: "127.0.0.1", port: ${busyPort}, io: native } }`);
    const one = await serve(file);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain(`carrier-aaa: radius.auth: cannot bind 127.0.0.1:${busyPort}/udp: address already in use`);
    // The primary binds every socket before a worker (or Redis) is involved: no Redis needed.
    const cluster = config("cluster.yaml", `{ auth: { host: "127.0.0.1", port: ${busyPort} } }`, '{ redis: { url: "redis://127.0.0.1:1/0" } }');
    const two = await serve(cluster, ["--workers", "2"]);
    expect(two.code).toBe(1);
    expect(two.stderr).toContain(`radius.auth: cannot bind 127.0.0.1:${busyPort}/udp: address already in use`);
  });
});
