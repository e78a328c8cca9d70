import { describe, it, expect } from "@jest/globals";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { OUTCOME_REASONS, outcomeReasonEntry, outcomeReasonRows } from "../../src/core/outcomes.js";
import { renderOutcomesDoc } from "../../src/core/outcomes-doc.js";
import { SHED_REASONS } from "../../src/admit/scheduler.js";
import { RADIUS_ERROR_CODES } from "../../src/radius/errors.js";
import { EAP_ERROR_CODES } from "../../src/eap/packet.js";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("registry of outcome reasons", () => {
  it("docs/outcomes.md is the rendering of the registry (run `npm run outcomes` after changing it)", () => {
    expect(readFileSync("docs/outcomes.md", "utf8")).toBe(renderOutcomesDoc());
  });

  it("has every reason string the source passes as a reason, and every scheduler shed reason as shed", () => {
    const missing: string[] = [];
    let seen = 0;
    // Outcome and reject reasons; src/cluster names worker starts, another vocabulary.
    for (const file of sources("src").filter((f) => !f.startsWith(path.join("src", "cluster")))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/reason: "([A-Za-z0-9_:]+)"/g)) {
        seen++;
        if (!outcomeReasonEntry(m[1]!)) missing.push(`${file}: ${m[1]}`);
      }
      for (const m of text.matchAll(/reason: `([a-z_]+):\$\{/g)) {
        seen++;
        if (!outcomeReasonEntry(`${m[1]}:CODE`)) missing.push(`${file}: ${m[1]}:*`);
      }
    }
    expect(missing).toEqual([]);
    expect(seen).toBeGreaterThan(60);
    for (const r of SHED_REASONS) expect(outcomeReasonEntry(r)?.counted).toContain("shed");
  });

  it("resolves a family member to its family, and nothing else", () => {
    for (const code of RADIUS_ERROR_CODES) {
      expect(outcomeReasonEntry(`malformed:${code}`)).toBe(OUTCOME_REASONS["malformed:*"]);
      expect(outcomeReasonEntry(`reply_encode:${code}`)).toBe(OUTCOME_REASONS["reply_encode:*"]);
    }
    for (const code of EAP_ERROR_CODES) expect(outcomeReasonEntry(`eap_malformed:${code}`)).toBe(OUTCOME_REASONS["eap_malformed:*"]);
    expect(outcomeReasonEntry("store:STORE_OVERLOADED")?.counted).toEqual(["dropped", "shed"]);
    expect(outcomeReasonEntry("bad_password")?.counted).toEqual(["rejected"]);
    expect(outcomeReasonEntry("store:")).toBeUndefined();
    expect(outcomeReasonEntry("store:*")).toBeUndefined();
    expect(outcomeReasonEntry("nonsense")).toBeUndefined();
    expect(outcomeReasonEntry("nonsense:CODE")).toBeUndefined();
    expect(outcomeReasonEntry("toString")).toBeUndefined();
  });

  it("gives every reason a one-line meaning and a counter", () => {
    const rows = outcomeReasonRows();
    expect(rows.length).toBeGreaterThan(50);
    for (const r of rows) {
      expect(r.reason).toMatch(/^[a-z_]+(:\*)?$/);
      expect(r.counted.length).toBeGreaterThan(0);
      expect(r.meaning).toMatch(/^\S.*\.$/);
      expect(r.meaning).not.toContain("\n");
    }
  });
});
