// The scheduler's central invariant under random operation sequences (fast-check): every
// submitted job ends exactly once, started or shed, and every shed is counted under its class
// and reason. Submits, completions (ok, failed, sample-less), clock advances with `tick`,
// signals, live reconfiguration, weight changes and `close` come in any order.
import { describe, it, expect } from "@jest/globals";
import fc from "fast-check";
import { REQUEST_CLASSES, type RequestClass } from "../../src/admit/classes.js";
import { schedulerConfig, type SchedulerConfigInput } from "../../src/admit/config.js";
import { Scheduler, SHED_REASONS, type CompletionReport, type Job, type ShedReason, type SubmitResult } from "../../src/admit/scheduler.js";
import { FakeClock, SyncDeferred } from "./sim.js";

type StartMode = "deferred" | "sync" | "throw" | "reject";

type Op =
  | { op: "submit"; cls: RequestClass; client: number; ageMs: number; mode: StartMode; shedThrows: boolean }
  | { op: "complete"; pick: number; ok: boolean; sample: boolean }
  | { op: "tick"; ms: number }
  | { op: "signals"; loopDelayMs: number; loopUtilization: number; storeInFlight: number }
  | { op: "reconfigure"; config: SchedulerConfigInput }
  | { op: "weights"; w: number[] }
  | { op: "kernelStamps"; on: boolean }
  | { op: "close" };

const configArb: fc.Arbitrary<SchedulerConfigInput> = fc
  .record({
    enabled: fc.constantFrom(true, true, true, false),
    budgetMs: fc.integer({ min: 20, max: 120 }),
    acctBudgetMs: fc.option(fc.integer({ min: 20, max: 200 }), { nil: undefined }),
    maxQueue: fc.integer({ min: 0, max: 12 }),
    limit: fc.integer({ min: 1, max: 4 }),
    adaptive: fc.boolean(),
    targetMs: fc.integer({ min: 1, max: 8 }),
    acctShare: fc.constantFrom(0, 0.025, 0.3),
  })
  .map((c) => ({
    enabled: c.enabled,
    budgetMs: c.budgetMs,
    maxQueue: c.maxQueue,
    classes: { acct: { minShare: c.acctShare, ...(c.acctBudgetMs !== undefined ? { budgetMs: c.acctBudgetMs } : {}) } },
    limiter: c.adaptive ? { initial: c.limit, min: 1, max: 8, windowMs: 5 } : { initial: c.limit, min: c.limit, max: c.limit },
    codel: { targetMs: Math.min(c.targetMs, c.budgetMs - 1), intervalMs: 20 },
  }));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      op: fc.constant("submit" as const),
      cls: fc.constantFrom(...REQUEST_CLASSES),
      client: fc.integer({ min: 0, max: 3 }),
      ageMs: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 150 })),
      mode: fc.constantFrom<StartMode>("deferred", "deferred", "deferred", "sync", "throw", "reject"),
      shedThrows: fc.boolean(),
    }),
  },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("complete" as const), pick: fc.nat(), ok: fc.boolean(), sample: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("tick" as const), ms: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 300 })) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("signals" as const),
      loopDelayMs: fc.constantFrom(0, 3, 30, 200),
      loopUtilization: fc.constantFrom(0.2, 0.96, 1),
      storeInFlight: fc.integer({ min: 0, max: 10 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("reconfigure" as const), config: configArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("weights" as const), w: fc.array(fc.constantFrom(0.5, 1, 3), { minLength: 4, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("kernelStamps" as const), on: fc.boolean() }) },
);

/** Operation sequences with at most one `close`, so that most keep the scheduler open long enough to fill it. */
const opsArb = (maxLength: number): fc.Arbitrary<Op[]> =>
  fc.tuple(fc.array(opArb, { maxLength, size: "max" }), fc.option(fc.nat(), { freq: 3 })).map(([ops, closeAt]) => {
    if (closeAt === null) return ops;
    const at = closeAt % (ops.length + 1);
    return [...ops.slice(0, at), { op: "close" as const }, ...ops.slice(at)];
  });

interface Tracked {
  readonly cls: RequestClass;
  starts: number;
  sheds: ShedReason[];
  deferred: SyncDeferred<CompletionReport | void> | undefined;
  mode: StartMode;
}

/** Shed reasons seen over all runs: the generator must reach every one the scheduler reports. */
const reasonsSeen = new Set<ShedReason>();

