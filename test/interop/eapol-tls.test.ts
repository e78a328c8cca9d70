// EAP-TLS, EAP-TTLS/PAP and PEAPv0/EAP-MSCHAPv2 against a real peer: eapol_test (Debian `eapoltest`) as supplicant and
// NAS, against a live server with eap.tls configured. "MPPE keys OK" means the MS-MPPE keys of
// the Access-Accept match the MSK eapol_test derived from its own TLS session.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ntPasswordHash } from "../../src/mschap/mschapv2.js";
import { hashPassword } from "../../src/handle/password-hash.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { makeTestPki, type TestPki } from "../eap/tls/certs.js";

let server: TestServer;
let pki: TestPki;
const f = (name: string) => path.join(pki.dir, name);

beforeAll(async () => {
  pki = makeTestPki();
  writeFileSync(f("srv.pem"), pki.server.cert);
  writeFileSync(f("srv.key"), pki.server.key);
  writeFileSync(f("client.key"), pki.alice.key);
  writeFileSync(f("alice-other-ca.pem"), pki.otherCa.cert);
  writeFileSync(f("alice-expired.pem"), pki.expired.cert);
  writeFileSync(
    f("subs.jsonl"),
    [
      { username: "alice", password: "alice-pw", reply: { "Session-Timeout": 3600 } },
      { username: "carol", password: "carol-pw", enabled: false },
      { username: "nthash", ntHash: ntPasswordHash("nt-pw").toString("hex") },
      { username: "hashed", passwordHash: hashPassword("h-pw") },
    ]
      .map((s) => JSON.stringify(s))
      .join("\n"),
  );
  server = await startTestServer(
    {
      store: { memory: { file: f("subs.jsonl") } },
      eap: { tls: { certFile: f("srv.pem"), keyFile: f("srv.key"), caFile: f("ca.pem") } },
      scheduler: { budgetMs: 2000 },
    },
    "warn",
  );
}, 60_000);

afterAll(async () => {
  await server?.close();
  pki?.cleanup();
});

interface Run {
  code: number;
  out: string;
}

