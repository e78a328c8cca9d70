// The request scheduler: deadline-aware admission, strict priority with minimum shares across
// classes, per-client fair queuing with per-queue CoDel and adaptive LIFO within a class, and an
// adaptive concurrency limit on the store work in flight. Pure: time enters only through the
// injected clock (and an optional injected timer for `tick`). Design: docs/scheduler.md.
import { REQUEST_CLASSES, classRank, type RequestClass } from "./classes.js";
import { shedBySojourn } from "./codel.js";
import { classMinShare, type SchedulerConfig } from "./config.js";
import { Deadlines } from "./deadlines.js";
import { newEntry, type Entry } from "./entry.js";
import { DEFAULT_TUNING, type SchedulerDeps, type SchedulerSignals, type SchedulerTuning } from "./deps.js";
import type { CompletionReport, Job, ShedReason, SubmitResult } from "./job.js";
import { GradientLimiter } from "./limiter.js";
import { QueueSet } from "./queue-set.js";
import { RunningList } from "./running-list.js";
import { ServiceTimeEstimator } from "./service-time.js";
import { SojournWindow } from "./sojourn-window.js";
import { Counters, classCounts, type SchedulerStats } from "./stats.js";

export { REQUEST_CLASSES, classify, classRank, isRequestClass, type RequestClass } from "./classes.js";
export { schedulerConfigSchema, clientWeightSchema, schedulerConfig, classBudgetMs, type SchedulerConfig, type SchedulerConfigInput } from "./config.js";
export { SHED_REASONS, type ShedReason, type RunInfo, type CompletionReport, type ShedInfo, type Job, type SubmitResult } from "./job.js";
export type { SchedulerSignals, Timers, SchedulerTuning, SchedulerDeps } from "./deps.js";
export type { ClassCounts, SchedulerStats } from "./stats.js";

const N = REQUEST_CLASSES.length;
const STATUS = classRank("status");

const minShares = (config: SchedulerConfig): number[] => REQUEST_CLASSES.map((c) => classMinShare(config, c));

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as { then?: unknown }).then === "function";
}

export class Scheduler {
  private on: boolean;
  private readonly clock: () => number;
  private readonly tuning: SchedulerTuning;
  private readonly limiter: GradientLimiter;
  private readonly service: ServiceTimeEstimator;
  private readonly deadlines: Deadlines;
  private readonly queue: QueueSet;
  private inFlight = 0;
  private orphans = 0;
  private readonly running = new RunningList<Entry>();
  private readonly sojourn: SojournWindow;
  private readonly counts = new Counters();
  private signals: SchedulerSignals = {};
  private loopSaturated = false;
  private kernelStamped = false;
  private backlogged = false;
  /**
   * Called when the queue starts or stops holding a full round of the concurrency limit: the
   * transport stops reading new datagrams meanwhile, so that the kernel drops what cannot be
   * served at no cost to the process (docs/scheduler.md, "Backpressure").
   */
  onBacklogChange: ((backlogged: boolean) => void) | undefined;
  private pumping = false;
  private pumpAgain = false;
  private closed = false;
  private timer: unknown;
  private callbackErrors = 0;

  constructor(
    private config: SchedulerConfig,
    private readonly deps: SchedulerDeps,
  ) {
    this.on = config.enabled;
    this.clock = deps.clock;
    this.tuning = { ...DEFAULT_TUNING, ...deps.tuning };
    this.limiter = new GradientLimiter({
      ...config.limiter,
      minSamples: this.tuning.limiterMinSamples,
      probeEveryMs: this.tuning.limiterProbeEveryMs,
      baselineHorizonMs: this.tuning.limiterBaselineHorizonMs,
    });
    this.service = new ServiceTimeEstimator(N, this.tuning.ewmaAlpha, this.tuning.serviceDeviations);
    this.deadlines = new Deadlines(config, this.service);
    this.queue = new QueueSet(minShares(config), this.deadlines, (e, reason, now) => this.shed(e, reason, now));
    this.sojourn = new SojournWindow(this.tuning.sojournMaxSamples, this.tuning.sojournWindowMs);
    if (deps.clientWeights) this.setClientWeights(deps.clientWeights);
    if (deps.timers) this.timer = deps.timers.setInterval(() => this.tick(), deps.tickMs ?? 10);
  }

