// Schemas (subscriber, group, store config), JSONL parsing and the pure helpers.
import { describe, expect, it } from "@jest/globals";
import { pino } from "pino";
import { z } from "zod";
import { redisUrl, storeConfigSchema } from "../../src/store/config.js";
import { decodeUtf8, parseJsonl } from "../../src/store/jsonl.js";
import { createStore } from "../../src/store/factory.js";
import { resolveReply } from "../../src/store/store.js";
import { groupSchema, isActive, subscriberSchema, type Group } from "../../src/store/subscriber.js";
import { redactUrl, safeErrorMessage } from "../../src/store/util.js";

const EXAMPLE =
  '{"username":"alice","password":"s3cret","enabled":true,"expiresAt":"2027-01-01T00:00:00Z","groups":["gold"],"reply":{"Framed-IP-Address":"10.0.0.5","Session-Timeout":3600},"maxSessions":1}';

function problems(input: unknown): string {
  const r = subscriberSchema.safeParse(input);
  return r.success ? "" : z.prettifyError(r.error);
}

describe("subscriberSchema", () => {
  it("accepts the documented example and applies defaults", () => {
    expect(subscriberSchema.parse(JSON.parse(EXAMPLE))).toEqual(JSON.parse(EXAMPLE));
    expect(subscriberSchema.parse({ username: "b", passwordHash: "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA" })).toEqual({
      username: "b",
      passwordHash: "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA",
      enabled: true,
      groups: [],
      reply: {},
    });
  });

  it("requires exactly one of password / passwordHash / ntHash", () => {
    expect(problems({ username: "a" })).toContain("required, got none");
    expect(problems({ username: "a", password: "p", passwordHash: "$scrypt$x" })).toContain("allowed, got more");
    // A password and an NT hash could disagree: the record is refused rather than guessed at.
    expect(problems({ username: "a", password: "p", ntHash: "0".repeat(32) })).toContain("allowed, got more");
    expect(problems({ username: "a", passwordHash: "$scrypt$x", ntHash: "0".repeat(32) })).toContain("allowed, got more");
    expect(problems({ username: "a", ntHash: "44EBBA8D5312B8D611474411F56989ae" })).toBe("");
    expect(problems({ username: "a", ntHash: "44EBBA8D5312B8D611474411F56989A" })).toContain("32 hexadecimal digits");
    expect(problems({ username: "a", ntHash: "g".repeat(32) })).toContain("32 hexadecimal digits");
    expect(problems({ username: "a", passwordHash: "$argon2id$x" })).toContain('starting with "$scrypt$"');
  });

  it("counts octets, not characters", () => {
    expect(problems({ username: "a", password: "é".repeat(64) })).toBe(""); // 128 octets
    expect(problems({ username: "a", password: "é".repeat(65) })).toContain("128 octets");
    expect(problems({ username: "a", password: "x".repeat(129) })).toContain("128 octets");
    expect(problems({ username: "a", password: "" })).toContain("must not be empty");
    expect(problems({ username: "ü".repeat(126), password: "p" })).toBe(""); // 252 octets
    expect(problems({ username: "ü".repeat(127), password: "p" })).toContain("253 octets");
    expect(problems({ username: "", password: "p" })).toContain("must not be empty");
  });

  it("rejects control characters in usernames, and unknown keys", () => {
    for (const u of ["a\tb", "a\u0000", "a\r", "a\u007f", "a\u0085"]) {
      expect(problems({ username: u, password: "p" })).toContain("control characters");
    }
    expect(problems({ username: "a", password: "p", pasword: "x" })).toContain('Unrecognized key: "pasword"');
  });

  it("validates expiresAt, groups, reply and maxSessions", () => {
    const base = { username: "a", password: "p" };
    expect(problems({ ...base, expiresAt: "2027-01-01T00:00:00" })).toContain("expiresAt");
    expect(problems({ ...base, expiresAt: "2027-01-01" })).toContain("expiresAt");
    expect(problems({ ...base, expiresAt: "2027-01-01T00:00:00.5+05:30" })).toBe("");
    expect(problems({ ...base, groups: ["ok", "not ok"] })).toContain("group name");
    expect(problems({ ...base, groups: ["x".repeat(65)] })).toContain("group name");
    expect(problems({ ...base, reply: { "Class": [] } })).toContain("at least one value");
    expect(problems({ ...base, reply: { "Class": [1, "a"], "Session-Timeout": 5 } })).toBe("");
    expect(problems({ ...base, reply: { "Class": true } })).not.toBe("");
    expect(problems({ ...base, reply: { "Class": { a: 1 } } })).not.toBe("");
    expect(problems({ ...base, reply: { "bad name": 1 } })).toMatch(/Invalid key in record[\s\S]*bad name/);
    expect(problems({ ...base, maxSessions: 0 })).toContain("maxSessions");
    expect(problems({ ...base, maxSessions: 1.5 })).not.toBe("");
    expect(problems({ ...base, enabled: "yes" })).toContain("enabled");
  });

  it("never quotes the password in error messages", () => {
    const msg = problems({ username: "a", password: "TOPSECRET".repeat(20), enabled: "TOPSECRET" });
    expect(msg).not.toBe("");
    expect(msg).not.toContain("TOPSECRET");
  });
});

