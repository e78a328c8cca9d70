// Schema of the `store:` section of the server config. Exactly one backend: `redis` or `memory`.
// No transforms, so z.toJSONSchema(storeConfigSchema) works for the published config schema.
import { z } from "zod";

const pathSchema = z.string().min(1, { error: "a file path must not be empty" });

export const redisTlsConfigSchema = z
  .strictObject({
    caFile: pathSchema
      .optional()
      .describe("PEM file of the CA(s) that signed the Redis server's certificate, relative to the config file. Absent: Node's default CAs."),
    certFile: pathSchema.optional().describe("PEM client certificate for mutual TLS (with keyFile), relative to the config file."),
    keyFile: pathSchema.optional().describe("PEM private key of certFile, relative to the config file."),
    servername: z
      .string()
      .min(1)
      .max(253)
      .optional()
      .describe("Name the server certificate must carry (SNI and verification), when it is not the URL's host (e.g. connecting by IP address)."),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe("Verify the server's certificate. Default true; false only for a test set-up (anyone on the path can then read and change the traffic)."),
  })
  .describe("TLS settings of a rediss:// URL, or of the sentinels and the primary with sentinels. The files are read at start; a missing or unreadable one stops start-up naming its key.");

/** The Redis of a store.redis section without url and without sentinels. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0";

// Sentinel mode (docs/high-availability.md): kept together so that other modes merge beside it.
const sentinelAddress = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):\d{1,5}$/, { error: 'a sentinel is "host:port" (IPv6 as "[addr]:port")' });
const sentinelKeys = {
  sentinels: z
    .array(sentinelAddress)
    .min(1)
    .max(32)
    .optional()
    .describe('Redis Sentinel: the sentinels to ask for the primary of `name`, as "host:port". Instead of url; at least one must answer at start.'),
  name: z.string().min(1).max(256).optional().describe("Redis Sentinel: the master name the sentinels monitor (`sentinel monitor <name> ...`)."),
  username: z.string().min(1).max(256).optional().describe("Redis Sentinel: ACL user on the primary (with url, credentials go in the URL)."),
  password: z.string().min(1).max(1024).optional().describe("Redis Sentinel: password on the primary (requirepass or the ACL user's). Never logged."),
  sentinelUsername: z.string().min(1).max(256).optional().describe("Redis Sentinel: ACL user on the sentinels, when they require one."),
  sentinelPassword: z.string().min(1).max(1024).optional().describe("Redis Sentinel: password of the sentinels (their requirepass), when set. Never logged."),
  waitReplicas: z
    .int()
    .min(0)
    .max(16)
    .default(0)
    .describe(
      "Accounting: answer an Accounting-Request only once WAIT reports the record on at least this many replicas (else no answer: outcome store:STORE_NOT_REPLICATED, the NAS retransmits). Default 0: once it is on the primary.",
    ),
};

function checkSentinelKeys(r: { url?: string | undefined; sentinels?: string[] | undefined; name?: string | undefined } & Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (r.sentinels === undefined) {
    for (const k of ["name", "username", "password", "sentinelUsername", "sentinelPassword"] as const) {
      if (r[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: `${k} is for Redis Sentinel (with sentinels); with url, put credentials in the URL` });
    }
    return;
  }
  if (r.url !== undefined) ctx.addIssue({ code: "custom", path: ["url"], message: "give url or sentinels, not both" });
  if (r.name === undefined) ctx.addIssue({ code: "custom", path: ["name"], message: "sentinels need the master name (name)" });
}

export const redisStoreConfigSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^rediss?$/, error: "url must be a redis:// or rediss:// URL" })
      .optional()
      .describe(
        'Redis URL, redis:// or rediss:// (TLS), with optional credentials and db number. Absent (and no sentinels or cluster): "redis://127.0.0.1:6379/0". Not with sentinels or cluster.',
      ),
    cluster: z
      .array(z.url({ protocol: /^rediss?$/, error: "cluster entries must be redis:// or rediss:// URLs" }))
      .min(1, { error: "cluster needs at least one node URL" })
      .max(64)
      .optional()
      .describe(
        "Redis Cluster: URLs of some of its nodes (redis:// or rediss://, one scheme; credentials, if any, the same in each; no db number). The rest are found from them. Not with url or sentinels. See docs/redis-cluster.md.",
      ),
    ...sentinelKeys,
    keyPrefix: z
      .string()
      .max(64, { error: "keyPrefix must be at most 64 characters" })
      .default("aaa:")
      .describe('Prefix of every key the store reads or writes. Default "aaa:".'),
    commandTimeoutMs: z
      .int()
      .min(1)
      .max(60_000)
      .default(50)
      .describe(
        "Upper bound for one subscriber lookup, also when the caller's deadline is longer; at most the scheduler's budget (a lookup never outlives its request's deadline). Default 50.",
      ),
    connectTimeoutMs: z
      .int()
      .min(1)
      .max(600_000)
      .default(2000)
      .describe("TCP connect + handshake timeout; start() waits at most about this long for Redis. Default 2000."),
    groupRefreshMs: z
      .int()
      .min(50)
      .max(3_600_000)
      .default(1000)
      .describe("How often the group revision counter is polled; group changes reach every server within about this. Default 1000."),
    batchDelayMs: z
      .number()
      .min(0)
      .max(10)
      .default(1)
      .describe(
        "While a lookup MGET is already in flight, the lookups of the next this many ms share one MGET (default 1); 0: those of one event-loop turn. With none in flight a lookup goes out at the end of the current event-loop turn, so an idle server adds no batching delay.",
      ),
    tls: redisTlsConfigSchema.optional(),
  })
  .superRefine((r, ctx) => {
    checkSentinelKeys(r, ctx);
    if (r.cluster !== undefined) {
      if (r.url !== undefined) ctx.addIssue({ code: "custom", path: ["url"], message: "url and cluster are exclusive: give the cluster's node URLs in cluster only" });
      if (r.sentinels !== undefined) ctx.addIssue({ code: "custom", path: ["sentinels"], message: "sentinels and cluster are exclusive: a Redis Cluster fails over by itself" });
      if (r.waitReplicas > 0) ctx.addIssue({ code: "custom", path: ["waitReplicas"], message: "waitReplicas is not supported with cluster (each write would need its WAIT on the master that took it)" });
      const problem = clusterUrlProblem(r.cluster);
      if (problem) ctx.addIssue({ code: "custom", path: ["cluster", problem.index], message: problem.message });
    }
    if (r.tls === undefined) return;
    if (r.sentinels === undefined && !(r.cluster?.[0] ?? r.url ?? DEFAULT_REDIS_URL).startsWith("rediss:")) {
      ctx.addIssue({ code: "custom", path: ["tls"], message: `tls needs ${r.cluster ? "rediss:// cluster URLs" : "a rediss:// url"}` });
    }
    if ((r.tls.certFile === undefined) !== (r.tls.keyFile === undefined)) {
      ctx.addIssue({ code: "custom", path: ["tls", r.tls.certFile === undefined ? "certFile" : "keyFile"], message: "certFile and keyFile go together (mutual TLS)" });
    }
  })
  .describe("Subscribers and groups in Redis, shared by all servers.");

/** store.redis.url, or its default (a cluster configuration has none). */
export function redisUrl(c: Pick<RedisStoreConfig, "url">): string {
  return c.url ?? DEFAULT_REDIS_URL;
}

