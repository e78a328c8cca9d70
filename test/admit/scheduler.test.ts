import { describe, it, expect } from "@jest/globals";
import { Scheduler, schedulerConfig, SHED_REASONS, type Job } from "../../src/admit/scheduler.js";
import { harness } from "./harness.js";

/** A fixed limit of `n` (no adaptation), a long budget unless given. */
const fixed = (n: number, extra: Record<string, unknown> = {}) => ({ budgetMs: 1000, limiter: { initial: n, min: n, max: n }, ...extra });

describe("Scheduler: admission", () => {
  it("starts under the limit, queues over it, starts queued work as running work ends", () => {
    const h = harness(fixed(2));
    expect(h.submit("a", "access")).toBe("started");
    expect(h.submit("b", "access")).toBe("started");
    expect(h.submit("c", "access")).toBe("queued");
    expect(h.s.stats()).toMatchObject({ inFlight: 2, queuedTotal: 1, limit: 2 });
    expect(h.s.stats().queued.access).toBe(1);
    h.clock.advance(3);
    h.finish("a");
    expect(h.started()).toEqual(["a", "b", "c"]);
    expect(h.jobs.get("c")?.run?.sojournMs).toBe(3);
    h.finish("b");
    h.finish("c");
    const st = h.s.stats();
    expect(st).toMatchObject({ inFlight: 0, running: 0, queuedTotal: 0 });
    expect(st.submitted.access).toBe(3);
    expect(st.started.access).toBe(3);
    expect(st.completed.access).toBe(3);
  });

  it("reports backpressure when a full round of the limit is queued, and its end when the queue drains", () => {
    const h = harness(fixed(2));
    const changes: boolean[] = [];
    h.s.onBacklogChange = (b) => changes.push(b);
    h.s.setSignals({ loopUtilization: 1 });
    h.submit("a", "access");
    h.submit("b", "access");
    h.submit("c", "access");
    expect(changes).toEqual([]); // one queued < limit 2
    h.submit("d", "access");
    expect(changes).toEqual([true]);
    expect(h.s.isBacklogged()).toBe(true);
    h.submit("e", "access"); // still backlogged: no repeat
    expect(changes).toEqual([true]);
    h.finish("a"); // c starts: d, e queued (2 = limit)
    expect(changes).toEqual([true]);
    h.finish("b"); // d starts: e alone queued
    expect(changes).toEqual([true, false]);
    expect(h.s.isBacklogged()).toBe(false);
    expect(h.s.latestDeadline(10)).toBe(1010);
  });

  it("holds no reads back while the event loop has idle time, and does once it has none", () => {
    const h = harness(fixed(2));
    const changes: boolean[] = [];
    h.s.onBacklogChange = (b) => changes.push(b);
    h.s.setSignals({ loopUtilization: 0.6 });
    for (const id of ["a", "b", "c", "d", "e"]) h.submit(id, "access");
    expect(h.s.stats().queuedTotal).toBe(3);
    expect(h.s.cpuBound).toBe(false);
    expect(changes).toEqual([]);
    h.s.setSignals({ loopUtilization: 0.99 });
    expect(h.s.cpuBound).toBe(true);
    expect(changes).toEqual([true]);
    h.s.setSignals({ loopUtilization: 0.5 });
    expect(changes).toEqual([true, false]);
  });

  it("never reports backpressure when disabled", () => {
    const h = harness({ ...fixed(1), enabled: false });
    const changes: boolean[] = [];
    h.s.onBacklogChange = (b) => changes.push(b);
    for (const id of ["a", "b", "c", "d"]) h.submit(id, "access");
    expect(changes).toEqual([]);
  });

  it("gives the job its deadline: arrival + the class's budget, or its own", () => {
    const h = harness({ budgetMs: 50, classes: { acct: { budgetMs: 200 } } });
    h.clock.advance(10);
    h.submit("a", "access", { arrivedAt: 8 });
    h.submit("b", "acct", { arrivedAt: 8 });
    h.submit("c", "access", { deadline: 30 });
    expect(h.jobs.get("a")?.run?.deadline).toBe(58);
    expect(h.jobs.get("b")?.run?.deadline).toBe(208);
    expect(h.jobs.get("c")?.run?.deadline).toBe(30);
    expect(h.s.deadlineFor("acct", 8)).toBe(208);
  });

  it("Status-Server bypasses the queue and the limit", () => {
    const h = harness(fixed(1));
    h.submit("a", "access");
    h.submit("b", "access-state");
    expect(h.submit("s", "status")).toBe("started");
    expect(h.s.stats()).toMatchObject({ inFlight: 1, running: 2, queuedTotal: 1 });
  });

  it("sheds with `limit` when there is no queue (a static cap)", () => {
    const h = harness(fixed(1, { maxQueue: 0 }));
    h.submit("a", "access");
    expect(h.submit("b", "access")).toBe("shed");
    expect(h.jobs.get("b")?.shed).toBe("limit");
    expect(h.jobs.get("b")?.run).toBeUndefined();
    expect(h.s.stats().shed.access.limit).toBe(1);
  });

  it("counts stores commands still in flight beyond its own (timed out) against the limit", () => {
    const h = harness(fixed(3));
    h.submit("a", "access");
    h.s.setSignals({ storeInFlight: 3 }); // 2 orphaned commands
    expect(h.s.stats().orphanedStoreCommands).toBe(2);
    expect(h.submit("b", "access")).toBe("queued");
    h.s.setSignals({ storeInFlight: 1 });
    expect(h.started()).toEqual(["a", "b"]);
  });
});

