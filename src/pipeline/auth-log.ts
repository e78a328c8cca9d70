// Rate limits of the request path's log lines, so that a flood cannot fill a disk.
//
// AuthLineBudget: the per-request Access-Accept / Access-Reject lines at `info` go through a
// token bucket of `perSecond` tokens (refilled continuously, holding at most one second's worth).
// A line that finds the bucket empty is not written but counted by its kind ("accept",
// "reject:<reason>"); `drain()` hands over those counts for one summary line per second.
//
// WindowCap: at most `max` lines per window over all keys (e.g. every unknown source address
// together); the next line let through carries how many were held back.

export class AuthLineBudget {
  private tokens: number;
  private lastRefill: number;
  private suppressed = new Map<string, number>();
  private suppressedTotal = 0;

  constructor(
    private perSecond: number,
    now: number,
  ) {
    this.tokens = perSecond;
    this.lastRefill = now;
  }

  get rate(): number {
    return this.perSecond;
  }

  setRate(perSecond: number): void {
    this.perSecond = perSecond;
    this.tokens = Math.min(this.tokens, perSecond);
  }

  /** True when a line of this kind may be written now (`now` in ms); false counts it as suppressed. */
  take(kind: string, now: number): boolean {
    const elapsed = now - this.lastRefill;
    if (elapsed > 0) {
      this.tokens = Math.min(this.perSecond, this.tokens + (elapsed * this.perSecond) / 1000);
      this.lastRefill = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1);
    this.suppressedTotal++;
    return false;
  }

  /** What was suppressed since the last call (by kind), or null when nothing was. */
  drain(): { total: number; byKind: Record<string, number> } | null {
    if (this.suppressedTotal === 0) return null;
    const out = { total: this.suppressedTotal, byKind: Object.fromEntries(this.suppressed) };
    this.suppressed = new Map();
    this.suppressedTotal = 0;
    return out;
  }
}

export class WindowCap {
  private windowStart = -Infinity;
  private used = 0;
  private held = 0;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** -1: hold this line back (counted); otherwise the number held back since the last line let through. */
  allow(now: number): number {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.max) {
      this.held++;
      return -1;
    }
    this.used++;
    const held = this.held;
    this.held = 0;
    return held;
  }
}
