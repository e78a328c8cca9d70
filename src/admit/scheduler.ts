// The request scheduler: deadline-aware admission, strict priority with guaranteed minimum shares
// across classes, per-client fair queuing with per-queue CoDel and adaptive LIFO within a class,
// and an adaptive concurrency limit on the store work in flight. Pure: no sockets, no store; time
// enters only through the injected clock (and an optional injected interval timer for `tick`).
//
// Why this design. Node.js runs one callback at a time, so a queue exists only where we choose to
// hold work back: the scheduler caps the requests in flight to the store (the resource whose
// latency grows with load) and keeps the rest in its own queues, where it can choose what to serve
// and what to drop. The cap adapts because its right value depends on the store's round trip and
// on the host: a gradient limiter (TCP Vegas; Netflix concurrency-limits Gradient2; Envoy adaptive
// concurrency) grows it while the median round trip stays near the no-load round trip (measured on
// requests started at low concurrency, and probed for now and then as Envoy does) and cuts it in
// proportion when the round trip inflates, so the store runs at full throughput without building a
// queue of its own. The signal that drives shedding is queueing (sojourn) time, as DAGOR (WeChat,
// SoCC 2018) argues, not response time, which mixes in the dependency; it is controlled the way
// Facebook does it ("Fail at Scale", ACM Queue 2015, CoDel applied to request queues): a queue
// whose oldest request has stayed above a 5 ms target for a 100 ms interval is a standing queue,
// and until a whole interval passes without having to shed, it is served newest first (adaptive
// LIFO: the oldest caller has probably given up or retransmitted) and whatever waited longer than
// the target is shed. Breakwater (OSDI 2020) likewise admits against a queueing-delay target set
// well below the latency objective (40% of it) and converges within 20 ms of a 1.4x spike, where
// DAGOR took 500 ms. CoDel's drop-rate control law (one drop per interval/sqrt(n)) is deliberately
// not used: it assumes senders that slow down on a drop, and RADIUS clients send open loop.
//
// Deadlines come first. A request carries arrival + budget (per class); one whose remaining time is
// less than the expected service time of its class (EWMA mean plus two mean deviations, the
// estimator of TCP's retransmission timer, RFC 6298) is shed before it starts, at submission,
// in the queue or when its turn comes: work that cannot be answered in time only delays work that
// can (Google SRE book, "Handling Overload"; deadlines propagate, late work is dropped). A saturated
// loop (delay or utilisation over its threshold) stops the limit from growing. The time a datagram
// waited in the kernel socket buffer is known from its kernel arrival stamp (native transport);
// where it is not (node:dgram), the event-loop delay stands in for it: it is subtracted from the
// remaining time, and a saturated loop puts every queue in overload mode at once.
//
// Priorities and fairness. Classes are served in strict priority (Status-Server, Access-Request
// with State, new Access-Request, Accounting-Stop, other Accounting; RFC 5080 §2.2.3), so that at
// 2-4x overload success is ordered by class, but each queued class is owed a minimum share of the
// dispatches while it has work waiting (default 10%, 5%, 2.5% for the three lowest), so nothing
// starves at light overload; aging was rejected because with a 5 ms queueing target there is no
// time for a priority to age. Status-Server does no store work: it bypasses the queue and the limit
// and is shed only when its own deadline cannot be met, i.e. when the loop delay alone exceeds its
// budget (RFC 5997 allows dropping it then, to push NASes to a secondary). Within a class, clients
// (NASes) are served by deficit round robin with weights and FQ-CoDel's sparse-flow rule (RFC
// 8290): a client whose queue was empty is served before the backlogged ones, and the CoDel state
// is per client queue, so a NAS flooding at 5x builds its own standing queue and sheds its own
// excess while the other NASes' requests pass with almost no wait. When the bounded queue is full,
// a newcomer evicts the oldest request of a lower class (class_priority) or of the client with the
// longest weighted queue in its own class (fair_share), in overload mode its own client's oldest;
// otherwise it is shed itself (queue_full).
import { REQUEST_CLASSES, classRank, type RequestClass } from "./classes.js";
import { classBudgetMs, classMinShare, type SchedulerConfig } from "./config.js";
import { GradientLimiter } from "./limiter.js";
import { ClassQueue, type ClientQueue } from "./queues.js";

export { REQUEST_CLASSES, classify, classRank, isRequestClass, type RequestClass } from "./classes.js";
export {
  schedulerConfigSchema,
  clientWeightSchema,
  schedulerConfig,
  classBudgetMs,
  type SchedulerConfig,
  type SchedulerConfigInput,
} from "./config.js";

