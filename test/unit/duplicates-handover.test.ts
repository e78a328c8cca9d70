// The hand-over of a duplicate cache: a retiring worker's whole cache as a dump, adopted by its
// replacement in a rolling restart (RFC 5080 §2.2.2 across processes).
import { describe, it, expect } from "@jest/globals";
import { v8Roundtrip } from "../helpers/v8-roundtrip.js";
import { DuplicateCache, type DuplicateKey } from "../../src/verify/duplicates/cache.js";

const authOf = (n: number): Buffer => Buffer.alloc(16, n);

function answer(cache: DuplicateCache, key: DuplicateKey, reply: Buffer, now: number): void {
  const c = cache.check(key, now);
  if (c.kind !== "new") throw new Error(`expected a new request, got ${c.kind}`);
  cache.answered(c.entry, reply, now);
}

// What a file round trip gives the reader: one Buffer of the concatenated parts.
const bytesOf = (parts: Uint8Array[], shift = 0): Buffer => {
  const all = Buffer.concat([Buffer.alloc(shift), ...parts]);
  return all.subarray(shift);
};

describe("duplicate cache hand-over", () => {
  it("through the primary (v8 IPC serialisation): the same replies, for the time each entry had left", () => {
    const a = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    const k1 = DuplicateCache.key("10.0.0.1", 4000, 9, authOf(1));
    const k2 = DuplicateCache.key("2001:db8::7", 65535, 255, authOf(2));
    const r1 = Buffer.from("reply one");
    const r2 = Buffer.alloc(3000, 0xab);
    answer(a, k1, r1, 1000);
    answer(a, k2, r2, 3000);
    // A third request still in progress is not handed over: its reply does not exist yet.
    expect(a.check(DuplicateCache.key("10.0.0.1", 4000, 10, authOf(3)), 3500).kind).toBe("new");

    // Inline, as the worker sends it when the dump file cannot be written.
    const bytes = v8Roundtrip(new Uint8Array(Buffer.concat(a.dump(4000, 0))));
    expect(bytes).toBeInstanceOf(Uint8Array);

    // The other process's clock is unrelated: 1_000_000 there is 4000 here (same wall clock).
    const b = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    expect(b.adoptPredecessor(bytes, 1_000_000, 0)).toBe(2);
    expect(b.check(k1, 1_000_000)).toEqual({ kind: "answered", reply: r1 });
    expect(b.check(k2, 1_000_000)).toEqual({ kind: "answered", reply: r2 });
    // k1 was answered at 1000 with a 5000 ms window: 2000 ms left at the dump.
    expect(b.check(k1, 1_001_999).kind).toBe("answered");
    expect(b.check(k1, 1_002_001).kind).toBe("new");
    // k2 had 4000 ms left.
    expect(b.check(k2, 1_003_999).kind).toBe("answered");
    expect(b.check(k2, 1_004_001).kind).toBe("new");
    // The request that was in progress is unknown to b.
    expect(b.check(DuplicateCache.key("10.0.0.1", 4000, 10, authOf(3)), 1_000_000).kind).toBe("new");
  });

  it("does not answer from expired entries, and counts only the live ones", () => {
    const a = new DuplicateCache({ windowMs: 1000, maxEntries: 100 });
    answer(a, DuplicateCache.key("10.0.0.1", 1, 1, authOf(1)), Buffer.from("old"), 0);
    answer(a, DuplicateCache.key("10.0.0.1", 1, 2, authOf(2)), Buffer.from("newer"), 800);
    answer(a, DuplicateCache.key("10.0.0.1", 1, 3, authOf(3)), Buffer.from("newest"), 1200);
    const b = new DuplicateCache({ windowMs: 1000, maxEntries: 100 });
    expect(b.adoptPredecessor(bytesOf(a.dump(1500, 0)), 1500, 0)).toBe(2); // the one answered at 0 expired at 1000
    expect(b.check(DuplicateCache.key("10.0.0.1", 1, 1, authOf(1)), 1500).kind).toBe("new");
    expect(b.check(DuplicateCache.key("10.0.0.1", 1, 2, authOf(2)), 1500)).toEqual({ kind: "answered", reply: Buffer.from("newer") });
    expect(b.check(DuplicateCache.key("10.0.0.1", 1, 3, authOf(3)), 1500)).toEqual({ kind: "answered", reply: Buffer.from("newest") });
    expect(b.adoptedHits).toBe(2);
  });

  it("adopted by a cache that already has entries: its own entries win, the predecessor answers the rest", () => {
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

    expect(b.adoptPredecessor(bytesOf(a.dump(10, 0)), 100, 0)).toBe(2);
    expect(b.check(shared, 200)).toEqual({ kind: "answered", reply: Buffer.from("from b") });
    expect(b.check(onlyA, 200)).toEqual({ kind: "answered", reply: Buffer.from("only in a") });
    expect(b.check(onlyB, 200)).toEqual({ kind: "answered", reply: Buffer.from("only in b") });
    expect(b.check(inProgress, 200).kind).toBe("in-progress");
    // The predecessor's entries are not copied into b's own table.
    expect(b.size).toBe(3);
    expect(b.adoptedHits).toBe(1);
  });

  it("a refused dump leaves the cache and its adopted predecessor as they were", () => {
    const a = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    const k = DuplicateCache.key("10.0.0.1", 1, 1, authOf(1));
    answer(a, k, Buffer.from("reply"), 0);
    const good = bytesOf(a.dump(0, 0));
    const b = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
    expect(b.adoptPredecessor(good, 0, 0)).toBe(1);
    expect(() => b.adoptPredecessor(good.subarray(0, good.length - 16), 0, 0)).toThrow(/bad section/);
    expect(() => b.adoptPredecessor(v8Roundtrip(new Uint8Array(0)), 0, 0)).toThrow(/truncated/);
    expect(b.size).toBe(0);
    expect(b.check(k, 1)).toEqual({ kind: "answered", reply: Buffer.from("reply") });
    expect(b.adoptedHits).toBe(1);
    // Nothing of the refused dumps was taken into b's own table either.
    expect(b.check(DuplicateCache.key("10.0.0.1", 1, 2, authOf(1)), 1).kind).toBe("new");
    expect(b.size).toBe(1);
  });

  describe("whole-cache dump, adopted by another process", () => {
    it("answers the predecessor's retransmissions with the exact bytes, for the time they had left", () => {
      const a = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
      const k1 = DuplicateCache.key("10.0.0.1", 4000, 9, authOf(1));
      const k2 = DuplicateCache.key("2001:db8::7", 65535, 255, authOf(2));
      const pending = DuplicateCache.key("10.0.0.1", 4000, 10, authOf(3));
      answer(a, k1, Buffer.from("reply one"), 1000);
      answer(a, k2, Buffer.alloc(3000, 0xab), 3000);
      expect(a.check(pending, 3500).kind).toBe("new");
      // Dumped at 4000 on a's clock, wall clock 50_000; adopted 20 ms of wall time later by a
      // process whose own clock reads 1_000_000 then.
      const dump = bytesOf(a.dump(4000, 50_000));
      const b = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
      expect(b.adoptPredecessor(dump, 1_000_000, 50_020)).toBe(2);
      expect(b.check(k1, 1_000_000)).toEqual({ kind: "answered", reply: Buffer.from("reply one") });
      expect(b.check(k2, 1_000_000)).toEqual({ kind: "answered", reply: Buffer.alloc(3000, 0xab) });
      expect(b.adoptedHits).toBe(2);
      // k1 expires at 6000 on a's clock: 1980 ms after the adoption here.
      expect(b.check(k1, 1_001_979).kind).toBe("answered");
      // Not adopted into b's own table: a miss after expiry is a new request.
      expect(b.check(k1, 1_001_981).kind).toBe("new");
      expect(b.check(k2, 1_003_979).kind).toBe("answered");
      // The request still in progress at the dump is not answered from it.
      expect(b.check(pending, 1_000_100).kind).toBe("new");
      // Unknown address, port, Identifier or authenticator: new.
      expect(b.check(DuplicateCache.key("10.0.0.9", 4000, 9, authOf(1)), 1_000_100).kind).toBe("new");
      expect(b.check(DuplicateCache.key("10.0.0.1", 4001, 9, authOf(1)), 1_000_100).kind).toBe("new");
      expect(b.check(DuplicateCache.key("10.0.0.1", 4000, 8, authOf(1)), 1_000_100).kind).toBe("new");
      expect(b.check(DuplicateCache.key("10.0.0.1", 4000, 9, authOf(4)), 1_000_100).kind).toBe("new");
    });

    it("its own entries come first, and after the window the predecessor is forgotten", () => {
      const a = new DuplicateCache({ windowMs: 1000, maxEntries: 50 });
      const k = DuplicateCache.key("10.0.0.1", 1, 1, authOf(1));
      answer(a, k, Buffer.from("from a"), 0);
      const b = new DuplicateCache({ windowMs: 1000, maxEntries: 50 });
      answer(b, k, Buffer.from("from b"), 0);
      b.adoptPredecessor(bytesOf(a.dump(10, 0)), 10, 0);
      expect(b.check(k, 20)).toEqual({ kind: "answered", reply: Buffer.from("from b") });
      expect(b.adoptedHits).toBe(0);
      const other = DuplicateCache.key("10.0.0.2", 1, 1, authOf(2));
      answer(a, other, Buffer.from("late"), 20); // after the dump: not in it
      expect(b.check(other, 30).kind).toBe("new");
    });

    it("reads a dump at any alignment, with a wrapped reply ring, many entries", () => {
      const a = new DuplicateCache({ windowMs: 5000, maxEntries: 2000, replyBytes: 65_536 });
      const keys = Array.from({ length: 3000 }, (_, i) => DuplicateCache.key(`10.1.${i % 5}.1`, 1000 + (i % 300), i & 0xff, authOf(i & 0xff)));
      // 3000 replies of 1..120 octets through a 64 KiB ring: it wraps and the oldest are gone.
      keys.forEach((k, i) => answer(a, k, Buffer.alloc(1 + (i % 120), i & 0xff), i));
      const dump = a.dump(3000, 0);
      // What `a` itself answers, newest first (a miss claims a slot, evicting the oldest entry,
      // which in this order has already been looked at or is gone from the ring anyway).
      const expected = keys.map(() => "").slice();
      const replies: (Buffer | undefined)[] = [];
      for (let i = keys.length - 1; i >= 0; i--) {
        const got = a.check(keys[i]!, 3000);
        expected[i] = got.kind;
        replies[i] = got.kind === "answered" ? got.reply : undefined;
      }
      const answered = expected.filter((k) => k === "answered").length;
      expect(answered).toBeGreaterThan(500);
      expect(answered).toBeLessThan(2000);
      for (const shift of [0, 1, 3]) {
        const b = new DuplicateCache({ windowMs: 5000, maxEntries: 10 });
        b.adoptPredecessor(bytesOf(dump, shift), 3000, 0);
        keys.forEach((k, i) => {
          const adopted = b.check(k, 3000);
          if (expected[i] === "answered") expect(adopted).toEqual({ kind: "answered", reply: replies[i] });
          // `a` gives up on a reply a little before the ring overwrites it; the dump holds
          // exactly the intact bytes, so it may answer a few more, never with other bytes.
          else if (adopted.kind === "answered") expect(adopted.reply).toEqual(Buffer.alloc(1 + (i % 120), i & 0xff));
        });
      }
    });

    it("refuses a damaged dump with a reason, without changing anything", () => {
      const a = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
      const k = DuplicateCache.key("10.0.0.1", 1, 1, authOf(1));
      answer(a, k, Buffer.from("reply"), 0);
      const good = bytesOf(a.dump(0, 0));
      const b = new DuplicateCache({ windowMs: 5000, maxEntries: 100 });
      expect(() => b.adoptPredecessor(good.subarray(0, 2), 0, 0)).toThrow(/truncated/);
      expect(() => b.adoptPredecessor(good.subarray(0, 40), 0, 0)).toThrow(/truncated header/);
      expect(() => b.adoptPredecessor(good.subarray(0, good.length - 100), 0, 0)).toThrow(/bad section/);
      const notJson = Buffer.from(good);
      notJson[4] = 0x7b + 1;
      expect(() => b.adoptPredecessor(notJson, 0, 0)).toThrow(/not JSON/);
      const len = good.readUInt32BE(0);
      const header = JSON.parse(good.subarray(4, 4 + len).toString());
      const withHeader = (h: unknown): Buffer => {
        const json = Buffer.from(JSON.stringify(h).padEnd(len, " "));
        expect(json.length).toBe(len);
        return Buffer.concat([good.subarray(0, 4), json, good.subarray(4 + len)]);
      };
      expect(() => b.adoptPredecessor(withHeader({ ...header, v: 2 }), 0, 0)).toThrow(/unknown version/);
      expect(() => b.adoptPredecessor(withHeader({ ...header, cap: 3 }), 0, 0)).toThrow(/bad sizes/);
      expect(() => b.adoptPredecessor(withHeader({ ...header, ringHi: 0, ringLo: 1 }), 0, 0)).toThrow(/ring bounds/);
      expect(() => b.adoptPredecessor(withHeader({ ...header, addresses: [[1, 2]] }), 0, 0)).toThrow(/address table/);
      expect(() => b.adoptPredecessor(withHeader({ ...header, n: 50 }), 0, 0)).toThrow(/section hashOf/);
      expect(b.check(k, 1).kind).toBe("new");
      // A table without an empty cell (every cell points at a non-matching slot) ends the probe.
      const full = Buffer.from(good);
      const body = (4 + len + 7) & ~7;
      const [tOff, tLen] = header.sections.table as [number, number];
      for (let o = body + tOff; o < body + tOff + tLen; o += 4) full.writeInt32LE(100, o); // slot 99
      b.adoptPredecessor(full, 0, 0);
      expect(b.check(DuplicateCache.key("10.0.0.1", 1, 1, authOf(1)), 1).kind).toBe("in-progress");
    });
  });
});