describe("Scheduler: priority and fairness", () => {
  it("serves queued work by class: access-state, access, acct-stop, acct", () => {
    const h = harness(fixed(1));
    h.submit("hold", "access");
    h.submit("acct", "acct");
    h.submit("stop", "acct-stop");
    h.submit("new", "access");
    h.submit("eap", "access-state");
    h.submit("status", "status");
    expect(h.started()).toEqual(["hold", "status"]);
    for (const id of ["hold", "eap", "new", "stop"]) h.finish(id);
    expect(h.started()).toEqual(["hold", "status", "eap", "new", "stop", "acct"]);
  });

  it("gives a lower class its minimum share of dispatches; strict priority would starve it", () => {
    const run = (minShare: number) => {
      const h = harness(fixed(1, { maxQueue: 1000, classes: { acct: { minShare } } }));
      h.submit("hold", "access-state");
      for (let i = 0; i < 100; i++) h.submit(`eap${i}`, "access-state", { client: "a" });
      h.submit("acct", "acct", { client: "b" });
      for (let i = 0; i < 101 && h.jobs.get("acct")?.run === undefined; i++) h.finish(h.running()[0]!);
      return h.started().indexOf("acct");
    };
    expect(run(0.1)).toBeLessThanOrEqual(11); // due after 10 dispatches
    expect(run(0.025)).toBeLessThanOrEqual(41);
    expect(run(0)).toBe(101); // after every access-state request
  });

  it("round-robins between clients within a class, by weight", () => {
    const h = harness(fixed(1), { clientWeights: new Map([["big", 2]]) });
    h.submit("hold", "access", { client: "x" });
    for (let i = 0; i < 6; i++) {
      h.submit(`a${i}`, "access", { client: "a" });
      h.submit(`big${i}`, "access", { client: "big" });
    }
    for (let i = 0; i < 9; i++) h.finish(h.running()[0]!);
    const order = h.started().slice(1).map((id) => id.replace(/\d+$/, ""));
    // a (new flow, one quantum), big (new flow, 2 quanta), then a:big = 1:2.
    expect(order).toEqual(["a", "big", "big", "a", "big", "big", "a", "big", "big"]);
  });

  it("serves a quiet client's request before a backlogged one's (sparse flows first)", () => {
    const h = harness(fixed(1));
    h.submit("hold", "access", { client: "flood" });
    for (let i = 0; i < 20; i++) h.submit(`f${i}`, "access", { client: "flood" });
    h.finish("hold");
    h.finish("f0");
    h.submit("quiet", "access", { client: "quiet" });
    h.finish(h.running()[0]!);
    expect(h.started().slice(-1)).toEqual(["quiet"]);
  });

  it("refuses a weight that is not a positive number", () => {
    const h = harness();
    expect(() => h.s.setClientWeights(new Map([["nas1", 0]]))).toThrow(/client "nas1"/);
    expect(() => h.s.setClientWeights(new Map([["nas1", Number.NaN]]))).toThrow(RangeError);
  });

  it("makes room in a full queue: a lower class is evicted, then the longest client queue", () => {
    const h = harness(fixed(1, { maxQueue: 4 }));
    h.submit("hold", "access");
    h.submit("acct1", "acct", { client: "x" });
    h.submit("acct2", "acct", { client: "x" });
    h.submit("acct3", "acct", { client: "x" });
    h.submit("acct4", "acct", { client: "y" });
    expect(h.submit("new1", "access", { client: "z" })).toBe("queued");
    expect(h.jobs.get("acct1")?.shed).toBe("class_priority"); // the oldest of the longest acct queue
    // Same class: x has 2 queued, y 1. y's next would tie with x: it is refused.
    expect(h.submit("acct5", "acct", { client: "y" })).toBe("shed");
    expect(h.jobs.get("acct5")?.shed).toBe("queue_full");
    // A client with nothing queued makes x give way.
    expect(h.submit("acct6", "acct", { client: "w" })).toBe("queued");
    expect(h.jobs.get("acct2")?.shed).toBe("fair_share");
    // Nothing of lower standing than an acct request from x remains.
    expect(h.submit("acct7", "acct", { client: "x" })).toBe("shed");
    expect(h.s.stats().shed.acct).toMatchObject({ class_priority: 1, fair_share: 1, queue_full: 2 });
    expect(h.s.stats().queuedByClient).toEqual({ x: 1, y: 1, w: 1, z: 1 });
  });
});

