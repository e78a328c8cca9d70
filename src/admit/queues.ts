// The queue of one request class: per-client (per-NAS) queues served by deficit round robin with
// weights and FQ-CoDel's sparse-flow rule (RFC 8290 §4.2), each with its own standing-queue
// (CoDel) state. Entries are removed lazily: an entry that left the queue by another way than
// `pop` is marked and skipped when it reaches an end of its client's deque.
import type { CoDelState } from "./codel.js";
import { Deque } from "./deque.js";

/** What a queue needs of an entry. */
export interface QueuedEntry {
  /** True while the entry waits in its queue. */
  queued: boolean;
  /** Scheduler time at which it joined the queue. */
  readonly enqueuedAt: number;
}

export class ClientQueue<E extends QueuedEntry> implements CoDelState {
  readonly jobs = new Deque<E>();
  /** Entries still waiting (the deque may also hold stale ones). */
  live = 0;
  deficit = 0;
  /** Where the queue is in its class's round: not listed, in the new (sparse) or the old list. */
  list: "none" | "new" | "old" = "none";
  /** When the oldest waiting entry went above the sojourn target (undefined: it did not). */
  aboveSince: number | undefined;
  /**
   * A standing queue: its oldest entry stayed above the target for a whole interval. It stays
   * standing until a whole interval passes without a sojourn shed (a queue kept short by shedding
   * is still overloaded; one that no longer needs it has drained).
   */
  standing = false;
  /** Last sojourn shed (or entry into the standing state). */
  lastShedAt = 0;

  constructor(
    readonly client: string,
    public weight: number,
    public quantum: number,
  ) {}

  /** The oldest entry still waiting. */
  front(): E | undefined {
    const d = this.jobs;
    while (d.length > 0 && !(d.peekFront() as E).queued) d.popFront();
    return d.peekFront();
  }

  /** The newest entry still waiting. */
  back(): E | undefined {
    const d = this.jobs;
    while (d.length > 0 && !(d.peekBack() as E).queued) d.popBack();
    return d.peekBack();
  }

  /** Bookkeeping after an entry of this queue stopped waiting (`queued` already false). */
  left(): void {
    this.live--;
    if (this.live <= 0) this.drained();
    else {
      this.front();
      this.back();
    }
  }

  private drained(): void {
    this.live = 0;
    this.jobs.clear();
    this.aboveSince = undefined;
  }
}

export class ClassQueue<E extends QueuedEntry> {
  readonly clients = new Map<string, ClientQueue<E>>();
  private readonly newFlows = new Deque<ClientQueue<E>>();
  private readonly oldFlows = new Deque<ClientQueue<E>>();
  /** Entries waiting in this class. */
  live = 0;

  constructor(private readonly weightOf: (client: string) => { weight: number; quantum: number }) {}

  clientQueue(client: string): ClientQueue<E> {
    let cq = this.clients.get(client);
    if (!cq) {
      const w = this.weightOf(client);
      cq = new ClientQueue<E>(client, w.weight, w.quantum);
      this.clients.set(client, cq);
    }
    return cq;
  }

  push(e: E, cq: ClientQueue<E>): void {
    e.queued = true;
    cq.jobs.pushBack(e);
    cq.live++;
    this.live++;
    if (cq.list === "none") {
      // A client whose queue was empty is a sparse flow: it goes ahead of the backlogged ones
      // for one quantum (RFC 8290 §4.2), which is what keeps a quiet NAS's wait near zero.
      cq.list = "new";
      cq.deficit = cq.quantum;
      this.newFlows.pushBack(cq);
    }
  }

  /** Remove a waiting entry from the queue by another way than `pop` (shed, evicted). */
  remove(e: E, cq: ClientQueue<E>): void {
    if (!e.queued) return;
    e.queued = false;
    this.live--;
    cq.left();
  }

  /**
   * The next entry by deficit round robin, new flows first; newest first from a queue for which
   * `lifo(cq)` holds. The entry is no longer `queued` when returned.
   */
  pop(lifo: (cq: ClientQueue<E>) => boolean): { entry: E; cq: ClientQueue<E> } | undefined {
    for (;;) {
      const fromNew = this.newFlows.length > 0;
      const list = fromNew ? this.newFlows : this.oldFlows;
      const cq = list.peekFront();
      if (!cq) return undefined;
      if (cq.deficit <= 0) {
        cq.deficit += cq.quantum;
        list.popFront();
        cq.list = "old";
        this.oldFlows.pushBack(cq);
        continue;
      }
      const entry = cq.live > 0 ? (lifo(cq) ? cq.back() : cq.front()) : undefined;
      if (!entry) {
        list.popFront();
        if (fromNew) {
          // An emptied new flow goes to the old list rather than leaving, so that a client cannot
          // stay "new" for ever by keeping its queue short (RFC 8290 §4.2).
          cq.list = "old";
          this.oldFlows.pushBack(cq);
        } else {
          cq.list = "none";
        }
        continue;
      }
      entry.queued = false;
      this.live--;
      cq.deficit -= 1;
      cq.left();
      return { entry, cq };
    }
  }

  /**
   * Call `fn` for every client queue with entries waiting. `fn` may remove entries (the round
   * lists only change in `push` and `pop`), but must not push or pop.
   */
  forEachActive(fn: (cq: ClientQueue<E>) => void): void {
    for (let i = 0, n = this.newFlows.length; i < n; i++) {
      const cq = this.newFlows.at(i) as ClientQueue<E>;
      if (cq.live > 0) fn(cq);
    }
    for (let i = 0, n = this.oldFlows.length; i < n; i++) {
      const cq = this.oldFlows.at(i) as ClientQueue<E>;
      if (cq.live > 0) fn(cq);
    }
  }

  /** The client queue with the most waiting entries per unit of weight. */
  longest(): ClientQueue<E> | undefined {
    let best: ClientQueue<E> | undefined;
    this.forEachActive((cq) => {
      if (!best || cq.live / cq.weight > best.live / best.weight) best = cq;
    });
    return best;
  }

  /** Re-read the weights (after a change of configuration). */
  reweigh(): void {
    for (const cq of this.clients.values()) {
      const w = this.weightOf(cq.client);
      cq.weight = w.weight;
      cq.quantum = w.quantum;
    }
  }
}
