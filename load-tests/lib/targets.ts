// The overload targets (issue 3) judged from the benchmark's figures: one row per target, with
// the figure it was judged on, whether it was met, and whether that figure came from a run on
// slowed cores. Pure, so that test/load-tests/targets.test.ts can check the rules.

/** A figure measured in one run, and whether a benchmark core was slowed during that run. */
export interface Measured<T> {
  value: T;
  /** What the run was, as the report names it ("2x G* = 38000/s"). */
  what: string;
  slowed: boolean;
}

export interface TargetInput {
  budgetMs: number;
  /** The system's peak goodput over the sweep, /s. */
  gStar: number;
  /** The baseline's (FreeRADIUS's) peak goodput in the same benchmark; absent: not run. */
  baselineGStar?: Measured<number> | undefined;
  /** Goodput/s of the runs offered exactly `factor` times G* (the G* checks). */
  checks: Measured<{ factor: number; goodput: number }>[];
  /** p99 of answered requests at every sweep step and G* check; null: nothing answered. */
  p99s: Measured<number | null>[];
  /** Share of Status-Server requests answered within the budget, per mixed-class run. */
  status: Measured<number>[];
  /** Worst share within budget among the well-behaved NASes of each flood run. */
  flood: Measured<number>[];
  /** Step run: ms after the step down until p99 stays within budget; null: not within the run. */
  stepRecoveryMs: Measured<number | null>[];
  /** RSS growth over the memory run at 4x, MiB. */
  memoryGrowthMiB: Measured<number>[];
}

export interface Verdict {
  target: string;
  /** The figure as shown in the report. */
  figure: string;
  /** null: the runs the target needs were not made. */
  met: boolean | null;
  /** Some figure behind the verdict came from a run on slowed cores. */
  slowed: boolean;
}

export const TARGETS = {
  gStarOverBaseline: 1.5,
  /** factor of G* -> least goodput as a share of G* */
  checkFloor: new Map<number, number>([
    [2, 0.9],
    [4, 0.8],
  ]),
  statusShare: 0.99,
  floodShare: 0.95,
  stepRecoveryMs: 1000,
  /** 50 MB in MiB */
  memoryGrowthMiB: 50e6 / 2 ** 20,
} as const;

const pct = (x: number, digits = 1): string => `${(100 * x).toFixed(digits)} %`;
const anySlowed = (xs: { slowed: boolean }[]): boolean => xs.some((x) => x.slowed);
const star = (x: { slowed: boolean }): string => (x.slowed ? " *" : "");

/** The targets for one system, in the order the issue lists them. */
export function judgeTargets(i: TargetInput): Verdict[] {
  const out: Verdict[] = [];
  const b = i.baselineGStar;
  out.push({
    target: `G* ≥ ${TARGETS.gStarOverBaseline}x FreeRADIUS's G*`,
    figure: !(i.gStar > 0) ? "no sweep" : b ? `${i.gStar} vs ${b.value}/s = ${b.value > 0 ? (i.gStar / b.value).toFixed(2) : "∞"}x` : `${i.gStar}/s; FreeRADIUS not run`,
    met: b && i.gStar > 0 ? i.gStar >= TARGETS.gStarOverBaseline * b.value : null,
    slowed: b ? b.slowed : false,
  });
  for (const [factor, floor] of TARGETS.checkFloor) {
    const runs = i.checks.filter((c) => c.value.factor === factor);
    const shares = runs.map((c) => ({ ...c, share: i.gStar > 0 ? c.value.goodput / i.gStar : NaN }));
    out.push({
      target: `offered ${factor}x G*: goodput ≥ ${pct(floor, 0)} of G*`,
      figure: shares.length ? shares.map((c) => `${c.value.goodput}/s = ${pct(c.share)}${star(c)}`).join(", ") : "not run",
      met: shares.length ? shares.every((c) => c.share >= floor) : null,
      slowed: anySlowed(shares),
    });
  }
  const answered = i.p99s.filter((p) => p.value !== null);
  const worstP99 = answered.reduce<Measured<number | null> | null>((w, p) => (w === null || (p.value as number) > (w.value as number) ? p : w), null);
  out.push({
    target: `p99 of answered ≤ ${i.budgetMs} ms at every step`,
    figure: worstP99 ? `worst ${(worstP99.value as number).toFixed(1)} ms (${worstP99.what})${star(worstP99)}` : "no step answered",
    met: answered.length ? answered.every((p) => (p.value as number) <= i.budgetMs) : null,
    slowed: worstP99 ? worstP99.slowed : false,
  });
  const threshold = (name: string, xs: Measured<number>[], floor: number): void => {
    out.push({
      target: `${name} ≥ ${pct(floor, 0)}`,
      figure: xs.length ? xs.map((x) => `${pct(x.value)} (${x.what})${star(x)}`).join(", ") : "not run",
      met: xs.length ? xs.every((x) => x.value >= floor) : null,
      slowed: anySlowed(xs),
    });
  };
  threshold("Status-Server answered within budget", i.status, TARGETS.statusShare);
  threshold("flood: the other NASes within budget", i.flood, TARGETS.floodShare);
  out.push({
    target: `step 1x -> 2x -> 1x: p99 back within budget in < ${TARGETS.stepRecoveryMs / 1000} s`,
    figure: i.stepRecoveryMs.length ? i.stepRecoveryMs.map((s) => `${s.value === null ? "not within the run" : `${s.value} ms`}${star(s)}`).join(", ") : "not run",
    met: i.stepRecoveryMs.length ? i.stepRecoveryMs.every((s) => s.value !== null && s.value < TARGETS.stepRecoveryMs) : null,
    slowed: anySlowed(i.stepRecoveryMs),
  });
  out.push({
    target: `memory at 4x: RSS growth < 50 MB (${TARGETS.memoryGrowthMiB.toFixed(1)} MiB)`,
    figure: i.memoryGrowthMiB.length ? i.memoryGrowthMiB.map((m) => `${m.value.toFixed(0)} MiB${star(m)}`).join(", ") : "not run",
    met: i.memoryGrowthMiB.length ? i.memoryGrowthMiB.every((m) => Number.isFinite(m.value) && m.value < TARGETS.memoryGrowthMiB) : null,
    slowed: anySlowed(i.memoryGrowthMiB),
  });
  return out;
}

/** "yes", "**no**" or "not run", with " (slowed)" when a figure behind it came from slowed cores. */
export function fmtMet(v: Verdict): string {
  const s = v.met === null ? "not run" : v.met ? "yes" : "**no**";
  return v.slowed && v.met !== null ? `${s} (slowed *)` : s;
}