describe("Scheduler: full queue in overload mode", () => {
  it("drops the client's own oldest request rather than the newcomer when serving newest first", () => {
    const h = harness(fixed(1, { maxQueue: 3 }));
    h.submit("hold", "access");
    h.submit("q1", "access");
    h.submit("q2", "access");
    h.submit("q3", "access");
    expect(h.submit("q4", "access")).toBe("shed"); // FIFO mode: the newcomer goes
    h.s.setSignals({ loopUtilization: 1 }); // overload mode at once
    expect(h.submit("q5", "access")).toBe("queued");
    expect(h.jobs.get("q1")?.shed).toBe("queue_full");
    expect(h.s.stats().shed.access.queue_full).toBe(2);
  });
});

describe("Scheduler: deadlines", () => {
  /** A scheduler that has learnt a 20 ms service time for `access`. */
  function learnt() {
    const h = harness({ budgetMs: 50, limiter: { initial: 1, min: 1, max: 1 } });
    for (let i = 0; i < 5; i++) {
      h.submit(`l${i}`, "access");
      h.clock.advance(20);
      h.finish(`l${i}`);
    }
    expect(h.s.stats().expectedServiceMs.access).toBeCloseTo(20, 5);
    return h;
  }

  it("does not start a request whose remaining time is below the expected service time", () => {
    const h = learnt();
    const now = h.clock.t;
    expect(h.submit("late", "access", { arrivedAt: now - 35 })).toBe("shed"); // 15 ms left
    expect(h.jobs.get("late")?.shed).toBe("deadline");
    expect(h.jobs.get("late")?.run).toBeUndefined();
    expect(h.submit("ok", "access", { arrivedAt: now - 25 })).toBe("started"); // 25 ms left
  });

  it("asks for the expected service time plus twice its mean deviation (RFC 6298's estimator)", () => {
    const h = harness({ budgetMs: 100, limiter: { initial: 1, min: 1, max: 1 } });
    const serve = (id: string, ms: number) => {
      h.submit(id, "access");
      h.clock.advance(ms);
      h.finish(id);
    };
    // A steady 10 ms: the deviation fades, 12 ms left is enough.
    for (let i = 0; i < 60; i++) serve(`s${i}`, 10);
    expect(h.s.stats().expectedServiceMs.access).toBeCloseTo(10, 1);
    expect(h.submit("steady", "access", { arrivedAt: h.clock.t - 88 })).toBe("started");
    h.finish("steady");
    // The same mean with a wide spread (2 and 18 ms in turn): 15 ms left is about even odds of
    // ending late, and is not started; 40 ms left is.
    for (let i = 0; i < 60; i++) serve(`w${i}`, i % 2 === 0 ? 2 : 18);
    expect(h.s.stats().expectedServiceMs.access).toBeGreaterThan(8);
    expect(h.s.stats().expectedServiceMs.access).toBeLessThan(12);
    expect(h.submit("even-odds", "access", { arrivedAt: h.clock.t - 85 })).toBe("shed");
    expect(h.jobs.get("even-odds")?.shed).toBe("deadline");
    expect(h.s.tooLateToStart(1, h.clock.t - 85)).toBe(true);
    expect(h.submit("ample", "access", { arrivedAt: h.clock.t - 60 })).toBe("started");
    expect(h.s.tooLateToStart(1, h.clock.t - 60)).toBe(false);
  });

  it("tells from the packet code alone whether a datagram is worth verifying", () => {
    const h = learnt(); // access: 20 ms expected; access-state, acct-stop, acct: nothing learnt
    const now = h.clock.t;
    // Access-Request (code 1), 15 ms left: below access's 20, and access-state is judged by it.
    expect(h.s.tooLateToStart(1, now - 35)).toBe(true);
    expect(h.s.tooLateToStart(1, now - 25)).toBe(false); // 25 ms left
    // Accounting-Request (4): nothing learnt, only a passed deadline counts.
    expect(h.s.tooLateToStart(4, now - 45)).toBe(false);
    expect(h.s.tooLateToStart(4, now - 51)).toBe(true);
    // Status-Server (12) does no store work: answered while any of its budget is left.
    expect(h.s.tooLateToStart(12, now - 49)).toBe(false);
    expect(h.s.tooLateToStart(12, now - 50)).toBe(true);
    // Once access-state has learnt a short service time, an Access-Request may carry State.
    h.submit("eap", "access-state");
    h.clock.advance(2);
    h.finish("eap");
    expect(h.s.tooLateToStart(1, h.clock.t - 35)).toBe(false);
    // With the scheduler off nothing is judged.
    h.s.reconfigure(schedulerConfig({ enabled: false, budgetMs: 50 }));
    expect(h.s.tooLateToStart(1, h.clock.t - 49)).toBe(false);
  });

  it("sheds a queued request once it can no longer finish in time, without starting it", () => {
    const h = learnt();
    h.submit("hold", "access");
    h.submit("q", "access");
    h.clock.advance(31); // 19 ms left < 20 expected
    h.s.tick();
    expect(h.jobs.get("q")?.shed).toBe("deadline");
    expect(h.s.stats().queuedTotal).toBe(0);
    h.finish("hold");
    expect(h.jobs.get("q")?.run).toBeUndefined();
  });

  it("checks the deadline again when a queued request's turn comes", () => {
    const h = learnt();
    h.submit("hold", "access");
    h.submit("q", "access");
    h.clock.advance(35);
    h.finish("hold"); // no tick in between
    expect(h.jobs.get("q")?.shed).toBe("deadline");
    expect(h.jobs.get("q")?.run).toBeUndefined();
  });

  it("flags a completion after the deadline as late", () => {
    const h = harness({ budgetMs: 50 });
    h.submit("a", "access");
    h.clock.advance(51);
    h.finish("a");
    expect(h.s.stats().late.access).toBe(1);
    expect(h.clock.t).toBeGreaterThan(h.jobs.get("a")!.run!.deadline);
  });

  it("counts the event-loop delay as time already spent (hidden kernel-buffer wait)", () => {
    const h = harness({ budgetMs: 50 });
    h.s.setSignals({ loopDelayMs: 5 });
    expect(h.submit("s1", "status")).toBe("started");
    h.s.setSignals({ loopDelayMs: 49 });
    expect(h.submit("a", "access", { arrivedAt: h.clock.t - 2 })).toBe("shed");
    expect(h.jobs.get("a")?.shed).toBe("deadline");
    // Truly saturated: even Status-Server cannot be answered within its budget.
    h.s.setSignals({ loopDelayMs: 60 });
    expect(h.submit("s2", "status")).toBe("shed");
    expect(h.s.stats().shed.status.deadline).toBe(1);
  });

  it("keeps Status-Server answered while the queue is full and the limit reached", () => {
    const h = harness(fixed(1, { maxQueue: 2 }));
    for (let i = 0; i < 10; i++) h.submit(`a${i}`, "access");
    for (let i = 0; i < 10; i++) expect(h.submit(`s${i}`, "status")).toBe("started");
  });
});

