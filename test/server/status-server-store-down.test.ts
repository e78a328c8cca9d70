// Status-Server while the store is down (RFC 5997 §4): not answered by default, so that a NAS
// probing with it fails over; answered again once Redis is back; /readyz lists every listener
// and the store.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { Code } from "../../src/radius/codes.js";
import { decodePacket } from "../../src/radius/packet.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";
import { statusServer } from "../helpers/packets.js";
import { api } from "../helpers/http.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

async function eventually(check: () => Promise<boolean> | boolean, ms = 8000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const start = (answerWhenStoreDown?: boolean) =>
  startTestServer(
    {
      store: { redis: { url: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: 200, groupRefreshMs: 100 } },
      radius: {
        auth: { host: "127.0.0.1", port: 0 },
        acct: { host: "127.0.0.1", port: 0 },
        ...(answerWhenStoreDown === undefined ? {} : { statusServer: { answerWhenStoreDown } }),
      },
      http: { host: "127.0.0.1", port: 0 },
    },
    "warn",
  );

describe("Status-Server with the store down", () => {
  let server: TestServer;
  let tolerant: TestServer;
  let peer: UdpPeer;
  beforeAll(async () => {
    server = await start();
    tolerant = await start(true);
    peer = new UdpPeer();
    await peer.bind();
  });
  afterAll(async () => {
    peer.close();
    await server.close();
    await tolerant.close();
  });

  const probe = async (port: number): Promise<number | null> => {
    const raw = await peer.request(statusServer().packet, port, 300);
    return raw ? decodePacket(raw).code : null;
  };

  it("is answered while Redis is up; /readyz lists auth, acct and http listeners and the store", async () => {
    expect(await eventually(async () => (await probe(server.port)) === Code.AccessAccept)).toBe(true);
    expect(await probe(server.acct!.port)).toBe(Code.AccountingResponse);
    const r = await api(server.http!.port, "GET", "/readyz");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      ready: true,
      draining: false,
      store: "redis",
      storeAvailable: true,
      sessionsAvailable: true,
      listeners: { auth: `127.0.0.1:${server.port}`, acct: `127.0.0.1:${server.acct!.port}`, http: `127.0.0.1:${server.http!.port}` },
    });
  });

  it("is dropped (counted store_unavailable) while Redis is stopped, unless answerWhenStoreDown; answered again when it returns", async () => {
    await redis.kill();
    try {
      expect(await eventually(async () => (await api(server.http!.port, "GET", "/readyz")).status === 503)).toBe(true);
      const r = await api(server.http!.port, "GET", "/readyz");
      expect(r.json).toMatchObject({ ready: false, storeAvailable: false, listeners: { auth: `127.0.0.1:${server.port}`, acct: `127.0.0.1:${server.acct!.port}` } });
      const count = (listener: string) => server.metrics.get("aaa_datagrams_total", { listener, outcome: "dropped", reason: "store_unavailable", class: "status", client: "test" });
      const before = count("auth");
      const beforeAcct = count("acct");
      expect(await probe(server.port)).toBeNull();
      expect(await probe(server.port)).toBeNull();
      expect(await probe(server.acct!.port)).toBeNull();
      expect(count("auth")).toBe(before + 2);
      expect(count("acct")).toBe(beforeAcct + 1);
      // radius.statusServer.answerWhenStoreDown: true keeps answering.
      expect(await probe(tolerant.port)).toBe(Code.AccessAccept);
    } finally {
      await redis.restart();
    }
    expect(await eventually(async () => (await probe(server.port)) === Code.AccessAccept)).toBe(true);
    expect(await probe(server.acct!.port)).toBe(Code.AccountingResponse);
    expect((await api(server.http!.port, "GET", "/readyz")).status).toBe(200);
  });
});
