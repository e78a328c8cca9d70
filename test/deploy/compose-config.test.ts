// config/compose.yaml (mounted into the container by compose.yaml) must pass the server's own
// config validation, so `docker compose up` does not die on a config error.
import { describe, it, expect } from "@jest/globals";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../../src/config/load.js";

const file = fileURLToPath(new URL("../../config/compose.yaml", import.meta.url));

describe("config/compose.yaml", () => {
  it("passes the server's config validation", () => {
    const text = readFileSync(file, "utf8");
    expect(() => parseConfig(text, "config/compose.yaml")).not.toThrow();
    expect(parseConfig(text, "config/compose.yaml")).toBeDefined();
  });
});
