// The SessionStore contract (accounting, live sessions, Simultaneous-Use): run against every
// backend (memory, Redis, Redis Cluster) by the test files that own the backing.
import { describe, expect, it } from "@jest/globals";
import { configSchema } from "../../src/config/schema.js";
import type { AccountingRecord, AcctKind, SessionStore } from "../../src/store/sessions.js";

export const T0 = Date.parse("2026-11-29T10:00:00Z");

export function sessionsConfig(overrides: Record<string, unknown> = {}) {
  return configSchema.parse({ clients: [{ name: "x", address: "127.0.0.1", secret: "s" }], store: { memory: { file: "x" } }, sessions: overrides }).sessions;
}

export interface Env {
  store: SessionStore;
  clock: { now: number };
  prefix?: string;
}

export type Backend = { name: "memory" | "redis" | "redis-cluster"; open(overrides?: Record<string, unknown>): Promise<Env> };

export function rec(kind: AcctKind, o: Partial<AccountingRecord> = {}): AccountingRecord {
  return {
    kind,
    nas: "nas1",
    nasAddress: "127.0.0.1",
    sessionId: "sess-1",
    user: "alice",
    eventTime: T0,
    receivedAt: T0,
    ...o,
  };
}

export function sessionsContract(b: Backend): void {
  describe(`SessionStore contract: ${b.name}`, () => {
    it("Start, Interim-Update, Stop: a live session with counters, then closed; three history entries", async () => {
      const { store } = await b.open();
      expect(await store.record(rec("start", { nasPort: 7, framedIp: "10.0.0.5", callingStationId: "00-11" }), 1000)).toEqual({ result: "stored" });
      let live = await store.listSessions();
      expect(live).toHaveLength(1);
      expect(live[0]).toMatchObject({ user: "alice", nas: "nas1", sessionId: "sess-1", nasPort: 7, framedIp: "10.0.0.5", status: "live", startedAt: T0 });
      const big = 5 * 2 ** 32 + 123; // with Gigawords
      expect(await store.record(rec("interim", { eventTime: T0 + 60_000, sessionTime: 60, inputOctets: big, outputOctets: 99 }), 1000)).toEqual({ result: "stored" });
      live = await store.listSessions({ user: "alice" });
      expect(live[0]).toMatchObject({ inputOctets: big, outputOctets: 99, sessionTime: 60, updatedAt: T0 + 60_000, framedIp: "10.0.0.5" });
      expect(await store.record(rec("stop", { eventTime: T0 + 90_000, sessionTime: 90, inputOctets: big + 1, terminateCause: 1 }), 1000)).toEqual({ result: "stored" });
      expect(await store.listSessions()).toEqual([]);
      expect(await store.getSession("nas1", "sess-1", "alice")).toMatchObject({ status: "closed", closeReason: "stop", inputOctets: big + 1, closedAt: T0 + 90_000 });
      const h = await store.history();
      expect(h.map((e) => e.kind)).toEqual(["start", "interim", "stop"]);
      expect(h[1]).toMatchObject({ user: "alice", sessionId: "sess-1", inputOctets: big });
    });

    it("recognises retransmissions (new Identifier, Acct-Delay-Time updated) and never counts them twice", async () => {
      const { store } = await b.open();
      expect((await store.record(rec("start"), 1000)).result).toBe("stored");
      expect((await store.record(rec("start", { delayTime: 3 }), 1000)).result).toBe("duplicate");
      const i1 = rec("interim", { eventTime: T0 + 300_000, sessionTime: 300, inputOctets: 10 });
      expect((await store.record(i1, 1000)).result).toBe("stored");
      expect((await store.record({ ...i1, delayTime: 4, receivedAt: T0 + 304_000 }, 1000)).result).toBe("duplicate");
      const i2 = rec("interim", { eventTime: T0 + 600_000, sessionTime: 600, inputOctets: 20 });
      expect((await store.record(i2, 1000)).result).toBe("stored");
      // An older interim retransmitted after a newer one is still recognised.
      expect((await store.record({ ...i1, delayTime: 9 }, 1000)).result).toBe("duplicate");
      const stop = rec("stop", { eventTime: T0 + 700_000, sessionTime: 700, inputOctets: 30 });
      expect((await store.record(stop, 1000)).result).toBe("stored");
      expect((await store.record({ ...stop, delayTime: 2 }, 1000)).result).toBe("duplicate");
      // A Start retransmitted after the Stop does not reopen the session.
      expect((await store.record(rec("start", { delayTime: 30 }), 1000)).result).toBe("duplicate");
      expect(await store.listSessions()).toEqual([]);
      expect((await store.history()).map((e) => e.kind)).toEqual(["start", "interim", "interim", "stop"]);
      expect(await store.getSession("nas1", "sess-1", "alice")).toMatchObject({ inputOctets: 30, status: "closed" });
    });

    it("an Interim-Update for an unknown session opens it (start = event time - Acct-Session-Time); a late Start keeps it", async () => {
      const { store } = await b.open();
      await store.record(rec("interim", { eventTime: T0 + 120_000, sessionTime: 120 }), 1000);
      expect((await store.listSessions())[0]).toMatchObject({ startedAt: T0, status: "live" });
      expect((await store.record(rec("start"), 1000)).result).toBe("stored");
      expect((await store.listSessions())[0]).toMatchObject({ startedAt: T0, updatedAt: T0 + 120_000, sessionTime: 120 });
    });

    it("a Stop for an unknown session is recorded and opens nothing; records arriving after a Stop do not reopen it", async () => {
      const { store } = await b.open();
      expect((await store.record(rec("stop", { sessionId: "lost-start", sessionTime: 50 }), 1000)).result).toBe("stored");
      expect(await store.listSessions()).toEqual([]);
      expect(await store.getSession("nas1", "lost-start", "alice")).toMatchObject({ status: "closed", closeReason: "stop", startedAt: T0 - 50_000 });
      expect((await store.record(rec("stop", { sessionId: "lost-start", sessionTime: 50, delayTime: 5 }), 1000)).result).toBe("duplicate");
      // A late Interim-Update (reordered behind the Stop) goes into the history only.
      expect((await store.record(rec("interim", { sessionId: "lost-start", sessionTime: 30, eventTime: T0 - 20_000 }), 1000)).result).toBe("stored");
      expect(await store.listSessions()).toEqual([]);
      expect((await store.history()).map((e) => e.kind)).toEqual(["stop", "interim"]);
    });

    it("Accounting-On closes that NAS's sessions from before it, not other NASes' nor later ones; a retransmission changes nothing", async () => {
      const { store } = await b.open();
      for (let i = 0; i < 5; i++) await store.record(rec("start", { sessionId: `a${i}`, user: `u${i}` }), 1000);
      await store.record(rec("start", { nas: "nas2", sessionId: "b0", user: "u0" }), 1000);
      const on = rec("on", { sessionId: "0", user: "", eventTime: T0 + 10_000, receivedAt: T0 + 10_000 });
      expect(await store.record(on, 1000)).toEqual({ result: "stored", closed: 5 });
      await store.record(rec("start", { sessionId: "a9", user: "u9", eventTime: T0 + 11_000 }), 1000);
      expect(await store.record({ ...on, delayTime: 5, receivedAt: T0 + 15_000 }, 1000)).toEqual({ result: "duplicate", closed: 0 });
      const live = await store.listSessions();
      expect(live.map((s) => `${s.nas}/${s.sessionId}`).sort()).toEqual(["nas1/a9", "nas2/b0"]);
      expect(await store.getSession("nas1", "a3", "u3")).toMatchObject({ status: "closed", closeReason: "nas-on" });
      const kinds = (await store.history()).map((e) => e.kind);
      expect(kinds.filter((k) => k === "close")).toHaveLength(5);
      expect(kinds.filter((k) => k === "on")).toHaveLength(1);
      // Accounting-Off likewise.
      expect((await store.record(rec("off", { sessionId: "0", user: "", eventTime: T0 + 20_000 }), 1000)).closed).toBe(1);
      expect((await store.listSessions()).map((s) => s.nas)).toEqual(["nas2"]);
    });

    it("closes sessions without a record for staleMultiple interim intervals", async () => {
      const { store, clock } = await b.open({ interimIntervalSeconds: 60, staleMultiple: 3 });
      await store.record(rec("start", { sessionId: "quiet" }), 1000);
      await store.record(rec("start", { sessionId: "chatty", interimInterval: 600 }), 1000);
      clock.now = T0 + 179_000;
      expect(await store.sweepStale()).toBe(0);
      clock.now = T0 + 181_000;
      expect(await store.sweepStale()).toBe(1);
      expect((await store.listSessions()).map((s) => s.sessionId)).toEqual(["chatty"]);
      expect(await store.getSession("nas1", "quiet", "alice")).toMatchObject({ status: "closed", closeReason: "stale" });
      // An interim keeps a session alive: its deadline moves with each record.
      clock.now = T0 + 1_700_000;
      await store.record(rec("interim", { sessionId: "chatty", interimInterval: 600, receivedAt: clock.now, eventTime: clock.now, sessionTime: 1700 }), 1000);
      clock.now = T0 + 1_900_000;
      expect(await store.sweepStale()).toBe(0);
      expect((await store.history()).filter((e) => e.kind === "close")).toHaveLength(1);
    });

    it("Simultaneous-Use: claims count with live sessions; a Start takes the place of its claim; claims expire", async () => {
      const { store, clock } = await b.open({ claimTtlSeconds: 30 });
      expect(await store.claim("bob", 1, 1000)).toEqual({ ok: true, inUse: 0 });
      expect(await store.claim("bob", 1, 1000)).toEqual({ ok: false, inUse: 1 });
      await store.record(rec("start", { user: "bob", sessionId: "s1" }), 1000);
      // The session replaced the claim: still one in use, not two.
      expect(await store.claim("bob", 2, 1000)).toEqual({ ok: true, inUse: 1 });
      expect(await store.claim("bob", 2, 1000)).toEqual({ ok: false, inUse: 2 });
      clock.now = T0 + 31_000;
      expect(await store.claim("bob", 2, 1000)).toEqual({ ok: true, inUse: 1 });
      await store.record(rec("stop", { user: "bob", sessionId: "s1", eventTime: T0 + 40_000 }), 1000);
      expect(await store.claim("bob", 2, 1000)).toEqual({ ok: true, inUse: 1 });
      // Other users are not affected.
      expect(await store.claim("carol", 1, 1000)).toEqual({ ok: true, inUse: 0 });
    });

    it("concurrent claims never exceed maxSessions", async () => {
      const { store } = await b.open();
      const results = await Promise.all(Array.from({ length: 60 }, () => store.claim("dave", 3, 2000)));
      expect(results.filter((r) => r.ok)).toHaveLength(3);
    });

    it("lists by user and by NAS", async () => {
      const { store } = await b.open();
      await store.record(rec("start", { sessionId: "1", user: "u1" }), 1000);
      await store.record(rec("start", { sessionId: "2", user: "u1", nas: "nas2", eventTime: T0 + 1 }), 1000);
      await store.record(rec("start", { sessionId: "3", user: "u2", eventTime: T0 + 2 }), 1000);
      expect((await store.listSessions({ user: "u1" })).map((s) => s.sessionId)).toEqual(["1", "2"]);
      expect((await store.listSessions({ nas: "nas1" })).map((s) => s.sessionId)).toEqual(["1", "3"]);
      expect((await store.listSessions({ user: "u1", nas: "nas2" })).map((s) => s.sessionId)).toEqual(["2"]);
      expect((await store.listSessions({ user: "nobody" }))).toEqual([]);
      expect(await store.getSession("nas9", "1", "u1")).toBeNull();
    });

    it("refuses to write before start and after close, and with an expired deadline", async () => {
      const { store } = await b.open();
      await expect(store.record(rec("start"), 0)).rejects.toMatchObject({ code: "STORE_TIMEOUT" });
      await store.close();
      expect(store.isAvailable()).toBe(false);
      await expect(store.record(rec("start"), 1000)).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      await expect(store.claim("x", 1, 1000)).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    });
  });
}
