// Recovery time after a disturbance, from the C generator's per-interval timeline
// (radius-load --timeline-ms): the seconds after the disturbance ends until the 1-s windows
// meet the target again for good. A window (sliding by one interval) meets it when
//  - its p99 is within the budget: at least ceil(0.99 x answered) of its answers came within
//    the budget (exact from the per-interval counts: p99 = the ceil(0.99 n)-th smallest), and
//  - its goodput is at least `minShare` (0.95) of what was offered in it: withinBudget >=
//    0.95 x sent.
// Pure (no I/O).
import type { Timeline } from "./overload-report.js";

/** Element-wise sum of timelines with the same interval (several generators at once). */
export function sumTimelines(ts: Timeline[]): Timeline {
  if (ts.length === 0) throw new Error("no timeline");
  const iv = ts[0]!.intervalMs;
  const n = Math.max(...ts.map((t) => t.sent.length));
  const add = (k: "sent" | "answered" | "withinBudget"): number[] => Array.from({ length: n }, (_, b) => ts.reduce((s, t) => s + (t[k][b] ?? 0), 0));
  // p99 of a sum is not the sum of p99s: left null; windowOk works from the counts.
  return { intervalMs: iv, sent: add("sent"), answered: add("answered"), withinBudget: add("withinBudget"), p99Ms: Array.from({ length: n }, () => null) };
}

export function windowOk(tl: Timeline, from: number, to: number, minShare: number): boolean {
  let sent = 0;
  let answered = 0;
  let within = 0;
  for (let b = from; b < to; b++) {
    sent += tl.sent[b] ?? 0;
    answered += tl.answered[b] ?? 0;
    within += tl.withinBudget[b] ?? 0;
  }
  if (sent === 0) return true;
  return within >= Math.ceil(0.99 * answered) && within >= minShare * sent;
}

/**
 * Seconds from `fromMs` (the disturbance's end) until every 1-s window starting there or later
 * meets the target; 0 when all do; null when the last window of the run still fails (not
 * recovered within the run) or the run has no window after `fromMs`.
 */
export function recoveryS(tl: Timeline, o: { fromMs: number; windowMs?: number; minShare?: number }): number | null {
  const iv = tl.intervalMs;
  const w = Math.max(1, Math.round((o.windowMs ?? 1000) / iv));
  const first = Math.ceil(o.fromMs / iv - 1e-9);
  const lastStart = tl.sent.length - w;
  if (lastStart < first) return null;
  let lastBad = -1;
  for (let b = first; b <= lastStart; b++) if (!windowOk(tl, b, b + w, o.minShare ?? 0.95)) lastBad = b;
  if (lastBad === -1) return 0;
  if (lastBad === lastStart) return null;
  return ((lastBad + 1) * iv - o.fromMs) / 1000;
}

/** Goodput (answers within the budget per second) and offered rate between two instants. */
export function windowRates(tl: Timeline, fromMs: number, toMs: number): { offered: number; goodput: number } {
  const iv = tl.intervalMs;
  const a = Math.max(0, Math.floor(fromMs / iv));
  const b = Math.min(tl.sent.length, Math.ceil(toMs / iv));
  let sent = 0;
  let within = 0;
  for (let i = a; i < b; i++) {
    sent += tl.sent[i] ?? 0;
    within += tl.withinBudget[i] ?? 0;
  }
  const s = ((b - a) * iv) / 1000;
  return s > 0 ? { offered: sent / s, goodput: within / s } : { offered: NaN, goodput: NaN };
}
