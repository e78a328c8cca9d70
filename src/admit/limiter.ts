// Adaptive concurrency limit on in-flight store work: a gradient limiter in the family of TCP
// Vegas, Netflix concurrency-limits (Gradient2) and Envoy's adaptive concurrency filter.
//
// Every `windowMs` (once at least `minSamples` round trips completed) the median round-trip time
// of the window is compared with a baseline, the minimum of the window medians over the last
// `baselineWindows` windows (BBR-style windowed minimum: it follows a store that became
// permanently slower, yet it does not creep up under a sustained overload because every cut of the
// limit lets the round trip dip back towards the true minimum):
//
//   gradient = clamp((tolerance * baseline + slack) / median, 0.5, 1)
//   gradient < 1                    -> limit = limit * gradient          (round trip inflates: shrink)
//   gradient = 1, limit was used    -> limit = limit + sqrt(limit)       (near the minimum: probe up)
//   otherwise                       -> unchanged (app-limited: no evidence that more would fit)
//
// The median rather than the mean keeps a garbage-collection pause (which inflates the round trips
// of the few requests in flight at that moment) from reading as store congestion. `frozen` (the
// event loop is saturated) forbids growth: more concurrent work cannot help a process that has no
// CPU left. Pure and deterministic: time only enters through the `now` arguments.

export interface LimiterOptions {
  initial: number;
  min: number;
  max: number;
  /** Inflation ratio over the baseline tolerated before the limit shrinks. */
  tolerance: number;
  /** Absolute inflation (ms) always tolerated. */
  rttSlackMs: number;
  windowMs: number;
  /** Samples needed before a window may close (default 8). */
  minSamples?: number;
  /** Windows over which the baseline minimum is taken (default 200, i.e. 10 s of 50 ms windows). */
  baselineWindows?: number;
}

export interface LimiterWindow {
  /** Median round trip of the window (ms). */
  rttMs: number;
  baselineMs: number;
  gradient: number;
  limit: number;
}

export class GradientLimiter {
  private value: number;
  private readonly samples: number[] = [];
  private windowStart: number | undefined;
  private peakInFlight = 0;
  private readonly history: number[] = [];
  private historyPos = 0;
  private readonly minSamples: number;
  private readonly baselineWindows: number;
  /** The last closed window, for observability. */
  last: LimiterWindow | undefined;
  windows = 0;

  constructor(private readonly o: LimiterOptions) {
    if (!(o.min >= 1 && o.min <= o.max)) throw new RangeError(`limiter: need 1 <= min (${o.min}) <= max (${o.max})`);
    this.value = Math.min(o.max, Math.max(o.min, o.initial));
    this.minSamples = o.minSamples ?? 8;
    this.baselineWindows = o.baselineWindows ?? 200;
  }

  /** The current limit (an integer in [min, max]). */
  get limit(): number {
    return Math.floor(this.value);
  }

  get baselineMs(): number | undefined {
    if (this.history.length === 0) return undefined;
    let m = Infinity;
    for (const h of this.history) if (h < m) m = h;
    return m;
  }

  /** Record the number of requests in flight (after a start) so that growth needs real use. */
  observeInFlight(inFlight: number): void {
    if (inFlight > this.peakInFlight) this.peakInFlight = inFlight;
  }

  /** A completed round trip. Returns true when the limit changed. */
  sample(rttMs: number, now: number, inFlight: number, frozen: boolean): boolean {
    if (!Number.isFinite(rttMs) || rttMs < 0) return false;
    if (this.windowStart === undefined) this.windowStart = now;
    this.samples.push(rttMs);
    return this.update(now, inFlight, frozen);
  }

  /** Close the window if it is due. Returns true when the limit changed. */
  update(now: number, inFlight: number, frozen: boolean): boolean {
    if (this.windowStart === undefined || now - this.windowStart < this.o.windowMs || this.samples.length < this.minSamples) return false;
    const rtt = median(this.samples);
    this.samples.length = 0;
    this.windowStart = now;
    const peak = Math.max(this.peakInFlight, inFlight);
    this.peakInFlight = inFlight;
    this.windows++;

    if (this.history.length < this.baselineWindows) this.history.push(rtt);
    else {
      this.history[this.historyPos] = rtt;
      this.historyPos = (this.historyPos + 1) % this.baselineWindows;
    }
    const baseline = this.baselineMs ?? rtt;
    const gradient = Math.min(1, Math.max(0.5, (this.o.tolerance * baseline + this.o.rttSlackMs) / Math.max(rtt, 1e-6)));

    const before = this.limit;
    if (gradient < 1) this.value = this.value * gradient;
    else if (!frozen && peak >= this.value / 2) this.value = this.value + Math.sqrt(this.value);
    this.value = Math.min(this.o.max, Math.max(this.o.min, this.value));
    this.last = { rttMs: rtt, baselineMs: baseline, gradient, limit: this.limit };
    return this.limit !== before;
  }
}

/** Median of a non-empty array (sorts it in place). */
export function median(xs: number[]): number {
  xs.sort((a, b) => a - b);
  const n = xs.length;
  const mid = n >> 1;
  return n % 2 === 1 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
}
