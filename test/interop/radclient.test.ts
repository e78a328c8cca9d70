// The server against real peers: FreeRADIUS's radclient (freeradius-utils) and the npm `radius`
// package, both independent implementations of the protocol.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import radius from "radius";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";

const run = promisify(execFile);
let server: TestServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "aaa-interop-"));
  writeFileSync(
    path.join(dir, "subs.jsonl"),
    [
      { username: "alice", password: "s3cret", reply: { "Framed-IP-Address": "10.0.0.5", "Session-Timeout": 3600, "Cisco-AVPair": ["ip:addr-pool=gold", "shell:priv-lvl=1"] } },
      { username: "bob", password: "hunter2" },
    ]
      .map((s) => JSON.stringify(s))
      .join("\n"),
  );
  server = await startTestServer(
    // A generous budget: the first requests run on a cold JIT while other test files run alongside.
    { radius: { auth: { host: "127.0.0.1", port: 0 }, acct: { host: "127.0.0.1", port: 0 } }, store: { memory: { file: path.join(dir, "subs.jsonl") } }, scheduler: { budgetMs: 1000 } },
    "warn",
  );
});

afterAll(async () => {
  await server.close();
});

async function radclient(body: string, kind: "auth" | "status" | "acct", extra: string[] = [], port?: number): Promise<{ code: number; out: string }> {
  const file = path.join(dir, `req-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, body);
  try {
    const { stdout } = await run("radclient", ["-x", "-r", "1", "-t", "2", ...extra, "-f", file, `127.0.0.1:${port ?? (kind === "acct" ? server.acct!.port : server.port)}`, kind, "testing123"]);
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("radclient (FreeRADIUS) as the NAS", () => {
  it("gets Access-Accept for PAP with Message-Authenticator, with the reply attributes", async () => {
    const r = await radclient('User-Name = "alice"\nUser-Password = "s3cret"\nMessage-Authenticator = 0x00\n', "auth");
    expect(r.out).toMatch(/Received Access-Accept/);
    expect(r.out).toMatch(/Framed-IP-Address = 10\.0\.0\.5/);
    expect(r.out).toMatch(/Session-Timeout = 3600/);
    expect(r.out).toMatch(/Cisco-AVPair = "ip:addr-pool=gold"/);
    expect(r.code).toBe(0);
  });

  it("gets Access-Reject for a wrong password", async () => {
    const r = await radclient('User-Name = "alice"\nUser-Password = "nope"\nMessage-Authenticator = 0x00\n', "auth");
    expect(r.out).toMatch(/Received Access-Reject/);
  });

  it("gets Access-Accept for CHAP (radclient computes CHAP-Password from Cleartext-Password)", async () => {
    const r = await radclient('User-Name = "bob"\nCHAP-Password = "hunter2"\nMessage-Authenticator = 0x00\n', "auth");
    expect(r.out).toMatch(/Received Access-Accept/);
  });

  it("gets no answer without Message-Authenticator (required by default)", async () => {
    const r = await radclient('User-Name = "alice"\nUser-Password = "s3cret"\n', "auth");
    expect(r.out).not.toMatch(/Received Access-/);
    expect(r.code).not.toBe(0);
  });

  it("gets an answer to Status-Server", async () => {
    const r = await radclient("Message-Authenticator = 0x00\n", "status");
    expect(r.out).toMatch(/Received Access-Accept/);
  });
});

describe("radclient (FreeRADIUS) as the NAS: accounting", () => {
  it("gets Accounting-Response to Start, Interim-Update and Stop; the session opens and closes", async () => {
    const common = 'User-Name = "alice"\nAcct-Session-Id = "rc-0001"\nNAS-Port = 12\nFramed-IP-Address = 10.0.0.5\n';
    const start = await radclient(`${common}Acct-Status-Type = Start\n`, "acct");
    expect(start.out).toMatch(/Received Accounting-Response/);
    expect(await server.sessions.listSessions({ user: "alice" })).toEqual([expect.objectContaining({ sessionId: "rc-0001", nasPort: 12, framedIp: "10.0.0.5" })]);
    const interim = await radclient(`${common}Acct-Status-Type = Interim-Update\nAcct-Session-Time = 60\nAcct-Input-Octets = 1000\nAcct-Input-Gigawords = 1\nMessage-Authenticator = 0x00\n`, "acct");
    expect(interim.out).toMatch(/Received Accounting-Response/);
    expect((await server.sessions.listSessions({ user: "alice" }))[0]).toMatchObject({ inputOctets: 2 ** 32 + 1000, sessionTime: 60 });
    const stop = await radclient(`${common}Acct-Status-Type = Stop\nAcct-Session-Time = 90\nAcct-Terminate-Cause = User-Request\n`, "acct");
    expect(stop.out).toMatch(/Received Accounting-Response/);
    expect(stop.code).toBe(0);
    expect(await server.sessions.listSessions({ user: "alice" })).toEqual([]);
    expect(await server.sessions.getSession("test", "rc-0001", "alice")).toMatchObject({ status: "closed", terminateCause: 1 });
  });

  it("gets Accounting-Response to Status-Server on the accounting port (RFC 5997 §3)", async () => {
    const r = await radclient("Message-Authenticator = 0x00\n", "status", [], server.acct!.port);
    expect(r.out).toMatch(/Received Accounting-Response/);
    expect(r.code).toBe(0);
  });

  it("gets no answer with the wrong secret", async () => {
    const file = path.join(dir, "acct-wrong.txt");
    writeFileSync(file, 'User-Name = "bob"\nAcct-Session-Id = "rc-2"\nAcct-Status-Type = Start\n');
    const r = await run("radclient", ["-x", "-r", "1", "-t", "1", "-f", file, `127.0.0.1:${server.acct!.port}`, "acct", "not-the-secret"]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }));
    expect(r.stdout).not.toMatch(/Received Accounting-Response/);
    expect(await server.sessions.listSessions({ user: "bob" })).toEqual([]);
  });
});

describe("the npm `radius` package as the NAS", () => {
  it("sends an Accounting-Request the server records, and checks the Accounting-Response", async () => {
    const peer = new UdpPeer();
    await peer.bind();
    try {
      const packet = radius.encode({
        code: "Accounting-Request",
        secret: "testing123",
        identifier: 9,
        attributes: [
          ["User-Name", "bob"],
          ["Acct-Status-Type", "Start"],
          ["Acct-Session-Id", "npm-radius-1"],
          ["NAS-Port", 4],
        ],
      });
      const reply = await peer.request(packet, server.acct!.port);
      expect(reply).not.toBeNull();
      expect(radius.decode({ packet: reply!, secret: "testing123" }).code).toBe("Accounting-Response");
      expect(radius.verify_response({ request: packet, response: reply!, secret: "testing123" })).toBe(true);
      expect(await server.sessions.listSessions({ user: "bob" })).toEqual([expect.objectContaining({ sessionId: "npm-radius-1", nasPort: 4 })]);
    } finally {
      peer.close();
    }
  });

  it("sends a PAP request the server accepts, and checks the server's response authenticator", async () => {
    const peer = new UdpPeer();
    await peer.bind();
    try {
      const packet = radius.encode({
        code: "Access-Request",
        secret: "testing123",
        identifier: 5,
        attributes: [
          ["User-Name", "alice"],
          ["User-Password", "s3cret"],
        ],
        add_message_authenticator: true,
      });
      const reply = await peer.request(packet, server.port);
      expect(reply).not.toBeNull();
      const decoded = radius.decode({ packet: reply!, secret: "testing123" });
      expect(decoded.code).toBe("Access-Accept");
      expect(decoded.attributes["Framed-IP-Address"]).toBe("10.0.0.5");
      const sentDecoded = radius.decode({ packet, secret: "testing123" });
      expect(radius.verify_response({ request: packet, response: reply!, secret: "testing123" })).toBe(true);
      expect(sentDecoded.code).toBe("Access-Request");
    } finally {
      peer.close();
    }
  });
});
