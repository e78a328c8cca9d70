// The hot-path record check must never accept what the zod schema refuses, and must agree with
// it on the value it returns.
import { describe, it, expect } from "@jest/globals";
import fc from "fast-check";
import { quickSubscriber } from "../../src/store/fast-check-record.js";
import { subscriberSchema } from "../../src/store/subscriber.js";

const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double());
const record = fc.record(
  {
    username: fc.oneof(fc.string({ minLength: 0, maxLength: 20 }), fc.constantFrom("alice", "a\u0001b", "ü".repeat(130), "x".repeat(254))),
    password: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom("", "p".repeat(129), "é".repeat(65)), fc.integer()),
    passwordHash: fc.constantFrom("$scrypt$ln=12,r=8,p=1$abc$def", "plain", "$scrypt$" + "x".repeat(1100)),
    ntHash: fc.constantFrom("44EBBA8D5312B8D611474411F56989AE", "44ebba8d5312b8d611474411f56989ae", "44EB", "z".repeat(32), 12),
    enabled: fc.oneof(fc.boolean(), fc.constant("yes")),
    expiresAt: fc.constantFrom("2027-01-01T00:00:00Z", "2027-01-01T00:00:00.123+02:00", "2027-13-01T00:00:00Z", "2027-01-01", "2027-01-01T24:00:00Z", "2027-02-30T00:00:00Z"),
    groups: fc.oneof(fc.array(fc.constantFrom("gold", "bad name", "", "a.b-c_d")), fc.constant("gold")),
    reply: fc.oneof(
      fc.dictionary(fc.constantFrom("Session-Timeout", "Cisco-AVPair", "__proto__", "-bad", "Framed-IP-Address"), fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.constant(null))),
      fc.constant([]),
    ),
    maxSessions: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double()),
    extra: fc.string(),
  },
  { requiredKeys: [] },
);

const plausible = fc
  .record({
    username: fc.constantFrom("alice", "bob@example.com", "üser", "x".repeat(253)),
    secret: fc.oneof(fc.record({ password: fc.string({ minLength: 1, maxLength: 40 }) }), fc.record({ passwordHash: fc.constant("$scrypt$ln=12,r=8,p=1$abc$def") }), fc.record({ ntHash: fc.constantFrom("44EBBA8D5312B8D611474411F56989AE", "0123456789abcdef0123456789ABCDEF") })),
    enabled: fc.option(fc.boolean(), { nil: undefined }),
    expiresAt: fc.option(fc.constantFrom("2027-01-01T00:00:00Z", "2027-01-01T00:00:00.5-05:00"), { nil: undefined }),
    groups: fc.option(fc.array(fc.constantFrom("gold", "silver")), { nil: undefined }),
    reply: fc.option(fc.dictionary(fc.constantFrom("Session-Timeout", "Cisco-AVPair", "Class"), fc.oneof(scalar, fc.array(scalar, { minLength: 1, maxLength: 3 }))), { nil: undefined }),
    maxSessions: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  })
  .map(({ secret, ...rest }) => JSON.parse(JSON.stringify({ ...rest, ...secret })) as unknown);

describe("quickSubscriber", () => {
  it("accepts only what subscriberSchema accepts, and returns the same value", () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(record, plausible), (value) => {
        const quick = quickSubscriber(value);
        if (quick === null) return;
        accepted++;
        const parsed = subscriberSchema.safeParse(value);
        expect(parsed.success).toBe(true);
        expect(quick).toEqual(parsed.data);
      }),
      { numRuns: 20_000, seed: 42 },
    );
    expect(accepted).toBeGreaterThan(1000);
  });

  it("accepts the plain records the importers write", () => {
    const v = { username: "user000001", password: "pw-user000001", enabled: true, groups: [], reply: { "Session-Timeout": 3600 } };
    expect(quickSubscriber(JSON.parse(JSON.stringify(v)))).toEqual(subscriberSchema.parse(v));
  });
});
