import { describe, it, expect } from "@jest/globals";
import { readFileSync } from "node:fs";
import { parseConfig, ConfigError } from "../../src/config/load.js";
import { jsonSchemas, renderSchema } from "../../src/config/json-schemas.js";

const base = `
radius:
  auth: { host: "0.0.0.0", port: 1812 }
clients:
  - { name: lab, address: "127.0.0.1/32", secret: testing123, requireMessageAuthenticator: true }
store:
  redis: { url: "redis://127.0.0.1:6379/0", keyPrefix: "aaa:" }
log: { level: info }
`;

function problem(text: string, file = "c.yaml"): string {
  try {
    parseConfig(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected the configuration to be refused");
}

describe("configuration", () => {
  it("accepts the documented example and fills defaults", () => {
    const c = parseConfig(base, "c.yaml");
    expect(c.radius.auth.port).toBe(1812);
    expect(c.clients[0]?.requireMessageAuthenticator).toBe(true);
    expect(c.duplicates.windowMs).toBe(5000);
    expect(c.scheduler.budgetMs).toBe(50);
  });

  it("accepts JSON too", () => {
    const c = parseConfig(JSON.stringify({ clients: [{ name: "a", address: "::1", secret: "x" }], store: { memory: { file: "s.jsonl" } } }), "/etc/aaa/c.json");
    expect(c.radius.auth.port).toBe(1812);
    expect((c.store as { memory: { file: string } }).memory.file).toBe("/etc/aaa/s.jsonl");
  });

  it("refuses an unknown (misspelt) key, naming it", () => {
    const msg = problem(base.replace("requireMessageAuthenticator", "requireMessageAuthentictor"));
    expect(msg).toMatch(/requireMessageAuthentictor/);
    expect(msg).toMatch(/clients\[0\]|clients\.0/);
  });

  it("names the key and the problem for a bad value", () => {
    expect(problem(base.replace("port: 1812", "port: 70000"))).toMatch(/radius\.auth\.port/);
    expect(problem(base.replace('"127.0.0.1/32"', '"127.0.0.1/33"'))).toMatch(/address/);
    expect(problem(base.replace("level: info", "level: loud"))).toMatch(/log\.level/);
    expect(problem(base.replace("clients:\n  - { name: lab", "clients:\n  - { name: lab, secret2: x"))).toMatch(/secret2/);
  });

  it("refuses a store timeout longer than a budget, naming both keys", () => {
    const redis = base.replace(/store:\n(  .*\n)+/, 'store:\n  redis: { url: "redis://127.0.0.1:6379/0", commandTimeoutMs: 80 }\n');
    expect(redis).toContain("commandTimeoutMs: 80");
    expect(problem(redis)).toMatch(/store\.redis\.commandTimeoutMs \(80\) is longer than scheduler\.budgetMs \(50\)/);
    expect(problem(redis + "scheduler: { budgetMs: 100, classes: { acct: { budgetMs: 60 } } }\n")).toMatch(/scheduler\.classes\.acct\.budgetMs \(60\)/);
    expect(parseConfig(redis + "scheduler: { budgetMs: 80 }\n", "c.yaml").scheduler.budgetMs).toBe(80);
  });

  it("eap: defaults (every method, 10000 conversations, 30 s) and each bad key named", () => {
    const c = parseConfig(base, "c.yaml");
    expect(c.eap).toEqual({ maxConversations: 10000, timeoutSeconds: 30 });
    expect(parseConfig(`${base}eap: { methods: [md5], timeoutSeconds: 10 }\n`, "c.yaml").eap.methods).toEqual(["md5"]);
    expect(problem(`${base}eap: { methods: [leap] }\n`)).toMatch(/eap\.methods.*mschapv2, peap, ttls, tls, md5/);
    expect(problem(`${base}eap: { methods: [] }\n`)).toMatch(/eap\.methods: list at least one/);
    expect(problem(`${base}eap: { methods: [md5, md5] }\n`)).toMatch(/eap\.methods: a method is listed twice/);
    expect(problem(`${base}eap: { maxConversations: 0 }\n`)).toMatch(/eap\.maxConversations must be at least 1/);
    expect(problem(`${base}eap: { timeoutSeconds: 1.5 }\n`)).toMatch(/eap\.timeoutSeconds must be an integer/);
    expect(problem(`${base}eap: { timeout: 5 }\n`)).toMatch(/timeout/);
  });

  it("clients[].secretEnv: the secret from the environment, exactly one of secret/secretEnv, the key named, the value never quoted", () => {
    const withEnv = base.replace("secret: testing123", "secretEnv: AAA_TEST_NAS_SECRET");
    const saved = process.env["AAA_TEST_NAS_SECRET"];
    try {
      process.env["AAA_TEST_NAS_SECRET"] = "from-the-environment";
      expect(parseConfig(withEnv, "c.yaml").clients[0]?.secret).toBe("from-the-environment");
      // Commands that never use a client secret (imports, listings) do not need the variable.
      delete process.env["AAA_TEST_NAS_SECRET"];
      expect(parseConfig(withEnv, "c.yaml", { clientSecrets: false }).clients[0]?.secret).toBeUndefined();
      expect(problem(withEnv)).toBe("c.yaml: clients[0].secretEnv: environment variable AAA_TEST_NAS_SECRET is not set");
      process.env["AAA_TEST_NAS_SECRET"] = "x".repeat(129);
      const long = problem(withEnv);
      expect(long).toMatch(/^c\.yaml: clients\[0\]\.secretEnv: the value of AAA_TEST_NAS_SECRET: /);
      expect(long).not.toContain("xxxx");
    } finally {
      if (saved === undefined) delete process.env["AAA_TEST_NAS_SECRET"];
      else process.env["AAA_TEST_NAS_SECRET"] = saved;
    }
    expect(problem(base.replace("secret: testing123", "secret: testing123, secretEnv: X"))).toMatch(/clients\[0\]\.secretEnv|clients\.0\.secretEnv/);
    expect(problem(base.replace("secret: testing123", "secretEnv: X"))).toMatch(/not set/);
    expect(problem(base.replace("secret: testing123, ", ""))).toMatch(/secret or secretEnv/);
    expect(problem(base.replace("secret: testing123", "secretEnv: 'not a name'"))).toMatch(/secretEnv/);
  });

  it("refuses duplicate clients, bad YAML and an empty file", () => {
    expect(problem(base.replace("store:", '  - { name: lab, address: "10.0.0.0/8", secret: x }\nstore:'))).toMatch(/duplicate client name/);
    expect(problem("radius: [", "c.yaml")).toMatch(/not valid YAML/);
    expect(problem("", "c.yaml")).toMatch(/clients/);
  });

  it("ships the demo configuration valid", () => {
    expect(() => parseConfig(readFileSync("config/demo.yaml", "utf8"), "config/demo.yaml")).not.toThrow();
  });
});

describe("generated JSON schemas", () => {
  it("match the zod schemas (run `npm run schemas` after changing them)", () => {
    for (const [name, schema] of Object.entries(jsonSchemas())) {
      expect({ name, text: readFileSync(`schemas/${name}`, "utf8") }).toEqual({ name, text: renderSchema(schema) });
    }
  });
});

describe("http section", () => {
  it("defaults to loopback without a token; validates tokens and names the key", () => {
    const c = parseConfig(base + "http: {}\n", "c.yaml");
    expect(c.http).toMatchObject({ host: "127.0.0.1", port: 9812, maxBodyBytes: 16384 });
    expect(c.http?.token).toBeUndefined();
    const both = (text: string, key: RegExp, why: RegExp): void => {
      const msg = problem(text);
      expect(msg).toMatch(key);
      expect(msg).toMatch(why);
    };
    both(base + 'http: { token: "short" }\n', /at http\.token\b/, /at least 16/);
    both(base + 'http: { token: "has a space in it 0123456789" }\n', /at http\.token\b/, /printable ASCII/);
    both(base + 'http: { token: "0123456789abcdef0123", tokenEnv: X }\n', /at http\.tokenEnv\b/, /not both/);
    expect(problem(base + "http: { maxBodyBytes: 10 }\n")).toMatch(/http\.maxBodyBytes/);
    expect(problem(base + "http: { tokn: x }\n")).toMatch(/tokn/);
  });

  it("reads authTokenEnv from the environment", () => {
    process.env["AAA_TEST_PORTAL_TOKEN"] = "portal-0123456789abcdef";
    try {
      const c = parseConfig(base + "http: { authTokenEnv: AAA_TEST_PORTAL_TOKEN }\n", "c.yaml");
      expect(c.http?.authToken).toBe("portal-0123456789abcdef");
      delete process.env["AAA_TEST_PORTAL_TOKEN"];
      expect(problem(base + "http: { authTokenEnv: AAA_TEST_PORTAL_TOKEN }\n")).toMatch(/http\.authTokenEnv: environment variable AAA_TEST_PORTAL_TOKEN is not set/);
    } finally {
      delete process.env["AAA_TEST_PORTAL_TOKEN"];
    }
  });
});
