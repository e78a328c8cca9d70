// Adaptive concurrency limit on in-flight store work: a gradient limiter in the family of TCP
// Vegas, Netflix concurrency-limits (Gradient2) and Envoy's adaptive concurrency filter.
//
// Every `windowMs` (once at least `minSamples` round trips completed) the median round trip of the
// window is compared with the baseline, the no-load round trip:
//
//   gradient = clamp((tolerance * baseline + slack) / median, 0.5, 1)
//   gradient < 1                    -> limit = limit * gradient          (round trip inflates: shrink)
//   gradient = 1, limit was used    -> limit = limit + sqrt(limit)       (near the minimum: probe up)
//   otherwise                       -> unchanged (app-limited: no evidence that more would fit)
//
// The baseline is measured, not guessed: a round trip of a request started while at most `min`
// requests were in flight is "clean" (nothing of ours queued ahead of it at the store); the median
// of every `cleanSamples` clean round trips is kept per time bucket, and the baseline is the
// minimum over the last `baselineHorizonMs`. At light load clean samples come by themselves. Under a
// sustained overload they do not, and a minimum taken over loaded windows creeps upwards (each
// window's round trip is tolerance x the last baseline), so when no clean sample was seen for
// `probeEveryMs` the limiter probes as Envoy's filter does: the limit drops to `min` until
// `cleanSamples` clean round trips are in (or `probeTimeoutMs` passes), typically a few ms every
// ten seconds. Before the first clean median the minimum window median stands in.
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
  /** Clean round trips whose median makes one baseline measurement (default 8). */
  cleanSamples?: number;
  /** Baseline measurements older than this are forgotten (default 30 000 ms). */
  baselineHorizonMs?: number;
  /** Probe when no clean measurement came for this long (default 10 000 ms). */
  probeEveryMs?: number;
  /** A probe gives up after this long (default 250 ms). */
  probeTimeoutMs?: number;
}

export interface LimiterWindow {
  /** Median round trip of the window (ms). */
  rttMs: number;
  baselineMs: number;
  gradient: number;
  limit: number;
}

const BUCKETS = 16;

export class GradientLimiter {
  private value: number;
  private samples = new Float64Array(256);
  private nSamples = 0;
  private windowStart: number | undefined;
  private peakInFlight = 0;
  private readonly clean: number[] = [];
  /** Minimum clean median per time bucket of baselineHorizonMs / BUCKETS. */
  private readonly buckets = new Map<number, number>();
  private provisional = Infinity;
  private lastCleanAt = -Infinity;
  private lastProbeAt = -Infinity;
  private probeStartedAt: number | undefined;
  private readonly minSamples: number;
  private readonly cleanSamples: number;
  private readonly horizon: number;
  private readonly probeEvery: number;
  private readonly probeTimeout: number;
  /** The last closed window, for observability. */
  last: LimiterWindow | undefined;
  windows = 0;
  probes = 0;

  constructor(private o: LimiterOptions) {
    if (!(o.min >= 1 && o.min <= o.max)) throw new RangeError(`limiter: need 1 <= min (${o.min}) <= max (${o.max})`);
    this.value = Math.min(o.max, Math.max(o.min, o.initial));
    this.minSamples = o.minSamples ?? 8;
    this.cleanSamples = o.cleanSamples ?? 8;
    this.horizon = o.baselineHorizonMs ?? 30_000;
    this.probeEvery = o.probeEveryMs ?? 10_000;
    this.probeTimeout = o.probeTimeoutMs ?? 250;
  }

  /**
   * New bounds and gains (live reload). What was learnt stays: the baseline measurements, the
   * current window; the limit is clamped into the new [min, max]. `initial` applies at
   * construction only and is ignored here. The tuning fields (minSamples, cleanSamples, horizon,
   * probe timings) are not reloadable and keep their values.
   */
  reconfigure(o: Pick<LimiterOptions, "min" | "max" | "tolerance" | "rttSlackMs" | "windowMs">): void {
    if (!(o.min >= 1 && o.min <= o.max)) throw new RangeError(`limiter: need 1 <= min (${o.min}) <= max (${o.max})`);
    this.o = { ...this.o, min: o.min, max: o.max, tolerance: o.tolerance, rttSlackMs: o.rttSlackMs, windowMs: o.windowMs };
    this.value = Math.min(o.max, Math.max(o.min, this.value));
  }

  /** The current limit (an integer in [min, max]; `min` while probing). */
  get limit(): number {
    return this.probeStartedAt !== undefined ? this.o.min : Math.floor(this.value);
  }

  get probing(): boolean {
    return this.probeStartedAt !== undefined;
  }

  /** The no-load round trip: the minimum clean median within the horizon, else the minimum window median. */
  baselineMs(now: number): number | undefined {
    const oldest = Math.floor((now - this.horizon) / (this.horizon / BUCKETS));
    let m = Infinity;
    for (const [b, v] of this.buckets) {
      if (b < oldest) this.buckets.delete(b);
      else if (v < m) m = v;
    }
    if (m < Infinity) return m;
    return this.provisional < Infinity ? this.provisional : undefined;
  }