  /** Queueing, priorities and shedding are on (`scheduler.enabled`). */
  get enabled(): boolean {
    return this.on;
  }

  /**
   * Live reload: every setting of the `scheduler:` section takes effect for what happens next,
   * atomically (one synchronous call). Requests already submitted keep the deadline they were
   * given; running ones finish and feed the limiter as usual. The limiter keeps what it learnt
   * (baseline, current limit clamped into the new [min, max]); `limiter.initial` only applies at
   * start-up. Turning `enabled` off starts everything still queued at once (by class, as the
   * queue would have), as it does every new request from then on. Counters are not reset.
   */
  reconfigure(config: SchedulerConfig): void {
    this.limiter.reconfigure(config.limiter);
    this.config = config;
    this.on = config.enabled;
    this.deadlines.reconfigure(config);
    this.queue.setShares(minShares(config));
    if (!this.on && !this.closed) this.startAllQueued();
    this.pump(true);
    this.checkBacklog();
  }

  private startAllQueued(): void {
    const wasPumping = this.pumping;
    this.pumping = true;
    try {
      const now = this.clock();
      for (let got = this.queue.takeNext(); got; got = this.queue.takeNext()) {
        this.queue.dispatched(got.entry.rank);
        this.start(got.entry, now);
      }
    } finally {
      this.pumping = wasPumping;
    }
  }

  /** The latest deadline any request arriving at `arrivedAt` can have (the largest class budget). */
  latestDeadline(arrivedAt: number): number {
    return this.deadlines.latestDeadline(arrivedAt);
  }

  /**
   * Before verification, from the packet code alone (the first octet of the datagram): true when
   * no class a request with this code can be could still be started in time, so the datagram is
   * not worth verifying. The same test as at submission, taken at the most favourable class.
   */
  tooLateToStart(code: number, arrivedAt: number): boolean {
    if (!this.on) return false;
    return this.deadlines.tooLateToStart(code, arrivedAt, this.clock());
  }

  /** The deadline a request of this class arriving at `arrivedAt` gets. */
  deadlineFor(cls: RequestClass, arrivedAt: number): number {
    return this.deadlines.deadlineFor(classRank(cls), arrivedAt);
  }

  /**
   * Per-client weights for fair queuing within a class (from the `clients:` section); a client
   * not in the map weighs 1. Throws a RangeError naming the client on a weight that is not a
   * positive finite number.
   */
  setClientWeights(weights: ReadonlyMap<string, number>): void {
    this.queue.setWeights(weights);
  }

  /**
   * Arrival stamps come from the kernel (the time a datagram entered the socket queue), so the
   * time it waited there is already counted; otherwise the event-loop delay stands in for it.
   */
  setKernelStampedArrivals(on: boolean): void {
    this.kernelStamped = on;
    this.updateHiddenWait();
  }

  /** Latest process signals (merged with the previous ones). */
  setSignals(s: SchedulerSignals): void {
    this.signals = { ...this.signals, ...s };
    const e = this.config.eventLoop;
    this.loopSaturated = (this.signals.loopDelayMs ?? 0) > e.maxDelayMs || (this.signals.loopUtilization ?? 0) > e.maxUtilization;
    if (s.storeInFlight !== undefined) this.orphans = Math.max(0, s.storeInFlight - this.inFlight);
    this.updateHiddenWait();
    this.pump(true);
  }

  /**
   * Without kernel arrival stamps the time a datagram waited before it was read is unknown: the
   * loop delay stands in for it, and a saturated loop puts every client queue in overload mode.
   */
  private updateHiddenWait(): void {
    this.deadlines.setHiddenWait(this.kernelStamped ? 0 : (this.signals.loopDelayMs ?? 0));
    this.queue.allOverloaded = this.loopSaturated && !this.kernelStamped;
  }