/**
 * Why a request was shed. The scheduler reports all but `late_reply`, which is the pipeline's
 * (a result ready after the deadline is not sent) and is listed here so that one type covers both.
 */
export type ShedReason =
  | "deadline" // remaining time < expected service time (at submission, in the queue, at its turn)
  | "sojourn" // waited longer than the CoDel target in a standing queue
  | "queue_full" // the queue was full and nothing of lower standing could make room
  | "class_priority" // evicted from a full queue by a request of a higher class
  | "fair_share" // evicted from a full queue by a request of a client with a shorter weighted queue
  | "limit" // over the concurrency limit with no queue configured (maxQueue 0)
  | "shutdown" // still waiting when the scheduler was closed
  | "late_reply"; // (pipeline) the result came after the deadline

export const SHED_REASONS: readonly ShedReason[] = ["deadline", "sojourn", "queue_full", "class_priority", "fair_share", "limit", "shutdown", "late_reply"];

/** What a job learns when it is started. */
export interface RunInfo {
  readonly class: RequestClass;
  readonly client: string;
  /** Deadline (clock ms): give the store the remaining time; a result after it must not be sent. */
  readonly deadline: number;
  readonly startedAt: number;
  /** Time spent waiting in the scheduler's queue (ms). */
  readonly sojournMs: number;
}

/** Optional report a job's `start` may resolve with. */
export interface CompletionReport {
  /**
   * false: this run says nothing about the store's load (a fast failure such as "store
   * disconnected", or no store call at all); it then feeds neither the limiter nor the class's
   * expected service time. Default true.
   */
  sample?: boolean;
  /** The store round trip measured by the caller (ms); default: start to completion. */
  rttMs?: number;
}

export interface ShedInfo {
  readonly class: RequestClass;
  readonly client: string;
  readonly reason: ShedReason;
  /** Time since arrival (ms). */
  readonly waitedMs: number;
}

export interface Job {
  readonly class: RequestClass;
  /** The client (NAS) name: the unit of fair queuing. */
  readonly client: string;
  /** Arrival stamp (clock ms). */
  readonly arrivedAt: number;
  /** Explicit deadline; default arrivedAt + the class's budget. */
  readonly deadline?: number;
  /**
   * Run the request. Called at most once, never together with `shed`. Resolve (or return) when
   * the request has ended, including its store command: a command that timed out but was sent
   * should keep its slot until its reply arrives. Resolve rather than reject; a rejection counts
   * as `failed` and feeds no sample.
   */
  start(run: RunInfo): PromiseLike<CompletionReport | void> | CompletionReport | void;
  /** The request was shed: drop it silently (no reply, RFC 5080 §2.6.1) and count it. */
  shed(reason: ShedReason, info: ShedInfo): void;
}

export type SubmitResult = "started" | "queued" | "shed";

/** Process signals, sampled by the caller (e.g. every 100 ms) and passed to `setSignals`. */
export interface SchedulerSignals {
  /** Event-loop delay (ms), e.g. the mean of perf_hooks.monitorEventLoopDelay over the last period. */
  loopDelayMs?: number;
  /** Event-loop utilisation (0..1) over the last period (performance.eventLoopUtilization). */
  loopUtilization?: number;
  /** Store commands in flight as the store counts them (timed-out ones included). */
  storeInFlight?: number;
  /** The store's own round-trip figure (reported in stats only). */
  storeRttMs?: number;
}

/** An interval timer, injected (tests drive `tick` by hand instead). */
export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface SchedulerTuning {
  /**
   * Smoothing of the per-class expected service time, per sample (default 0.1). At high rates this
   * follows the last few completions only, which share whatever delays them now (a CPU-quota
   * stall, a GC pause): measured under a 30 % quota, that tracks the moment better than an
   * average over 100 ms, which started more requests that then ended late
   * (docs/overload-benchmark.md).
   */
  ewmaAlpha: number;
  /**
   * A request is started only if its remaining time covers the expected service time plus this
   * many mean deviations of it (default 2; 0: the mean alone). Capped, with the mean, at half the
   * class's budget.
   */
  serviceDeviations: number;
  /** Window of the sojourn percentiles in stats (ms, default 10 000). */
  sojournWindowMs: number;
  /** Sojourn samples kept for the percentiles (default 4096). */
  sojournMaxSamples: number;
  /** A running job that has not ended after this long is released from its slot (default 30 000 ms). */
  leakAfterMs: number;
  /** Queues are swept for expired entries at most this often outside `tick` (default 1 ms). */
  sweepEveryMs: number;
  /** Round trips needed before a limiter window closes (default 8). */
  limiterMinSamples: number;
  /** The limiter probes for the no-load round trip when it saw none for this long (default 10 000 ms). */
  limiterProbeEveryMs: number;
  /** No-load round-trip measurements are forgotten after this long (default 30 000 ms). */
  limiterBaselineHorizonMs: number;
}

