// Queue sojourn of started requests over a sliding time window: a fixed ring of (time, value)
// samples, summarised as percentiles on demand (stats and metrics, not the hot path).

export interface SojournSummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  windowMs: number;
}

export class SojournWindow {
  private readonly at: Float64Array;
  private readonly val: Float64Array;
  private pos = 0;
  private count = 0;

  /** Keeps the last `maxSamples` samples; `summary` counts those of the last `windowMs`. */
  constructor(
    maxSamples: number,
    private readonly windowMs: number,
  ) {
    this.at = new Float64Array(maxSamples);
    this.val = new Float64Array(maxSamples);
  }

  record(now: number, ms: number): void {
    const n = this.at.length;
    if (n === 0) return;
    this.at[this.pos] = now;
    this.val[this.pos] = ms;
    this.pos = (this.pos + 1) % n;
    if (this.count < n) this.count++;
  }

  summary(now: number): SojournSummary {
    const since = now - this.windowMs;
    const vals: number[] = [];
    for (let i = 0; i < this.count; i++) if ((this.at[i] as number) >= since) vals.push(this.val[i] as number);
    vals.sort((a, b) => a - b);
    return {
      count: vals.length,
      p50: nearestRank(vals, 0.5),
      p99: nearestRank(vals, 0.99),
      max: vals.length ? (vals[vals.length - 1] as number) : 0,
      windowMs: this.windowMs,
    };
  }
}

/** The nearest-rank percentile `p` (0..1) of sorted values; 0 when there are none. */
export function nearestRank(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}
