// The overload targets as the benchmark judges them (load-tests/lib/targets.ts).
import { describe, expect, it } from "@jest/globals";
import { fmtMet, judgeTargets, type TargetInput, type Verdict } from "../../load-tests/lib/targets.js";

const fast = { slowed: false };

/** A benchmark in which every target is met. */
function passing(): TargetInput {
  return {
    budgetMs: 50,
    gStar: 15000,
    baselineGStar: { value: 4000, what: "FreeRADIUS 1x", ...fast },
    checks: [
      { value: { factor: 2, goodput: 14000 }, what: "2x G*", ...fast },
      { value: { factor: 4, goodput: 12500 }, what: "4x G*", ...fast },
    ],
    p99s: [
      { value: 12, what: "0.5x C", ...fast },
      { value: 49.9, what: "4x C", ...fast },
      { value: null, what: "4x G*", ...fast },
    ],
    status: [{ value: 0.995, what: "mix 2x", ...fast }],
    flood: [{ value: 0.96, what: "flood", ...fast }],
    stepRecoveryMs: [{ value: 0, what: "step", ...fast }],
    memoryGrowthMiB: [{ value: 27, what: "memory", ...fast }],
  };
}

function find(vs: Verdict[], prefix: string): Verdict {
  const v = vs.find((x) => x.target.startsWith(prefix));
  if (!v) throw new Error(`no target starting with "${prefix}" in ${vs.map((x) => x.target).join("; ")}`);
  return v;
}

describe("judgeTargets", () => {
  it("meets every target of a benchmark that reaches them, in the issue's order", () => {
    const vs = judgeTargets(passing());
    expect(vs.map((v) => v.met)).toEqual([true, true, true, true, true, true, true, true]);
    expect(vs[0]!.figure).toBe("15000 vs 4000/s = 3.75x");
    expect(find(vs, "offered 2x").figure).toBe("14000/s = 93.3 %");
    expect(find(vs, "p99").figure).toBe("worst 49.9 ms (4x C)");
  });

  it("judges the G* checks against their own floors: 90 % at 2x, 80 % at 4x", () => {
    const i = passing();
    i.checks = [
      { value: { factor: 2, goodput: 13499 }, what: "2x G*", ...fast },
      { value: { factor: 4, goodput: 12000 }, what: "4x G*", ...fast },
    ];
    const vs = judgeTargets(i);
    expect(find(vs, "offered 2x").met).toBe(false);
    expect(find(vs, "offered 4x").met).toBe(true);
  });

  it("needs G* at least 1.5 times the baseline's", () => {
    const i = passing();
    i.baselineGStar = { value: 10001, what: "FreeRADIUS 1x", ...fast };
    expect(judgeTargets(i)[0]!.met).toBe(false);
    i.baselineGStar = { value: 10000, what: "FreeRADIUS 1x", ...fast };
    expect(judgeTargets(i)[0]!.met).toBe(true);
  });

  it("fails p99 on one step over the budget and ignores steps where nothing was answered", () => {
    const i = passing();
    i.p99s.push({ value: 50.1, what: "2x G*", ...fast });
    const v = find(judgeTargets(i), "p99");
    expect(v.met).toBe(false);
    expect(v.figure).toBe("worst 50.1 ms (2x G*)");
  });

  it("fails a threshold when any of its runs misses it", () => {
    const i = passing();
    i.status.push({ value: 0.989, what: "mix 4x", ...fast });
    i.flood = [{ value: 0.949, what: "flood", ...fast }];
    const vs = judgeTargets(i);
    expect(find(vs, "Status-Server").met).toBe(false);
    expect(find(vs, "flood").met).toBe(false);
  });

  it("fails the step run when p99 does not recover within the run or takes a second", () => {
    const i = passing();
    i.stepRecoveryMs = [{ value: null, what: "step", ...fast }];
    expect(find(judgeTargets(i), "step").met).toBe(false);
    i.stepRecoveryMs = [{ value: 1000, what: "step", ...fast }];
    expect(find(judgeTargets(i), "step").met).toBe(false);
  });

  it("takes 50 MB as 47.7 MiB and fails an unknown growth", () => {
    const i = passing();
    i.memoryGrowthMiB = [{ value: 48, what: "memory", ...fast }];
    expect(find(judgeTargets(i), "memory").met).toBe(false);
    i.memoryGrowthMiB = [{ value: NaN, what: "memory", ...fast }];
    expect(find(judgeTargets(i), "memory").met).toBe(false);
  });

  it("says a target was not run instead of meeting it", () => {
    const i = passing();
    delete i.baselineGStar;
    i.checks = [];
    i.status = [];
    const vs = judgeTargets(i);
    expect(vs[0]!.met).toBeNull();
    expect(find(vs, "offered 4x").met).toBeNull();
    expect(find(vs, "Status-Server").met).toBeNull();
    expect(fmtMet(find(vs, "Status-Server"))).toBe("not run");
  });

  it("marks a verdict whose figures include a run on slowed cores", () => {
    const i = passing();
    i.checks[1] = { value: { factor: 4, goodput: 9000 }, what: "4x G*", slowed: true };
    const v = find(judgeTargets(i), "offered 4x");
    expect(v.met).toBe(false);
    expect(v.slowed).toBe(true);
    expect(v.figure).toBe("9000/s = 60.0 % *");
    expect(fmtMet(v)).toBe("**no** (slowed *)");
    expect(find(judgeTargets(i), "offered 2x").slowed).toBe(false);
  });
});
