// Model tests of the scheduler's queueing structures with fast-check: the deque against an array,
// class shares against the share each class is owed, and weighted round robin between clients.
import { describe, it, expect } from "@jest/globals";
import fc from "fast-check";
import { Deque } from "../../src/admit/deque.js";
import { ClassShares } from "../../src/admit/class-shares.js";
import { ClassQueue } from "../../src/admit/queues.js";

type DequeOp = { op: "pushBack" | "pushFront"; v: number } | { op: "popFront" | "popBack" | "clear" } | { op: "at"; i: number };

const dequeOp: fc.Arbitrary<DequeOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom("pushBack" as const, "pushFront" as const), v: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom("popFront" as const, "popBack" as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("at" as const), i: fc.integer({ min: -2, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("clear" as const) }) },
);

describe("Deque (fast-check, against an array)", () => {
  it("behaves as an array under any sequence of pushes, pops, clears and reads, through growth and wrap-around", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.array(dequeOp, { maxLength: 300 }), (capacity, ops) => {
        const d = new Deque<number>(capacity);
        const model: number[] = [];
        for (const o of ops) {
          switch (o.op) {
            case "pushBack":
              d.pushBack(o.v);
              model.push(o.v);
              break;
            case "pushFront":
              d.pushFront(o.v);
              model.unshift(o.v);
              break;
            case "popFront":
              expect(d.popFront()).toBe(model.shift());
              break;
            case "popBack":
              expect(d.popBack()).toBe(model.pop());
              break;
            case "at":
              expect(d.at(o.i)).toBe(o.i >= 0 ? model[o.i] : undefined);
              break;
            case "clear":
              d.clear();
              model.length = 0;
              break;
          }
          expect(d.length).toBe(model.length);
          expect(d.peekFront()).toBe(model[0]);
          expect(d.peekBack()).toBe(model[model.length - 1]);
        }
        expect(Array.from({ length: d.length }, (_, i) => d.at(i))).toEqual(model);
      }),
      { seed: 18, numRuns: 300 },
    );
  });
});

/** Minimum shares for ranks 1..4 (rank 0 never queues), summing to at most 1. */
const sharesArb = fc
  .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }))
  .map((xs) => {
    const sum = xs.reduce((a, b) => a + b, 0);
    const scale = sum > 100 ? 100 / sum : 1;
    return [0, ...xs.map((x) => Math.floor(x * scale) / 100)];
  });

describe("ClassShares (fast-check)", () => {
  it("with every class backlogged, each lower class gets its minimum share and the highest the rest", () => {
    fc.assert(
      fc.property(sharesArb, fc.integer({ min: 50, max: 2000 }), (shares, dispatches) => {
        const cs = new ClassShares(shares);
        const all = () => true;
        const got = [0, 0, 0, 0, 0];
        for (let i = 0; i < dispatches; i++) {
          const r = cs.pick(all);
          got[r < 1 ? 0 : r]!++;
          cs.accrue(r, all);
        }
        expect(got[0]).toBe(0); // always a queued class
        let lowerMax = 0;
        for (let r = 2; r <= 4; r++) {
          const share = shares[r]!;
          // Never more than it accrued, and its share up to the few dispatches that other classes
          // owed at the same moment can delay.
          const most = Math.ceil(dispatches * share) + 1;
          expect(got[r]!).toBeLessThanOrEqual(most);
          if (share > 0) expect(got[r]!).toBeGreaterThanOrEqual(Math.floor(dispatches * share) - 4);
          else expect(got[r]).toBe(0);
          lowerMax += most;
        }
        expect(got[1]!).toBeGreaterThanOrEqual(dispatches - lowerMax);
        expect(got.reduce((a, b) => a + b, 0)).toBe(dispatches);
      }),
      { seed: 18, numRuns: 300 },
    );
  });

  it("gives a share that is not a unit fraction exactly, not rounded down to one (0.14 is not 1/8)", () => {
    for (const share of [0.14, 0.3, 0.45]) {
      const cs = new ClassShares([0, 0, share, 0, 0]);
      const all = () => true;
      let got = 0;
      for (let i = 0; i < 10_000; i++) {
        const r = cs.pick(all);
        if (r === 2) got++;
        cs.accrue(r, all);
      }
      expect(Math.abs(got - 10_000 * share)).toBeLessThanOrEqual(2);
    }
  });

  it("picks only a class with work, -1 with none, and in strict priority when no class is owed a share", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), { maxLength: 200 }), (steps) => {
        const cs = new ClassShares([0, 0, 0, 0, 0]);
        for (const work of steps) {
          const hasWork = (r: number) => work[r] === true;
          const r = cs.pick(hasWork);
          const highest = work.findIndex((w, i) => i >= 1 && w);
          expect(r).toBe(highest);
          if (r >= 0) cs.accrue(r, hasWork);
        }
      }),
      { seed: 18, numRuns: 200 },
    );
  });

  it("owes nothing to a class that had no work waiting: it cannot save up dispatches while idle", () => {
    fc.assert(
      fc.property(sharesArb, fc.integer({ min: 1, max: 500 }), (shares, idle) => {
        const cs = new ClassShares(shares);
        const onlyTop = (r: number) => r === 1;
        for (let i = 0; i < idle; i++) cs.accrue(cs.pick(onlyTop), onlyTop);
        for (let r = 2; r <= 4; r++) expect(cs.owedTo(r)).toBe(0);
        // Once class 4 has work, the first dispatch goes to the highest class unless class 4 is
        // owed a whole one already (a share of 1).
        const both = (r: number) => r === 1 || r === 4;
        expect(cs.pick(both)).toBe(1);
      }),
      { seed: 18, numRuns: 200 },
    );
  });
});

