// The TLS building blocks against a real supplicant: eapol_test (wpa_supplicant 2.10, Debian
// package eapoltest) talks RADIUS to a minimal test EAP server (mini-eap-server.ts) built on
// them. Each success must end with eapol_test's own MPPE key check passing, which shows the
// labels, the MSK split and the framing agree with an independent implementation.
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { createTlsContexts, type TlsContexts } from "../../../src/eap/tls/session.js";
import { makeTestPki, type TestPki } from "./certs.js";
import { startMiniServer, type MiniMethod } from "./mini-eap-server.js";

const run = promisify(execFile);
const secret = "eapol-test-secret";
let pki: TestPki;
let contexts: TlsContexts;

// eapol_test runs and RSA key generation slow down a lot on a loaded machine.
jest.setTimeout(120_000);

beforeAll(() => {
  pki = makeTestPki();
  contexts = createTlsContexts({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca });
  writeFileSync(join(pki.dir, "client.key"), pki.alice.key);
}, 120_000);
afterAll(() => pki.cleanup());

async function eapol(method: MiniMethod, network: string[]): Promise<{ ok: boolean; out: string; server: Awaited<ReturnType<typeof startMiniServer>> }> {
  const server = await startMiniServer(method, contexts, Buffer.from(secret));
  const conf = join(pki.dir, `net-${method}-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(conf, ["network={", "  key_mgmt=WPA-EAP", "  eapol_flags=0", `  ca_cert="${join(pki.dir, "ca.pem")}"`, ...network.map((l) => `  ${l}`), "}", ""].join("\n"));
  try {
    const { stdout } = await run("eapol_test", ["-c", conf, "-a", "127.0.0.1", "-p", String(server.port), "-s", secret, "-t", "15"], { timeout: 100_000 });
    return { ok: true, out: stdout, server };
  } catch (e) {
    const out = (e as { stdout?: string }).stdout ?? "";
    return { ok: false, out, server };
  } finally {
    await server.close();
  }
}

const mppeOk = /MPPE keys OK: 1 {2}mismatch: 0/;
const tlsClient = (cert: string, extra: string[]) => ["eap=TLS", 'identity="alice"', `client_cert="${join(pki.dir, cert)}"`, `private_key="${join(pki.dir, "client.key")}"`, ...extra];

describe("eapol_test against the TLS building blocks", () => {
  it("EAP-TLS over TLS 1.2: SUCCESS, MPPE keys OK, subscriber alice", async () => {
    const r = await eapol("tls", tlsClient("alice.pem", ['phase1="tls_disable_tlsv1_3=1"']));
    expect(r.out).toMatch(mppeOk);
    expect(r.ok).toBe(true);
    expect(r.server.names).toEqual(["alice"]);
    expect(r.server.protocols).toContain("TLSv1.2");
  });

  it("EAP-TLS over TLS 1.3 (RFC 9190): SUCCESS, MPPE keys OK", async () => {
    const r = await eapol("tls", tlsClient("alice.pem", ['phase1="tls_disable_tlsv1_3=0"']));
    expect(r.out).toMatch(mppeOk);
    expect(r.out).toMatch(/Commitment Message/);
    expect(r.ok).toBe(true);
    expect(r.server.protocols).toContain("TLSv1.3");
  });

  it("a supplicant limited to TLS 1.1 is refused", async () => {
    const r = await eapol("tls", tlsClient("alice.pem", ['phase1="tls_disable_tlsv1_2=1"']));
    expect(r.ok).toBe(false);
    expect(r.server.rejects).toEqual(["EAPTLS_ERR_TLS_FAILED"]);
  });

  it.each([
    ["a certificate from another CA", "EAPTLS_ERR_CERT_UNTRUSTED", "alice-other.pem"],
    ["an expired certificate", "EAPTLS_ERR_CERT_EXPIRED", "expired.pem"],
  ])("EAP-TLS with %s: Access-Reject with %s", async (_n, code, cert) => {
    const r = await eapol("tls", tlsClient(cert, ['phase1="tls_disable_tlsv1_3=1"']));
    expect(r.ok).toBe(false);
    expect(r.server.rejects).toEqual([code]);
  });

  it("EAP-TTLS/PAP: SUCCESS with MPPE keys OK; a wrong password is rejected", async () => {
    const good = await eapol("ttls-pap", ["eap=TTLS", 'identity="alice"', 'anonymous_identity="anonymous"', 'password="alice-pw"', 'phase2="auth=PAP"']);
    expect(good.out).toMatch(mppeOk);
    expect(good.ok).toBe(true);
    const bad = await eapol("ttls-pap", ["eap=TTLS", 'identity="alice"', 'anonymous_identity="anonymous"', 'password="wrong"', 'phase2="auth=PAP"']);
    expect(bad.ok).toBe(false);
    expect(bad.server.rejects).toEqual(["bad_password"]);
  });

  it("EAP-TTLS with a TLS 1.3-capable supplicant settles on TLS 1.2 and succeeds", async () => {
    const r = await eapol("ttls-pap", ["eap=TTLS", 'identity="alice"', 'password="alice-pw"', 'phase1="tls_disable_tlsv1_3=0"', 'phase2="auth=PAP"']);
    expect(r.out).toMatch(mppeOk);
    expect(r.ok).toBe(true);
    expect(new Set(r.server.protocols)).toEqual(new Set(["TLSv1.2"]));
  });

  it("PEAPv0/GTC (header compression, identity round, Result TLV): SUCCESS with MPPE keys OK; a wrong password is rejected", async () => {
    const net = (pw: string) => ["eap=PEAP", 'identity="alice"', 'anonymous_identity="anonymous"', `password="${pw}"`, 'phase1="peapver=0"', 'phase2="auth=GTC"'];
    const good = await eapol("peap-gtc", net("alice-pw"));
    expect(good.out).toMatch(mppeOk);
    expect(good.ok).toBe(true);
    const bad = await eapol("peap-gtc", net("wrong"));
    expect(bad.ok).toBe(false);
    expect(bad.server.rejects).toEqual(["bad_password"]);
  });
});
