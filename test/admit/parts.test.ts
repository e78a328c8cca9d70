// The scheduler's parts alone: the service-time estimator, the sojourn window, CoDel's standing
// state, the running list and the choice of a victim in a full queue.
import { describe, it, expect } from "@jest/globals";
import { ServiceTimeEstimator } from "../../src/admit/service-time.js";
import { SojournWindow, nearestRank } from "../../src/admit/sojourn-window.js";
import { shedBySojourn, updateStanding, type CoDelState } from "../../src/admit/codel.js";
import { RunningList } from "../../src/admit/running-list.js";
import { ranksOfCode, classRank, REQUEST_CLASSES } from "../../src/admit/classes.js";
import { Code } from "../../src/radius/codes.js";

describe("ServiceTimeEstimator", () => {
  it("starts from the first sample, with half of it as the deviation", () => {
    const e = new ServiceTimeEstimator(5, 0.1, 2);
    expect(e.known(2)).toBe(false);
    expect(e.expectedMs(2)).toBe(0);
    expect(e.admissionMs(2)).toBe(0);
    e.record(2, 10);
    expect(e.known(2)).toBe(true);
    expect(e.known(1)).toBe(false);
    expect(e.expectedMs(2)).toBe(10);
    expect(e.admissionMs(2)).toBe(10 + 2 * 5);
  });

  it("smooths the mean and the mean deviation as RFC 6298 does (deviation updated from the old mean)", () => {
    const e = new ServiceTimeEstimator(1, 0.25, 4);
    e.record(0, 8); // mean 8, dev 4
    e.record(0, 16); // dev = 4 + 0.25 (|16 - 8| - 4) = 5; mean = 8 + 0.25 * 8 = 10
    expect(e.expectedMs(0)).toBe(10);
    expect(e.admissionMs(0)).toBe(10 + 4 * 5);
    e.record(0, 10); // dev = 5 + 0.25 (0 - 5) = 3.75; mean 10
    expect(e.expectedMs(0)).toBe(10);
    expect(e.admissionMs(0)).toBe(10 + 4 * 3.75);
  });

  it("converges on a steady service time and its deviation fades", () => {
    const e = new ServiceTimeEstimator(1, 0.1, 2);
    e.record(0, 100);
    for (let i = 0; i < 200; i++) e.record(0, 4);
    expect(e.expectedMs(0)).toBeCloseTo(4, 3);
    expect(e.admissionMs(0) - e.expectedMs(0)).toBeLessThan(0.01);
  });

  it("with 0 deviations admits on the mean alone", () => {
    const e = new ServiceTimeEstimator(1, 0.5, 0);
    e.record(0, 2);
    e.record(0, 6);
    expect(e.admissionMs(0)).toBe(e.expectedMs(0));
    expect(e.expectedMs(0)).toBe(4);
  });
});

describe("SojournWindow", () => {
  it("reports nothing while empty", () => {
    expect(new SojournWindow(8, 100).summary(0)).toEqual({ count: 0, p50: 0, p99: 0, max: 0, windowMs: 100 });
  });

  it("gives nearest-rank percentiles of the samples in the window", () => {
    const w = new SojournWindow(1000, 1000);
    for (let i = 1; i <= 100; i++) w.record(i, i);
    expect(w.summary(100)).toEqual({ count: 100, p50: 50, p99: 99, max: 100, windowMs: 1000 });
  });

  it("forgets samples older than the window", () => {
    const w = new SojournWindow(16, 10);
    w.record(0, 500);
    w.record(5, 1);
    w.record(20, 3);
    expect(w.summary(12)).toMatchObject({ count: 2, max: 3 });
    expect(w.summary(25)).toMatchObject({ count: 1, p50: 3, max: 3 });
  });

  it("keeps only the last maxSamples samples (a ring)", () => {
    const w = new SojournWindow(4, 1000);
    for (let i = 1; i <= 10; i++) w.record(i, i * 10);
    expect(w.summary(10)).toMatchObject({ count: 4, p50: 80, max: 100 });
  });

  it("with no room keeps nothing", () => {
    const w = new SojournWindow(0, 1000);
    w.record(1, 5);
    expect(w.summary(1).count).toBe(0);
  });

  it("nearestRank picks the ceil(p n)-th value", () => {
    expect(nearestRank([1, 2, 3, 4], 0.5)).toBe(2);
    expect(nearestRank([1, 2, 3, 4], 0.51)).toBe(3);
    expect(nearestRank([7], 0)).toBe(7);
    expect(nearestRank([], 0.5)).toBe(0);
  });
});

