// The SubscriberStore contract: run against every backend (memory, Redis, Redis Cluster) by the
// test files that own the backing (contract.test.ts, redis-cluster.test.ts).
import { describe, expect, it } from "@jest/globals";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { importFile } from "../../src/store/jsonl.js";
import { resolveReply, StoreError } from "../../src/store/store.js";
import type { Subscriber } from "../../src/store/subscriber.js";
import { rejection, sub, type Harness, type Opened } from "./harness.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "store");

export function storeContract(h: Harness, opened: Opened): void {
  describe(`SubscriberStore contract: ${h.label ?? h.name}`, () => {
    it("resolves null for an unknown user and for names that cannot be stored", async () => {
      const s = await opened.open(await h.fresh());
      expect(s.kind).toBe(h.name);
      expect(s.isAvailable()).toBe(true);
      await expect(s.getSubscriber("nobody")).resolves.toBeNull();
      await expect(s.getSubscriber("")).resolves.toBeNull();
      await expect(s.getSubscriber("bad\nname")).resolves.toBeNull();
      await expect(s.getSubscriber("x".repeat(300))).resolves.toBeNull();
    });

    it("returns what was put, with defaults applied", async () => {
      const s = await opened.open(await h.fresh());
      const alice: Subscriber = {
        username: "alice",
        password: "s3cret",
        enabled: true,
        expiresAt: "2027-01-01T00:00:00Z",
        groups: ["gold"],
        reply: { "Framed-IP-Address": "10.0.0.5", "Session-Timeout": 3600 },
        maxSessions: 1,
      };
      // Callers holding unvalidated input get the defaults filled in by the store.
      const minimal = { username: "bob", passwordHash: "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA" } as Subscriber;
      expect(await s.putSubscribers([alice, minimal])).toEqual({ written: 2, failed: 0 });
      expect(await s.getSubscriber("alice")).toEqual(alice);
      expect(await s.getSubscriber("bob")).toEqual({ ...minimal, enabled: true, groups: [], reply: {} });
      await expect(s.getSubscriber("alice", 1000)).resolves.toEqual(alice);
    });

    it("put replaces the whole record", async () => {
      const s = await opened.open(await h.fresh());
      await s.putSubscribers([sub("u1", { reply: { "Session-Timeout": 60, "Filter-Id": "a" }, maxSessions: 2 })]);
      await s.putSubscribers([sub("u1", { passwordHash: "$scrypt$x", password: undefined, reply: { "Filter-Id": "b" } })]);
      const got = await s.getSubscriber("u1");
      expect(got).toEqual({ username: "u1", passwordHash: "$scrypt$x", enabled: true, groups: [], reply: { "Filter-Id": "b" } });
    });

    it("delete removes the user and says whether it existed", async () => {
      const s = await opened.open(await h.fresh());
      await s.putSubscribers([sub("u1"), sub("u2")]);
      await expect(s.deleteSubscriber("u1")).resolves.toBe(true);
      await expect(s.deleteSubscriber("u1")).resolves.toBe(false);
      await expect(s.getSubscriber("u1")).resolves.toBeNull();
      await expect(s.getSubscriber("u2")).resolves.not.toBeNull();
    });

    it("groups: put/get/delete, and resolveReply precedence (later group wins, subscriber wins over groups)", async () => {
      const s = await opened.open(await h.fresh());
      expect(s.getGroup("gold")).toBeUndefined();
      const report = await s.putGroups([
        { group: "gold", reply: { "Session-Timeout": 86400, "Idle-Timeout": 600, "Filter-Id": "gold" } },
        { group: "silver", reply: { "Session-Timeout": 7200, "Class": ["s1", "s2"] } },
      ]);
      expect(report).toEqual({ written: 2, failed: 0 });
      // Visible synchronously as soon as putGroups resolved.
      expect(s.getGroup("gold")).toEqual({ group: "gold", reply: { "Session-Timeout": 86400, "Idle-Timeout": 600, "Filter-Id": "gold" } });

      await s.putSubscribers([sub("alice", { groups: ["gold", "silver", "missing"], reply: { "Filter-Id": "alice" } })]);
      const alice = await s.getSubscriber("alice");
      if (!alice) throw new Error("alice missing");
      const missing: string[] = [];
      expect(resolveReply(alice, s, (g) => missing.push(g))).toEqual({
        "Session-Timeout": 7200, // silver comes after gold
        "Idle-Timeout": 600,
        "Filter-Id": "alice", // the subscriber's own value
        "Class": ["s1", "s2"],
      });
      expect(missing).toEqual(["missing"]);
      // Reversed order: gold wins.
      expect(resolveReply({ groups: ["silver", "gold"], reply: {} }, s)["Session-Timeout"]).toBe(86400);

      // The resolved reply and getGroup results are copies: mutating them changes nothing.
      const resolved = resolveReply(alice, s);
      (resolved["Class"] as string[]).push("x");
      s.getGroup("silver")!.reply["Session-Timeout"] = 1;
      expect(s.getGroup("silver")).toEqual({ group: "silver", reply: { "Session-Timeout": 7200, "Class": ["s1", "s2"] } });

      await s.putGroups([{ group: "gold", reply: { "Session-Timeout": 100 } }]);
      expect(s.getGroup("gold")?.reply).toEqual({ "Session-Timeout": 100 });
      await expect(s.deleteGroup("gold")).resolves.toBe(true);
      await expect(s.deleteGroup("gold")).resolves.toBe(false);
      expect(s.getGroup("gold")).toBeUndefined();
    });

    it("listGroups returns every group sorted by name, as copies, and follows writes and deletes", async () => {
      const s = await opened.open(await h.fresh());
      expect(s.listGroups()).toEqual([]);
      await s.putGroups([{ group: "silver", reply: { "Session-Timeout": 7200 } }, { group: "gold", reply: { "Filter-Id": "g" } }]);
      expect(s.listGroups()).toEqual([
        { group: "gold", reply: { "Filter-Id": "g" } },
        { group: "silver", reply: { "Session-Timeout": 7200 } },
      ]);
      s.listGroups()[0]!.reply["Filter-Id"] = "changed";
      expect(s.getGroup("gold")?.reply["Filter-Id"]).toBe("g");
      await s.deleteGroup("gold");
      expect(s.listGroups().map((g) => g.group)).toEqual(["silver"]);
    });

    it("listSubscribers pages with a cursor: small pages cover every user once the listing is stable", async () => {
      const s = await opened.open(await h.fresh());
      const names = Array.from({ length: 25 }, (_, i) => `p${i}`);
      await s.putSubscribers(names.map((n) => sub(n)));
      const seen = new Set<string>();
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await s.listSubscribers({ cursor, count: 4 });
        for (const u of page.subscribers) seen.add(u.username);
        expect(page.corrupt).toEqual([]);
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined && pages < 100);
      expect([...seen].sort()).toEqual([...names].sort());
      expect(pages).toBeGreaterThan(1);
      await expect(s.listSubscribers({ cursor: "not-a-cursor" })).rejects.toThrow(/cursor/);
    });

    it("disabled and expiry fields round-trip unchanged (enforcement is the pipeline's job)", async () => {
      const s = await opened.open(await h.fresh());
      const a = sub("off", { enabled: false, expiresAt: "2020-01-01T00:00:00+02:00" });
      const b = sub("later", { expiresAt: "2099-12-31T23:59:59.999Z" });
      await s.putSubscribers([a, b]);
      expect(await s.getSubscriber("off")).toEqual(a);
      expect(await s.getSubscriber("later")).toEqual(b);
    });

    it("data survives a new store instance", async () => {
      const b = await h.fresh();
      const s1 = await opened.open(b);
      await s1.putSubscribers([sub("keep", { reply: { "Session-Timeout": 5 } }), sub("gone")]);
      await s1.putGroups([{ group: "g1", reply: { "Filter-Id": "f" } }]);
      await s1.deleteSubscriber("gone");
      await s1.close();
      const s2 = await opened.open(b);
      expect(await s2.getSubscriber("keep")).toEqual(sub("keep", { reply: { "Session-Timeout": 5 } }));
      await expect(s2.getSubscriber("gone")).resolves.toBeNull();
      expect(s2.getGroup("g1")).toEqual({ group: "g1", reply: { "Filter-Id": "f" } });
    });

    it("put rejects an invalid record with STORE_INVALID_RECORD, writes nothing, and never quotes the password", async () => {
      const s = await opened.open(await h.fresh());
      const bad = { username: "mallory", password: "TOPSECRET-mallory", passwordHash: "$scrypt$y", enabled: true, groups: [], reply: {} };
      const err = await rejection(s.putSubscribers([sub("fine"), bad]));
      expect(err).toBeInstanceOf(StoreError);
      expect(err.code).toBe("STORE_INVALID_RECORD");
      expect(err.message).toContain('#1 "mallory"');
      expect(err.message).not.toContain("TOPSECRET");
      await expect(s.getSubscriber("fine")).resolves.toBeNull();
      const gerr = await rejection(s.putGroups([{ group: "bad name!", reply: {} }]));
      expect(gerr.code).toBe("STORE_INVALID_RECORD");
    });

    it("an already expired deadline rejects with STORE_TIMEOUT", async () => {
      const s = await opened.open(await h.fresh());
      await s.putSubscribers([sub("u1")]);
      expect((await rejection(s.getSubscriber("u1", 0))).code).toBe("STORE_TIMEOUT");
      expect((await rejection(s.getSubscriber("u1", -5))).code).toBe("STORE_TIMEOUT");
      expect(s.stats().timeouts).toBe(2);
    });

    it("lookups return the caller's own copy", async () => {
      const s = await opened.open(await h.fresh());
      await s.putSubscribers([sub("u1", { groups: ["g"], reply: { "Class": ["a"] } })]);
      const first = await s.getSubscriber("u1");
      first!.groups.push("other");
      (first!.reply["Class"] as string[]).push("b");
      first!.enabled = false;
      expect(await s.getSubscriber("u1")).toEqual(sub("u1", { groups: ["g"], reply: { "Class": ["a"] } }));
    });

    it("import: one bad line writes nothing and names the line", async () => {
      const s = await opened.open(await h.fresh());
      const res = await importFile(s, "subscribers", path.join(fixtures, "subscribers-bad-line.jsonl"));
      expect(res.ok).toBe(false);
      expect(res.report).toBeUndefined();
      expect(res.errors).toHaveLength(1);
      expect(res.errors[0]?.line).toBe(4);
      expect(res.errors[0]?.message).toMatch(/exactly one of password \/ passwordHash \/ ntHash is required/);
      for (const u of ["dave", "erin", "grace"]) await expect(s.getSubscriber(u)).resolves.toBeNull();
      expect(JSON.stringify(res)).not.toContain("TOPSECRET");
    });

    it("import: a valid file is written, validateReply problems are reported by line and block the import", async () => {
      const b = await h.fresh();
      const s = await opened.open(b);
      const groups = await importFile(s, "groups", path.join(fixtures, "groups.jsonl"));
      expect(groups).toEqual({ ok: true, errors: [], report: { written: 2, failed: 0 } });
      const known = new Set(["Session-Timeout", "Idle-Timeout", "Filter-Id", "Framed-IP-Address", "Framed-Route"]);
      const validateReply = (reply: Record<string, unknown>): string[] =>
        Object.keys(reply).filter((k) => !known.has(k)).map((k) => `unknown attribute ${k}`);
      const ok = await importFile(s, "subscribers", path.join(fixtures, "subscribers.jsonl"), { validateReply });
      expect(ok).toEqual({ ok: true, errors: [], report: { written: 3, failed: 0 } });
      const alice = await s.getSubscriber("alice");
      expect(resolveReply(alice!, s)).toEqual({ "Session-Timeout": 3600, "Idle-Timeout": 600, "Filter-Id": "gold-in", "Framed-IP-Address": "10.0.0.5" });

      const file = path.join(b.dir, "dict.jsonl");
      writeFileSync(file, ['{"username":"n1","password":"p","reply":{"Session-Timeout":1}}', '{"username":"n2","password":"p","reply":{"Bogus-Attr":1}}'].join("\n"));
      const bad = await importFile(s, "subscribers", file, { validateReply });
      expect(bad).toEqual({ ok: false, errors: [{ line: 2, message: "reply: unknown attribute Bogus-Attr" }] });
      await expect(s.getSubscriber("n1")).resolves.toBeNull();
    });

    it("import: duplicates and several bad lines are all reported; an unreadable file is a line-0 error", async () => {
      const b = await h.fresh();
      const s = await opened.open(b);
      const file = path.join(b.dir, "dups.jsonl");
      writeFileSync(file, ['{"username":"a","password":"p"}', "not json", '{"username":"a","password":"q"}', '{"username":"b"}'].join("\r\n"));
      const res = await importFile(s, "subscribers", file);
      expect(res.ok).toBe(false);
      expect(res.errors.map((e) => e.line)).toEqual([2, 3, 4]);
      expect(res.errors[1]?.message).toBe('duplicate username "a" (lines 1 and 3)');
      await expect(s.getSubscriber("a")).resolves.toBeNull();
      const missing = await importFile(s, "subscribers", path.join(b.dir, "nope.jsonl"));
      expect(missing).toEqual({ ok: false, errors: [{ line: 0, message: "cannot read file: no such file (ENOENT)" }] });
    });

    it("big import: 20k records, exact written count, all readable", async () => {
      const b = await h.fresh();
      const s = await opened.open(b);
      const n = 20_000;
      const lines: string[] = [];
      for (let i = 0; i < n; i++) lines.push(JSON.stringify({ username: `user${i}@example.net`, password: `p${i}`, reply: { "Session-Timeout": i } }));
      const file = path.join(b.dir, "big.jsonl");
      writeFileSync(file, `${lines.join("\n")}\n`);
      const res = await importFile(s, "subscribers", file);
      expect(res).toEqual({ ok: true, errors: [], report: { written: n, failed: 0 } });
      for (const i of [0, 999, 1000, 12_345, n - 1]) {
        expect((await s.getSubscriber(`user${i}@example.net`))?.reply).toEqual({ "Session-Timeout": i });
      }
      // Paging through everything returns each subscriber (at least) once.
      const seen = new Set<string>();
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await s.listSubscribers({ cursor, count: 2000 });
        for (const x of page.subscribers) seen.add(x.username);
        expect(page.corrupt).toEqual([]);
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined && pages < 1000);
      expect(seen.size).toBe(n);
    });

    it("after close, lookups and writes reject STORE_UNAVAILABLE", async () => {
      const s = await opened.open(await h.fresh());
      await s.close();
      expect(s.isAvailable()).toBe(false);
      expect((await rejection(s.getSubscriber("u"))).code).toBe("STORE_UNAVAILABLE");
      expect((await rejection(s.deleteSubscriber("u"))).code).toBe("STORE_UNAVAILABLE");
    });

    it("stats count lookups", async () => {
      const s = await opened.open(await h.fresh());
      await s.getSubscriber("x");
      const st = s.stats();
      expect(st).toMatchObject({ inFlight: 0, errors: 0, timeouts: 0, corrupt: 0 });
    });
  });
}
