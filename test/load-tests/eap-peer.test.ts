// The EAP benchmark's peer (load-tests/lib/eap-peer.ts) against a live server: a PEAP-MSCHAPv2
// and an EAP-TLS conversation end in Access-Accept with MPPE keys equal to the client's MSK; a
// wrong password ends in a reject, not an accept.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { makeBenchPki, type BenchPki } from "../../load-tests/lib/pki.js";
import { RadiusEapClient, runConversation, type PeerConfig } from "../../load-tests/lib/eap-peer.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
let pki: BenchPki;
let dir: string;
let client: RadiusEapClient;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "eap-peer-"));
  pki = makeBenchPki(dir, "user000001");
  writeFileSync(
    path.join(dir, "subs.jsonl"),
    ["user000001", "user000002"].map((u) => JSON.stringify({ username: u, password: `pw-${u}` })).join("\n"),
  );
  server = await startTestServer(
    {
      store: { memory: { file: path.join(dir, "subs.jsonl") } },
      eap: { methods: ["peap", "tls"], tls: { certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile } },
      scheduler: { budgetMs: 2000 },
    },
    "warn",
  );
  client = await RadiusEapClient.open("127.0.0.1", server.port, "testing123", 1);
}, 60_000);

afterAll(async () => {
  client?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = (): Omit<PeerConfig, "method" | "context" | "outerIdentity" | "user" | "password"> => ({
  retransmitMs: 2000,
  retries: 1,
  verifyServer: true,
  fragmentSize: 1020,
  nasPort: 1,
});

describe("EAP benchmark peer", () => {
  it("PEAP-MSCHAPv2 ends in Access-Accept with the MSK as MPPE keys (10 rounds)", async () => {
    const context = tls.createSecureContext({ ca: readFileSync(pki.caFile), minVersion: "TLSv1.2", maxVersion: "TLSv1.2" });
    const r = await runConversation(client, { ...base(), method: "peap", context, outerIdentity: "anonymous", user: "user000002", password: "pw-user000002" });
    expect(r).toMatchObject({ ok: true, outcome: "accept", keysChecked: true, admitted: true, rounds: 10 });
  }, 30_000);

  it("EAP-TLS (after a Nak from PEAP) ends in Access-Accept with the MSK as MPPE keys", async () => {
    const context = tls.createSecureContext({ ca: readFileSync(pki.caFile), cert: readFileSync(pki.clientCertFile), key: readFileSync(pki.clientKeyFile), minVersion: "TLSv1.2", maxVersion: "TLSv1.2" });
    const r = await runConversation(client, { ...base(), method: "tls", context, outerIdentity: "user000001", user: "user000001", password: "" });
    expect(r).toMatchObject({ ok: true, outcome: "accept", keysChecked: true });
  }, 30_000);

  it("PEAP-MSCHAPv2 with a wrong password is not accepted", async () => {
    const context = tls.createSecureContext({ ca: readFileSync(pki.caFile), minVersion: "TLSv1.2", maxVersion: "TLSv1.2" });
    const r = await runConversation(client, { ...base(), method: "peap", context, outerIdentity: "anonymous", user: "user000002", password: "wrong" });
    expect(r.ok).toBe(false);
    expect(r.outcome).toBe("reject");
  }, 30_000);
});