describe("CoDel", () => {
  const c = { targetMs: 5, intervalMs: 100 };
  const fresh = (): CoDelState => ({ aboveSince: undefined, standing: false, lastShedAt: 0 });

  it("a queue becomes standing once its head stayed above the target for a whole interval", () => {
    const q = fresh();
    updateStanding(q, 0, 5, c); // at the target: not above
    expect(q.aboveSince).toBeUndefined();
    updateStanding(q, 0, 6, c);
    expect(q.aboveSince).toBe(5); // above since arrival + target
    updateStanding(q, 0, 104, c);
    expect(q.standing).toBe(false);
    updateStanding(q, 0, 105, c);
    expect(q.standing).toBe(true);
    expect(q.lastShedAt).toBe(105);
  });

  it("a head back under the target resets the count", () => {
    const q = fresh();
    updateStanding(q, 0, 50, c);
    updateStanding(q, 48, 52, c); // new head waited 4 ms
    expect(q.aboveSince).toBeUndefined();
    updateStanding(q, 48, 140, c);
    expect(q.standing).toBe(false);
    updateStanding(q, 48, 153, c);
    expect(q.standing).toBe(true);
  });

  it("an empty queue does not become standing, however long ago its last head went above", () => {
    const q = fresh();
    updateStanding(q, 0, 50, c);
    updateStanding(q, undefined, 500, c);
    expect(q.standing).toBe(false);
    updateStanding(q, 0, 500, c); // the same head at the same time would have
    expect(q.standing).toBe(true);
  });

  it("stays standing until an interval passes without a sojourn shed, then leaves", () => {
    const q: CoDelState = { aboveSince: 0, standing: true, lastShedAt: 100 };
    expect(shedBySojourn(q, true, 150, 160, c)).toBe(true);
    expect(q.lastShedAt).toBe(160);
    updateStanding(q, 200, 259, c);
    expect(q.standing).toBe(true);
    updateStanding(q, 258, 260, c); // an interval since the last shed, head fresh
    expect(q.standing).toBe(false);
    expect(q.aboveSince).toBeUndefined();
  });

  it("sheds by sojourn only in overload mode and only past the target", () => {
    const q = fresh();
    expect(shedBySojourn(q, false, 0, 50, c)).toBe(false);
    expect(shedBySojourn(q, true, 0, 5, c)).toBe(false);
    expect(q.lastShedAt).toBe(0);
    expect(shedBySojourn(q, true, 0, 6, c)).toBe(true);
    expect(q.lastShedAt).toBe(6);
  });
});

describe("RunningList", () => {
  interface Node {
    id: number;
    prev: Node | undefined;
    next: Node | undefined;
  }
  const node = (id: number): Node => ({ id, prev: undefined, next: undefined });
  const ids = (l: RunningList<Node>): number[] => {
    const out: number[] = [];
    for (let n = l.head; n; n = n.next) out.push(n.id);
    return out;
  };

  it("keeps start order through removals at the head, the middle and the tail", () => {
    const l = new RunningList<Node>();
    const n = [1, 2, 3, 4, 5].map(node);
    for (const x of n) l.add(x);
    expect(ids(l)).toEqual([1, 2, 3, 4, 5]);
    l.remove(n[2]!);
    l.remove(n[0]!);
    l.remove(n[4]!);
    expect(ids(l)).toEqual([2, 4]);
    expect(l.size).toBe(2);
    expect(l.tail?.id).toBe(4);
    l.add(n[0]!);
    expect(ids(l)).toEqual([2, 4, 1]);
    for (const x of [n[1]!, n[3]!, n[0]!]) l.remove(x);
    expect(l.size).toBe(0);
    expect(l.head).toBeUndefined();
    expect(l.tail).toBeUndefined();
  });
});

describe("ranksOfCode: the classes a packet code allows", () => {
  it("agrees with classify", () => {
    expect(ranksOfCode(Code.StatusServer)).toEqual([classRank("status")]);
    expect(ranksOfCode(Code.AccessRequest)).toEqual([classRank("access-state"), classRank("access")]);
    expect(ranksOfCode(Code.AccountingRequest)).toEqual([classRank("acct-stop"), classRank("acct")]);
    for (const code of [0, 2, 11, 40, 43, 255, 256, -1]) expect(ranksOfCode(code)).toEqual([REQUEST_CLASSES.length - 1]);
  });
});
