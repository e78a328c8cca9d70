import { describe, it, expect } from "@jest/globals";
import { classify, classRank, isRequestClass, REQUEST_CLASSES } from "../../src/admit/classes.js";

describe("classify", () => {
  it("maps packets to classes in priority order", () => {
    expect(classify(12, false)).toBe("status");
    expect(classify(1, true)).toBe("access-state");
    expect(classify(1, false)).toBe("access");
    expect(classify(4, false, 2)).toBe("acct-stop");
    expect(classify(4, false, 1)).toBe("acct"); // Start
    expect(classify(4, false, 3)).toBe("acct"); // Interim-Update
    expect(classify(4, false, 7)).toBe("acct"); // Accounting-On
    expect(classify(4, false)).toBe("acct"); // no Acct-Status-Type
    expect(classify(43, false)).toBe("acct"); // anything else: lowest
  });

  it("ranks classes 0..4", () => {
    expect(REQUEST_CLASSES.map(classRank)).toEqual([0, 1, 2, 3, 4]);
    expect(isRequestClass("acct-stop")).toBe(true);
    expect(isRequestClass("toString")).toBe(false);
  });
});
