// Schema of the `sessions:` section of the server config (accounting, Simultaneous-Use). Apart from
// config/schema.ts so that the session stores take their settings' type without importing the
// whole configuration.
import { z } from "zod";

export const sessionsSchema = z
  .strictObject({
    buckets: z
      .int()
      .min(1)
      .max(1024)
      .default(16)
      .describe(
        "Number of Redis hash-tag buckets the session keys are spread over (subscriber -> bucket by CRC32). Fixed for the life of the data: changing it orphans the existing sessions. Default 16.",
      ),
    streamMaxLen: z
      .int()
      .min(1000)
      .max(1_000_000_000)
      .default(1_000_000)
      .describe("Approximate bound on the accounting history kept in Redis Streams, all buckets together (XADD MAXLEN ~). Default 1000000."),
    interimIntervalSeconds: z
      .int()
      .min(10)
      .max(86_400)
      .default(300)
      .describe("Interim interval assumed for a session whose records carry no Acct-Interim-Interval. Default 300."),
    staleMultiple: z
      .number()
      .min(1.5)
      .max(100)
      .default(3)
      .describe("A session with no record for this many interim intervals is closed as stale. Default 3."),
    sweepIntervalSeconds: z.int().min(1).max(3600).default(30).describe("How often stale sessions are looked for. Default 30."),
    retainClosedSeconds: z
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(3600)
      .describe(
        "How long a closed session's record is kept, so that late retransmissions of its records are recognised and do not reopen it. Default 3600.",
      ),
    maxWritesInFlight: z
      .int()
      .min(1)
      .max(100_000)
      .default(128)
      .describe(
        "Redis store: accounting writes waiting for Redis beyond this are refused at once (outcome store:STORE_OVERLOADED, no answer, the NAS retransmits) instead of queueing behind Redis until every one of them misses its deadline. Default 128 (measured at 10k/s offered: 512 collapsed to 945 answered/s, every write timing out after Redis had done it; 128 answered 6.6k/s, 64 5.9k/s).",
      ),
    claimTtlSeconds: z
      .int()
      .min(1)
      .max(600)
      .default(30)
      .describe(
        "Simultaneous-Use: an Access-Accept holds one of the subscriber's maxSessions slots for this long, until its Accounting-Start arrives. Default 30.",
      ),
  })
  .describe("Live sessions, accounting history and Simultaneous-Use.");

export type SessionsConfig = z.infer<typeof sessionsSchema>;