describe("Scheduler: CoDel and adaptive LIFO", () => {
  it("serves FIFO without a standing queue, newest first with one, and sheds by sojourn", () => {
    const h = harness(fixed(1));
    h.submit("hold", "access");
    h.submit("q1", "access");
    h.submit("q2", "access");
    h.finish("hold");
    expect(h.started()).toEqual(["hold", "q1"]); // no standing queue: FIFO
    // One request every ms for 120 ms while q1 holds the slot: the queue's oldest stays above
    // the 5 ms target for the 100 ms interval.
    for (let t = 1; t <= 120; t++) {
      h.clock.advance(1);
      h.submit(`j${t}`, "access");
    }
    const st = h.s.stats();
    expect(st.standingQueues).toBe(1);
    expect(st.overloaded).toBe(true);
    expect(st.shed.access.sojourn).toBeGreaterThan(50);
    expect(h.jobs.get("q2")?.shed).toBe("sojourn");
    h.finish("q1");
    expect(h.started().slice(-1)).toEqual(["j120"]); // newest first
    expect(h.jobs.get("j120")?.run?.sojournMs).toBe(0);
    h.finish("j120");
    expect(h.started().slice(-1)).toEqual(["j119"]);
    // Nothing waited longer than the target, and nothing is shed any more once the queue drains.
    for (const id of h.started().slice(2)) expect(h.jobs.get(id)!.run!.sojournMs).toBeLessThanOrEqual(5);
    while (h.running().length > 0) h.finish(h.running()[0]!);
    expect(h.s.stats().queuedTotal).toBe(0);
    const shedBefore = h.s.stats().shed.access.sojourn;
    // A whole interval without sojourn sheds ends the overload state: FIFO again.
    h.clock.advance(200);
    h.submit("hold2", "access");
    h.submit("r1", "access");
    h.submit("r2", "access");
    h.s.tick();
    expect(h.s.stats().standingQueues).toBe(0);
    h.finish("hold2");
    expect(h.started().slice(-1)).toEqual(["r1"]);
    expect(h.s.stats().shed.access.sojourn).toBe(shedBefore);
  });

  it("a saturated event loop means overload at once: newest first, sojourn capped", () => {
    const h = harness(fixed(1));
    h.submit("hold", "access");
    h.submit("q1", "access");
    h.clock.advance(1);
    h.submit("q2", "access");
    h.s.setSignals({ loopUtilization: 0.99, loopDelayMs: 1 });
    expect(h.s.stats()).toMatchObject({ loopSaturated: true, overloaded: true, standingQueues: 0 });
    h.finish("hold");
    expect(h.started()).toEqual(["hold", "q2"]);
    h.clock.advance(6);
    h.s.tick();
    expect(h.jobs.get("q1")?.shed).toBe("sojourn");
    h.s.setSignals({ loopUtilization: 0.5 });
    expect(h.s.stats().loopSaturated).toBe(false);
    h.s.setSignals({ loopDelayMs: 25 });
    expect(h.s.stats().loopSaturated).toBe(false); // the default threshold is 25 ms
    h.s.setSignals({ loopDelayMs: 26 });
    expect(h.s.stats().loopSaturated).toBe(true);
  });

  it("with kernel arrival stamps a saturated loop leaves the queues alone: oldest first, shed only by deadline", () => {
    const h = harness(fixed(1, { budgetMs: 50 }));
    h.s.setKernelStampedArrivals(true);
    h.submit("hold", "access");
    h.submit("q1", "access");
    h.clock.advance(1);
    h.submit("q2", "access");
    h.s.setSignals({ loopUtilization: 0.99, loopDelayMs: 30 });
    expect(h.s.stats()).toMatchObject({ loopSaturated: true, standingQueues: 0 });
    h.clock.advance(20); // far past the 5 ms CoDel target, well within the 50 ms budget
    h.s.tick();
    h.finish("hold");
    expect(h.started()).toEqual(["hold", "q1"]);
    expect(h.jobs.get("q2")?.shed).toBeUndefined();
    h.clock.advance(40); // q2 (arrived at 1) is now past its deadline
    h.s.tick();
    expect(h.jobs.get("q2")?.shed).toBe("deadline");
    expect(h.s.stats().shed.access.sojourn).toBe(0);
  });
});

