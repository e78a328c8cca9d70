// config/compose.yaml (mounted into the container by compose.yaml) must pass the server's own
// config validation, so `docker compose up` does not die on a config error; its admin token comes
// from the environment (http.tokenEnv), whose .env.example value must pass the token rules.
import { describe, it, expect, afterEach, beforeEach } from "@jest/globals";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../../src/config/load.js";

const file = fileURLToPath(new URL("../../config/compose.yaml", import.meta.url));
const envExample = readFileSync(fileURLToPath(new URL("../../.env.example", import.meta.url)), "utf8");
const saved = { AAA_HTTP_TOKEN: process.env["AAA_HTTP_TOKEN"], RADIUS_SECRET: process.env["RADIUS_SECRET"] };
const envValue = (name: string): string | undefined => new RegExp(`^${name}=(.*)$`, "m").exec(envExample)?.[1];

beforeEach(() => {
  process.env["RADIUS_SECRET"] = envValue("RADIUS_SECRET")!;
});

afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe("config/compose.yaml", () => {
  it("passes the server's config validation with the .env.example token", () => {
    const token = /^AAA_HTTP_TOKEN=(.*)$/m.exec(envExample)?.[1];
    expect(token).toBeDefined();
    process.env["AAA_HTTP_TOKEN"] = token!;
    const text = readFileSync(file, "utf8");
    const config = parseConfig(text, "config/compose.yaml");
    expect(config.http?.token).toBe(token);
    expect(config.http?.tokenEnv).toBe("AAA_HTTP_TOKEN");
  });

  it("takes every client's secret from RADIUS_SECRET, and names the key when it is unset", () => {
    process.env["AAA_HTTP_TOKEN"] = envValue("AAA_HTTP_TOKEN")!;
    process.env["RADIUS_SECRET"] = "a-secret-from-dot-env";
    const text = readFileSync(file, "utf8");
    const config = parseConfig(text, "config/compose.yaml");
    expect(config.clients.length).toBeGreaterThan(0);
    for (const c of config.clients) expect(c.secret).toBe("a-secret-from-dot-env");
    expect(config.radius.acct?.port).toBe(1813);
    delete process.env["RADIUS_SECRET"];
    expect(() => parseConfig(text, "config/compose.yaml")).toThrow(/clients\[0\]\.secretEnv: environment variable RADIUS_SECRET is not set/);
  });

  it("names the variable when the token is missing or too short", () => {
    const text = readFileSync(file, "utf8");
    delete process.env["AAA_HTTP_TOKEN"];
    expect(() => parseConfig(text, "config/compose.yaml")).toThrow(/http\.tokenEnv: environment variable AAA_HTTP_TOKEN is not set/);
    process.env["AAA_HTTP_TOKEN"] = "short";
    expect(() => parseConfig(text, "config/compose.yaml")).toThrow(/http\.tokenEnv: .*AAA_HTTP_TOKEN.*at least 16/);
  });
});