/** What makes a list of cluster node URLs unusable together: mixed schemes, differing credentials, a db number. */
function clusterUrlProblem(urls: readonly string[]): { index: number; message: string } | undefined {
  // Entries that are not URLs already have their own issue.
  if (!urls.every((u) => URL.canParse(u)) || urls.length === 0) return undefined;
  const first = new URL(urls[0]!);
  for (let i = 0; i < urls.length; i++) {
    const u = new URL(urls[i]!);
    if (u.pathname !== "" && u.pathname !== "/" && u.pathname !== "/0") return { index: i, message: "a cluster has only db 0: no db number in cluster URLs" };
    if (u.protocol !== first.protocol) return { index: i, message: "cluster URLs must all be redis:// or all rediss://" };
    if (u.username !== first.username || u.password !== first.password) return { index: i, message: "cluster URLs must carry the same credentials (or none)" };
  }
  return undefined;
}

export const memoryStoreConfigSchema = z
  .strictObject({
    file: z
      .string()
      .min(1)
      .describe(
        "Subscribers JSONL file (one subscriber per line, # comments). Loaded at start, rewritten atomically on every write. The file must exist (an empty file is an empty store; an import creates it).",
      ),
    groupsFile: z
      .string()
      .min(1)
      .optional()
      .describe("Groups JSONL file (one group per line). Without it, group profiles cannot be written."),
  })
  .describe("Embedded in-process store backed by JSONL files (single server).");

const redisBranch = z.strictObject({ redis: redisStoreConfigSchema });
const memoryBranch = z.strictObject({ memory: memoryStoreConfigSchema });

export const storeConfigSchema = z
  .union([redisBranch, memoryBranch], {
    // zod's own union message is a bare "Invalid input"; say which backend was meant and why it
    // failed. The messages come from zod issues, which never echo values (the URL may hold a
    // password).
    error: (iss) => {
      if (iss.code !== "invalid_union") return undefined;
      const input = iss.input;
      if (typeof input !== "object" || input === null || Array.isArray(input)) {
        return "store must be an object with either a redis or a memory section";
      }
      const hasRedis = "redis" in input;
      const hasMemory = "memory" in input;
      if (hasRedis && hasMemory) return "store must have exactly one of redis or memory, not both";
      if (!hasRedis && !hasMemory) return "store must have exactly one of redis or memory";
      const branch = iss.errors[hasRedis ? 0 : 1] ?? [];
      const parts = branch.map((i) => {
        const where = i.path.length > 0 ? ` (at ${i.path.map(String).join(".")})` : "";
        return `${i.message}${where}`;
      });
      return parts.length > 0 ? parts.join("; ") : undefined;
    },
  })
  .describe("Subscriber store: exactly one of redis / memory.");

export type RedisStoreConfig = z.output<typeof redisStoreConfigSchema>;
export type RedisTlsConfig = z.output<typeof redisTlsConfigSchema>;
export type MemoryStoreConfig = z.output<typeof memoryStoreConfigSchema>;
export type StoreConfig = z.output<typeof storeConfigSchema>;
export type StoreConfigInput = z.input<typeof storeConfigSchema>;