describe("Scheduler: modes, failures and housekeeping", () => {
  it("disabled: starts everything at once, over the limit and past the deadline; sheds nothing", () => {
    const h = harness({ enabled: false, budgetMs: 50, limiter: { initial: 1, min: 1, max: 1 }, maxQueue: 0 });
    for (let i = 0; i < 10; i++) expect(h.submit(`a${i}`, "acct")).toBe("started");
    expect(h.submit("old", "access", { arrivedAt: h.clock.t - 500 })).toBe("started");
    h.s.setSignals({ loopDelayMs: 100 });
    expect(h.submit("s", "status")).toBe("started");
    h.finish("old");
    const st = h.s.stats();
    expect(st.enabled).toBe(false);
    expect(st.inFlight).toBe(10);
    expect(st.late.access).toBe(1); // the result check remains
    for (const c of Object.values(st.shed)) for (const r of SHED_REASONS) expect(c[r]).toBe(0);
  });

  it("survives callbacks that throw, and frees the slot of a start that throws or rejects", async () => {
    const errors: string[] = [];
    const clock = { t: 0 };
    const s = new Scheduler(schedulerConfig({ enabled: true, ...fixed(1) }), { clock: () => clock.t, onCallbackError: (_e, where) => errors.push(where) });
    const throwing: Job = {
      class: "access",
      client: "a",
      arrivedAt: 0,
      start() {
        throw new Error("boom");
      },
      shed() {
        throw new Error("boom");
      },
    };
    expect(s.submit(throwing)).toBe("started");
    expect(s.stats()).toMatchObject({ inFlight: 0, callbackErrors: 1 });
    expect(s.stats().failed.access).toBe(1);
    const rejecting: Job = { ...throwing, start: () => Promise.reject(new Error("no")) };
    s.submit(rejecting);
    s.submit({ ...throwing, class: "acct" }); // queued behind the rejecting one
    s.close(); // sheds the queued one: its shed throws too
    expect(errors).toEqual(["start", "shed"]);
    await new Promise((r) => setImmediate(r));
    const st = s.stats();
    expect(st.inFlight).toBe(0);
    expect(st.failed.access).toBe(2);
    expect(st.expectedServiceMs.access).toBe(0); // failures feed no sample
  });

  it("works with real promises", async () => {
    const h = harness(fixed(1));
    const order: string[] = [];
    let release!: () => void;
    const job = (id: string, p: () => Promise<void>): Job => ({ class: "access", client: "a", arrivedAt: 0, start: () => (order.push(id), p()), shed: () => order.push(`shed ${id}`) });
    h.s.submit(job("a", () => new Promise<void>((r) => (release = r))));
    h.s.submit(job("b", () => Promise.resolve()));
    expect(order).toEqual(["a"]);
    release();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(["a", "b"]);
    expect(h.s.stats()).toMatchObject({ inFlight: 0, running: 0 });
  });

  it("a report with sample: false feeds neither the limiter nor the service estimate", () => {
    const h = harness({ budgetMs: 50 });
    h.submit("a", "access");
    h.clock.advance(10);
    h.finish("a", { sample: false });
    expect(h.s.stats().expectedServiceMs.access).toBe(0);
    h.submit("b", "access");
    h.clock.advance(10);
    h.finish("b", { rttMs: 2 });
    expect(h.s.stats().expectedServiceMs.access).toBe(10);
  });

  it("releases the slot of a request that never ends (leak guard)", () => {
    const h = harness(fixed(1), { tuning: { leakAfterMs: 500 } });
    h.submit("stuck", "access");
    h.clock.advance(501);
    expect(h.submit("next", "access")).toBe("queued");
    h.s.tick();
    expect(h.s.stats().abandoned.access).toBe(1);
    expect(h.started()).toEqual(["stuck", "next"]);
    h.finish("stuck"); // its late end changes nothing
    expect(h.s.stats()).toMatchObject({ inFlight: 1 });
    expect(h.s.stats().completed.access).toBe(0);
  });

  it("close sheds what waits (shutdown) and whatever comes after; the timer is injected", () => {
    const intervals: { fn: () => void; ms: number }[] = [];
    let cleared = 0;
    const timers = { setInterval: (fn: () => void, ms: number) => (intervals.push({ fn, ms }), intervals.length), clearInterval: () => void cleared++ };
    const h = harness(fixed(1), { timers, tickMs: 5 });
    expect(intervals).toHaveLength(1);
    expect(intervals[0]!.ms).toBe(5);
    h.submit("a", "access");
    h.submit("b", "access");
    h.clock.advance(2000);
    intervals[0]!.fn(); // a tick: b is shed (budget 1000 ms)
    expect(h.jobs.get("b")?.shed).toBe("deadline");
    h.submit("c", "access");
    h.s.close();
    expect(cleared).toBe(1);
    expect(h.jobs.get("c")?.shed).toBe("shutdown");
    expect(h.submit("d", "status")).toBe("shed");
    h.finish("a");
    expect(h.s.stats().completed.access).toBe(1);
  });

  it("reports sojourn percentiles over its window and queue lengths by client", () => {
    const h = harness(fixed(1), { tuning: { sojournWindowMs: 1000 } });
    h.submit("hold", "access", { client: "a" });
    for (let i = 1; i <= 100; i++) h.submit(`q${i}`, "access", { client: i % 2 ? "a" : "b" });
    expect(h.s.stats().queuedByClient).toEqual({ a: 50, b: 50 });
    for (let i = 1; i <= 100; i++) {
      h.clock.advance(0.04); // one ms every 25 starts: stays below the CoDel target
      h.finish(h.running()[0]!);
    }
    const so = h.s.stats().sojournMs;
    expect(so.count).toBe(101);
    expect(so.p50).toBeCloseTo(2, 5);
    expect(so.p99).toBeCloseTo(3.96, 5);
    expect(so.max).toBeCloseTo(4, 5);
    h.clock.advance(2000);
    expect(h.s.stats().sojournMs.count).toBe(0);
  });
});

