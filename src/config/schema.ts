// The server configuration: one YAML or JSON file, validated here. Every object is strict so that a
// misspelt key is an error instead of a silent fall-back to a default.
import { z } from "zod";
import { storeConfigSchema } from "../store/config.js";
import { classBudgetMs, clientWeightSchema, schedulerConfigSchema } from "../admit/config.js";
import { eapConfigSchema } from "../eap/config.js";
import { sessionsSchema } from "../store/sessions-config.js";
import { clientSchema } from "./clients.js";
import { envNameSchema, port } from "./common.js";

export { clientSchema, clientSecret, clientSecretSchema, isIpOrCidr, type ClientConfig } from "./clients.js";
export { sessionsSchema, type SessionsConfig } from "../store/sessions-config.js";


const listenerSchema = (defaultPort: number) =>
  z.strictObject({
    host: z.string().min(1).default("0.0.0.0").describe("Address to bind; \"::\" binds IPv6 (and IPv4-mapped)."),
    port: port.default(defaultPort).describe("UDP port; 0 picks a free one (tests)."),
    recvBufferSize: z
      .int()
      .min(65536)
      .max(64 * 1024 * 1024)
      .default(256 * 1024)
      .describe(
        "SO_RCVBUF in bytes (capped by net.core.rmem_max). 256 KiB holds about 20 ms of datagrams at 15k/s: it rides out a GC pause, and past capacity the kernel drops the excess at no cost to the server instead of queueing it until it is too late to answer (measured: 1 MiB turned 2x overload into 140 ms answers).",
      ),
    io: z
      .enum(["auto", "native", "dgram"])
      .default("auto")
      .describe(
        "Socket implementation: `native` = the built-in addon (recvmmsg/sendmmsg, Linux, built by `npm run build` when a C compiler is present), `dgram` = node:dgram, `auto` = native when available, else dgram (logged).",
      ),
    flows: z
      .int()
      .min(0)
      .max(62)
      .optional()
      .describe(
        "Kernel receive queues by source address (stochastic fair queuing in the kernel, native io only), plus one queue for Access-Requests carrying State and one for Status-Server, both still read while the flow queues are held back; each queue has its own recvBufferSize. 0: one socket. Default: 8 when the scheduler is enabled, else 0. See docs/scheduler.md.",
      ),
  });

const tokenSchema = z
  .string()
  .min(16, "a token must be at least 16 characters (use a long random string, e.g. `openssl rand -hex 32`)")
  .max(256)
  .regex(/^[\x21-\x7e]+$/, "a token must be printable ASCII without spaces");

export const httpSchema = z
  .strictObject({
    host: z.string().min(1).default("127.0.0.1").describe("Address of the HTTP side; loopback by default (the admin API manages subscribers: keep it off public networks)."),
    port: port.default(9812),
    token: tokenSchema
      .optional()
      .describe("Bearer token of the admin API (/v1/subscribers, /v1/groups, /v1/auth). Absent (and no tokenEnv): the admin API is disabled, only /metrics, /healthz and /readyz answer."),
    tokenEnv: envNameSchema.optional().describe("Name of an environment variable holding the admin token (instead of `token`, keeps it out of the file)."),
    authToken: tokenSchema
      .optional()
      .describe("Optional second token that allows POST /v1/auth only (for a captive portal that must not manage subscribers). The admin token is always accepted there too."),
    authTokenEnv: envNameSchema.optional().describe("Name of an environment variable holding the auth-only token (instead of `authToken`)."),
    maxBodyBytes: z.int().min(1024).max(1024 * 1024).default(16 * 1024).describe("Largest request body accepted; a larger one gets 413."),
    headersTimeoutMs: z
      .int()
      .min(100)
      .max(600_000)
      .default(10_000)
      .describe("A connection that has not sent complete request headers within this long is closed (408). Default 10000."),
    requestTimeoutMs: z
      .int()
      .min(100)
      .max(3_600_000)
      .default(30_000)
      .describe("A request (headers and body) not received completely within this long is closed (408), also with a valid token. At least headersTimeoutMs. Default 30000."),
    maxConnections: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(256)
      .describe("Open HTTP connections at most; further connections are closed at once. Default 256."),
    metricsRendersPerSecond: z
      .int()
      .min(1)
      .max(10_000)
      .default(5)
      .describe(
        "GET /metrics renders the exposition at most this often (token bucket, bursts of as many); faster requests get the last rendered text, at most one refill interval old. Keeps a /metrics flood from taking CPU from RADIUS. Default 5.",
      ),
    revealRejectReason: z
      .boolean()
      .default(false)
      .describe(
        "POST /v1/auth: give the caller the reject reason (unknown_user, bad_password, disabled, ...). Default false: every reject says `rejected`, so that a caller cannot tell which usernames exist; the real reason is logged and counted (aaa_access_rejects_total) either way.",
      ),
    authWeight: clientWeightSchema
      .optional()
      .describe("Weight of POST /v1/auth in the scheduler's per-client fair queuing, against each NAS (default 1): HTTP authentications count as one more client, named \"http\"."),
  })
  .superRefine((h, ctx) => {
    if (h.token !== undefined && h.tokenEnv !== undefined) ctx.addIssue({ code: "custom", path: ["tokenEnv"], message: "give token or tokenEnv, not both" });
    if (h.authToken !== undefined && h.authTokenEnv !== undefined) ctx.addIssue({ code: "custom", path: ["authTokenEnv"], message: "give authToken or authTokenEnv, not both" });
    if (h.requestTimeoutMs < h.headersTimeoutMs) ctx.addIssue({ code: "custom", path: ["requestTimeoutMs"], message: "requestTimeoutMs must be at least headersTimeoutMs" });
  });
