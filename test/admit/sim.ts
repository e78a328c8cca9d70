// Deterministic discrete-event simulation for the scheduler: a fake clock, seeded Poisson
// arrivals, a store modelled as one FIFO server (fixed service time) behind a fixed network round
// trip, and jobs that complete through synchronous thenables so that no real time or microtask
// scheduling is involved.
import { REQUEST_CLASSES, type RequestClass } from "../../src/admit/classes.js";
import { schedulerConfig, type SchedulerConfigInput } from "../../src/admit/config.js";
import { Scheduler, type CompletionReport, type Job, type RunInfo, type SchedulerSignals, type SchedulerStats, type ShedReason } from "../../src/admit/scheduler.js";

export class FakeClock {
  t = 0;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A thenable that runs its callbacks synchronously when settled. */
export class SyncDeferred<T> {
  private settled: { ok: true; value: T } | { ok: false; err: unknown } | undefined;
  private readonly callbacks: { ok?: ((v: T) => unknown) | null | undefined; err?: ((e: unknown) => unknown) | null | undefined }[] = [];

  then<R1 = T, R2 = never>(ok?: ((v: T) => R1 | PromiseLike<R1>) | null, err?: ((e: unknown) => R2 | PromiseLike<R2>) | null): PromiseLike<R1 | R2> {
    if (this.settled?.ok === true) ok?.(this.settled.value);
    else if (this.settled?.ok === false) err?.(this.settled.err);
    else this.callbacks.push({ ok, err });
    return this as unknown as PromiseLike<R1 | R2>;
  }

  get isSettled(): boolean {
    return this.settled !== undefined;
  }

  resolve(value: T): void {
    if (this.settled) return;
    this.settled = { ok: true, value };
    for (const c of this.callbacks.splice(0)) c.ok?.(value);
  }