export interface SchedulerDeps {
  /** Monotonic clock in ms: the one arrival stamps and deadlines are expressed in. */
  clock: () => number;
  /** When given, `tick` runs every `tickMs` on it; otherwise the caller calls `tick`. */
  timers?: Timers;
  tickMs?: number;
  /** Per-client weights (default 1); see `setClientWeights`. */
  clientWeights?: ReadonlyMap<string, number>;
  /** A `start` or `shed` callback threw: the scheduler carries on; log it here. */
  onCallbackError?: (err: unknown, where: "start" | "shed") => void;
  tuning?: Partial<SchedulerTuning>;
}

export type ClassCounts = Record<RequestClass, number>;

export interface SchedulerStats {
  enabled: boolean;
  /** Current concurrency limit on store-bound requests. */
  limit: number;
  /** Store-bound requests running (all classes but Status-Server). */
  inFlight: number;
  /** Every running request, Status-Server included. */
  running: number;
  /** Store commands in flight beyond our running requests (timed out, still awaiting a reply). */
  orphanedStoreCommands: number;
  queued: ClassCounts;
  queuedTotal: number;
  /** Waiting requests by client (only clients with some). */
  queuedByClient: Record<string, number>;
  submitted: ClassCounts;
  started: ClassCounts;
  completed: ClassCounts;
  /** Completed after their deadline (the pipeline does not send these). */
  late: ClassCounts;
  /** Ended by rejecting (see Job.start). */
  failed: ClassCounts;
  /** Released from their slot by the leak guard. */
  abandoned: ClassCounts;
  shed: Record<RequestClass, Record<ShedReason, number>>;
  /** Client queues currently standing (CoDel overload state). */
  standingQueues: number;
  loopSaturated: boolean;
  /** Some queue standing or the loop saturated. */
  overloaded: boolean;
  /** EWMA of service time by class (ms). */
  expectedServiceMs: ClassCounts;
  /** Queue sojourn of started store-bound requests over the last window. */
  sojournMs: { count: number; p50: number; p99: number; max: number; windowMs: number };
  limiter: {
    /** Median round trip of the last window (ms). */
    rttMs: number | undefined;
    /** No-load round trip (ms). */
    baselineMs: number | undefined;
    gradient: number | undefined;
    windows: number;
    probes: number;
    probing: boolean;
  };
  signals: Readonly<SchedulerSignals>;
  callbackErrors: number;
}

interface Entry {
  readonly job: Job;
  readonly rank: number;
  readonly deadline: number;
  readonly enqueuedAt: number;
  /** Store-bound: counts against the concurrency limit (all but Status-Server). */
  readonly limited: boolean;
  queued: boolean;
  state: "new" | "queued" | "running" | "done";
  outcome: SubmitResult | undefined;
  startedAt: number;
  /** Store-bound requests in flight when this one started, itself included. */
  inFlightAtStart: number;
  cq: ClientQueue<Entry> | undefined;
  /** Neighbours in the list of running entries (in start order). */
  prev: Entry | undefined;
  next: Entry | undefined;
}

/** Running entries in start order: O(1) insert and removal, oldest first for the leak guard. */
class RunningList {
  head: Entry | undefined;
  tail: Entry | undefined;
  size = 0;

  add(e: Entry): void {
    e.prev = this.tail;
    e.next = undefined;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    this.size++;
  }

  remove(e: Entry): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = undefined;
    this.size--;
  }
}

const DEFAULT_TUNING: SchedulerTuning = {
  ewmaAlpha: 0.1,
  serviceDeviations: 2,
  sojournWindowMs: 10_000,
  sojournMaxSamples: 4096,
  leakAfterMs: 30_000,
  sweepEveryMs: 1,
  limiterMinSamples: 8,
  limiterProbeEveryMs: 10_000,
  limiterBaselineHorizonMs: 30_000,
};

const N = REQUEST_CLASSES.length;
const STATUS = 0;

