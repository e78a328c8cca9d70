// Export/import of answered duplicate-cache entries: what a retiring worker hands to its
// replacement in a rolling restart (RFC 5080 §2.2.2 across processes).
import { describe, it, expect } from "@jest/globals";
import { v8Roundtrip } from "../helpers/v8-roundtrip.js";
import { DuplicateCache, splitSnapshot, type DuplicateKey } from "../../src/verify/duplicates.js";

const authOf = (n: number): Buffer => Buffer.alloc(16, n);

function answer(cache: DuplicateCache, key: DuplicateKey, reply: Buffer, now: number): void {
  const c = cache.check(key, now);
  if (c.kind !== "new") throw new Error(`expected a new request, got ${c.kind}`);
  cache.answered(c.entry, reply, now);
}

describe("duplicate cache hand-over", () => {
  it("round trip: the importing cache replays the exact reply bytes, for the time the entry had left", () => {
    const a = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    const k1 = DuplicateCache.key("10.0.0.1", 4000, 9, authOf(1));
    const k2 = DuplicateCache.key("2001:db8::7", 65535, 255, authOf(2));
    const r1 = Buffer.from("reply one");
    const r2 = Buffer.alloc(3000, 0xab);
    answer(a, k1, r1, 1000);
    answer(a, k2, r2, 3000);
    // A third request still in progress is not exported: its reply does not exist yet.
    expect(a.check(DuplicateCache.key("10.0.0.1", 4000, 10, authOf(3)), 3500).kind).toBe("new");

    // Through the IPC serialisation the processes use (v8, "advanced").
    const snap = v8Roundtrip(a.exportAnswered(4000));
    expect(snap.count).toBe(2);

    // The other process's clock is unrelated: 1_000_000 there is 4000 here.
    const b = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    expect(b.importAnswered(snap, 1_000_000)).toEqual({ imported: 2, skipped: 0 });
    expect(b.check(k1, 1_000_000)).toEqual({ kind: "answered", reply: r1 });
    expect(b.check(k2, 1_000_000)).toEqual({ kind: "answered", reply: r2 });
    // k1 was answered at 1000 with a 5000 ms window: 2000 ms left at the export.
    expect(b.check(k1, 1_001_999).kind).toBe("answered");
    expect(b.check(k1, 1_002_001).kind).toBe("new");
    // k2 had 4000 ms left.
    expect(b.check(k2, 1_003_999).kind).toBe("answered");
    expect(b.check(k2, 1_004_001).kind).toBe("new");
    // The request that was in progress is unknown to b.
    expect(b.check(DuplicateCache.key("10.0.0.1", 4000, 10, authOf(3)), 1_000_000).kind).toBe("new");
  });

  it("does not export expired entries, nor those answered before `answeredSince`", () => {
    const a = new DuplicateCache({ windowMs: 1000, maxEntries: 100 });
    answer(a, DuplicateCache.key("10.0.0.1", 1, 1, authOf(1)), Buffer.from("old"), 0);
    answer(a, DuplicateCache.key("10.0.0.1", 1, 2, authOf(2)), Buffer.from("newer"), 800);
    answer(a, DuplicateCache.key("10.0.0.1", 1, 3, authOf(3)), Buffer.from("newest"), 1200);
    const snap = a.exportAnswered(1500);
    expect(snap.count).toBe(2); // the one answered at 0 expired at 1000
    const b = new DuplicateCache({ windowMs: 1000, maxEntries: 100 });
    b.importAnswered(snap, 0);
    expect(b.check(DuplicateCache.key("10.0.0.1", 1, 1, authOf(1)), 0).kind).toBe("new");
    expect(b.check(DuplicateCache.key("10.0.0.1", 1, 2, authOf(2)), 0).kind).toBe("answered");
    expect(b.check(DuplicateCache.key("10.0.0.1", 1, 3, authOf(3)), 0).kind).toBe("answered");
    const late = a.exportAnswered(1500, 1000);
    expect(late.count).toBe(1);
    expect(late.addresses).toEqual(["10.0.0.1"]);
  });

  it("imports into a cache that already has entries: its own live entries win, the rest are added", () => {
    const a = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    const shared = DuplicateCache.key("10.0.0.1", 7, 7, authOf(7));
    const onlyA = DuplicateCache.key("10.0.0.2", 8, 8, authOf(8));
    answer(a, shared, Buffer.from("from a"), 0);
    answer(a, onlyA, Buffer.from("only in a"), 0);

    const b = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    const onlyB = DuplicateCache.key("10.0.0.3", 9, 9, authOf(9));
    answer(b, shared, Buffer.from("from b"), 100);
    answer(b, onlyB, Buffer.from("only in b"), 100);
    const inProgress = DuplicateCache.key("10.0.0.2", 8, 9, authOf(10));
    expect(b.check(inProgress, 100).kind).toBe("new");

    expect(b.importAnswered(a.exportAnswered(10), 100)).toEqual({ imported: 1, skipped: 1 });
    expect(b.check(shared, 200)).toEqual({ kind: "answered", reply: Buffer.from("from b") });
    expect(b.check(onlyA, 200)).toEqual({ kind: "answered", reply: Buffer.from("only in a") });
    expect(b.check(onlyB, 200)).toEqual({ kind: "answered", reply: Buffer.from("only in b") });
    expect(b.check(inProgress, 200).kind).toBe("in-progress");
    expect(b.size).toBe(4);
  });

  it("refuses a malformed snapshot without changing anything", () => {
    const a = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    answer(a, DuplicateCache.key("10.0.0.1", 1, 1, authOf(1)), Buffer.from("reply"), 0);
    const snap = a.exportAnswered(0);
    const b = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    expect(() => b.importAnswered({ ...snap, records: snap.records.subarray(0, snap.records.length - 1) }, 0)).toThrow(/truncated reply/);
    expect(() => b.importAnswered({ ...snap, addresses: [] }, 0)).toThrow(/address index/);
    expect(() => b.importAnswered({ ...snap, count: 2 }, 0)).toThrow(/1 records, 2 announced/);
    expect(b.size).toBe(0);
  });

  it("a snapshot cut into pieces imports to the same cache as the whole", () => {
    const a = new DuplicateCache({ windowMs: 5000, maxEntries: 1000 });
    const keys = Array.from({ length: 25 }, (_, i) => DuplicateCache.key(`10.0.0.${i % 7}`, 1000 + i, i, authOf(i)));
    keys.forEach((k, i) => answer(a, k, Buffer.alloc(1 + (i % 5) * 40, i), 100 + i));
    const whole = a.exportAnswered(200);
    const pieces = splitSnapshot(whole, 4);
    expect(pieces.map((p) => p.count)).toEqual([4, 4, 4, 4, 4, 4, 1]);
    const b = new DuplicateCache({ windowMs: 5000, maxEntries: 1000 });
    for (const p of pieces) b.importAnswered(v8Roundtrip(p), 10_000);
    keys.forEach((k, i) => expect(b.check(k, 10_000)).toEqual({ kind: "answered", reply: Buffer.alloc(1 + (i % 5) * 40, i) }));
    expect(splitSnapshot(whole, 1000)).toHaveLength(1);
    expect(() => splitSnapshot({ ...whole, records: whole.records.subarray(0, whole.records.length - 1) }, 4)).toThrow(RangeError);
  });
});
