// The overload benchmark's own arithmetic and output: recovery time of a step run from a
// per-interval timeline, and the SVG chart it writes without a charting library.
import { describe, expect, it } from "@jest/globals";
import { intervalOk, mdTable, niceTicks, recoveryMs, svgChart, type Timeline } from "../../load-tests/lib/overload-report.js";

/** A timeline of `n` 100 ms intervals, 100 requests each, all answered fast unless changed. */
function timeline(n: number): Timeline {
  return {
    intervalMs: 100,
    sent: Array.from({ length: n }, () => 100),
    answered: Array.from({ length: n }, () => 100),
    withinBudget: Array.from({ length: n }, () => 100),
    p99Ms: Array.from({ length: n }, () => 5),
  };
}

describe("recoveryMs", () => {
  const o = { fromMs: 1000, toMs: 2000, budgetMs: 50 };

  it("is 0 when every interval after the step down meets the budget", () => {
    const tl = timeline(20);
    tl.p99Ms[5] = 400; // before the step down: not looked at
    expect(recoveryMs(tl, o)).toBe(0);
  });

  it("ends with the last failing interval, not the first good one", () => {
    const tl = timeline(20);
    tl.p99Ms[10] = 300;
    tl.p99Ms[11] = 120;
    tl.p99Ms[12] = 20; // good for one interval...
    tl.p99Ms[13] = 80; // ...then bad again: recovered only after interval 13
    expect(recoveryMs(tl, o)).toBe(400);
  });

  it("counts an interval with requests but no answer as failing, and an empty one as neutral", () => {
    const tl = timeline(20);
    tl.answered[10] = 0;
    tl.withinBudget[10] = 0;
    tl.p99Ms[10] = null;
    tl.sent[11] = 0;
    tl.answered[11] = 0;
    tl.withinBudget[11] = 0;
    tl.p99Ms[11] = null;
    expect(intervalOk(tl, 10, o)).toBe(false);
    expect(intervalOk(tl, 11, o)).toBe(true);
    expect(recoveryMs(tl, o)).toBe(100);
  });

  it("is null when the window ends still failing", () => {
    const tl = timeline(20);
    tl.p99Ms[19] = 60;
    expect(recoveryMs(tl, o)).toBeNull();
  });

  it("with minWithinShare, lost requests delay recovery even when the answered ones are fast", () => {
    const tl = timeline(20);
    for (const b of [10, 11, 12]) {
      tl.answered[b] = 40; // 60 % lost, the rest answered in 5 ms
      tl.withinBudget[b] = 40;
    }
    expect(recoveryMs(tl, o)).toBe(0);
    expect(recoveryMs(tl, { ...o, minWithinShare: 0.99 })).toBe(300);
  });

  it("starts at the first interval at or after the step (intervals not aligned to it)", () => {
    const tl = timeline(20);
    tl.p99Ms[10] = 90; // 1000..1100 ms
    expect(recoveryMs(tl, { ...o, fromMs: 1050 })).toBe(0); // interval 10 starts before 1050: not counted
    expect(recoveryMs(tl, { ...o, fromMs: 950 })).toBe(150);
  });
});

describe("svgChart", () => {
  const svg = svgChart(
    [
      {
        title: "Goodput <vs> offered",
        xLabel: "offered load, requests/s",
        yLabel: "goodput, /s",
        series: [
          { name: "a & b", points: [[1000, 1000], [2000, 1900], [4000, 1200]] },
          { name: "c", points: [[1000, 990], [2000, NaN], [4000, 2100]] },
        ],
      },
      { title: "p99", xLabel: "offered", yLabel: "p99, ms (log)", yLog: true, series: [{ name: "a & b", points: [[1000, 2], [2000, 0], [4000, 900]] }], hLines: [{ y: 50, label: "budget 50 ms" }] },
    ],
    "caption",
  );

  it("is one well-formed svg element with escaped text", () => {
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg.trim().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("Goodput &lt;vs&gt; offered");
    expect(svg).toContain("a &amp; b");
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it("draws one path per series per panel, broken where a value is missing", () => {
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]!);
    expect(paths).toHaveLength(3);
    // "c" has a NaN in the middle: two separate moves, no line drawn across the gap.
    expect(paths[1]!.match(/M/g)).toHaveLength(2);
    // The log panel leaves out the zero: 2 ms and 900 ms are drawn, as two separate points.
    expect(paths[2]!.match(/M/g)).toHaveLength(2);
  });

  it("labels both axes of each panel and the legend once per series name", () => {
    for (const label of ["offered load, requests/s", "goodput, /s", "offered", "p99, ms (log)", "budget 50 ms"]) expect(svg).toContain(`>${label}<`);
    expect(svg.match(/>a &amp; b</g)).toHaveLength(1);
  });
});

describe("helpers", () => {
  it("niceTicks covers the range with round steps", () => {
    expect(niceTicks(0, 16000)).toEqual([0, 5000, 10000, 15000]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it("mdTable right-aligns the numeric columns", () => {
    expect(mdTable(["system", "n"], [["x", 1]])).toBe("| system | n |\n|---|---:|\n| x | 1 |");
  });
});
