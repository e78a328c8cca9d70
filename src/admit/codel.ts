// CoDel applied to a request queue (Nichols and Jacobson, RFC 8289; Facebook's "Fail at Scale"):
// a queue whose oldest request has waited longer than a target for a whole interval is a
// standing queue; it stays one until a whole interval passes without a sojourn shed.

/** The CoDel state of one queue (kept by each client queue). */
export interface CoDelState {
  /** When the oldest waiting entry went above the target (undefined: it did not). */
  aboveSince: number | undefined;
  /** A standing queue: the scheduler serves it newest first and sheds what waited past the target. */
  standing: boolean;
  /** Last sojourn shed (or entry into the standing state). */
  lastShedAt: number;
}

export interface CoDelSettings {
  readonly targetMs: number;
  readonly intervalMs: number;
}

/**
 * In overload mode, a request that waited longer than the target is shed: true, and the shed is
 * noted in `q` (it keeps the queue standing for another interval).
 */
export function shedBySojourn(q: CoDelState, overload: boolean, enqueuedAt: number, now: number, c: CoDelSettings): boolean {
  if (!overload || now - enqueuedAt <= c.targetMs) return false;
  q.lastShedAt = now;
  return true;
}

/**
 * Update the standing state of a queue from the arrival of its oldest waiting entry (undefined:
 * the queue is empty). A standing queue leaves that state once a whole interval passed without
 * a sojourn shed; a queue becomes standing once its head stayed above the target for an interval.
 */
export function updateStanding(q: CoDelState, oldestEnqueuedAt: number | undefined, now: number, c: CoDelSettings): void {
  if (q.standing) {
    if (now - q.lastShedAt < c.intervalMs) return;
    q.standing = false;
    q.aboveSince = undefined;
  }
  if (oldestEnqueuedAt === undefined) return;
  if (now - oldestEnqueuedAt > c.targetMs) {
    q.aboveSince ??= oldestEnqueuedAt + c.targetMs;
    if (now - q.aboveSince >= c.intervalMs) {
      q.standing = true;
      q.lastShedAt = now;
    }
  } else {
    q.aboveSince = undefined;
  }
}