function classCounts(f: (cls: RequestClass, rank: number) => number): ClassCounts {
  const out = {} as ClassCounts;
  REQUEST_CLASSES.forEach((c, i) => (out[c] = f(c, i)));
  return out;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as { then?: unknown }).then === "function";
}

export class Scheduler {
  private on: boolean;
  private readonly clock: () => number;
  private readonly tuning: SchedulerTuning;
  private readonly limiter: GradientLimiter;
  private readonly budgets: number[];
  private readonly shares: number[];
  private readonly owed: number[] = new Array<number>(N).fill(0);
  private readonly expected: number[] = new Array<number>(N).fill(0);
  /** Mean deviation of the service time by class (same smoothing as `expected`). */
  private readonly deviation: number[] = new Array<number>(N).fill(0);
  private readonly expectedSeen: boolean[] = new Array<boolean>(N).fill(false);
  private readonly queues: ClassQueue<Entry>[];
  private weights = new Map<string, number>();
  private minWeight = 1;
  private queuedTotal = 0;
  private inFlight = 0;
  private orphans = 0;
  private readonly running = new RunningList();
  private signals: SchedulerSignals = {};
  private loopSaturated = false;
  private kernelStamped = false;
  private backlogged = false;
  /**
   * Called when the queue starts or stops holding a full round of the concurrency limit. The
   * transport stops reading new datagrams while it does (see docs/scheduler.md, "Backpressure"):
   * what it has not read waits in the kernel queues, and what they cannot hold the kernel drops,
   * which costs the process nothing, where reading and then shedding costs most of an answer.
   */
  onBacklogChange: ((backlogged: boolean) => void) | undefined;
  private lastSweep = -Infinity;
  private pumping = false;
  private pumpAgain = false;
  private closed = false;
  private timer: unknown;
  private callbackErrors = 0;
  // Counters by class rank.
  private readonly submitted = new Array<number>(N).fill(0);
  private readonly started = new Array<number>(N).fill(0);
  private readonly completed = new Array<number>(N).fill(0);
  private readonly late = new Array<number>(N).fill(0);
  private readonly failed = new Array<number>(N).fill(0);
  private readonly abandoned = new Array<number>(N).fill(0);
  private readonly shedCounts: Record<ShedReason, number>[];
  // Sojourn samples: a ring of (time, value).
  private readonly sojournAt: Float64Array;
  private readonly sojournVal: Float64Array;
  private sojournPos = 0;
  private sojournCount = 0;

  constructor(
    private config: SchedulerConfig,
    private readonly deps: SchedulerDeps,
  ) {
    this.on = config.enabled;
    this.clock = deps.clock;
    this.tuning = { ...DEFAULT_TUNING, ...deps.tuning };
    this.limiter = new GradientLimiter({
      initial: config.limiter.initial,
      min: config.limiter.min,
      max: config.limiter.max,
      tolerance: config.limiter.tolerance,
      rttSlackMs: config.limiter.rttSlackMs,
      windowMs: config.limiter.windowMs,
      minSamples: this.tuning.limiterMinSamples,
      probeEveryMs: this.tuning.limiterProbeEveryMs,
      baselineHorizonMs: this.tuning.limiterBaselineHorizonMs,
    });
    this.budgets = REQUEST_CLASSES.map((c) => classBudgetMs(config, c));
    this.shares = REQUEST_CLASSES.map((c) => classMinShare(config, c));
    const weightOf = (client: string) => {
      const weight = this.weights.get(client) ?? 1;
      return { weight, quantum: weight / this.minWeight };
    };
    this.queues = REQUEST_CLASSES.map(() => new ClassQueue<Entry>(weightOf));
    this.shedCounts = REQUEST_CLASSES.map(() => Object.fromEntries(SHED_REASONS.map((r) => [r, 0])) as Record<ShedReason, number>);
    this.sojournAt = new Float64Array(this.tuning.sojournMaxSamples);
    this.sojournVal = new Float64Array(this.tuning.sojournMaxSamples);
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
    REQUEST_CLASSES.forEach((c, i) => {
      this.budgets[i] = classBudgetMs(config, c);
      this.shares[i] = classMinShare(config, c);
    });
    if (!this.on && !this.closed) this.startAllQueued();
    this.pump(true);
    this.checkBacklog();
  }