export const configSchema = z.strictObject({
  radius: z
    .strictObject({
      auth: listenerSchema(1812).prefault({}),
      acct: listenerSchema(1813).optional().describe("Accounting listener (RFC 2866); absent: no accounting."),
      statusServer: z
        .strictObject({
          answerWhenStoreDown: z
            .boolean()
            .default(false)
            .describe(
              "Answer Status-Server (RFC 5997) while the store is unavailable (the condition /readyz reports). Default false: it is dropped (counted as store_unavailable), so that a NAS that probes with Status-Server fails over to a server that can answer its requests; RFC 5997 §4 leaves a server free not to answer.",
            ),
        })
        .prefault({}),
    })
    .prefault({}),
  clients: z.array(clientSchema).min(1, "at least one client (NAS) is needed"),
  store: storeConfigSchema,
  log: z
    .strictObject({
      level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
      authLines: z
        .strictObject({
          perSecond: z
            .int()
            .min(0)
            .max(100_000)
            .default(100)
            .describe(
              "At most this many Access-Accept/Access-Reject lines per second at info (token bucket, bursts up to one second's worth); the rest are counted (aaa_log_lines_suppressed_total{kind=\"auth\"}) and summed up in one line per second. 0: no such lines. Default 100.",
            ),
        })
        .prefault({})
        .describe("One info line per answered Access-Request (user, client, source, Calling-Station-Id, reject reason, time taken)."),
    })
    .prefault({}),
  auth: z
    .strictObject({
      rejectReplyMessage: z
        .string()
        .min(1)
        .max(253)
        .optional()
        .describe("Reply-Message sent in every Access-Reject; absent: none. The reason itself is only logged."),
    })
    .prefault({}),
  duplicates: z
    .strictObject({
      windowMs: z.int().min(0).max(60_000).default(5_000).describe("How long an answered request's reply is kept for retransmissions (RFC 5080 §2.2.2)."),
      maxEntries: z.int().min(1).max(10_000_000).default(200_000).describe("Bound on the cache; the oldest entries go first."),
    })
    .prefault({}),
  workerPool: z
    .strictObject({
      size: z.int().min(1).max(64).default(2).describe("Worker threads for handlers placed on `worker` (scrypt password hashes)."),
      maxQueue: z.int().min(1).max(100_000).default(1_000).describe("Tasks waiting for a worker beyond this are refused (counted)."),
    })
    .prefault({}),
  scheduler: schedulerConfigSchema.prefault({}),
  sessions: sessionsSchema.prefault({}),
  eap: eapConfigSchema.prefault({}),
  http: httpSchema.optional().describe("HTTP side: /metrics, /healthz, /readyz, and the admin API under /v1 when a token is set; absent: no HTTP listener."),
  dictionary: z
    .strictObject({
      files: z.array(z.string().min(1)).default([]).describe("Extra FreeRADIUS-format dictionary files, loaded over the built-in one."),
    })
    .prefault({}),
}).superRefine((c, ctx) => {
  // A store timeout longer than a budget cannot work: the deadline always comes first, so the
  // timeout would promise a wait that never happens.
  const timeout = "redis" in c.store ? c.store.redis.commandTimeoutMs : undefined;
  if (timeout === undefined) return;
  for (const cls of ["access-state", "access", "acct-stop", "acct"] as const) {
    const budget = classBudgetMs(c.scheduler, cls);
    if (budget < timeout) {
      const key = c.scheduler.classes[cls].budgetMs === undefined ? "scheduler.budgetMs" : `scheduler.classes.${cls}.budgetMs`;
      ctx.addIssue({
        code: "custom",
        path: ["store", "redis", "commandTimeoutMs"],
        message: `store.redis.commandTimeoutMs (${timeout}) is longer than ${key} (${budget}): a lookup never outlives its request's deadline; set it to at most ${budget}`,
      });
      return;
    }
  }
});

export type Config = z.infer<typeof configSchema>;
export type HttpConfig = z.infer<typeof httpSchema>;
