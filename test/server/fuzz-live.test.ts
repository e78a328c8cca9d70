// Throws 100k mutated datagrams at a live server, then checks it still answers correctly and that
// nothing ended as an internal error.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Code } from "../../src/radius/codes.js";
import { decodePacket } from "../../src/radius/packet.js";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";
import { accessRequest, statusServer } from "../helpers/packets.js";
import { prng } from "../helpers/prng.js";

let server: TestServer;
let peer: UdpPeer;


function mutate(seed: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(seed);
  switch (Math.floor(rnd() * 6)) {
    case 0: // flip a few bits
      for (let i = 0, n = 1 + Math.floor(rnd() * 4); i < n; i++) {
        const at = Math.floor(rnd() * b.length);
        b[at] = (b[at] ?? 0) ^ (1 << Math.floor(rnd() * 8));
      }
      return b;
    case 1: // truncate
      return b.subarray(0, Math.floor(rnd() * b.length));
    case 2: // rewrite the Length field
      b.writeUInt16BE(Math.floor(rnd() * 5000), 2);
      return b;
    case 3: {
      // rewrite an attribute length byte
      const at = 20 + Math.floor(rnd() * Math.max(1, b.length - 21));
      b[at + 1 < b.length ? at + 1 : at] = Math.floor(rnd() * 256);
      return b;
    }
    case 4: // random code
      b[0] = Math.floor(rnd() * 256);
      return b;
    default: // random tail garbage
      return Buffer.concat([b, Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)))]);
  }
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-fuzz-"));
  writeFileSync(path.join(dir, "subs.jsonl"), JSON.stringify({ username: "alice", password: "s3cret" }) + "\n");
  server = await startTestServer({ store: { memory: { file: path.join(dir, "subs.jsonl") } } }, "warn");
  peer = new UdpPeer();
  await peer.bind();
});

afterAll(async () => {
  peer.close();
  await server.close();
});

describe("live fuzz", () => {
  it("survives 100,000 mutated packets and still answers", async () => {
    const rnd = prng(20261129);
    const seeds = [
      accessRequest({ user: "alice", password: "s3cret" }).packet,
      accessRequest({ user: "alice", password: "s3cret", chap: true }).packet,
      accessRequest({ user: "alice", password: "s3cret", messageAuthenticator: false }).packet,
      statusServer().packet,
    ];
    const total = 100_000;
    const batch = 200;
    for (let i = 0; i < total; i += batch) {
      for (let j = 0; j < batch; j++) peer.send(mutate(seeds[(i + j) % seeds.length]!, rnd), server.port);
      // Sender and server share this process: wait until the server has read the batch, so that
      // the test measures robustness rather than socket buffer sizes.
      for (let w = 0; w < 20 && server.metrics.sum("aaa_datagrams_total") < i + batch - 10; w++) await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 300));
    peer.received.length = 0;

    const { packet } = accessRequest({ user: "alice", password: "s3cret" });
    const reply = await peer.request(packet, server.port, 2000);
    expect(reply).not.toBeNull();
    expect(decodePacket(reply!).code).toBe(Code.AccessAccept);
    const st = await peer.request(statusServer().packet, server.port, 2000);
    expect(st).not.toBeNull();

    const seen = server.metrics.sum("aaa_datagrams_total");
    expect(seen).toBeGreaterThan(total * 0.95);
    expect(server.metrics.sum("aaa_datagrams_total", { reason: "internal_error" })).toBe(0);
    expect(server.metrics.sum("aaa_datagrams_total", { outcome: "dropped" })).toBeGreaterThan(total / 4);
  }, 60_000);
});
