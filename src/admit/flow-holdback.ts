// Per-flow hold-back: when one kernel flow queue is backlogged while others are not, read less of
// it, so that the event loop keeps room for the others. Pure: the listener reports its reads and
// the end of each window, and starts or stops reading a flow queue when told; time does not enter.
// Each backlogged flow's read allowance follows the light flows' longest kernel wait by AIMD:
// halved in a window above `targetWaitMs`, one batch more in a window under it. Why, and what it
// was measured to do: docs/scheduler.md, "Per-flow hold-back".

/** The `scheduler.flowHoldBack` settings. */
export interface FlowHoldBackSettings {
  readonly enabled: boolean;
  /** Longest kernel wait (ms) of a light flow's datagram in a window above which the heavy flows' allowance is halved. */
  readonly targetWaitMs: number;
  /** Length of a window (ms): allowances are per window, and decided at its end. */
  readonly windowMs: number;
}

export const DEFAULT_FLOW_HOLD_BACK: FlowHoldBackSettings = { enabled: true, targetWaitMs: 5, windowMs: 10 };

/** A flow that filled a batch is backlogged when it also read more than this times an equal share. */
const HEAVY_SHARE = 1.25;

export interface FlowHoldBackStats {
  /** Windows with both a backlogged and a light flow queue, or with reads of the State or Status-Server queue. */
  contendedWindows: number;
  /** Of those, windows whose light or State/Status-Server datagrams waited longer than the target (allowances halved). */
  pressureWindows: number;
  /** Times a flow queue was stopped for the rest of a window. */
  holds: number;
  /** Flow queues with an allowance now (held back or liable to be). */
  limitedFlows: number;
  /** Longest kernel wait (ms) of a light flow's datagram in the last contended window. */
  lightWaitMs: number;
}

export class FlowHoldBack {
  private settings: FlowHoldBackSettings;
  private readonly reads: Float64Array;
  private readonly maxWaitMs: Float64Array;
  private readonly full: Uint8Array;
  private readonly held: Uint8Array;
  /** Reads allowed per window; Infinity: not limited. */
  private readonly allowance: Float64Array;
  private contended = 0;
  private pressure = 0;
  private holds = 0;
  private lastLightWaitMs = 0;
  private protectedReads = 0;
  private protectedWaitMs = 0;
  /** Kernel drops of each flow queue so far, as last reported; NaN: never reported. */
  private readonly lastDrops: Float64Array;

