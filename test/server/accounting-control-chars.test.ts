// An Accounting-Request whose User-Name holds control characters is recorded with them escaped
// ("\xNN") and acknowledged, on the real Redis session store; before, it was dropped and the NAS
// retransmitted it for ever.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { Code } from "../../src/radius/codes.js";
import { decodePacket } from "../../src/radius/packet.js";
import { recordedUserName } from "../../src/handle/accounting.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";
import { ACCT, accountingRequest } from "../helpers/packets.js";

let redis: TestRedis;
let server: TestServer;
let peer: UdpPeer;

beforeAll(async () => {
  redis = await startRedis();
  server = await startTestServer(
    {
      store: { redis: { url: redis.url, keyPrefix: redis.keyPrefix } },
      radius: { auth: { host: "127.0.0.1", port: 0 }, acct: { host: "127.0.0.1", port: 0 } },
      scheduler: { budgetMs: 1000 },
    },
    "info",
  );
  peer = new UdpPeer();
  await peer.bind();
});
afterAll(async () => {
  peer.close();
  await server.close();
  await redis.stop();
});

describe("User-Name with control characters in accounting", () => {
  it("recordedUserName escapes C0, DEL and C1 controls (and then backslashes) as \\xNN; other names unchanged", () => {
    expect(recordedUserName("alice")).toBe("alice");
    expect(recordedUserName("DOMAIN\\bob")).toBe("DOMAIN\\bob");
    expect(recordedUserName("bell\u0007user")).toBe("bell\\x07user");
    expect(recordedUserName("a\u0000b\u007f\u0085\\")).toBe("a\\x00b\\x7f\\x85\\x5c");
    expect(recordedUserName("line\r\nbreak")).toBe("line\\x0d\\x0abreak");
  });

  it("is recorded (escaped) and acknowledged on the Redis store, start and stop", async () => {
    const user = "bell\u0007user";
    for (const status of [ACCT.start, ACCT.stop]) {
      const raw = await peer.request(accountingRequest({ status, sessionId: "ctl-1", user, sessionTime: status === ACCT.stop ? 30 : undefined }), server.acct!.port, 1500);
      expect(raw).not.toBeNull();
      expect(decodePacket(raw!).code).toBe(Code.AccountingResponse);
    }
    const history = await server.sessions.history(100);
    const mine = history.filter((h) => h.sessionId === "ctl-1");
    expect(mine.map((h) => [h.kind, h.user])).toEqual([
      ["start", "bell\\x07user"],
      ["stop", "bell\\x07user"],
    ]);
    expect(await server.sessions.listSessions({ user: "bell\\x07user" })).toEqual([]);
    expect(server.metrics.sum("aaa_datagrams_total", { listener: "acct", reason: "bad_user_name" })).toBe(0);
    expect(server.logs.join("\n")).not.toContain("\u0007");
  });
});