  /** Record the number of requests in flight (after a start) so that growth needs real use. */
  observeInFlight(inFlight: number): void {
    if (inFlight > this.peakInFlight) this.peakInFlight = inFlight;
  }

  /**
   * A completed round trip of a request started while `inFlightAtStart` requests (itself
   * included) were in flight. Returns true when the limit changed.
   */
  sample(rttMs: number, now: number, inFlight: number, frozen: boolean, inFlightAtStart = Infinity): boolean {
    if (!Number.isFinite(rttMs) || rttMs < 0) return false;
    const before = this.limit;
    if (inFlightAtStart <= this.o.min) {
      this.clean.push(rttMs);
      if (this.clean.length >= this.cleanSamples) {
        const m = median(this.clean);
        this.clean.length = 0;
        const b = Math.floor(now / (this.horizon / BUCKETS));
        const cur = this.buckets.get(b);
        if (cur === undefined || m < cur) this.buckets.set(b, m);
        this.lastCleanAt = now;
        if (this.probeStartedAt !== undefined) this.endProbe(now);
      }
    }
    if (this.probeStartedAt === undefined) {
      if (this.windowStart === undefined) this.windowStart = now;
      if (this.nSamples === this.samples.length) {
        const bigger = new Float64Array(this.samples.length * 2);
        bigger.set(this.samples);
        this.samples = bigger;
      }
      this.samples[this.nSamples++] = rttMs;
    }
    this.update(now, inFlight, frozen);
    return this.limit !== before;
  }

  /** Close the window if it is due, end or start a probe. Returns true when the limit changed. */
  update(now: number, inFlight: number, frozen: boolean): boolean {
    const before = this.limit;
    if (this.probeStartedAt !== undefined) {
      if (now - this.probeStartedAt >= this.probeTimeout) this.endProbe(now);
      return this.limit !== before;
    }
    if (this.windowStart === undefined || now - this.windowStart < this.o.windowMs || this.nSamples < this.minSamples) return false;
    const rtt = median(this.samples.subarray(0, this.nSamples));
    this.nSamples = 0;
    this.windowStart = now;
    const peak = Math.max(this.peakInFlight, inFlight);
    this.peakInFlight = inFlight;
    this.windows++;
    if (rtt < this.provisional) this.provisional = rtt;

    const baseline = this.baselineMs(now) ?? rtt;
    const gradient = Math.min(1, Math.max(0.5, (this.o.tolerance * baseline + this.o.rttSlackMs) / Math.max(rtt, 1e-6)));
    if (gradient < 1) this.value = this.value * gradient;
    else if (!frozen && peak >= this.value / 2) this.value = this.value + Math.sqrt(this.value);
    this.value = Math.min(this.o.max, Math.max(this.o.min, this.value));
    this.last = { rttMs: rtt, baselineMs: baseline, gradient, limit: Math.floor(this.value) };

    // No clean measurement for a while, and the limit keeps more than `min` in flight: probe.
    if (now - this.lastCleanAt >= this.probeEvery && now - this.lastProbeAt >= this.probeEvery && peak > this.o.min) {
      this.probeStartedAt = now;
      this.lastProbeAt = now;
      this.clean.length = 0;
      this.probes++;
    }
    return this.limit !== before;
  }

  private endProbe(now: number): void {
    this.probeStartedAt = undefined;
    // Round trips measured during the probe belong to neither window: start afresh.
    this.nSamples = 0;
    this.windowStart = now;
  }
}

/** Median of a non-empty array, in O(n) (reorders it). */
export function median(xs: number[] | Float64Array): number {
  const n = xs.length;
  const hi = select(xs, n >> 1);
  if (n % 2 === 1) return hi;
  // The lower middle is the largest element left of the upper one after selection.
  let lo = -Infinity;
  for (let i = 0; i < n >> 1; i++) if ((xs[i] as number) > lo) lo = xs[i] as number;
  return (lo + hi) / 2;
}

/** Hoare's quickselect: the k-th smallest (0-based); afterwards xs[0..k) <= xs[k] <= xs(k..]. */
function select(xs: number[] | Float64Array, k: number): number {
  let left = 0;
  let right = xs.length - 1;
  while (right > left) {
    // Median of three as pivot: deterministic and safe on sorted input.
    const mid = (left + right) >> 1;
    const a = xs[left] as number;
    const b = xs[mid] as number;
    const c = xs[right] as number;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((xs[i] as number) < pivot) i++;
      while ((xs[j] as number) > pivot) j--;
      if (i <= j) {
        const t = xs[i] as number;
        xs[i] = xs[j] as number;
        xs[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return xs[k] as number;
}
