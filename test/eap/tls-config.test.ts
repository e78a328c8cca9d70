// eap.tls: the server certificate of the TLS-based methods, its paths, checks at load, and which
// methods are offered with and without it.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseConfig, ConfigError } from "../../src/config/load.js";
import { configureEap, configuredMethods, eapConfigSchema } from "../../src/eap/config.js";
import { makeTestPki, type TestPki } from "./tls/certs.js";

let pki: TestPki;
let cfg: string;

const base = (eap: string) => `
clients:
  - { name: lab, address: "127.0.0.1/32", secret: testing123 }
store:
  redis: { url: "redis://127.0.0.1:6379/0" }
eap:
${eap}
`;

function problem(text: string, env?: Record<string, string>): string {
  const saved = { ...process.env };
  Object.assign(process.env, env ?? {});
  try {
    parseConfig(text, cfg);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  } finally {
    for (const k of Object.keys(env ?? {})) if (saved[k] === undefined) delete process.env[k];
  }
  throw new Error("expected the configuration to be refused");
}

beforeAll(() => {
  pki = makeTestPki();
  cfg = path.join(pki.dir, "aaa.yaml");
  writeFileSync(path.join(pki.dir, "srv.pem"), pki.server.cert);
  writeFileSync(path.join(pki.dir, "srv.key"), pki.server.key);
  // The server key encrypted with a passphrase (AES-256).
  execFileSync("openssl", ["pkey", "-in", "srv.key", "-aes256", "-passout", "pass:s3cret-pass", "-out", "srv-enc.key"], { cwd: pki.dir, stdio: "ignore" });
});

afterAll(() => pki?.cleanup());

const tlsBlock = (key = "srv.key", extra = "") => `  tls: { certFile: srv.pem, keyFile: ${key}, caFile: ca.pem${extra} }`;

describe("eap.tls", () => {
  it("resolves the files relative to the configuration file and offers tls, ttls and peap by default", () => {
    const c = parseConfig(base(tlsBlock()), cfg);
    expect(c.eap.tls?.certFile).toBe(path.join(pki.dir, "srv.pem"));
    expect(c.eap.tls?.caFile).toBe(path.join(pki.dir, "ca.pem"));
    expect(configuredMethods(c.eap).map((m) => [m.name, m.type])).toEqual([["mschapv2", 26], ["peap", 25], ["ttls", 21], ["tls", 13], ["md5", 4]]);
  });

  it("without eap.tls the default offers only the methods without a certificate", () => {
    const c = parseConfig(base("  timeoutSeconds: 30"), cfg);
    expect(configuredMethods(c.eap).map((m) => m.name)).toEqual(["mschapv2", "md5"]);
  });

  it("refuses tls, ttls or peap in eap.methods without eap.tls, naming the key", () => {
    expect(problem(base("  methods: [mschapv2, tls, ttls]"))).toMatch(/eap\.methods: tls, ttls needs eap\.tls/);
    expect(problem(base("  methods: [peap]"))).toMatch(/eap\.methods: peap needs eap\.tls/);
  });

  it("keeps the order of eap.methods when listed", () => {
    const c = parseConfig(base(`  methods: [tls, md5]\n${tlsBlock()}`), cfg);
    expect(configuredMethods(c.eap).map((m) => m.name)).toEqual(["tls", "md5"]);
  });

  it("names the key of a file that cannot be read", () => {
    expect(problem(base(tlsBlock("missing.key")))).toMatch(/eap\.tls\.keyFile: cannot read .*missing\.key \(ENOENT\)/);
  });

  it("refuses an unknown key under eap.tls", () => {
    expect(problem(base(tlsBlock("srv.key", ", keyPassword: x")))).toMatch(/keyPassword/);
  });

  it("refuses a key that does not load, naming the key, without repeating the TLS library's message", () => {
    const msg = problem(base(`  tls: { certFile: srv.pem, keyFile: ca.pem, caFile: ca.pem }`));
    expect(msg).toMatch(/eap\.tls\.keyFile: .*ca\.pem holds no PEM private key$/);
  });

  it("names the file at fault: a certificate that is no certificate, a key of another certificate, a CA that is no certificate", () => {
    expect(problem(base(`  tls: { certFile: srv.key, keyFile: srv.key, caFile: ca.pem }`))).toMatch(/eap\.tls\.certFile: .*srv\.key holds no PEM certificate$/);
    expect(problem(base(`  tls: { certFile: srv.pem, keyFile: ca.key, caFile: ca.pem }`))).toMatch(/eap\.tls\.keyFile: .*ca\.key is not the key of the certificate in eap\.tls\.certFile$/);
    expect(problem(base(`  tls: { certFile: srv.pem, keyFile: srv.key, caFile: srv.key }`))).toMatch(/eap\.tls\.caFile: .*srv\.key holds no PEM certificate$/);
  });

  it("reads an encrypted key's passphrase from passphraseEnv; unset or wrong is refused", () => {
    const block = tlsBlock("srv-enc.key", ", passphraseEnv: AAA_TEST_EAP_PASS");
    expect(problem(base(block))).toMatch(/eap\.tls\.passphraseEnv: environment variable AAA_TEST_EAP_PASS is not set/);
    const wrong = problem(base(block), { AAA_TEST_EAP_PASS: "not-it" });
    expect(wrong).toMatch(/eap\.tls\.keyFile: .*srv-enc\.key cannot be decrypted \(wrong passphrase in eap\.tls\.passphraseEnv\)/);
    expect(wrong).not.toContain("not-it");
    process.env.AAA_TEST_EAP_PASS = "s3cret-pass";
    try {
      const c = parseConfig(base(block), cfg);
      expect(configuredMethods(c.eap).map((m) => m.name)).toContain("tls");
    } finally {
      delete process.env.AAA_TEST_EAP_PASS;
    }
  });
});

describe("configureEap().prepareReload", () => {
  const eap = (cert: string, key: string) => eapConfigSchema.parse({ tls: { certFile: path.join(pki.dir, cert), keyFile: path.join(pki.dir, key), caFile: path.join(pki.dir, "ca.pem") } });

  it("refuses to swap in an expired certificate, but an expired one in force does not block a reload", () => {
    // At start an expired server certificate loads (peers refuse it; the rest of the server runs).
    const setup = configureEap(eap("expired.pem", "client.key"));
    expect(setup.methods.map((m) => m.name)).toContain("tls");
    expect(setup.prepareReload(eap("expired.pem", "client.key"))).toMatchObject({ ok: true, applied: [] });
    const toGood = setup.prepareReload(eap("srv.pem", "srv.key"));
    expect(toGood).toMatchObject({ ok: true, applied: ["eap.tls.certFile", "eap.tls.keyFile"] });
    if (toGood.ok) toGood.commit();
    const back = setup.prepareReload(eap("expired.pem", "client.key"));
    expect(back.ok).toBe(false);
    expect(!back.ok && back.error).toMatch(/^eap\.tls\.certFile: .*expired\.pem expired on /);
  });

  it("does nothing for a server started without eap.tls (adding it needs a restart)", () => {
    const setup = configureEap(eapConfigSchema.parse({}));
    expect(setup.prepareReload(eap("srv.pem", "srv.key"))).toMatchObject({ ok: true, applied: [] });
  });
});
