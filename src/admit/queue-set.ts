// The requests waiting for a slot, in one queue per class (rank 1 and below; Status-Server never
// waits): which to take next, which to shed as expired or to make room, and the standing state
// of each client queue.
import { REQUEST_CLASSES } from "./classes.js";
import { ClassShares } from "./class-shares.js";
import { shedBySojourn, updateStanding, type CoDelSettings } from "./codel.js";
import type { Deadlines } from "./deadlines.js";
import type { Entry } from "./entry.js";
import { chooseEviction } from "./eviction.js";
import type { ShedReason } from "./job.js";
import { ClassQueue, type ClientQueue } from "./queues.js";
import { classCounts, type ClassCounts } from "./stats.js";

export interface QueueSummary {
  queued: ClassCounts;
  /** Waiting requests by client (only clients with some). */
  queuedByClient: Record<string, number>;
  /** Client queues currently standing. */
  standing: number;
}

export class QueueSet {
  /** Requests waiting, all classes. */
  size = 0;
  /** Every client queue is in overload mode (a saturated loop whose wait before the read is unknown). */
  allOverloaded = false;
  lastSweep = -Infinity;
  private readonly queues: ClassQueue<Entry>[];
  private readonly shares: ClassShares;
  private weights = new Map<string, number>();
  private minWeight = 1;
  private readonly hasWork = (rank: number): boolean => (this.queues[rank] as ClassQueue<Entry>).live > 0;
  private readonly lifo = (cq: ClientQueue<Entry>): boolean => this.overloadMode(cq);

  /** `shed` ends an entry that left the queue to be shed (it is no longer counted in `size`). */
  constructor(
    shares: readonly number[],
    private readonly deadlines: Deadlines,
    private readonly shed: (e: Entry, reason: ShedReason, now: number) => void,
  ) {
    this.shares = new ClassShares(shares);
    const weightOf = (client: string) => {
      const weight = this.weights.get(client) ?? 1;
      return { weight, quantum: weight / this.minWeight };
    };
    this.queues = REQUEST_CLASSES.map(() => new ClassQueue<Entry>(weightOf));
  }

  setShares(shares: readonly number[]): void {
    this.shares.setShares(shares);
  }

  /** Per-client weights (default 1); throws a RangeError naming a client whose weight is not a positive finite number. */
  setWeights(weights: ReadonlyMap<string, number>): void {
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
   * A client queue in overload mode is served newest first and sheds what waited longer than the
   * CoDel target: when it is standing itself, or when every queue is (`allOverloaded`).
   */
  overloadMode(cq: ClientQueue<Entry>): boolean {
    return cq.standing || this.allOverloaded;
  }

  push(e: Entry): void {
    const q = this.queues[e.rank] as ClassQueue<Entry>;
    const cq = q.clientQueue(e.job.client);
    e.cq = cq;
    e.state = "queued";
    e.outcome = "queued";
    q.push(e, cq);
    this.size++;
  }

  /** Take the next entry: its class by share, then by fair queuing within the class. */
  takeNext(): { entry: Entry; cq: ClientQueue<Entry> } | undefined {
    if (this.size === 0) return undefined;
    const rank = this.shares.pick(this.hasWork);
    const got = rank < 0 ? undefined : (this.queues[rank] as ClassQueue<Entry>).pop(this.lifo);
    if (got) this.size--;
    return got;
  }

  /** An entry taken from class `rank` is started: the classes with work waiting accrue their shares. */
  dispatched(rank: number): void {
    this.shares.accrue(rank, this.hasWork);
  }

  /**
   * The queue is full: evict a request of lower standing to make room for `e` (see
   * `chooseEviction`); false when there is none and `e` is to be shed.
   */
  makeRoom(e: Entry, now: number): boolean {
    const ev = chooseEviction(this.queues, e.rank, e.job.client, this.weights.get(e.job.client) ?? 1, this.lifo);
    if (ev === "none") return false;
    if (ev !== "room") this.dequeueAndShed(ev.victim, ev.reason, now);
    return true;
  }

  /**
   * From the lowest class up, per client queue: shed from the head what can no longer finish in
   * time, and in overload mode what waited longer than the target; then update each queue's
   * standing (CoDel) state from the age of its oldest entry.
   */
  sweep(now: number, codel: CoDelSettings): void {
    this.lastSweep = now;
    if (this.size === 0) return;
    for (let r = this.queues.length - 1; r >= 1; r--) {
      const q = this.queues[r] as ClassQueue<Entry>;
      if (q.live > 0) q.forEachActive((cq) => this.sweepQueue(cq, now, codel));
    }
  }

  private sweepQueue(cq: ClientQueue<Entry>, now: number, codel: CoDelSettings): void {
    for (let head = cq.front(); head; head = cq.front()) {
      if (this.deadlines.tooLate(head.rank, head.deadline, now)) this.dequeueAndShed(head, "deadline", now);
      else if (shedBySojourn(cq, this.overloadMode(cq), head.enqueuedAt, now, codel)) this.dequeueAndShed(head, "sojourn", now);
      else break;
    }
    updateStanding(cq, cq.front()?.enqueuedAt, now, codel);
  }

  /** Shed everything waiting, lowest class first. */
  shedAll(reason: ShedReason, now: number): void {
    for (let r = this.queues.length - 1; r >= 0; r--) {
      (this.queues[r] as ClassQueue<Entry>).forEachActive((cq) => {
        for (let e = cq.front(); e; e = cq.front()) this.dequeueAndShed(e, reason, now);
      });
    }
  }

  summary(): QueueSummary {
    const queuedByClient: Record<string, number> = {};
    let standing = 0;
    for (const q of this.queues) {
      q.forEachActive((cq) => {
        queuedByClient[cq.client] = (queuedByClient[cq.client] ?? 0) + cq.live;
        if (cq.standing) standing++;
      });
    }
    return { queued: classCounts((_, i) => (this.queues[i] as ClassQueue<Entry>).live), queuedByClient, standing };
  }

  private dequeueAndShed(e: Entry, reason: ShedReason, now: number): void {
    const cq = e.cq;
    if (!cq || !e.queued) return;
    (this.queues[e.rank] as ClassQueue<Entry>).remove(e, cq);
    this.size--;
    this.shed(e, reason, now);
  }
}
