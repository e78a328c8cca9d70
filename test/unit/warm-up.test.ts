import { describe, expect, it } from "@jest/globals";
import { warmUp } from "../../src/pipeline/warm-up.js";

describe("warm-up of the request path", () => {
  it("runs the pure request steps on synthetic requests within its time budget, or up to its round cap", () => {
    let t = 0;
    // A clock that advances 1 ms per reading: the budget of 20 ms ends the loop (checked every 256 rounds).
    const r = warmUp(() => t++, 20, 1_000_000);
    expect(r.rounds).toBeGreaterThan(0);
    expect(r.rounds % 256).toBe(0);
    expect(r.rounds).toBeLessThanOrEqual(256 * 21);
    const capped = warmUp(() => 0, 1000, 300);
    expect(capped.rounds).toBe(300);
  });
});