describe("groupSchema", () => {
  it("accepts valid groups and rejects bad names / unknown keys", () => {
    expect(groupSchema.parse({ group: "gold.v2_x-1" })).toEqual({ group: "gold.v2_x-1", reply: {} });
    expect(groupSchema.safeParse({ group: "" }).success).toBe(false);
    expect(groupSchema.safeParse({ group: "a/b" }).success).toBe(false);
    expect(groupSchema.safeParse({ group: "x".repeat(64) }).success).toBe(true);
    expect(groupSchema.safeParse({ group: "x".repeat(65) }).success).toBe(false);
    expect(groupSchema.safeParse({ group: "g", extra: 1 }).success).toBe(false);
  });
});

describe("JSON schema generation", () => {
  it("z.toJSONSchema works for the subscriber, group and store config schemas", () => {
    const sub = z.toJSONSchema(subscriberSchema) as Record<string, unknown>;
    expect(sub["additionalProperties"]).toBe(false);
    expect(sub["oneOf"]).toEqual([{ required: ["password"] }, { required: ["passwordHash"] }, { required: ["ntHash"] }]);
    const props = sub["properties"] as Record<string, { description?: string }>;
    expect(Object.keys(props).sort()).toEqual(["enabled", "expiresAt", "groups", "maxSessions", "ntHash", "password", "passwordHash", "reply", "username"]);
    for (const p of Object.values(props)) expect(typeof p.description).toBe("string");
    // Input mode (what a file line may omit) also works.
    expect((z.toJSONSchema(subscriberSchema, { io: "input" }) as { required?: string[] }).required).toEqual(["username"]);
    expect(z.toJSONSchema(groupSchema)).toMatchObject({ type: "object", additionalProperties: false });
    expect(z.toJSONSchema(storeConfigSchema)).toHaveProperty("anyOf");
  });
});

describe("storeConfigSchema", () => {
  function err(input: unknown): string {
    const r = storeConfigSchema.safeParse(input);
    return r.success ? "" : z.prettifyError(r.error);
  }

  it("fills the documented Redis defaults", () => {
    // url's default is applied where it is used (redisUrl), so that an explicit url can be told
    // apart from none (url, sentinels and cluster are exclusive).
    const parsed = storeConfigSchema.parse({ redis: {} });
    expect(parsed).toEqual({
      redis: { keyPrefix: "aaa:", commandTimeoutMs: 50, connectTimeoutMs: 2000, groupRefreshMs: 1000, batchDelayMs: 1, waitReplicas: 0 },
    });
    expect("redis" in parsed && redisUrl(parsed.redis)).toBe("redis://127.0.0.1:6379/0");
    expect(storeConfigSchema.parse({ redis: { url: "rediss://:pw@redis.example:6380/2" } })).toMatchObject({ redis: { url: "rediss://:pw@redis.example:6380/2" } });
    expect(storeConfigSchema.parse({ memory: { file: "/var/lib/aaa/subscribers.jsonl" } })).toEqual({ memory: { file: "/var/lib/aaa/subscribers.jsonl" } });
  });

  it("requires exactly one backend and explains what is wrong", () => {
    expect(err({})).toContain("exactly one of redis or memory");
    expect(err({ redis: {}, memory: { file: "f" } })).toContain("not both");
    expect(err({ memory: {} })).toContain("memory.file");
    expect(err({ redis: { bogus: 1 } })).toContain('Unrecognized key: "bogus"');
    expect(err({ redis: { commandTimeoutMs: 0 } })).toContain("commandTimeoutMs");
    expect(err("redis")).toContain("either a redis or a memory section");
  });

  it("accepts only redis:// and rediss:// URLs and never echoes the URL", () => {
    const msg = err({ redis: { url: "http://user:TOPSECRET@h:6379/0" } });
    expect(msg).toContain("redis:// or rediss://");
    expect(msg).not.toContain("TOPSECRET");
    expect(err({ redis: { url: "not a url" } })).toContain("redis:// or rediss://");
  });
});