describe("Scheduler: live reconfiguration", () => {
  it("gives new requests the new budget; queued and running ones keep the deadline they were given", () => {
    const h = harness(fixed(1, { budgetMs: 100 }));
    h.submit("a", "access");
    h.submit("b", "access");
    expect(h.jobs.get("a")?.run?.deadline).toBe(100);
    h.s.reconfigure(schedulerConfig({ enabled: true, ...fixed(1, { budgetMs: 300 }) }));
    h.submit("c", "access");
    h.clock.advance(10);
    h.finish("a");
    h.finish("b");
    h.finish("c");
    expect(h.jobs.get("b")?.run?.deadline).toBe(100);
    expect(h.jobs.get("c")?.run?.deadline).toBe(300);
    expect(h.s.deadlineFor("access", 0)).toBe(300);
  });

  it("clamps the current limit into new limiter bounds and keeps its counters", () => {
    const h = harness({ budgetMs: 1000, limiter: { initial: 20, min: 10, max: 40 } });
    h.submit("a", "access");
    h.finish("a");
    h.s.reconfigure(schedulerConfig({ enabled: true, budgetMs: 1000, limiter: { initial: 4, min: 2, max: 5 } }));
    expect(h.s.limit).toBe(5);
    expect(h.s.stats().completed.access).toBe(1);
    h.s.reconfigure(schedulerConfig({ enabled: true, budgetMs: 1000, limiter: { initial: 60, min: 50, max: 80 } }));
    expect(h.s.limit).toBe(50);
  });

  it("turned off, starts what was queued (by class) and every new request at once; turned on, queues again", () => {
    const h = harness(fixed(1));
    const changes: boolean[] = [];
    h.s.onBacklogChange = (b) => changes.push(b);
    h.s.setSignals({ loopUtilization: 1 });
    h.submit("a", "access");
    h.submit("b", "acct");
    h.submit("c", "access-state");
    expect(changes).toEqual([true]);
    h.s.reconfigure(schedulerConfig({ ...fixed(1), enabled: false }));
    expect(h.s.enabled).toBe(false);
    expect(changes).toEqual([true, false]);
    expect(h.started()).toEqual(["a", "c", "b"]);
    expect(h.submit("d", "access")).toBe("started");
    for (const id of ["a", "b", "c", "d"]) h.finish(id);
    h.s.reconfigure(schedulerConfig({ ...fixed(1), enabled: true }));
    expect(h.submit("e", "access")).toBe("started");
    expect(h.submit("f", "access")).toBe("queued");
    expect(h.s.stats().shed.access).toMatchObject({ deadline: 0, queue_full: 0 });
  });
});
