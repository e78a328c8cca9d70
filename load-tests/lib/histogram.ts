// Log-bucketed latency histogram for the once-a-second progress line: recording is O(1) and
// reading a percentile walks ~500 buckets, so progress costs nothing measurable during a run
// (sorting a second's worth of samples took milliseconds and showed up as generator lag).
// Resolution: 16 buckets per power of two (about 4.4 % wide), from 1 µs to ~1000 s.
// Final figures are computed exactly from the raw samples after the run, not from this.

const SUB = 16;
const MIN_US = 1;
const BUCKETS = SUB * 30;

export class LogHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;

  recordMs(ms: number): void {
    const us = ms * 1000;
    let b = us <= MIN_US ? 0 : Math.floor(Math.log2(us / MIN_US) * SUB);
    if (b >= BUCKETS) b = BUCKETS - 1;
    this.counts[b]!++;
    this.total++;
  }

  get count(): number {
    return this.total;
  }

  /** Upper edge of the bucket holding quantile q, in ms (NaN when empty). */
  percentileMs(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) return (MIN_US * Math.pow(2, (b + 1) / SUB)) / 1000;
    }
    return NaN;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }
}
