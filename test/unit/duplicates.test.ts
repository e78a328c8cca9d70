import { describe, it, expect } from "@jest/globals";
import { DuplicateCache } from "../../src/verify/duplicates.js";

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
