import { describe, it, expect } from "@jest/globals";
import fc from "fast-check";
import { DuplicateCache, type PendingEntry } from "../../src/verify/duplicates/cache.js";

const auth = Buffer.alloc(16, 7);

describe("duplicate cache (RFC 5080 §2.2.2)", () => {
  it("discards a duplicate in progress and replays the answer of an answered one within the window", () => {
    const cache = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    const key = DuplicateCache.key("10.0.0.1", 4000, 9, auth);
    const first = cache.check(key, 0);
    expect(first.kind).toBe("new");
    expect(cache.check(key, 10).kind).toBe("in-progress");
    if (first.kind !== "new") throw new Error("unreachable");
    const reply = Buffer.from("reply");
    cache.answered(first.entry, reply, 20);
    const again = cache.check(key, 4000);
    expect(again).toEqual({ kind: "answered", reply });
    expect(cache.check(key, 5021).kind).toBe("new");
  });

  it("keys on source port, identifier and authenticator", () => {
    const cache = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    expect(cache.check(DuplicateCache.key("10.0.0.1", 1, 1, auth), 0).kind).toBe("new");
    expect(cache.check(DuplicateCache.key("10.0.0.1", 2, 1, auth), 0).kind).toBe("new");
    expect(cache.check(DuplicateCache.key("10.0.0.1", 1, 2, auth), 0).kind).toBe("new");
    expect(cache.check(DuplicateCache.key("10.0.0.1", 1, 1, Buffer.alloc(16, 8)), 0).kind).toBe("new");
    expect(cache.check(DuplicateCache.key("10.0.0.2", 1, 1, auth), 0).kind).toBe("new");
    expect(cache.size).toBe(5);
  });

  it("lets a retransmission through again after the first attempt was dropped", () => {
    const cache = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    const key = DuplicateCache.key("10.0.0.1", 1, 1, auth);
    const first = cache.check(key, 0);
    if (first.kind !== "new") throw new Error("expected new");
    cache.forget(first.entry);
    expect(cache.check(key, 1).kind).toBe("new");
  });

  it("stays within maxEntries by evicting the oldest", () => {
    const cache = new DuplicateCache({ windowMs: 5000, maxEntries: 10 });
    for (let i = 0; i < 50; i++) cache.check(DuplicateCache.key("10.0.0.1", i, 0, auth), i);
    expect(cache.size).toBe(10);
    expect(cache.evictions).toBe(40);
  });

  it("treats an expired answer as a new request, and keeps memory bounded by maxEntries", () => {
    const cache = new DuplicateCache({ windowMs: 100, maxEntries: 16 });
    for (let i = 0; i < 20; i++) {
      const r = cache.check(DuplicateCache.key("10.0.0.1", i, 0, auth), 0);
      if (r.kind === "new") cache.answered(r.entry, Buffer.alloc(1), 0);
    }
    expect(cache.size).toBe(16);
    expect(cache.check(DuplicateCache.key("10.0.0.1", 19, 0, auth), 50).kind).toBe("answered");
    expect(cache.check(DuplicateCache.key("10.0.0.1", 18, 0, auth), 1000).kind).toBe("new");
  });

  it("ignores the answer of a request whose slot went to a newer one, and misses a reply the ring overwrote", () => {
    const cache = new DuplicateCache({ windowMs: 5000, maxEntries: 2, replyBytes: 65_536 });
    const a = cache.check(DuplicateCache.key("10.0.0.1", 1, 0, auth), 0);
    cache.check(DuplicateCache.key("10.0.0.1", 2, 0, auth), 0);
    cache.check(DuplicateCache.key("10.0.0.1", 3, 0, auth), 0); // takes a's slot
    if (a.kind !== "new") throw new Error("expected new");
    cache.answered(a.entry, Buffer.from("late"), 1);
    expect(cache.check(DuplicateCache.key("10.0.0.1", 3, 0, auth), 2).kind).toBe("in-progress");

    const big = new DuplicateCache({ windowMs: 5000, maxEntries: 100, replyBytes: 65_536 });
    const first = big.check(DuplicateCache.key("10.0.0.1", 1, 0, auth), 0);
    if (first.kind !== "new") throw new Error("expected new");
    big.answered(first.entry, Buffer.alloc(4000, 1), 0);
    for (let i = 2; i < 40; i++) {
      const r = big.check(DuplicateCache.key("10.0.0.1", i, 0, auth), 0);
      if (r.kind === "new") big.answered(r.entry, Buffer.alloc(4000, i), 0);
    }
    // 39 replies of 4000 bytes went through a 64 KiB ring: the first one is gone.
    expect(big.check(DuplicateCache.key("10.0.0.1", 1, 0, auth), 1).kind).toBe("new");
    const recent = big.check(DuplicateCache.key("10.0.0.1", 39, 0, auth), 1);
    expect(recent).toEqual({ kind: "answered", reply: Buffer.alloc(4000, 39) });
  });
});

