import { describe, it, expect } from "@jest/globals";
import { KernelQueueSizer, kernelQueueSettings, type KernelQueueSettings } from "../../src/admit/kernel-queue.js";

const ON: KernelQueueSettings = { enabled: true, targetWaitMs: 15, minBytes: 16_384 };
const MAX = 262_144;

/** A kernel drop counter per queue, raised by hand. */
function drops(n: number): { of: (q: number) => number; add: (q: number, k?: number) => void } {
  const d = new Array<number>(n).fill(0);
  return { of: (q) => d[q]!, add: (q, k = 10) => void (d[q]! += k) };
}

describe("KernelQueueSizer", () => {
  it("cuts an overflowing queue whose datagrams wait past the target, once per drain, down to minBytes", () => {
    const s = new KernelQueueSizer(2, MAX, ON);
    const d = drops(2);
    s.endWindow(0, d.of); // first window: the drop counters' starting points
    let now = 10;
    // Queue 0 overflows; its oldest datagram read waited 40 ms, arriving before any cut.
    s.onRead(0, 16, 40, now);
    d.add(0);
    expect(s.endWindow(now, d.of)).toEqual([[0, Math.floor(MAX * 0.7)]]);
    // The next windows still read what arrived before the cut: no second cut yet.
    now += 10;
    s.onRead(0, 16, 40, now);
    d.add(0);
    expect(s.endWindow(now, d.of)).toEqual([]);
    // Datagrams that arrived after the cut, still waiting too long: cut again.
    now += 50;
    s.onRead(0, 16, 30, now);
    d.add(0);
    expect(s.endWindow(now, d.of)).toEqual([[0, Math.floor(Math.floor(MAX * 0.7) * 0.7)]]);
    for (let i = 0; i < 40; i++) {
      now += 100;
      s.onRead(0, 16, 30, now);
      d.add(0);
      s.endWindow(now, d.of);
    }
    expect(s.bytes(0)).toBe(16_384);
    expect(s.bytes(1)).toBe(MAX);
    expect(s.stats().cuts).toBeGreaterThan(2);
  });

  it("does not cut while the process has idle time (a stall, not a saturated core), and grows back meanwhile", () => {
    const s = new KernelQueueSizer(1, MAX, ON);
    const d = drops(1);
    s.endWindow(0, d.of);
    s.onRead(0, 16, 40, 10);
    d.add(0);
    expect(s.endWindow(10, d.of, true)).toEqual([[0, Math.floor(MAX * 0.7)]]);
    let now = 100;
    for (let i = 0; i < 20; i++, now += 10) {
      // Overflowing, waiting past the target: cut were the core saturated, but it is not.
      s.onRead(0, 16, 40, now);
      d.add(0);
      s.endWindow(now, d.of, false);
    }
    expect(s.bytes(0)).toBe(Math.floor(MAX * 0.7));
    for (let i = 0; i < 10; i++, now += 10) {
      s.onRead(0, 4, 1, now);
      s.endWindow(now, d.of, false);
    }
    expect(s.bytes(0)).toBe(MAX);
    expect(s.stats().cuts).toBe(1);
  });

  it("does not cut a queue that did not overflow, however long its datagrams waited (a light NAS in long turns)", () => {
    const s = new KernelQueueSizer(1, MAX, ON);
    const d = drops(1);
    for (let now = 0; now < 1000; now += 10) {
      s.onRead(0, 16, 45, now);
      expect(s.endWindow(now, d.of)).toEqual([]);
    }
    expect(s.bytes(0)).toBe(MAX);
  });

  it("does not cut a queue that overflowed while its datagrams waited less than the target", () => {
    const s = new KernelQueueSizer(1, MAX, ON);
    const d = drops(1);
    s.endWindow(0, d.of);
    for (let now = 10; now < 500; now += 10) {
      s.onRead(0, 16, 12, now);
      d.add(0);
      expect(s.endWindow(now, d.of)).toEqual([]);
    }
  });

  it("grows a cut buffer back, 25 % a window, while its datagrams wait less than half the target", () => {
    const s = new KernelQueueSizer(1, MAX, ON);
    const d = drops(1);
    s.endWindow(0, d.of);
    let now = 0;
    for (let i = 0; i < 30; i++) {
      now += 100;
      s.onRead(0, 16, 40, now);
      d.add(0);
      s.endWindow(now, d.of);
    }
    expect(s.bytes(0)).toBe(16_384);
    const sizes: number[] = [];
    for (let i = 0; i < 20; i++) {
      now += 10;
      s.onRead(0, 3, 2, now);
      s.endWindow(now, d.of);
      sizes.push(s.bytes(0));
    }
    expect(sizes[0]).toBe(Math.ceil(16_384 * 1.25));
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]!).toBeGreaterThanOrEqual(sizes[i - 1]!);
    expect(sizes[sizes.length - 1]).toBe(MAX); // never above the configured size
    // A window without reads (the queue empty or held back) changes nothing.
    s.endWindow(now + 10, d.of);
    expect(s.bytes(0)).toBe(MAX);
  });

  it("restores the configured size when disabled, and is off whenever the scheduler is", () => {
    const s = new KernelQueueSizer(1, MAX, ON);
    const d = drops(1);
    s.endWindow(0, d.of);
    s.onRead(0, 16, 40, 10);
    d.add(0);
    s.endWindow(10, d.of);
    expect(s.bytes(0)).toBeLessThan(MAX);
    s.reconfigure({ ...ON, enabled: false });
    expect(s.endWindow(20, d.of)).toEqual([[0, MAX]]);
    expect(kernelQueueSettings({ enabled: false, budgetMs: 50, kernelQueue: ON }).enabled).toBe(false);
    // The target defaults to 30 % of the budget.
    expect(kernelQueueSettings({ enabled: true, budgetMs: 100, kernelQueue: { enabled: true, minBytes: 16_384 } })).toEqual({ enabled: true, targetWaitMs: 30, minBytes: 16_384 });
  });

  it("rejects bad sizes", () => {
    expect(() => new KernelQueueSizer(0, MAX)).toThrow(/queues/);
    expect(() => new KernelQueueSizer(1, 0)).toThrow(/maxBytes/);
  });
});
