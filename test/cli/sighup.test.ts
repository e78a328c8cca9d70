// `serve` as an operator runs it: the compiled bin in its own process, reloaded with SIGHUP.
import { describe, it, expect, afterAll } from "@jest/globals";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Code } from "../../src/radius/codes.js";
import { decodePacket } from "../../src/radius/packet.js";
import { verifyResponseAuthenticator } from "../../src/radius/authenticator.js";
import { freePort } from "../helpers/redis.js";
import { UdpPeer } from "../helpers/server.js";
import { accessRequest } from "../helpers/packets.js";

const BIN = path.resolve("bin/carrier-aaa.js");
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) {
    const c = child;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  }
});

describe("serve and SIGHUP", () => {
  it("re-reads the configuration on SIGHUP, refuses a bad one and keeps serving", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-hup-"));
    writeFileSync(path.join(dir, "subs.jsonl"), '{"username":"alice","password":"s3cret"}\n');
    const port = await freePort();
    const cfg = path.join(dir, "c.yaml");
    const write = (secret: string, extra = ""): void =>
      writeFileSync(cfg, `radius: { auth: { host: 127.0.0.1, port: ${port} } }\nclients:\n  - { name: nas, address: 127.0.0.1, secret: ${secret}${extra} }\nstore: { memory: { file: subs.jsonl } }\nworkerPool: { size: 1 }\n`);
    write("first-secret");
    const c = spawn("node", [BIN, "serve", "--config", cfg], { stdio: ["ignore", "pipe", "pipe"] });
    child = c;
    let out = "";
    c.stdout!.on("data", (d: Buffer) => (out += d.toString("utf8")));
    c.stderr!.on("data", (d: Buffer) => (out += d.toString("utf8")));
    const waitFor = async (text: string, count = 1): Promise<void> => {
      const until = Date.now() + 15_000;
      while (out.split(text).length - 1 < count) {
        if (Date.now() > until || c.exitCode !== null) throw new Error(`no "${text}" in:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const peer = new UdpPeer();
    await peer.bind();
    const login = async (secret: string, waitMs = 2000): Promise<number | null> => {
      const q = accessRequest({ user: "alice", password: "s3cret", secret });
      const raw = await peer.request(q.packet, port, waitMs);
      if (!raw) return null;
      const p = decodePacket(raw);
      expect(verifyResponseAuthenticator(p, q.authenticator, Buffer.from(secret))).toBe(true);
      return p.code;
    };
    try {
      await waitFor("carrier-aaa listening");
      expect(await login("first-secret")).toBe(Code.AccessAccept);

      write("second-secret");
      c.kill("SIGHUP");
      await waitFor("configuration reloaded");
      expect(out).toMatch(/"applied":\["clients\.nas\.secret"\]/);
      expect(await login("second-secret")).toBe(Code.AccessAccept);
      expect(await login("first-secret", 300)).toBeNull();

      write("third-secret", ", secrett: x");
      c.kill("SIGHUP");
      await waitFor("configuration reload failed");
      expect(out).toMatch(/secrett/);
      expect(await login("second-secret")).toBe(Code.AccessAccept);
      expect(out).not.toMatch(/second-secret|third-secret/);

      c.kill("SIGTERM");
      const code = await new Promise<number | null>((resolve) => c.once("exit", (n) => resolve(n)));
      expect(code).toBe(0);
    } finally {
      peer.close();
    }
  }, 30_000);
});