  reject(err: unknown): void {
    if (this.settled) return;
    this.settled = { ok: false, err };
    for (const c of this.callbacks.splice(0)) c.err?.(err);
  }
}

import { prng as rng } from "../helpers/prng.js";
export { rng };

/** Min-heap of timed events; ties run in insertion order. */
class EventQueue {
  private heap: { t: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  get size(): number {
    return this.heap.length;
  }
  push(t: number, fn: () => void): void {
    const h = this.heap;
    h.push({ t, seq: this.seq++, fn });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(i, p)) {
        [h[i], h[p]] = [h[p]!, h[i]!];
        i = p;
      } else break;
    }
  }
  pop(): { t: number; fn: () => void } | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
  private less(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
}

export interface Source {
  client: string;
  class: RequestClass;
  /** Requests per ms, or a function of time for steps. */
  rate: number | ((t: number) => number);
}

export interface StoreModel {
  /** Time the store is busy per command (ms): capacity = 1 / serviceMs per ms. */
  serviceMs: number | ((t: number) => number);
  /** Network round trip added to every command (ms). */
  baseRttMs: number | ((t: number) => number);
}

export interface SimOptions {
  config: SchedulerConfigInput;
  sources: Source[];
  store: StoreModel;
  durationMs: number;
  /** Outcomes of requests arriving before this are not counted (default 0). */
  measureFromMs?: number;
  /** Outcomes of requests arriving after this are not counted (default durationMs). */
  measureToMs?: number;
  tickMs?: number;
  seed?: number;
  /** Process signals, sampled every `signalEveryMs` (default 100 ms). */
  signals?: (t: number) => SchedulerSignals;
  signalEveryMs?: number;
  clientWeights?: ReadonlyMap<string, number>;
  /** Called every `sampleEveryMs` (default 50 ms) with the scheduler, for traces. */
  onSample?: (t: number, s: Scheduler) => void;
  sampleEveryMs?: number;
}

export interface Tally {
  offered: number;
  /** Answered within the deadline. */
  answered: number;
  late: number;
  shed: Partial<Record<ShedReason, number>>;
  shedTotal: number;
  /** Latency of requests answered within the deadline (ms). */
  latencies: number[];
}

export interface SimResult {
  byClass: Record<RequestClass, Tally>;
  byClient: Map<string, Tally>;
  total: Tally;
  /** Time that the outcomes were measured over (ms). */
  measuredMs: number;
  stats: SchedulerStats;
  scheduler: Scheduler;
  /** Sojourn (ms) of every started request, with its start time, and whether it was newest-first. */
  starts: { t: number; sojournMs: number; class: RequestClass; client: string; arrivedAt: number }[];
  sheds: { t: number; reason: ShedReason; class: RequestClass; client: string }[];
  /** Requests answered after their deadline, with their arrival. */
  lates: { t: number; arrivedAt: number; class: RequestClass; client: string }[];
}

function tally(): Tally {
  return { offered: 0, answered: 0, late: 0, shed: {}, shedTotal: 0, latencies: [] };
}

export function successRate(t: Tally): number {
  return t.offered === 0 ? 1 : t.answered / t.offered;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

const val = (v: number | ((t: number) => number), t: number): number => (typeof v === "function" ? v(t) : v);

/** Limiter bounds for the modelled store (a floor of 256 in flight: 25.6 ms of its work). */
export const SIM_LIMITER = { initial: 512, min: 256, max: 2048 } as const;

export function simulate(o: SimOptions): SimResult {
  const clock = new FakeClock();
  const events = new EventQueue();
  const random = rng(o.seed ?? 1);
  // The modelled store serves 10 requests per ms: the limiter's floor must stay below what it
  // serves within the budget (the default floor is sized for a Redis on a core of its own).
  // Every class, State rounds included, gets the one budget the scenarios' thresholds assume.
  const config = schedulerConfig({ enabled: true, limiter: SIM_LIMITER, classes: { "access-state": { budgetMs: o.config?.budgetMs ?? 50 } }, ...o.config });
  const deps = o.clientWeights ? { clock: clock.now, clientWeights: o.clientWeights } : { clock: clock.now };
  const s = new Scheduler(config, deps);
  const from = o.measureFromMs ?? 0;
  const to = o.measureToMs ?? o.durationMs;
  const byClass = Object.fromEntries(REQUEST_CLASSES.map((c) => [c, tally()])) as Record<RequestClass, Tally>;
  const byClient = new Map<string, Tally>();
  const total = tally();
  const starts: SimResult["starts"] = [];
  const sheds: SimResult["sheds"] = [];
  const lates: SimResult["lates"] = [];
  let storeFreeAt = 0;

  const tallies = (cls: RequestClass, client: string, arrivedAt: number): Tally[] => {
    if (arrivedAt < from || arrivedAt >= to) return [];
    let c = byClient.get(client);
    if (!c) byClient.set(client, (c = tally()));
    return [byClass[cls], c, total];
  };

  const arrive = (src: Source): void => {
    const arrivedAt = clock.t;
    for (const t of tallies(src.class, src.client, arrivedAt)) t.offered++;
    const job: Job = {
      class: src.class,
      client: src.client,
      arrivedAt,
      start(run: RunInfo) {
        starts.push({ t: clock.t, sojournMs: run.sojournMs, class: src.class, client: src.client, arrivedAt });
        const finish = () => {
          const done = clock.t;
          if (done > run.deadline) lates.push({ t: done, arrivedAt, class: src.class, client: src.client });
          for (const t of tallies(src.class, src.client, arrivedAt)) {
            if (done <= run.deadline) {
              t.answered++;
              t.latencies.push(done - arrivedAt);
            } else t.late++;
          }
        };
        if (src.class === "status") {
          finish(); // answered by the server itself, no store work
          return;
        }
        const d = new SyncDeferred<CompletionReport | void>();
        const sent = clock.t;
        const half = val(o.store.baseRttMs, sent) / 2;
        const begin = Math.max(sent + half, storeFreeAt);
        storeFreeAt = begin + val(o.store.serviceMs, begin);
        events.push(storeFreeAt + half, () => {
          finish();
          d.resolve(undefined);
        });
        return d;
      },
      shed(reason: ShedReason) {
        sheds.push({ t: clock.t, reason, class: src.class, client: src.client });
        for (const t of tallies(src.class, src.client, arrivedAt)) {
          t.shed[reason] = (t.shed[reason] ?? 0) + 1;
          t.shedTotal++;
        }
      },
    };
    s.submit(job);
  };

  const scheduleNext = (src: Source, after: number): void => {
    // Poisson arrivals; a time-varying rate is approximated by its value at the current time.
    const rate = val(src.rate, after);
    if (rate <= 0) {
      if (after + 1 < o.durationMs) events.push(after + 1, () => scheduleNext(src, after + 1));
      return;
    }
    const t = after - Math.log(1 - random()) / rate;
    if (t >= o.durationMs) return;
    events.push(t, () => {
      arrive(src);
      scheduleNext(src, t);
    });
  };
  for (const src of o.sources) scheduleNext(src, 0);

  const tickMs = o.tickMs ?? 10;
  const end = o.durationMs + 500;
  for (let t = tickMs; t <= end; t += tickMs) events.push(t, () => s.tick());
  if (o.signals) {
    const every = o.signalEveryMs ?? 100;
    const signals = o.signals;
    for (let t = 0; t <= end; t += every) events.push(t, () => s.setSignals(signals(t)));
  }
  if (o.onSample) {
    const every = o.sampleEveryMs ?? 50;
    const onSample = o.onSample;
    for (let t = every; t <= o.durationMs; t += every) events.push(t, () => onSample(t, s));
  }

  for (let ev = events.pop(); ev; ev = events.pop()) {
    clock.t = ev.t;
    ev.fn();
  }
  return { byClass, byClient, total, measuredMs: to - from, stats: s.stats(), scheduler: s, starts, sheds, lates };
}