  /**
   * Hand a request to the scheduler. It is started at once, queued (and started or shed later),
   * or shed at once; `job.start` or `job.shed` may be called before this returns.
   */
  submit(job: Job): SubmitResult {
    const rank = classRank(job.class);
    const now = this.clock();
    this.counts.submitted[rank]!++;
    const e = newEntry(job, rank, job.deadline ?? this.deadlines.deadlineFor(rank, job.arrivedAt), rank !== STATUS, now);
    if (this.closed) {
      this.shed(e, "shutdown", now);
      return "shed";
    }
    if (!this.on) {
      this.start(e, now);
      return "started";
    }
    if (this.deadlines.tooLate(rank, e.deadline, now)) {
      this.shed(e, "deadline", now);
      return "shed";
    }
    if (!e.limited || (this.queue.size === 0 && this.canStart())) {
      this.start(e, now);
      return "started";
    }
    if (this.config.maxQueue === 0) {
      this.shed(e, "limit", now);
      return "shed";
    }
    if (this.queue.size >= this.config.maxQueue) {
      this.queue.sweep(now, this.config.codel);
      if (this.queue.size >= this.config.maxQueue && !this.queue.makeRoom(e, now)) {
        this.shed(e, "queue_full", now);
        return "shed";
      }
    }
    this.queue.push(e);
    this.pump(false);
    this.checkBacklog();
    return e.outcome ?? "queued";
  }

  /**
   * Periodic housekeeping (every ~10 ms): sheds expired queued requests, updates the standing
   * state, closes a due limiter window, releases leaked slots and starts what fits.
   */
  tick(): void {
    const now = this.clock();
    // Oldest first: stop at the first request that is not overdue.
    for (let e = this.running.head; e && now - e.startedAt > this.tuning.leakAfterMs; e = this.running.head) {
      this.release(e);
      this.counts.abandoned[e.rank]!++;
    }
    this.limiter.update(now, this.inFlight + this.orphans, this.loopSaturated);
    this.pump(true);
  }

  /** Stop the timer and shed everything still waiting (`shutdown`); running requests finish. */
  close(): void {
    if (this.timer !== undefined && this.deps.timers) this.deps.timers.clearInterval(this.timer);
    this.timer = undefined;
    this.closed = true;
    this.queue.shedAll("shutdown", this.clock());
  }

  get limit(): number {
    return this.limiter.limit;
  }

  /** Requests queued or running (all classes): 0 when everything submitted has ended. */
  get pending(): number {
    return this.running.size + this.queue.size;
  }

  stats(): SchedulerStats {
    const now = this.clock();
    const { queued, queuedByClient, standing } = this.queue.summary();
    return {
      enabled: this.on,
      limit: this.limiter.limit,
      inFlight: this.inFlight,
      running: this.running.size,
      orphanedStoreCommands: this.orphans,
      queued,
      queuedTotal: this.queue.size,
      queuedByClient,
      ...this.counts.snapshot(),
      standingQueues: standing,
      loopSaturated: this.loopSaturated,
      overloaded: standing > 0 || this.loopSaturated,
      expectedServiceMs: classCounts((_, i) => this.service.expectedMs(i)),
      sojournMs: this.sojourn.summary(now),
      limiter: {
        rttMs: this.limiter.last?.rttMs,
        baselineMs: this.limiter.baselineMs(now),
        gradient: this.limiter.last?.gradient,
        windows: this.limiter.windows,
        probes: this.limiter.probes,
        probing: this.limiter.probing,
      },
      signals: { ...this.signals },
      callbackErrors: this.callbackErrors,
    };
  }

  /** Queued requests fill at least one round of the limit: reading more would only feed shedding. */
  isBacklogged(): boolean {
    return this.backlogged;
  }

  /**
   * The event loop had no idle time to speak of in the last sample (utilisation at or above
   * eventLoop.maxUtilization): the process reads all it can serve. Only then may reads be held
   * back; on a core with room, reading less only lets the kernel drop what could be answered.
   */
  get cpuBound(): boolean {
    return (this.signals.loopUtilization ?? 0) >= this.config.eventLoop.maxUtilization;
  }