  /**
   * @param flows the flow queues (socket indices 0..flows-1); the State and Status-Server queues
   *   that follow them are never held back and are not reported.
   * @param batch datagrams one read takes at most: a read of `batch` means the queue had more.
   */
  constructor(
    readonly flows: number,
    readonly batch: number,
    settings: FlowHoldBackSettings = DEFAULT_FLOW_HOLD_BACK,
  ) {
    if (!Number.isInteger(flows) || flows < 1) throw new RangeError(`flows must be a positive integer (got ${flows})`);
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer (got ${batch})`);
    this.settings = settings;
    this.reads = new Float64Array(flows);
    this.maxWaitMs = new Float64Array(flows);
    this.full = new Uint8Array(flows);
    this.held = new Uint8Array(flows);
    this.allowance = new Float64Array(flows).fill(Infinity);
    this.lastDrops = new Float64Array(flows).fill(NaN);
  }

  /** New settings (live reload); disabling releases every allowance at the next window's end. */
  reconfigure(settings: FlowHoldBackSettings): void {
    this.settings = settings;
  }

  get windowMs(): number {
    return this.settings.windowMs;
  }

  /**
   * One read of `count` datagrams from flow queue `flow`, the oldest of which waited `maxWaitMs`
   * in the kernel. True: stop reading this queue until the window ends (its allowance is used).
   */
  onRead(flow: number, count: number, maxWaitMs: number): boolean {
    if (flow < 0 || flow >= this.flows || count <= 0) return false;
    this.reads[flow] = (this.reads[flow] as number) + count;
    if (maxWaitMs > (this.maxWaitMs[flow] as number)) this.maxWaitMs[flow] = maxWaitMs;
    if (count >= this.batch) this.full[flow] = 1;
    if (this.held[flow] || (this.reads[flow] as number) < (this.allowance[flow] as number)) return false;
    this.held[flow] = 1;
    this.holds++;
    return true;
  }

  /** Is this flow queue held back for the rest of the window? */
  isHeld(flow: number): boolean {
    return this.held[flow] === 1;
  }

  /**
   * One read from a queue that is never held back (the State and Status-Server queues, higher
   * classes than any flow queue's), the oldest datagram of which waited `maxWaitMs`.
   */
  onProtectedRead(maxWaitMs: number): void {
    this.protectedReads++;
    if (maxWaitMs > this.protectedWaitMs) this.protectedWaitMs = maxWaitMs;
  }

  /**
   * The window ends: set the allowances for the next one and return the flow queues to read again
   * (those held back in this one). `drops`, when the listener can read them: the datagrams the
   * kernel has dropped on each flow queue so far (its queue was full). `cpuBound` false (the event
   * loop had idle time): no allowance for the next window.
   */
  endWindow(drops?: ArrayLike<number>, cpuBound = true): number[] {
    const n = this.flows;
    let active = 0;
    let total = 0;
    for (let f = 0; f < n; f++) {
      const reads = this.reads[f] as number;
      if (reads > 0 || this.held[f]) active++;
      total += reads;
    }
    // What each flow queue was sent in the window, as far as it shows: what was read plus what the
    // kernel dropped because the queue was full (null: drops not known).
    const demand = (f: number): number | null => {
      const now = drops?.[f];
      const was = this.lastDrops[f] as number;
      return now === undefined || Number.isNaN(was) ? null : (this.reads[f] as number) + Math.max(0, now - was);
    };
    // Heavy: a read filled the batch or the allowance held it back, and the flow took clearly more
    // than an equal share of the window's reads. A flow held back reads no more than its
    // allowance, so for it the share is taken of what it was sent: a light flow cut once would
    // otherwise stay heavy behind its short allowance and never get its rate back. Without drop
    // counts a held flow stays heavy.
    const fair = active > 0 ? total / active : 0;
    const heavy = (f: number): boolean => {
      if (this.held[f] === 1) {
        const d = demand(f);
        return d === null || d > HEAVY_SHARE * fair;
      }
      return this.full[f] === 1 && (this.reads[f] as number) > HEAVY_SHARE * fair;
    };
    let heavyCount = 0;
    let lightCount = 0;
    let lightWait = 0;
    for (let f = 0; f < n; f++) {
      if (heavy(f)) heavyCount++;
      else if ((this.reads[f] as number) > 0) {
        lightCount++;
        // A light flow held back waited for its own allowance, not for the heavy flows: counting
        // its wait would cut the others at every window until every flow was held and idle.
        if (this.held[f] === 0 && (this.maxWaitMs[f] as number) > lightWait) lightWait = this.maxWaitMs[f] as number;
      }
    }
    const target = this.settings.targetWaitMs;
    // The State and Status-Server queues come before every flow queue: while theirs wait too
    // long, every backlogged flow queue (a read filled the batch) is cut, whatever its share.
    const protectedPressure = this.protectedReads > 0 && this.protectedWaitMs > target;
    const lightContended = heavyCount > 0 && lightCount > 0;
    const lightPressure = lightContended && lightWait > target;
    if (lightContended || this.protectedReads > 0) this.contended++;
    if (protectedPressure || lightPressure) this.pressure++;
    if (lightContended) this.lastLightWaitMs = lightWait;
    for (let f = 0; f < n; f++) {
      // On a core with room, every allowance is released: reading less would only let the
      // kernel drop what the process could still answer in time.
      if (!this.settings.enabled || !cpuBound) {
        this.allowance[f] = Infinity;
        continue;
      }
      const reads = this.reads[f] as number;
      const was = this.allowance[f] as number;
      const cut = protectedPressure ? this.held[f] === 1 || this.full[f] === 1 : lightPressure && heavy(f);
      if (cut) {
        // From what it read: an allowance that did not bind says nothing about the right one. At
        // least one read per window: the allowance is checked after each read.
        this.allowance[f] = Math.max(1, Math.floor(Math.min(was, reads) / 2));
      } else if (Number.isFinite(was)) {
        // Additive increase while it binds; released once a window passes in which it did not.
        this.allowance[f] = this.held[f] || reads >= was ? Math.min(was, reads) + this.batch : Infinity;
      }
    }
    this.protectedReads = 0;
    this.protectedWaitMs = 0;
    if (drops) for (let f = 0; f < n; f++) this.lastDrops[f] = drops[f] ?? NaN;
    const resume: number[] = [];
    for (let f = 0; f < n; f++) {
      if (this.held[f]) resume.push(f);
      this.held[f] = 0;
      this.full[f] = 0;
      this.reads[f] = 0;
      this.maxWaitMs[f] = 0;
    }
    return resume;
  }

  stats(): FlowHoldBackStats {
    let limited = 0;
    for (let f = 0; f < this.flows; f++) if (Number.isFinite(this.allowance[f] as number)) limited++;
    return { contendedWindows: this.contended, pressureWindows: this.pressure, holds: this.holds, limitedFlows: limited, lightWaitMs: this.lastLightWaitMs };
  }
}

/** The listener's settings from the `scheduler:` section: off whenever the scheduler is. */
export function flowHoldBackSettings(scheduler: {
  readonly enabled: boolean;
  readonly budgetMs: number;
  readonly flowHoldBack: { readonly enabled: boolean; readonly targetWaitMs?: number | undefined; readonly windowMs: number };
}): FlowHoldBackSettings {
  const f = scheduler.flowHoldBack;
  return { enabled: scheduler.enabled && f.enabled, targetWaitMs: f.targetWaitMs ?? scheduler.budgetMs / 10, windowMs: f.windowMs };
}
