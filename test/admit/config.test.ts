import { describe, it, expect } from "@jest/globals";
import { z } from "zod";
import { schedulerConfigSchema, clientWeightSchema, classBudgetMs, schedulerConfig, DEFAULT_MIN_SHARES, STATE_BUDGET_MS } from "../../src/admit/config.js";

/** The issues of a refused section, as "path: message" lines. */
function problems(input: unknown): string[] {
  const r = schedulerConfigSchema.safeParse(input);
  if (r.success) throw new Error("expected the scheduler section to be refused");
  return r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("scheduler config", () => {
  it("fills defaults from an empty section and accepts the old one-key form", () => {
    const c = schedulerConfig({});
    expect(c.enabled).toBe(true);
    expect(c.budgetMs).toBe(50);
    expect(c.maxQueue).toBe(2048);
    expect(c.limiter).toEqual({ initial: 1024, min: 1024, max: 4096, tolerance: 2, rttSlackMs: 1, windowMs: 50 });
    expect(c.codel).toEqual({ targetMs: 5, intervalMs: 100 });
    expect(c.eventLoop).toEqual({ maxDelayMs: 25, maxUtilization: 0.95 });
    expect(c.classes.acct.minShare).toBe(DEFAULT_MIN_SHARES.acct);
    expect(classBudgetMs(c, "access")).toBe(50);
    expect(schedulerConfig({ budgetMs: 80 }).budgetMs).toBe(80);
  });

  it("takes per-class budget overrides", () => {
    const c = schedulerConfig({ budgetMs: 40, classes: { status: { budgetMs: 500 }, acct: { budgetMs: 200, minShare: 0.1 } } });
    expect(classBudgetMs(c, "status")).toBe(500);
    expect(classBudgetMs(c, "acct")).toBe(200);
    expect(classBudgetMs(c, "access")).toBe(40);
    expect(c.classes.acct.minShare).toBe(0.1);
  });

  it("a round of a conversation in progress (State) gets at least STATE_BUDGET_MS unless set", () => {
    expect(classBudgetMs(schedulerConfig({ budgetMs: 40 }), "access-state")).toBe(STATE_BUDGET_MS);
    expect(classBudgetMs(schedulerConfig({ budgetMs: 5000 }), "access-state")).toBe(5000);
    expect(classBudgetMs(schedulerConfig({ classes: { "access-state": { budgetMs: 40 } } }), "access-state")).toBe(40);
  });

  it("refuses a budget <= 0, naming the key", () => {
    expect(problems({ budgetMs: 0 }).join("\n")).toMatch(/^budgetMs: /m);
    expect(problems({ budgetMs: -5 }).join("\n")).toMatch(/^budgetMs: /m);
    expect(problems({ classes: { access: { budgetMs: 0 } } }).join("\n")).toMatch(/^classes\.access\.budgetMs: /m);
  });

  it("refuses an unknown class and an unknown key, naming them", () => {
    const unknownClass = schedulerConfigSchema.safeParse({ classes: { "coa-request": { budgetMs: 10 } } });
    expect(unknownClass.success).toBe(false);
    const pretty = z.prettifyError(unknownClass.error!);
    expect(pretty).toMatch(/coa-request/);
    expect(pretty).toMatch(/classes/);
    expect(problems({ budgetMS: 50 }).join("\n")).toMatch(/budgetMS/);
    expect(problems({ limiter: { maximum: 5 } }).join("\n")).toMatch(/^limiter: .*maximum/m);
    // Status-Server bypasses the queue: a minimum share for it is meaningless, hence refused.
    expect(problems({ classes: { status: { minShare: 0.1 } } }).join("\n")).toMatch(/^classes\.status: .*minShare/m);
  });

  it("refuses limiter bounds that cannot work, naming the key", () => {
    expect(problems({ limiter: { min: 10, max: 5, initial: 5 } }).join("\n")).toMatch(/^limiter\.min: .*must not exceed limiter\.max/m);
    expect(problems({ limiter: { min: 10, max: 20, initial: 30 } }).join("\n")).toMatch(/^limiter\.initial: /m);
    expect(problems({ limiter: { min: 0 } }).join("\n")).toMatch(/^limiter\.min: /m);
    expect(problems({ limiter: { initial: 2.5 } }).join("\n")).toMatch(/^limiter\.initial: /m);
  });

  it("refuses minimum shares that do not fit in 1, or are negative", () => {
    const p = problems({ classes: { access: { minShare: 0.6 }, acct: { minShare: 0.6 } } }).join("\n");
    expect(p).toMatch(/^classes: .*sum to 1\.25/m);
    expect(problems({ classes: { acct: { minShare: -0.1 } } }).join("\n")).toMatch(/^classes\.acct\.minShare: /m);
    // Exactly 1 is allowed: weighted sharing across classes without strict priority.
    expect(() => schedulerConfig({ classes: { "access-state": { minShare: 0.4 }, access: { minShare: 0.3 }, "acct-stop": { minShare: 0.2 }, acct: { minShare: 0.1 } } })).not.toThrow();
  });

  it("refuses CoDel settings that cannot work, naming the key", () => {
    expect(problems({ codel: { targetMs: 100, intervalMs: 100 } }).join("\n")).toMatch(/^codel\.targetMs: .*intervalMs/m);
    expect(problems({ budgetMs: 4 }).join("\n")).toMatch(/^codel\.targetMs: .*budgetMs/m);
    expect(problems({ codel: { intervalMs: 0 } }).join("\n")).toMatch(/^codel\.intervalMs: /m);
    expect(problems({ eventLoop: { maxUtilization: 1.5 } }).join("\n")).toMatch(/^eventLoop\.maxUtilization: /m);
  });

  it("refuses kernel-queue targets that cannot work, naming the key; the defaults follow the budget", () => {
    expect(problems({ flowHoldBack: { targetWaitMs: 50 } }).join("\n")).toMatch(/^flowHoldBack\.targetWaitMs: .*budgetMs/m);
    expect(problems({ kernelQueue: { targetWaitMs: 60 } }).join("\n")).toMatch(/^kernelQueue\.targetWaitMs: .*budgetMs/m);
    expect(problems({ kernelQueue: { minBytes: 100 } }).join("\n")).toMatch(/^kernelQueue\.minBytes: /m);
    expect(problems({ flowHoldBack: { windowMs: 0 } }).join("\n")).toMatch(/^flowHoldBack\.windowMs: /m);
    // A small budget with the default targets is fine: they are shares of it.
    expect(() => schedulerConfig({ budgetMs: 8 })).not.toThrow();
  });

  it("refuses a client weight that is not positive", () => {
    expect(clientWeightSchema.safeParse(0).success).toBe(false);
    expect(clientWeightSchema.safeParse(-1).success).toBe(false);
    expect(clientWeightSchema.safeParse(2).success).toBe(true);
  });

  it("can be exported as JSON Schema (config docs)", () => {
    const js = z.toJSONSchema(schedulerConfigSchema, { io: "input", unrepresentable: "any" }) as { properties: Record<string, unknown> };
    expect(Object.keys(js.properties)).toEqual(expect.arrayContaining(["enabled", "budgetMs", "classes", "limiter", "codel", "eventLoop", "maxQueue"]));
  });
});