  private canStart(): boolean {
    return this.inFlight + this.orphans < this.limiter.limit;
  }

  /** Shed expired requests, update standing states, then start what the limit allows. */
  private pump(forceSweep: boolean): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        if (this.queue.size === 0) break;
        const now = this.clock();
        if (forceSweep || now - this.queue.lastSweep >= this.tuning.sweepEveryMs) this.queue.sweep(now, this.config.codel);
        forceSweep = false;
        for (let got = this.canStart() ? this.queue.takeNext() : undefined; got; got = this.canStart() ? this.queue.takeNext() : undefined) {
          const e = got.entry;
          if (this.deadlines.tooLate(e.rank, e.deadline, now)) {
            this.shed(e, "deadline", now);
            continue;
          }
          if (shedBySojourn(got.cq, this.queue.overloadMode(got.cq), e.enqueuedAt, now, this.config.codel)) {
            this.shed(e, "sojourn", now);
            continue;
          }
          this.queue.dispatched(e.rank);
          this.start(e, now);
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    this.checkBacklog();
  }

  private checkBacklog(): void {
    const now = this.on && !this.closed && this.cpuBound && this.queue.size > 0 && this.queue.size >= this.limiter.limit;
    if (now === this.backlogged) return;
    this.backlogged = now;
    try {
      this.onBacklogChange?.(now);
    } catch (err) {
      this.callbackError(err, "start");
    }
  }

  private shed(e: Entry, reason: ShedReason, now: number): void {
    e.state = "done";
    e.outcome = "shed";
    (this.counts.shed[e.rank] as Record<ShedReason, number>)[reason]++;
    try {
      e.job.shed(reason, { class: e.job.class, client: e.job.client, reason, waitedMs: now - e.job.arrivedAt });
    } catch (err) {
      this.callbackError(err, "shed");
    }
  }

  private start(e: Entry, now: number): void {
    e.state = "running";
    e.outcome = "started";
    e.startedAt = now;
    this.running.add(e);
    this.counts.started[e.rank]!++;
    if (e.limited) {
      this.inFlight++;
      e.inFlightAtStart = this.inFlight + this.orphans;
      this.limiter.observeInFlight(e.inFlightAtStart);
      this.sojourn.record(now, now - e.enqueuedAt);
    }
    let result: ReturnType<Job["start"]>;
    try {
      result = e.job.start({ class: e.job.class, client: e.job.client, deadline: e.deadline, startedAt: now, sojournMs: now - e.enqueuedAt });
    } catch (err) {
      this.callbackError(err, "start");
      this.complete(e, undefined, false);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (report) => this.complete(e, report, true),
        () => this.complete(e, undefined, false),
      );
    } else {
      this.complete(e, result, true);
    }
  }

  private complete(e: Entry, report: CompletionReport | void | undefined, ok: boolean): void {
    if (e.state !== "running") return; // released by the leak guard meanwhile
    this.release(e);
    const now = this.clock();
    const r = e.rank;
    this.counts.completed[r]!++;
    if (now > e.deadline) this.counts.late[r]!++;
    if (!ok) this.counts.failed[r]!++;
    const rep = typeof report === "object" && report !== null ? report : undefined;
    if (ok && rep?.sample !== false) {
      const service = now - e.startedAt;
      this.service.record(r, service);
      if (e.limited) this.limiter.sample(rep?.rttMs ?? service, now, this.inFlight + this.orphans, this.loopSaturated, e.inFlightAtStart);
    }
    this.pump(false);
  }

  /** Free the slot of a running request. */
  private release(e: Entry): void {
    e.state = "done";
    this.running.remove(e);
    if (e.limited) this.inFlight--;
  }

  private callbackError(err: unknown, where: "start" | "shed"): void {
    this.callbackErrors++;
    this.deps.onCallbackError?.(err, where);
  }
}