describe("resolveReply", () => {
  const groups = new Map<string, Group>([
    ["gold", { group: "gold", reply: { "Session-Timeout": 100, "Filter-Id": "gold", "Class": ["g"] } }],
    ["silver", { group: "silver", reply: { "Session-Timeout": 50, "Idle-Timeout": 9 } }],
  ]);
  const store = { getGroup: (n: string) => groups.get(n) };

  it("applies groups in order (later wins), then the subscriber's own attributes", () => {
    expect(resolveReply({ groups: ["gold", "silver"], reply: { "Filter-Id": "own" } }, store)).toEqual({
      "Session-Timeout": 50,
      "Filter-Id": "own",
      "Class": ["g"],
      "Idle-Timeout": 9,
    });
    expect(resolveReply({ groups: ["silver", "gold"], reply: {} }, store)["Session-Timeout"]).toBe(100);
    // Replaced, not merged.
    expect(resolveReply({ groups: ["gold"], reply: { "Class": ["own"] } }, store)["Class"]).toEqual(["own"]);
  });

  it("skips unknown groups, reporting them, and never aliases group arrays", () => {
    const missing: string[] = [];
    const out = resolveReply({ groups: ["nope", "gold"], reply: {} }, store, (g) => missing.push(g));
    expect(missing).toEqual(["nope"]);
    (out["Class"] as string[]).push("mutated");
    expect(groups.get("gold")?.reply["Class"]).toEqual(["g"]);
  });
});

describe("isActive", () => {
  it("is false when disabled or expired", () => {
    const now = Date.parse("2026-06-01T00:00:00Z");
    expect(isActive({ enabled: true }, now)).toBe(true);
    expect(isActive({ enabled: false }, now)).toBe(false);
    expect(isActive({ enabled: true, expiresAt: "2026-06-01T00:00:00Z" }, now)).toBe(false);
    expect(isActive({ enabled: true, expiresAt: "2026-06-01T03:00:01+03:00" }, now)).toBe(true);
  });
});

describe("parseJsonl", () => {
  it("reports every problem with its 1-based line, skipping blanks and comments", () => {
    const text = ["# header", "", '{"username":"a","password":"p"}', '{"username":"b","password":"TOPSECRET"', "  ", '{"username":"a","password":"q"}', "[1]"].join("\n");
    const r = parseJsonl(text, subscriberSchema);
    expect(r.records.map((x) => x.username)).toEqual(["a"]);
    expect(r.lines).toEqual([3]);
    expect(r.errors.map((e) => e.line)).toEqual([4, 6, 7]);
    expect(r.errors[0]?.message).toMatch(/^invalid JSON/);
    expect(JSON.stringify(r.errors)).not.toContain("TOPSECRET");
    expect(r.errors[1]?.message).toBe('duplicate username "a" (lines 3 and 6)');
    expect(r.errors[2]?.message).toContain("expected object");
  });

  it("detects duplicate groups and supports a custom key", () => {
    const g = parseJsonl('{"group":"x"}\n{"group":"x"}\n', groupSchema);
    expect(g.errors).toEqual([{ line: 2, message: 'duplicate group "x" (lines 1 and 2)' }]);
    const custom = parseJsonl('{"group":"x"}\n{"group":"X"}\n', groupSchema, { key: (r) => r.group.toLowerCase(), keyName: "group (case-insensitive)" });
    expect(custom.errors[0]?.message).toBe('duplicate group (case-insensitive) "x" (lines 1 and 2)');
  });

  it("names the first line that is not UTF-8", () => {
    const buf = Buffer.concat([Buffer.from('{"username":"a","password":"p"}\n'), Buffer.from([0x7b, 0xe9, 0x7d, 0x0a])]);
    expect(decodeUtf8(buf)).toEqual({ error: { line: 2, message: "not valid UTF-8" } });
    expect(decodeUtf8(Buffer.from("ok\n"))).toEqual({ text: "ok\n" });
  });
});

describe("createStore", () => {
  it("builds the configured backend and accepts a pino logger", async () => {
    const logger = pino({ level: "silent" });
    const mem = createStore(storeConfigSchema.parse({ memory: { file: "/nonexistent/dir/s.jsonl" } }), logger);
    expect(mem.kind).toBe("memory");
    expect(mem.isAvailable()).toBe(false);
    const red = createStore(storeConfigSchema.parse({ redis: {} }), logger);
    expect(red.kind).toBe("redis");
    await red.close(); // never started: must not connect or hang
    await mem.close();
  });
});

describe("log hygiene helpers", () => {
  it("redacts Redis credentials and Redis's argument echo", () => {
    expect(redactUrl("rediss://acl-user:TOPSECRET@redis.example:6380/2")).toBe("rediss://***:***@redis.example:6380/2");
    expect(redactUrl("redis://:TOPSECRET@h:6379")).not.toContain("TOPSECRET");
    expect(redactUrl("::nonsense")).toBe("<unparseable url>");
    expect(safeErrorMessage(new Error("ERR unknown command 'x', with args beginning with: 'TOPSECRET'"))).toBe("ERR unknown command 'x'");
  });
});