function eapolTest(network: Record<string, string>): Promise<Run> {
  const conf = f(`net-${Math.random().toString(36).slice(2)}.conf`);
  const lines = Object.entries(network).map(([k, v]) => `  ${k}=${v}`);
  writeFileSync(conf, `network={\n  key_mgmt=WPA-EAP\n  eapol_flags=0\n${lines.join("\n")}\n}\n`);
  return new Promise((resolve) => {
    execFile("eapol_test", ["-c", conf, "-a", "127.0.0.1", "-p", String(server.port), "-s", "testing123", "-t", "10"], { timeout: 25_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

const lastLine = (r: Run): string => r.out.trim().split("\n").pop() ?? "";
const rejects = (reason: string): number => server.metrics.sum("aaa_access_rejects_total", { reason });

describe("eapol_test: TLS-based methods", () => {
  it("EAP-TLS with a client certificate from the CA succeeds with MPPE keys OK", async () => {
    const r = await eapolTest({ eap: "TLS", identity: '"anything"', ca_cert: `"${f("ca.pem")}"`, client_cert: `"${f("alice.pem")}"`, private_key: `"${f("client.key")}"` });
    expect(r.out).toMatch(/MPPE keys OK: 1 {2}mismatch: 0/);
    expect(r.out).toMatch(/Access-Accept/);
    expect(lastLine(r)).toBe("SUCCESS");
    expect(r.code).toBe(0);
  }, 30_000);

  it("EAP-TLS with a client certificate from another CA ends in FAILURE (eap_tls_cert_untrusted)", async () => {
    const before = rejects("eap_tls_cert_untrusted");
    const r = await eapolTest({ eap: "TLS", identity: '"alice"', ca_cert: `"${f("ca.pem")}"`, client_cert: `"${f("alice-other-ca.pem")}"`, private_key: `"${f("client.key")}"` });
    expect(r.out).toMatch(/Access-Reject/);
    expect(lastLine(r)).toBe("FAILURE");
    expect(r.code).not.toBe(0);
    expect(rejects("eap_tls_cert_untrusted")).toBe(before + 1);
  }, 30_000);

  it("EAP-TLS with an expired client certificate ends in FAILURE (eap_tls_cert_expired)", async () => {
    const before = rejects("eap_tls_cert_expired");
    const r = await eapolTest({ eap: "TLS", identity: '"alice"', ca_cert: `"${f("ca.pem")}"`, client_cert: `"${f("alice-expired.pem")}"`, private_key: `"${f("client.key")}"` });
    expect(lastLine(r)).toBe("FAILURE");
    expect(rejects("eap_tls_cert_expired")).toBe(before + 1);
  }, 30_000);

  it("EAP-TLS looks up the certificate's name, not the outer identity", async () => {
    // The outer identity is carol, a disabled subscriber; the certificate names alice.
    const before = rejects("disabled");
    const r = await eapolTest({ eap: "TLS", identity: '"carol"', ca_cert: `"${f("ca.pem")}"`, client_cert: `"${f("alice.pem")}"`, private_key: `"${f("client.key")}"` });
    expect(r.out).toMatch(/MPPE keys OK: 1 {2}mismatch: 0/);
    expect(lastLine(r)).toBe("SUCCESS");
    expect(rejects("disabled")).toBe(before);
  }, 30_000);

  it("EAP-TTLS/PAP with an anonymous outer identity succeeds with MPPE keys OK", async () => {
    const r = await eapolTest({ eap: "TTLS", identity: '"alice"', anonymous_identity: '"anonymous"', phase2: '"auth=PAP"', ca_cert: `"${f("ca.pem")}"`, password: '"alice-pw"' });
    expect(r.out).toMatch(/MPPE keys OK: 1 {2}mismatch: 0/);
    expect(lastLine(r)).toBe("SUCCESS");
    expect(r.code).toBe(0);
  }, 30_000);

  it("EAP-TTLS/PAP succeeds against a passwordHash (scrypt) subscriber", async () => {
    const r = await eapolTest({ eap: "TTLS", identity: '"hashed"', anonymous_identity: '"anonymous"', phase2: '"auth=PAP"', ca_cert: `"${f("ca.pem")}"`, password: '"h-pw"' });
    expect(r.out).toMatch(/MPPE keys OK: 1 {2}mismatch: 0/);
    expect(lastLine(r)).toBe("SUCCESS");
  }, 30_000);

  it("EAP-TTLS/PAP with a wrong password ends in FAILURE", async () => {
    const before = rejects("bad_password");
    const r = await eapolTest({ eap: "TTLS", identity: '"alice"', anonymous_identity: '"anonymous"', phase2: '"auth=PAP"', ca_cert: `"${f("ca.pem")}"`, password: '"wrong"' });
    expect(r.out).toMatch(/Access-Reject/);
    expect(lastLine(r)).toBe("FAILURE");
    expect(r.code).not.toBe(0);
    expect(rejects("bad_password")).toBe(before + 1);
  }, 30_000);

  it("EAP-TTLS/PAP for a disabled subscriber ends in FAILURE", async () => {
    const before = rejects("disabled");
    const r = await eapolTest({ eap: "TTLS", identity: '"carol"', anonymous_identity: '"anonymous"', phase2: '"auth=PAP"', ca_cert: `"${f("ca.pem")}"`, password: '"carol-pw"' });
    expect(r.out).toMatch(/Access-Reject/);
    expect(lastLine(r)).toBe("FAILURE");
    expect(rejects("disabled")).toBe(before + 1);
  }, 30_000);

  it("EAP-TTLS/MSCHAPv2 succeeds with MPPE keys OK (cleartext and ntHash subscribers)", async () => {
    for (const [user, pw] of [["alice", "alice-pw"], ["nthash", "nt-pw"]]) {
      const r = await eapolTest({ eap: "TTLS", identity: `"${user}"`, anonymous_identity: '"anonymous"', phase2: '"auth=MSCHAPV2"', ca_cert: `"${f("ca.pem")}"`, password: `"${pw}"` });
      expect(r.out).toMatch(/MPPE keys OK: 1 {2}mismatch: 0/);
      expect(lastLine(r)).toBe("SUCCESS");
      expect(r.code).toBe(0);
    }
  }, 60_000);

  it("EAP-TTLS/MSCHAPv2 with a wrong password ends in FAILURE", async () => {
    const before = rejects("bad_password");
    const r = await eapolTest({ eap: "TTLS", identity: '"alice"', anonymous_identity: '"anonymous"', phase2: '"auth=MSCHAPV2"', ca_cert: `"${f("ca.pem")}"`, password: '"wrong"' });
    expect(r.out).toMatch(/Access-Reject/);
    expect(lastLine(r)).toBe("FAILURE");
    expect(r.code).not.toBe(0);
    expect(rejects("bad_password")).toBe(before + 1);
  }, 30_000);

  it("PEAPv0/EAP-MSCHAPv2 with an anonymous outer identity succeeds with MPPE keys OK", async () => {
    const r = await eapolTest({ eap: "PEAP", identity: '"alice"', anonymous_identity: '"anonymous"', phase2: '"auth=MSCHAPV2"', ca_cert: `"${f("ca.pem")}"`, password: '"alice-pw"' });
    expect(r.out).toMatch(/MPPE keys OK: 1 {2}mismatch: 0/);
    expect(lastLine(r)).toBe("SUCCESS");
    expect(r.code).toBe(0);
  }, 30_000);

  it("PEAPv0/EAP-MSCHAPv2 succeeds against an ntHash-only subscriber", async () => {
    const r = await eapolTest({ eap: "PEAP", identity: '"nthash"', anonymous_identity: '"anonymous"', phase2: '"auth=MSCHAPV2"', ca_cert: `"${f("ca.pem")}"`, password: '"nt-pw"' });
    expect(r.out).toMatch(/MPPE keys OK: 1 {2}mismatch: 0/);
    expect(lastLine(r)).toBe("SUCCESS");
  }, 30_000);

  it("PEAPv0/EAP-MSCHAPv2 with a wrong password ends in FAILURE", async () => {
    const before = rejects("bad_password");
    const r = await eapolTest({ eap: "PEAP", identity: '"alice"', anonymous_identity: '"anonymous"', phase2: '"auth=MSCHAPV2"', ca_cert: `"${f("ca.pem")}"`, password: '"wrong"' });
    expect(r.out).toMatch(/Access-Reject/);
    expect(lastLine(r)).toBe("FAILURE");
    expect(r.code).not.toBe(0);
    expect(rejects("bad_password")).toBe(before + 1);
  }, 30_000);
});
