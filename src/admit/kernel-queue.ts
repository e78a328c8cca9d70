// Kernel receive queues sized by time: a queue that overflows while its datagrams wait longer
// than a target before they are read gets a smaller receive buffer (cut by 30 %), so that the
// kernel drops the excess on arrival instead of queueing it until it is too old to answer; one
// whose datagrams wait less than half the target grows back (by 25 %) to the configured size.
// After a cut, the next waits until the datagrams read arrived after it. Pure: the listener
// reports its reads and the end of each window, and applies the sizes it is given. Why, and what
// it was measured to do: docs/scheduler.md, "Receive buffers sized by time".

export interface KernelQueueSettings {
  readonly enabled: boolean;
  /** A backlogged queue's datagrams should wait at most this long (ms) before they are read. */
  readonly targetWaitMs: number;
  /** Smallest receive buffer (bytes, as passed to SO_RCVBUF). */
  readonly minBytes: number;
}

export const DEFAULT_KERNEL_QUEUE: KernelQueueSettings = { enabled: true, targetWaitMs: 15, minBytes: 16_384 };

const CUT = 0.7;
const GROW = 1.25;

export interface KernelQueueStats {
  /** Receive-buffer cuts so far. */
  cuts: number;
  /** Current buffer of each sized queue (bytes). */
  bytes: number[];
}

export class KernelQueueSizer {
  private settings: KernelQueueSettings;
  private readonly size: Float64Array;
  private readonly lastCutAt: Float64Array;
  private readonly maxWait: Float64Array;
  private readonly oldestArrival: Float64Array;
  private readonly lastDrops: Float64Array;
  private readonly reads: Float64Array;
  private cuts = 0;

  /**
   * @param queues sockets sized (indices 0..queues-1)
   * @param maxBytes the configured receive buffer, which the sizes never exceed
   */
  constructor(
    readonly queues: number,
    readonly maxBytes: number,
    settings: KernelQueueSettings = DEFAULT_KERNEL_QUEUE,
  ) {
    if (!Number.isInteger(queues) || queues < 1) throw new RangeError(`queues must be a positive integer (got ${queues})`);
    if (!(maxBytes > 0)) throw new RangeError(`maxBytes must be positive (got ${maxBytes})`);
    this.settings = settings;
    this.size = new Float64Array(queues).fill(maxBytes);
    this.lastCutAt = new Float64Array(queues).fill(-Infinity);
    this.maxWait = new Float64Array(queues);
    this.oldestArrival = new Float64Array(queues).fill(Infinity);
    this.lastDrops = new Float64Array(queues).fill(NaN);
    this.reads = new Float64Array(queues);
  }

  reconfigure(settings: KernelQueueSettings): void {
    this.settings = settings;
  }

  /**
   * One read of `count` datagrams from queue `q` at time `now` (ms); the first (oldest) of them
   * waited `headWaitMs` in the kernel.
   */
  onRead(q: number, count: number, headWaitMs: number, now: number): void {
    if (q < 0 || q >= this.queues || count <= 0) return;
    this.reads[q] = (this.reads[q] as number) + count;
    if (headWaitMs > (this.maxWait[q] as number)) this.maxWait[q] = headWaitMs;
    const arrived = now - headWaitMs;
    if (arrived < (this.oldestArrival[q] as number)) this.oldestArrival[q] = arrived;
  }

  /**
   * The window ends at `now`: the sizes to apply, as [queue, bytes] (only those that changed).
   * `cpuBound` false (the event loop had idle time): no cut, only growth.
   * `drops(q)`: the datagrams the kernel has dropped on queue q so far (it was full). A queue is
   * backlogged in a window in which that count rose: datagrams arrive faster than it is read.
   */
  endWindow(now: number, drops: (q: number) => number, cpuBound = true): Array<[number, number]> {
    const changes: Array<[number, number]> = [];
    const { enabled, targetWaitMs, minBytes } = this.settings;
    const floor = Math.min(minBytes, this.maxBytes);
    for (let q = 0; q < this.queues; q++) {
      const was = this.size[q] as number;
      let next = was;
      const dropped = drops(q);
      const overflowed = dropped > (this.lastDrops[q] as number);
      this.lastDrops[q] = dropped;
      if (!enabled) next = this.maxBytes;
      else if ((this.reads[q] as number) > 0) {
        const wait = this.maxWait[q] as number;
        // Cut only while the process is CPU-bound: with idle time left, a queue overflows because of
        // a stall (a GC pause), and a smaller buffer would only drop what could still be answered.
        if (cpuBound && overflowed && wait > targetWaitMs && (this.oldestArrival[q] as number) >= (this.lastCutAt[q] as number)) {
          next = Math.max(floor, Math.floor(was * CUT));
          if (next < was) {
            this.lastCutAt[q] = now;
            this.cuts++;
          }
        } else if (wait < targetWaitMs / 2) {
          next = Math.min(this.maxBytes, Math.ceil(was * GROW));
        }
      }
      if (next !== was) {
        this.size[q] = next;
        changes.push([q, next]);
      }
      this.reads[q] = 0;
      this.maxWait[q] = 0;
      this.oldestArrival[q] = Infinity;
    }
    return changes;
  }

  bytes(q: number): number {
    return this.size[q] as number;
  }

  stats(): KernelQueueStats {
    return { cuts: this.cuts, bytes: Array.from(this.size) };
  }
}

/** The listener's settings from the `scheduler:` section: off whenever the scheduler is. */
export function kernelQueueSettings(scheduler: {
  readonly enabled: boolean;
  readonly budgetMs: number;
  readonly kernelQueue: { readonly enabled: boolean; readonly targetWaitMs?: number | undefined; readonly minBytes: number };
}): KernelQueueSettings {
  const k = scheduler.kernelQueue;
  return { enabled: scheduler.enabled && k.enabled, targetWaitMs: k.targetWaitMs ?? scheduler.budgetMs * 0.3, minBytes: k.minBytes };
}