  private startAllQueued(): void {
    const wasPumping = this.pumping;
    this.pumping = true;
    try {
      const now = this.clock();
      while (this.queuedTotal > 0) {
        const rank = this.pickClass();
        if (rank < 0) break;
        const got = (this.queues[rank] as ClassQueue<Entry>).pop((cq) => this.lifo(cq));
        if (!got) break;
        this.queuedTotal--;
        this.accrue(rank);
        this.start(got.entry, now);
      }
    } finally {
      this.pumping = wasPumping;
    }
  }

  /** The latest deadline any request arriving at `arrivedAt` can have (the largest class budget). */
  latestDeadline(arrivedAt: number): number {
    let max = 0;
    for (const b of this.budgets) if (b > max) max = b;
    return arrivedAt + max;
  }

  /**
   * Before verification, from the packet code alone (the first octet of the datagram): true when
   * no class a request with this code can be (Access-Request: with or without State;
   * Accounting-Request: Stop or not; Status-Server; anything else: the lowest class) could still
   * be started in time, so the datagram is not worth verifying. The same test as at submission
   * (remaining time below the expected service time), taken at the most favourable class.
   */
  tooLateToStart(code: number, arrivedAt: number): boolean {
    if (!this.on) return false;
    const now = this.clock();
    let first: number;
    let last: number;
    if (code === 12) first = last = STATUS;
    else if (code === 1) [first, last] = [1, 2];
    else if (code === 4) [first, last] = [3, 4];
    else first = last = N - 1;
    // A class without a service time learnt yet is judged by its sibling's (both do the same
    // store work); without either, nothing is known and only a passed deadline counts.
    let judged = false;
    for (let r = first; r <= last; r++) {
      if (!this.expectedSeen[r] && (r !== last || judged)) continue;
      judged = true;
      if (!this.tooLate(r, arrivedAt + (this.budgets[r] as number), now)) return false;
    }
    return true;
  }

  /** The deadline a request of this class arriving at `arrivedAt` gets. */
  deadlineFor(cls: RequestClass, arrivedAt: number): number {
    return arrivedAt + (this.budgets[classRank(cls)] as number);
  }

  /**
   * Per-client weights for fair queuing within a class (from the `clients:` section); a client
   * not in the map weighs 1. Throws a RangeError naming the client on a weight that is not a
   * positive finite number.
   */
  setClientWeights(weights: ReadonlyMap<string, number>): void {
    let min = 1;
    for (const [client, w] of weights) {
      if (!Number.isFinite(w) || w <= 0) throw new RangeError(`clients: weight of client "${client}" must be a positive number (got ${w})`);
      if (w < min) min = w;
    }
    this.weights = new Map(weights);
    this.minWeight = min;
    for (const q of this.queues) q.reweigh();
  }

  /**
   * Arrival stamps come from the kernel (the time a datagram entered the socket queue), so the
   * time it waited there is already counted; otherwise the event-loop delay stands in for it.
   */
  setKernelStampedArrivals(on: boolean): void {
    this.kernelStamped = on;
  }

  /** Latest process signals (merged with the previous ones). */
  setSignals(s: SchedulerSignals): void {
    this.signals = { ...this.signals, ...s };
    const e = this.config.eventLoop;
    this.loopSaturated = (this.signals.loopDelayMs ?? 0) > e.maxDelayMs || (this.signals.loopUtilization ?? 0) > e.maxUtilization;
    if (s.storeInFlight !== undefined) this.orphans = Math.max(0, s.storeInFlight - this.inFlight);
    this.pump(true);
  }

