import { describe, it, expect } from "@jest/globals";
import fc from "fast-check";
import { GradientLimiter, median, type LimiterOptions } from "../../src/admit/limiter.js";

const opts: LimiterOptions = { initial: 10, min: 2, max: 100, tolerance: 2, rttSlackMs: 0, windowMs: 10, minSamples: 4, cleanSamples: 4 };

/** `n` round trips of `rtt` ms completing at `now`. */
function feed(l: GradientLimiter, now: number, rtt: number, n: number, inFlight: number, o: { frozen?: boolean; atStart?: number } = {}): void {
  for (let i = 0; i < n; i++) l.sample(rtt, now, inFlight, o.frozen ?? false, o.atStart ?? inFlight);
}

/** A limiter that measured a 1 ms no-load round trip at t=0 (its first window closes at t=0, unchanged). */
function calibrated(o: Partial<LimiterOptions> = {}): GradientLimiter {
  const l = new GradientLimiter({ ...opts, ...o });
  const limit = l.limit;
  feed(l, -10, 1, 4, 1, { atStart: 1 });
  l.update(0, 1, false);
  expect(l.baselineMs(0)).toBe(1);
  expect(l.windows).toBe(1);
  expect(l.limit).toBe(limit);
  return l;
}

describe("GradientLimiter", () => {
  it("grows while the round trip stays near the minimum and the limit is used", () => {
    const l = calibrated();
    const seen = [l.limit];
    for (let w = 1; w <= 25; w++) {
      feed(l, w * 10, 1.5, 4, l.limit);
      seen.push(l.limit);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(seen[1]!).toBeGreaterThan(seen[0]!);
    expect(l.limit).toBe(100); // bounded by max
    expect(l.last?.gradient).toBe(1);
  });

  it("shrinks in proportion when the round trip inflates, down to min", () => {
    const l = calibrated({ initial: 80 });
    feed(l, 10, 3, 4, 80); // 3 ms against a 2 ms threshold: gradient 2/3
    expect(l.limit).toBe(53);
    expect(l.last?.gradient).toBeCloseTo(2 / 3, 5);
    feed(l, 20, 20, 4, 53); // 10x inflation: at most halved per window
    expect(l.limit).toBe(26);
    for (let w = 3; w < 12; w++) feed(l, w * 10, 20, 4, l.limit);
    expect(l.limit).toBe(2);
  });

  it("does not grow when the limit is not used (app-limited) or the loop is saturated", () => {
    const l = calibrated();
    for (let w = 1; w <= 5; w++) feed(l, w * 10, 1, 4, 3); // 3 in flight, limit 10
    expect(l.limit).toBe(10);
    for (let w = 6; w <= 10; w++) feed(l, w * 10, 1, 4, 10, { frozen: true });
    expect(l.limit).toBe(10);
    feed(l, 110, 4, 4, 10, { frozen: true }); // shrinking still works when frozen
    expect(l.limit).toBe(5);
  });

  it("takes the median: a pause that slows a few round trips is not congestion", () => {
    const l = calibrated();
    l.sample(1, 10, 10, false, 10);
    l.sample(1, 10, 10, false, 10);
    l.sample(1, 10, 10, false, 10);
    l.sample(50, 10, 10, false, 10);
    l.sample(50, 10, 10, false, 10);
    expect(l.last?.rttMs).toBe(1);
    expect(l.limit).toBeGreaterThanOrEqual(10);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("waits for a full window with enough samples", () => {
    const l = calibrated();
    feed(l, 5, 10, 10, 10); // window not over yet
    expect(l.limit).toBe(10);
    expect(l.windows).toBe(1);
    feed(l, 10, 10, 1, 10);
    expect(l.windows).toBe(2);
    expect(l.limit).toBe(5);
  });

  it("probes for the no-load round trip when a sustained load hides it", () => {
    const l = new GradientLimiter({ ...opts, initial: 40, probeEveryMs: 100, baselineHorizonMs: 1000 });
    // Loaded from the start: no clean sample, the minimum window median (4 ms) stands in.
    feed(l, 0, 4, 4, 40);
    feed(l, 10, 4, 4, 40);
    expect(l.baselineMs(10)).toBe(4);
    expect(l.probing).toBe(true); // never measured clean: probe at the first window
    expect(l.limit).toBe(2);
    // Round trips of requests started before the probe are loaded: they do not end it.
    feed(l, 12, 4, 10, 30, { atStart: 40 });
    expect(l.probing).toBe(true);
    // Requests started with at most `min` in flight measure the store unloaded: 1 ms.
    feed(l, 15, 1, 4, 2, { atStart: 2 });
    expect(l.probing).toBe(false);
    expect(l.baselineMs(15)).toBe(1);
    expect(l.limit).toBe(46); // the limit before the probe comes back (40 grew once: 4 ms was the best known)
    expect(l.probes).toBe(1);
    // With the real baseline the loaded round trip now reads as congestion.
    feed(l, 30, 4, 4, 46);
    expect(l.limit).toBe(23);
    // No new probe before probeEveryMs since the last clean measurement.
    for (let t = 40; t < 110; t += 10) feed(l, t, 1.5, 4, l.limit);
    expect(l.probes).toBe(1);
    feed(l, 120, 1.5, 4, l.limit);
    expect(l.probes).toBe(2);
  });

  it("gives up a probe that gets no samples and forgets old baselines", () => {
    const l = new GradientLimiter({ ...opts, probeEveryMs: 100, probeTimeoutMs: 20, baselineHorizonMs: 160 });
    feed(l, -10, 1, 4, 1, { atStart: 1 });
    l.update(0, 1, false);
    for (let t = 10; t < 90; t += 10) feed(l, t, 1.8, 4, 10);
    expect(l.probing).toBe(false);
    feed(l, 90, 1.8, 4, 10); // 100 ms since the last clean measurement (t=-10)
    expect(l.probing).toBe(true);
    l.update(109, 10, false);
    expect(l.probing).toBe(true);
    l.update(110, 10, false);
    expect(l.probing).toBe(false);
    // The store got permanently slower: 3 ms unloaded. Once the 1 ms measurement is older than
    // the horizon, the baseline follows.
    feed(l, 130, 3, 4, 1, { atStart: 1 });
    expect(l.baselineMs(130)).toBe(1);
    expect(l.baselineMs(200)).toBe(3);
  });

  it("computes the median by selection, equal to sorting", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.double({ min: 0, max: 100, noNaN: true })), { minLength: 1, maxLength: 60 }), (xs) => {
        const s = [...xs].sort((a, b) => a - b);
        const n = s.length;
        const want = n % 2 ? s[n >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
        expect(median([...xs])).toBe(want);
        expect(median(Float64Array.from(xs))).toBe(want);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it("refuses bounds that cannot work", () => {
    expect(() => new GradientLimiter({ ...opts, min: 5, max: 4 })).toThrow(RangeError);
    expect(() => new GradientLimiter({ ...opts, min: 0 })).toThrow(RangeError);
    expect(new GradientLimiter({ ...opts, initial: 1000 }).limit).toBe(100);
  });
});
