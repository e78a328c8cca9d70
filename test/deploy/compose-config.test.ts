// config/compose.yaml (mounted into the container by compose.yaml) must pass the server's own
// config validation, so `docker compose up` does not die on a config error; its admin token comes
// from the environment (http.tokenEnv), whose .env.example value must pass the token rules.
import { describe, it, expect, afterEach } from "@jest/globals";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../../src/config/load.js";

const file = fileURLToPath(new URL("../../config/compose.yaml", import.meta.url));
const envExample = readFileSync(fileURLToPath(new URL("../../.env.example", import.meta.url)), "utf8");
const saved = process.env["AAA_HTTP_TOKEN"];

afterEach(() => {
  if (saved === undefined) delete process.env["AAA_HTTP_TOKEN"];
  else process.env["AAA_HTTP_TOKEN"] = saved;
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

  it("names the variable when the token is missing or too short", () => {
    const text = readFileSync(file, "utf8");
    delete process.env["AAA_HTTP_TOKEN"];
    expect(() => parseConfig(text, "config/compose.yaml")).toThrow(/http\.tokenEnv: environment variable AAA_HTTP_TOKEN is not set/);
    process.env["AAA_HTTP_TOKEN"] = "short";
    expect(() => parseConfig(text, "config/compose.yaml")).toThrow(/http\.tokenEnv: .*AAA_HTTP_TOKEN.*at least 16/);
  });
});
