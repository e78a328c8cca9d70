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

  it("sweeps expired answers as time passes", () => {
    const cache = new DuplicateCache({ windowMs: 100, maxEntries: 1000 });
    for (let i = 0; i < 20; i++) {
      const r = cache.check(DuplicateCache.key("10.0.0.1", i, 0, auth), 0);
      if (r.kind === "new") cache.answered(r.entry, Buffer.alloc(1), 0);
    }
    cache.check(DuplicateCache.key("10.0.0.9", 1, 0, auth), 1000);
    expect(cache.size).toBe(1);
  });
});
