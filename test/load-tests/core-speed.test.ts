// The benchmarks' core speed figures: what the probe prints, full speed, and a run's speed.
import { describe, expect, it } from "@jest/globals";
import { fmtSpeeds, fullSpeed, parseSpeedSamples, speedIn, type SpeedSample } from "../../load-tests/lib/core-speed.js";

/** One sample every 100 ms from t = 0, at the given rates. */
function series(rates: number[]): SpeedSample[] {
  return rates.map((rate, i) => ({ t: (i + 1) * 100, rate }));
}

describe("parseSpeedSamples", () => {
  it("reads '<unix ms> <best> [<mean>]' lines, takes the best slice's rate and skips anything else", () => {
    const text = "1795978371562 642 600\nnot a sample\n1795978371663 643.5\n\n1795978371763 x\n";
    expect(parseSpeedSamples(text)).toEqual([
      { t: 1795978371562, rate: 642 },
      { t: 1795978371663, rate: 643.5 },
    ]);
  });
});

describe("fullSpeed", () => {
  it("is NaN until a span holds enough samples", () => {
    expect(fullSpeed(series([600, 600, 600]), 3000, 10)).toBeNaN();
  });

  it("is the best span's median, so that one fast sample does not set it", () => {
    // 30 samples at 400 (a slowed stretch) with one outlier, then 30 at 600.
    const rates = [...Array.from({ length: 30 }, (_, i) => (i === 5 ? 2000 : 400)), ...Array.from({ length: 30 }, () => 600)];
    expect(fullSpeed(series(rates), 3000, 10)).toBe(600);
  });

  it("stays at the full speed seen earlier when the core slows down later", () => {
    const rates = [...Array.from({ length: 40 }, () => 600), ...Array.from({ length: 40 }, () => 390)];
    expect(fullSpeed(series(rates), 3000, 10)).toBe(600);
  });
});

describe("speedIn", () => {
  const rates = [...Array.from({ length: 50 }, () => 600), ...Array.from({ length: 50 }, () => 390)];
  const s = series(rates);

  it("is the window's lower quartile over full speed", () => {
    expect(speedIn(s, 100, 5000, 600)).toBe(1);
    expect(speedIn(s, 5100, 10000, 600)).toBeCloseTo(0.65, 5);
    // A third of the window slowed: the quartile falls on the slowed side.
    expect(speedIn(s, 3500, 7000, 600)).toBeCloseTo(0.65, 5);
    // A tenth of it slowed: not enough to count.
    expect(speedIn(s, 500, 5500, 600)).toBe(1);
  });

  it("is NaN without samples in the window or without a full speed", () => {
    expect(speedIn(s, 20000, 30000, 600)).toBeNaN();
    expect(speedIn(s, 100, 5000, NaN)).toBeNaN();
  });
});

describe("fmtSpeeds", () => {
  it("names each core with its speed in percent, ? when unknown", () => {
    expect(fmtSpeeds([0, 1], [0.654, NaN])).toBe("core 0 65 %, core 1 ?");
  });
});
