// Deadline-aware admission: a request is started only while its remaining time covers the
// expected service time of its class; work that cannot be answered in time only delays work
// that can.
import { REQUEST_CLASSES, ranksOfCode } from "./classes.js";
import { classBudgetMs, type SchedulerConfig } from "./config.js";
import type { ServiceTimeEstimator } from "./service-time.js";

export class Deadlines {
  private readonly budgets: number[];
  private hiddenWaitMs = 0;

  constructor(
    config: SchedulerConfig,
    private readonly service: ServiceTimeEstimator,
  ) {
    this.budgets = REQUEST_CLASSES.map((c) => classBudgetMs(config, c));
  }

  reconfigure(config: SchedulerConfig): void {
    REQUEST_CLASSES.forEach((c, i) => (this.budgets[i] = classBudgetMs(config, c)));
  }

  /**
   * Time (ms) every request already waited that its arrival stamp does not show: the event-loop
   * delay stands in for the kernel-buffer wait when arrivals are not stamped by the kernel.
   */
  setHiddenWait(ms: number): void {
    this.hiddenWaitMs = Math.max(0, ms);
  }

  budgetMs(rank: number): number {
    return this.budgets[rank] as number;
  }

  /** The deadline of a request of class `rank` arriving at `arrivedAt`. */
  deadlineFor(rank: number, arrivedAt: number): number {
    return arrivedAt + (this.budgets[rank] as number);
  }

  /** The latest deadline any request arriving at `arrivedAt` can have (the largest class budget). */
  latestDeadline(arrivedAt: number): number {
    let max = 0;
    for (const b of this.budgets) if (b > max) max = b;
    return arrivedAt + max;
  }

  /** Remaining time (minus the hidden wait) below the expected service time of class `rank`. */
  tooLate(rank: number, deadline: number, now: number): boolean {
    const remaining = deadline - now - this.hiddenWaitMs;
    // Capped at half the budget: learnt only from requests that ran, an inflated expectation
    // that shed everything would never see the sample that corrects it.
    const expected = Math.min(this.service.admissionMs(rank), (this.budgets[rank] as number) / 2);
    return remaining <= 0 || remaining < expected;
  }

  /**
   * From the packet code alone: no class a request with this code can be could still be started
   * in time. A class without a service time learnt yet is judged by its sibling's (both do the
   * same store work); without either, only a passed deadline counts.
   */
  tooLateToStart(code: number, arrivedAt: number, now: number): boolean {
    const ranks = ranksOfCode(code);
    const last = ranks.length - 1;
    let judged = false;
    for (let i = 0; i <= last; i++) {
      const r = ranks[i] as number;
      if (!this.service.known(r) && (i !== last || judged)) continue;
      judged = true;
      if (!this.tooLate(r, arrivedAt + (this.budgets[r] as number), now)) return false;
    }
    return true;
  }
}