/** Runs `ops`, checking the invariants after each, then closes, drains and checks every job ended once. */
function run(initial: SchedulerConfigInput, ops: Op[]): void {
  const clock = new FakeClock();
  const s = new Scheduler(schedulerConfig(initial), { clock: clock.now, tuning: { leakAfterMs: 400 } });
  s.onBacklogChange = () => {};
  const jobs: Tracked[] = [];
  const running: Tracked[] = [];
  const problems: string[] = [];

  const submit = (o: Extract<Op, { op: "submit" }>): void => {
    const t: Tracked = { cls: o.cls, starts: 0, sheds: [], deferred: undefined, mode: o.mode };
    jobs.push(t);
    const job: Job = {
      class: o.cls,
      client: `nas${o.client}`,
      arrivedAt: clock.t - o.ageMs,
      start() {
        t.starts++;
        if (t.mode === "throw") throw new Error("start failed");
        if (t.mode === "sync") return { sample: true };
        const d = new SyncDeferred<CompletionReport | void>();
        t.deferred = d;
        running.push(t);
        return d;
      },
      shed(reason) {
        t.sheds.push(reason);
        reasonsSeen.add(reason);
        if (o.shedThrows) throw new Error("shed callback failed");
      },
    };
    const before = { starts: t.starts, sheds: t.sheds.length };
    const result: SubmitResult = s.submit(job);
    const what = t.starts > before.starts ? "started" : t.sheds.length > before.sheds ? "shed" : "queued";
    if (result !== what) problems.push(`submit returned ${result} but the job was ${what}`);
  };

  const check = (where: string): void => {
    const st = s.stats();
    for (const [i, t] of jobs.entries()) {
      if (t.starts + t.sheds.length > 1) problems.push(`${where}: job ${i} ended ${t.starts + t.sheds.length} times`);
      if (t.sheds.includes("late_reply")) problems.push(`${where}: the scheduler reported late_reply`);
    }
    for (const c of REQUEST_CLASSES) {
      const mine = jobs.filter((t) => t.cls === c);
      const shed = SHED_REASONS.reduce((n, r) => n + st.shed[c][r], 0);
      if (st.submitted[c] !== mine.length) problems.push(`${where}: submitted[${c}] ${st.submitted[c]} != ${mine.length}`);
      if (st.started[c] !== mine.filter((t) => t.starts > 0).length) problems.push(`${where}: started[${c}] mismatch`);
      for (const r of SHED_REASONS) {
        const n = mine.filter((t) => t.sheds[0] === r).length;
        if (st.shed[c][r] !== n) problems.push(`${where}: shed[${c}][${r}] ${st.shed[c][r]} != ${n}`);
      }
      // Every job submitted is, at any moment, started, shed or waiting.
      if (st.submitted[c] !== st.started[c] + shed + st.queued[c]) problems.push(`${where}: ${c}: submitted != started + shed + queued`);
    }
    const sum = (x: Record<RequestClass, number>) => REQUEST_CLASSES.reduce((n, c) => n + x[c], 0);
    if (sum(st.started) !== sum(st.completed) + sum(st.abandoned) + st.running) problems.push(`${where}: started != completed + abandoned + running`);
    if (s.pending !== st.running + st.queuedTotal) problems.push(`${where}: pending mismatch`);
    if (st.queuedTotal !== sum(st.queued)) problems.push(`${where}: queuedTotal mismatch`);
    if (st.inFlight < 0 || st.inFlight > st.running) problems.push(`${where}: inFlight ${st.inFlight} outside 0..${st.running}`);
  };

  for (const [i, o] of ops.entries()) {
    switch (o.op) {
      case "submit":
        submit(o);
        break;
      case "complete": {
        if (running.length === 0) break;
        const t = running.splice(o.pick % running.length, 1)[0]!;
        if (t.mode === "reject" || !o.ok) t.deferred!.reject(new Error("failed"));
        else t.deferred!.resolve({ sample: o.sample, rttMs: 2 });
        break;
      }
      case "tick":
        clock.advance(o.ms);
        s.tick();
        break;
      case "signals":
        s.setSignals({ loopDelayMs: o.loopDelayMs, loopUtilization: o.loopUtilization, storeInFlight: o.storeInFlight });
        break;
      case "reconfigure":
        s.reconfigure(schedulerConfig(o.config));
        break;
      case "weights":
        s.setClientWeights(new Map(o.w.map((w, c) => [`nas${c}`, w])));
        break;
      case "kernelStamps":
        s.setKernelStampedArrivals(o.on);
        break;
      case "close":
        s.close();
        break;
    }
    check(`after op ${i} (${o.op})`);
  }

  // Drain: close, finish what runs, let the leak guard release what never ends.
  s.close();
  for (const t of running.splice(0)) t.deferred!.resolve(undefined);
  clock.advance(1000);
  s.tick();
  check("after the drain");
  expect(problems).toEqual([]);
  expect(s.pending).toBe(0);
  for (const t of jobs) expect([t.starts, t.sheds.length].sort()).toEqual([0, 1]);
  const st = s.stats();
  const shedTotal = REQUEST_CLASSES.reduce((n, c) => n + SHED_REASONS.reduce((m, r) => m + st.shed[c][r], 0), 0);
  expect(shedTotal).toBe(jobs.filter((t) => t.sheds.length === 1).length);
}

describe("Scheduler (fast-check): every submitted job ends exactly once", () => {
  it("started or shed with a counted reason, under any sequence of submit, complete, tick, signals, reconfigure and close", () => {
    fc.assert(
      fc.property(configArb, opsArb(120), (initial, ops) => run(initial, ops)),
      { seed: 18, numRuns: 400 },
    );
    expect([...reasonsSeen].sort()).toEqual(SHED_REASONS.filter((r) => r !== "late_reply").sort());
  });

  it("the same with a saturated loop and a store counting its own commands in flight from the start", () => {
    fc.assert(
      fc.property(configArb, opsArb(80), (initial, ops) =>
        run(initial, [{ op: "signals", loopDelayMs: 30, loopUtilization: 1, storeInFlight: 2 }, ...ops]),
      ),
      { seed: 7, numRuns: 200 },
    );
  });
});