  /**
   * Hand a request to the scheduler. It is started at once, queued (and started or shed later),
   * or shed at once; `job.start` or `job.shed` may be called before this returns.
   */
  submit(job: Job): SubmitResult {
    const rank = classRank(job.class);
    const now = this.clock();
    this.submitted[rank]!++;
    const e: Entry = {
      job,
      rank,
      deadline: job.deadline ?? job.arrivedAt + (this.budgets[rank] as number),
      enqueuedAt: now,
      limited: rank !== STATUS,
      queued: false,
      state: "new",
      outcome: undefined,
      startedAt: 0,
      inFlightAtStart: 0,
      cq: undefined,
      prev: undefined,
      next: undefined,
    };
    if (this.closed) {
      this.shed(e, "shutdown", now);
      return "shed";
    }
    if (!this.on) {
      this.start(e, now);
      return "started";
    }
    if (this.cannotFinish(e, now)) {
      this.shed(e, "deadline", now);
      return "shed";
    }
    if (!e.limited || (this.queuedTotal === 0 && this.canStart())) {
      this.start(e, now);
      return "started";
    }
    if (this.config.maxQueue === 0) {
      this.shed(e, "limit", now);
      return "shed";
    }
    if (this.queuedTotal >= this.config.maxQueue) {
      this.sweep(now);
      if (this.queuedTotal >= this.config.maxQueue && !this.makeRoom(e, now)) {
        this.shed(e, "queue_full", now);
        return "shed";
      }
    }
    const q = this.queues[rank] as ClassQueue<Entry>;
    const cq = q.clientQueue(job.client);
    e.cq = cq;
    e.state = "queued";
    e.outcome = "queued";
    q.push(e, cq);
    this.queuedTotal++;
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
      this.abandoned[e.rank]!++;
    }
    this.limiter.update(now, this.inFlight + this.orphans, this.loopSaturated);
    this.pump(true);
  }

  /** Stop the timer and shed everything still waiting (`shutdown`); running requests finish. */
  close(): void {
    if (this.timer !== undefined && this.deps.timers) this.deps.timers.clearInterval(this.timer);
    this.timer = undefined;
    this.closed = true;
    const now = this.clock();
    for (let r = N - 1; r >= 0; r--) {
      const q = this.queues[r] as ClassQueue<Entry>;
      q.forEachActive((cq) => {
        for (let e = cq.front(); e; e = cq.front()) this.dequeueAndShed(e, "shutdown", now);
      });
    }
  }

  get limit(): number {
    return this.limiter.limit;
  }

  /** Requests queued or running (all classes): 0 when everything submitted has ended. */
  get pending(): number {
    return this.running.size + this.queuedTotal;
  }

  stats(): SchedulerStats {
    const now = this.clock();
    const queuedByClient: Record<string, number> = {};
    let standing = 0;
    for (const q of this.queues) {
      q.forEachActive((cq) => {
        queuedByClient[cq.client] = (queuedByClient[cq.client] ?? 0) + cq.live;
        if (cq.standing) standing++;
      });
    }
    const since = now - this.tuning.sojournWindowMs;
    const vals: number[] = [];
    for (let i = 0; i < this.sojournCount; i++) if ((this.sojournAt[i] as number) >= since) vals.push(this.sojournVal[i] as number);
    vals.sort((a, b) => a - b);
    const q = (p: number) => (vals.length === 0 ? 0 : (vals[Math.min(vals.length - 1, Math.max(0, Math.ceil(p * vals.length) - 1))] as number));
    const byRank = (a: number[]) => classCounts((_, i) => a[i] as number);
    return {
      enabled: this.on,
      limit: this.limiter.limit,
      inFlight: this.inFlight,
      running: this.running.size,
      orphanedStoreCommands: this.orphans,
      queued: classCounts((_, i) => (this.queues[i] as ClassQueue<Entry>).live),
      queuedTotal: this.queuedTotal,
      queuedByClient,
      submitted: byRank(this.submitted),
      started: byRank(this.started),
      completed: byRank(this.completed),
      late: byRank(this.late),
      failed: byRank(this.failed),
      abandoned: byRank(this.abandoned),
      shed: Object.fromEntries(REQUEST_CLASSES.map((c, i) => [c, { ...(this.shedCounts[i] as Record<ShedReason, number>) }])) as Record<
        RequestClass,
        Record<ShedReason, number>
      >,
      standingQueues: standing,
      loopSaturated: this.loopSaturated,
      overloaded: standing > 0 || this.loopSaturated,
      expectedServiceMs: byRank(this.expected),
      sojournMs: { count: vals.length, p50: q(0.5), p99: q(0.99), max: vals.length ? (vals[vals.length - 1] as number) : 0, windowMs: this.tuning.sojournWindowMs },
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

  // --- decisions -----------------------------------------------------------------------------

  private canStart(): boolean {
    return this.inFlight + this.orphans < this.limiter.limit;
  }

  /** Remaining time (minus the hidden kernel-buffer wait) below the expected service time. */
  private cannotFinish(e: Entry, now: number): boolean {
    return this.tooLate(e.rank, e.deadline, now);
  }

  private tooLate(rank: number, deadline: number, now: number): boolean {
    const hidden = this.kernelStamped ? 0 : Math.max(0, this.signals.loopDelayMs ?? 0);
    const remaining = deadline - now - hidden;
    // The expectation is capped at half the budget: it is learnt only from requests that ran, so
    // an inflated value that shed everything would never see the sample that corrects it.
    const expected = Math.min(this.admissionMs(rank), (this.budgets[rank] as number) / 2);
    return remaining <= 0 || remaining < expected;
  }

  private lifo(cq: ClientQueue<Entry>): boolean {
    return this.overloadMode(cq);
  }

  /**
   * A client queue in overload mode is served newest first and sheds what waited longer than the
   * CoDel target: when it has been standing itself, or when the loop is saturated and the time a
   * datagram waited before it was read is not otherwise known. With kernel arrival stamps that
   * wait is already part of every request's remaining time, so the deadline test covers it and a
   * saturated loop changes nothing here: measured under a CPU quota, whose stalls keep the loop
   * counted as saturated most of the time, putting every queue in overload mode for it shed
   * requests that would still have been answered in time (docs/overload-benchmark.md).
   */
  private overloadMode(cq: ClientQueue<Entry>): boolean {
    return cq.standing || (this.loopSaturated && !this.kernelStamped);
  }

  /** The class to serve next: a class owed its minimum share, else the highest with work. */
  private pickClass(): number {
    let top = -1;
    for (let r = 1; r < N; r++) {
      const q = this.queues[r] as ClassQueue<Entry>;
      if (q.live === 0) continue;
      if ((this.owed[r] as number) >= 1 - 1e-9) return r;
      if (top < 0) top = r;
    }
    return top;
  }

  /** One dispatch from class `chosen`: every class with work waiting accrues its share. */
  private accrue(chosen: number): void {
    for (let r = 1; r < N; r++) {
      const share = this.shares[r] as number;
      if (r === chosen || (this.queues[r] as ClassQueue<Entry>).live > 0) this.owed[r] = Math.min((this.owed[r] as number) + share, 1 + share);
      else this.owed[r] = 0;
    }
    const left = (this.owed[chosen] as number) - 1;
    this.owed[chosen] = left > 1e-9 ? left : 0;
  }

  /**
   * The queue is full: evict the oldest request of the longest client queue of a lower class
   * (class_priority), else of a client of the same class with a longer weighted queue
   * (fair_share), else, in overload mode (newest first), the client's own oldest (queue_full).
   * False: nothing to evict, the newcomer is shed.
   */
  private makeRoom(e: Entry, now: number): boolean {
    let lowest = -1;
    for (let r = N - 1; r >= 1; r--) {
      if ((this.queues[r] as ClassQueue<Entry>).live > 0) {
        lowest = r;
        break;
      }
    }
    if (lowest < 0) return true;
    const q = this.queues[lowest] as ClassQueue<Entry>;
    if (lowest > e.rank) {
      const victim = q.longest()?.front();
      if (victim) {
        this.dequeueAndShed(victim, "class_priority", now);
        return true;
      }
    } else if (lowest === e.rank) {
      const cq = q.longest();
      const own = q.clients.get(e.job.client);
      const ownLoad = ((own?.live ?? 0) + 1) / (own?.weight ?? this.weights.get(e.job.client) ?? 1);
      const victim = cq && cq.client !== e.job.client && cq.live / cq.weight > ownLoad ? cq.front() : undefined;
      if (victim) {
        this.dequeueAndShed(victim, "fair_share", now);
        return true;
      }
      // Serving newest first, the client's own oldest request is worth less than this one.
      const oldest = own && this.overloadMode(own) ? own.front() : undefined;
      if (oldest) {
        this.dequeueAndShed(oldest, "queue_full", now);
        return true;
      }
    }
    return false;
  }

  // --- the engine ----------------------------------------------------------------------------

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
        if (this.queuedTotal === 0) break;
        const now = this.clock();
        if (forceSweep || now - this.lastSweep >= this.tuning.sweepEveryMs) this.sweep(now);
        forceSweep = false;
        while (this.queuedTotal > 0 && this.canStart()) {
          const rank = this.pickClass();
          if (rank < 0) break;
          const got = (this.queues[rank] as ClassQueue<Entry>).pop((cq) => this.lifo(cq));
          if (!got) break;
          this.queuedTotal--;
          const e = got.entry;
          if (this.cannotFinish(e, now)) {
            this.shed(e, "deadline", now);
            continue;
          }
          if (this.overloadMode(got.cq) && now - e.enqueuedAt > this.config.codel.targetMs) {
            got.cq.lastShedAt = now;
            this.shed(e, "sojourn", now);
            continue;
          }
          this.accrue(rank);
          this.start(e, now);
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    this.checkBacklog();
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

  private checkBacklog(): void {
    const now = this.on && !this.closed && this.cpuBound && this.queuedTotal > 0 && this.queuedTotal >= this.limiter.limit;
    if (now === this.backlogged) return;
    this.backlogged = now;
    try {
      this.onBacklogChange?.(now);
    } catch (err) {
      this.callbackErrors++;
      this.deps.onCallbackError?.(err, "start");
    }
  }

  /**
   * From the lowest class up, per client queue: shed from the head what can no longer finish in
   * time, and in a standing queue what waited longer than the target; then update each queue's
   * standing (CoDel) state from the age of its oldest entry.
   */
  private sweep(now: number): void {
    this.lastSweep = now;
    if (this.queuedTotal === 0) return;
    for (let r = N - 1; r >= 1; r--) {
      const q = this.queues[r] as ClassQueue<Entry>;
      if (q.live > 0) q.forEachActive((cq) => this.sweepQueue(cq, now));
    }
  }

  private sweepQueue(cq: ClientQueue<Entry>, now: number): void {
    const { targetMs, intervalMs } = this.config.codel;
    for (let head = cq.front(); head; head = cq.front()) {
      if (this.cannotFinish(head, now)) this.dequeueAndShed(head, "deadline", now);
      else if (this.overloadMode(cq) && now - head.enqueuedAt > targetMs) {
        cq.lastShedAt = now;
        this.dequeueAndShed(head, "sojourn", now);
      } else break;
    }
    if (cq.standing) {
      // Leave overload mode once a whole interval passed without having to shed.
      if (now - cq.lastShedAt < intervalMs) return;
      cq.standing = false;
      cq.aboveSince = undefined;
    }
    const head = cq.front();
    if (!head) return;
    if (now - head.enqueuedAt > targetMs) {
      cq.aboveSince ??= head.enqueuedAt + targetMs;
      if (now - cq.aboveSince >= intervalMs) {
        cq.standing = true;
        cq.lastShedAt = now;
      }
    } else {
      cq.aboveSince = undefined;
    }
  }

  private dequeueAndShed(e: Entry, reason: ShedReason, now: number): void {
    const cq = e.cq;
    if (!cq || !e.queued) return;
    (this.queues[e.rank] as ClassQueue<Entry>).remove(e, cq);
    this.queuedTotal--;
    this.shed(e, reason, now);
  }

  private shed(e: Entry, reason: ShedReason, now: number): void {
    e.state = "done";
    e.outcome = "shed";
    (this.shedCounts[e.rank] as Record<ShedReason, number>)[reason]++;
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
    this.started[e.rank]!++;
    if (e.limited) {
      this.inFlight++;
      e.inFlightAtStart = this.inFlight + this.orphans;
      this.limiter.observeInFlight(e.inFlightAtStart);
      this.recordSojourn(now, now - e.enqueuedAt);
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
    this.completed[r]!++;
    if (now > e.deadline) this.late[r]!++;
    if (!ok) this.failed[r]!++;
    const rep = typeof report === "object" && report !== null ? report : undefined;
    if (ok && rep?.sample !== false) {
      const service = now - e.startedAt;
      this.recordService(r, service);
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

  /**
   * The service time a request of class `r` must still have ahead of it to be started: the mean
   * plus `serviceDeviations` mean deviations (Jacobson and Karels' retransmission timer, RFC 6298,
   * with 2 deviations where TCP takes 4). The mean alone starts requests that have about even
   * odds of ending late, and such a request costs as much as one answered in time.
   */
  private admissionMs(r: number): number {
    return (this.expected[r] as number) + this.tuning.serviceDeviations * (this.deviation[r] as number);
  }

  /** One service time of class `r`. */
  private recordService(r: number, ms: number): void {
    if (!this.expectedSeen[r]) {
      this.expected[r] = ms;
      this.deviation[r] = ms / 2;
      this.expectedSeen[r] = true;
    } else {
      const a = this.tuning.ewmaAlpha;
      const mean = this.expected[r] as number;
      this.deviation[r] = (this.deviation[r] as number) + a * (Math.abs(ms - mean) - (this.deviation[r] as number));
      this.expected[r] = mean + a * (ms - mean);
    }
  }

  private recordSojourn(now: number, ms: number): void {
    const n = this.sojournAt.length;
    if (n === 0) return;
    this.sojournAt[this.sojournPos] = now;
    this.sojournVal[this.sojournPos] = ms;
    this.sojournPos = (this.sojournPos + 1) % n;
    if (this.sojournCount < n) this.sojournCount++;
  }

  private callbackError(err: unknown, where: "start" | "shed"): void {
    this.callbackErrors++;
    this.deps.onCallbackError?.(err, where);
  }
}
