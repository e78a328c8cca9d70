import { describe, it, expect } from "@jest/globals";
import { DuplicateCache, type PendingEntry } from "../../src/verify/duplicates.js";
import { prng } from "../helpers/prng.js";

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

// The previous implementation (a Map of string keys), kept as the reference model for the typed
// array one: both must give the same answers to any sequence of operations.
type RefCheck = { kind: "new"; entry: { key: string; slot: number } } | { kind: "in-progress" } | { kind: "answered"; reply: Buffer };
const PENDING = -1;

class ReferenceCache {
  private readonly index = new Map<string, number>();
  private readonly keys: Array<string | undefined>;
  private readonly expiresAt: Float64Array;
  /** Absolute ring position of the reply, PENDING while in progress. */
  private readonly replyAt: Float64Array;
  private readonly replyLen: Uint16Array;
  private readonly ring: Buffer;
  private ringPos = 0;
  private next = 0;
  evictions = 0;

  constructor(private readonly opts: { windowMs: number; maxEntries: number; pendingTtlMs?: number; replyBytes?: number }) {
    const n = opts.maxEntries;
    this.keys = new Array<string | undefined>(n);
    this.expiresAt = new Float64Array(n);
    this.replyAt = new Float64Array(n);
    this.replyLen = new Uint16Array(n);
    // allocUnsafeSlow: its own memory, outside the pool; pages are touched only as it fills.
    this.ring = Buffer.allocUnsafeSlow(Math.max(65_536, opts.replyBytes ?? n * 160));
  }

  static key(address: string, port: number, identifier: number, authenticator: Buffer): string {
    return `${address}|${port}|${identifier}|${authenticator.toString("latin1")}`;
  }

  /** Live entries (answered within their window, or in progress). */
  get size(): number {
    return this.index.size;
  }

  check(key: string, now: number): RefCheck {
    const slot = this.index.get(key);
    if (slot !== undefined && (this.expiresAt[slot] as number) > now) {
      const at = this.replyAt[slot] as number;
      if (at === PENDING) return { kind: "in-progress" };
      const len = this.replyLen[slot] as number;
      if (this.ringPos - at <= this.ring.length - len) {
        // A copy: the ring may be overwritten before the datagram leaves.
        const off = at % this.ring.length;
        return { kind: "answered", reply: Buffer.from(this.ring.subarray(off, off + len)) };
      }
    }
    if (slot !== undefined) this.release(slot);
    return { kind: "new", entry: { key, slot: this.claim(key, now) } };
  }

  /** The request was answered: keep the reply for the window. */
  answered(entry: { key: string; slot: number }, reply: Buffer, now: number): void {
    if (this.keys[entry.slot] !== entry.key) return; // the slot went to a newer request meanwhile
    if (this.opts.windowMs === 0 || reply.length > this.ring.length || reply.length > 0xffff) {
      this.release(entry.slot);
      return;
    }
    let off = this.ringPos % this.ring.length;
    if (off + reply.length > this.ring.length) {
      // Never split a reply across the end of the ring.
      this.ringPos += this.ring.length - off;
      off = 0;
    }
    reply.copy(this.ring, off);
    this.replyAt[entry.slot] = this.ringPos;
    this.replyLen[entry.slot] = reply.length;
    this.ringPos += reply.length;
    this.expiresAt[entry.slot] = now + this.opts.windowMs;
  }

  /** The request ended without a reply (dropped, shed): a retransmission may be served afresh. */
  forget(entry: { key: string; slot: number }): void {
    if (this.keys[entry.slot] === entry.key && this.replyAt[entry.slot] === PENDING) this.release(entry.slot);
  }

  private claim(key: string, now: number): number {
    const slot = this.next;
    this.next = (slot + 1) % this.opts.maxEntries;
    const old = this.keys[slot];
    if (old !== undefined) {
      if ((this.expiresAt[slot] as number) > now) this.evictions++;
      this.index.delete(old);
    }
    this.keys[slot] = key;
    this.index.set(key, slot);
    this.replyAt[slot] = PENDING;
    this.expiresAt[slot] = now + (this.opts.pendingTtlMs ?? 30_000);
    return slot;
  }

  private release(slot: number): void {
    const key = this.keys[slot];
    if (key !== undefined) this.index.delete(key);
    this.keys[slot] = undefined;
    this.expiresAt[slot] = 0;
  }
}

describe("typed-array cache against the reference model", () => {
  it("gives the same answers over random operations (collisions, evictions, expiry, reuse)", () => {
    const rng = prng(20261129);
    for (let round = 0; round < 20; round++) {
      const opts = { windowMs: 50, maxEntries: 8 + Math.floor(rng() * 40), pendingTtlMs: 200, replyBytes: 64 * 1024 };
      const a = new DuplicateCache(opts);
      const b = new ReferenceCache(opts);
      const pendingA: PendingEntry[] = [];
      const pendingB: Array<{ key: string; slot: number }> = [];
      const claimedAt: number[] = [];
      let claims = 0;
      let now = 0;
      for (let op = 0; op < 3000; op++) {
        now += rng() * 2;
        const r = rng();
        if (r < 0.6 || pendingA.length === 0) {
          const auth = Buffer.alloc(16, Math.floor(rng() * 6));
          const address = `10.0.0.${Math.floor(rng() * 3)}`;
          const port = 1000 + Math.floor(rng() * 3);
          const id = Math.floor(rng() * 3);
          const x = a.check(DuplicateCache.key(address, port, id, auth), now);
          const y = b.check(ReferenceCache.key(address, port, id, auth), now);
          expect(x.kind).toBe(y.kind);
          if (x.kind === "answered" && y.kind === "answered") expect(x.reply.equals(y.reply)).toBe(true);
          if (x.kind === "new" && y.kind === "new") {
            pendingA.push(x.entry);
            pendingB.push(y.entry);
            claimedAt.push(claims++);
          }
        } else {
          // An entry whose slot was reused by a full turn of the ring may have been re-claimed by
          // the same key: the model would then accept the stale entry, the generation check does
          // not. Such entries are only dropped here.
          while (claimedAt.length > 0 && claims - claimedAt[0]! >= opts.maxEntries) {
            claimedAt.shift();
            pendingA.shift();
            pendingB.shift();
          }
          if (pendingA.length === 0) continue;
          const k = Math.floor(rng() * pendingA.length);
          claimedAt.splice(k, 1);
          const [ea] = pendingA.splice(k, 1);
          const [eb] = pendingB.splice(k, 1);
          if (rng() < 0.8) {
            const reply = Buffer.from(`reply-${op}`);
            a.answered(ea!, reply, now);
            b.answered(eb!, reply, now);
          } else {
            a.forget(ea!);
            b.forget(eb!);
          }
        }
        expect(a.size).toBe(b.size);
      }
      expect(a.evictions).toBe(b.evictions);
    }
  });
});