interface E {
  queued: boolean;
  readonly enqueuedAt: number;
  readonly client: string;
  readonly seq: number;
}

describe("ClassQueue: weighted round robin between clients (fast-check)", () => {
  it("backlogged clients are served in proportion to their weights, each in arrival order", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 20, max: 400 }), (weights, pops) => {
        const minWeight = Math.min(...weights);
        const weightOf = (client: string) => {
          const w = weights[Number(client)]!;
          return { weight: w, quantum: w / minWeight };
        };
        const q = new ClassQueue<E>(weightOf);
        let seq = 0;
        // Enough entries that every client stays backlogged.
        for (let n = 0; n < pops; n++) {
          weights.forEach((_, c) => {
            const client = String(c);
            q.push({ queued: false, enqueuedAt: seq, client, seq: seq++ }, q.clientQueue(client));
          });
        }
        const served = weights.map(() => 0);
        const lastSeq = weights.map(() => -1);
        let outOfOrder = 0;
        for (let i = 0; i < pops; i++) {
          const got = q.pop(() => false);
          if (!got) break;
          const c = Number(got.entry.client);
          if (got.entry.seq <= lastSeq[c]!) outOfOrder++; // FIFO within a client
          lastSeq[c] = got.entry.seq;
          served[c]!++;
        }
        expect(outOfOrder).toBe(0);
        expect(served.reduce((a, b) => a + b, 0)).toBe(pops);
        const total = weights.reduce((a, b) => a + b, 0);
        const maxQuantum = Math.max(...weights) / minWeight;
        weights.forEach((w, c) => {
          expect(Math.abs(served[c]! - (pops * w) / total)).toBeLessThanOrEqual(2 * maxQuantum + 2);
        });
      }),
      { seed: 18, numRuns: 200 },
    );
  });

  it("newest first from a client queue served LIFO, and every entry comes out exactly once", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { minLength: 1, maxLength: 100 }), (arrivals) => {
        const q = new ClassQueue<E>(() => ({ weight: 1, quantum: 1 }));
        arrivals.forEach(([c], seq) => q.push({ queued: false, enqueuedAt: seq, client: String(c), seq }, q.clientQueue(String(c))));
        const lifoClients = new Set(arrivals.filter(([, l]) => l).map(([c]) => String(c)));
        const out: E[] = [];
        const last = new Map<string, number>();
        for (let got = q.pop((cq) => lifoClients.has(cq.client)); got; got = q.pop((cq) => lifoClients.has(cq.client))) {
          const e = got.entry;
          expect(e.queued).toBe(false);
          const prev = last.get(e.client);
          if (prev !== undefined) expect(lifoClients.has(e.client) ? e.seq < prev : e.seq > prev).toBe(true);
          last.set(e.client, e.seq);
          out.push(e);
        }
        expect(out.map((e) => e.seq).sort((a, b) => a - b)).toEqual(arrivals.map((_, i) => i));
        expect(q.live).toBe(0);
      }),
      { seed: 18, numRuns: 200 },
    );
  });
});