// A model of what the cache promises, with none of its layout: a Map from key to entry, an entry
// expiring at its time, and forgotten once `maxEntries` newer requests have arrived (slots are
// handed out in arrival order). The reply ring is made large enough never to wrap, so that the
// model need not know how replies are stored (the ring is tested on its own above).
type ModelEntry = { seq: number; reply: Buffer | null; expiresAt: number };
type ModelCheck = { kind: "new"; seq: number } | { kind: "in-progress" } | { kind: "answered"; reply: Buffer };

class ExpiringMapModel {
  private readonly entries = new Map<string, ModelEntry>();
  private readonly keyOfSeq = new Map<number, string>();
  private claims = 0;
  evictions = 0;

  constructor(private readonly o: { windowMs: number; maxEntries: number; pendingTtlMs: number }) {}

  get size(): number {
    return this.entries.size;
  }

  check(key: string, now: number): ModelCheck {
    const e = this.entries.get(key);
    if (e && e.expiresAt > now) return e.reply ? { kind: "answered", reply: e.reply } : { kind: "in-progress" };
    if (e) this.remove(key);
    // The request `maxEntries` before this one is forgotten; counted if it was still live.
    const oldKey = this.keyOfSeq.get(this.claims - this.o.maxEntries);
    if (oldKey !== undefined) {
      if (this.entries.get(oldKey)!.expiresAt > now) this.evictions++;
      this.remove(oldKey);
    }
    const seq = this.claims++;
    this.entries.set(key, { seq, reply: null, expiresAt: now + this.o.pendingTtlMs });
    this.keyOfSeq.set(seq, key);
    return { kind: "new", seq };
  }

  answered(key: string, seq: number, reply: Buffer, now: number): void {
    const e = this.entries.get(key);
    if (e?.seq === seq) Object.assign(e, { reply, expiresAt: now + this.o.windowMs });
  }

  forget(key: string, seq: number): void {
    const e = this.entries.get(key);
    if (e?.seq === seq && e.reply === null) this.remove(key);
  }

  private remove(key: string): void {
    this.keyOfSeq.delete(this.entries.get(key)!.seq);
    this.entries.delete(key);
  }
}

// Few keys and small tables: collisions, full probe clusters that wrap the table, evictions.
const keyArb = fc.record({ address: fc.integer({ min: 0, max: 1 }), port: fc.integer({ min: 0, max: 1 }), id: fc.integer({ min: 0, max: 2 }), auth: fc.integer({ min: 0, max: 3 }) });
const opArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("check" as const), key: keyArb, dt: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("answer" as const), pick: fc.nat(), again: fc.boolean(), len: fc.integer({ min: 1, max: 300 }), dt: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("forget" as const), pick: fc.nat(), again: fc.boolean(), dt: fc.integer({ min: 0, max: 20 }) }) },
);

describe("duplicate cache against a model (a Map with expiry)", () => {
  it("gives the same answers, size and evictions over random checks, answers and forgets", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 50, max: 400 }), fc.array(opArb, { minLength: 100, maxLength: 400, size: "max" }), (maxEntries, windowMs, pendingTtlMs, ops) => {
        const opts = { windowMs, maxEntries, pendingTtlMs };
        // At most one reply of 300 octets per operation: the ring never wraps.
        const cache = new DuplicateCache({ ...opts, replyBytes: (ops.length + 1) * 300 });
        const model = new ExpiringMapModel(opts);
        // Handles the caller holds, stale ones included; `again` keeps one for another use.
        const held: Array<{ entry: PendingEntry; key: string; seq: number }> = [];
        let now = 0;
        for (const o of ops) {
          now += o.dt;
          if (o.op === "check") {
            const k = o.key;
            const key = `10.0.0.${k.address}|${1000 + k.port}|${k.id}|${k.auth}`;
            const got = cache.check(DuplicateCache.key(`10.0.0.${k.address}`, 1000 + k.port, k.id, Buffer.alloc(16, k.auth)), now);
            const want = model.check(key, now);
            expect(got.kind).toBe(want.kind);
            if (got.kind === "answered" && want.kind === "answered") expect(got.reply).toEqual(want.reply);
            if (got.kind === "new" && want.kind === "new") held.push({ entry: got.entry, key, seq: want.seq });
          } else if (held.length > 0) {
            const h = o.again ? held[o.pick % held.length] : held.splice(o.pick % held.length, 1)[0];
            if (o.op === "answer") {
              const reply = Buffer.alloc(o.len, o.pick & 0xff);
              cache.answered(h!.entry, reply, now);
              model.answered(h!.key, h!.seq, reply, now);
            } else {
              cache.forget(h!.entry);
              model.forget(h!.key, h!.seq);
            }
          }
          expect(cache.size).toBe(model.size);
        }
        expect(cache.evictions).toBe(model.evictions);
      }),
      { numRuns: 60 },
    );
  });
});
