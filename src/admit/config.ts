// The `scheduler:` section of the configuration file. Every object is strict: a misspelt key or
// an unknown class name is an error that names the key, never a silent fall-back to a default.
import { z } from "zod";
import { REQUEST_CLASSES, type RequestClass } from "./classes.js";

const budgetMs = z.number().positive().max(60_000);

const minShare = (dflt: number) =>
  z
    .number()
    .min(0)
    .max(1)
    .default(dflt)
    .describe(
      "Minimum share (0..1) of queue dispatches this class receives while it has work waiting, whatever the higher classes want. 0 = strict priority.",
    );

const classBudget = budgetMs
  .optional()
  .describe("Latency budget of this class in ms; default: scheduler.budgetMs (access-state: at least 1000, see STATE_BUDGET_MS).");

/**
 * Default budget floor of a round of a conversation in progress (State): the NAS retransmits a
 * round only after seconds, and a round answered late ends the whole conversation.
 */
export const STATE_BUDGET_MS = 1000;

/** Status-Server never waits in the queue (it does no store work), so it has a budget only. */
const statusClassSchema = z.strictObject({ budgetMs: classBudget });

const queuedClassSchema = (dfltShare: number) => z.strictObject({ budgetMs: classBudget, minShare: minShare(dfltShare) });

/** Default minimum shares: small floors so that no class starves at light overload (sum 0.175). */
export const DEFAULT_MIN_SHARES: Readonly<Record<Exclude<RequestClass, "status">, number>> = {
  "access-state": 0,
  access: 0.1,
  "acct-stop": 0.05,
  acct: 0.025,
};

/** A client's (NAS's) weight in per-client fair queuing; lives in the `clients:` section. */
export const clientWeightSchema = z
  .number()
  .min(0.01)
  .max(100)
  .describe("This NAS's weight in per-client fair queuing within a class (default 1): a client of weight 2 gets twice the share of one of weight 1 when both have work waiting.");

export const schedulerConfigSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        "Deadlines, priorities, per-NAS fairness and load shedding (the normal mode). false: every request read is started at once, nothing is shed before it is worked on, and under overload Status-Server and conversations in progress get no precedence (a late reply is still not sent).",
      ),
    budgetMs: budgetMs
      .default(50)
      .describe("Latency budget: deadline = arrival + budget. Late work is not started, late replies are not sent."),
    maxQueue: z
      .int()
      .min(0)
      .max(1_000_000)
      .default(2048)
      .describe("Bound on requests waiting for a slot (all classes). 0 = no queue: a request over the concurrency limit is shed at once (a static cap when limiter.min = limiter.max)."),
    classes: z
      .strictObject({
        status: statusClassSchema.prefault({}),
        "access-state": queuedClassSchema(DEFAULT_MIN_SHARES["access-state"]).prefault({}),
        access: queuedClassSchema(DEFAULT_MIN_SHARES.access).prefault({}),
        "acct-stop": queuedClassSchema(DEFAULT_MIN_SHARES["acct-stop"]).prefault({}),
        acct: queuedClassSchema(DEFAULT_MIN_SHARES.acct).prefault({}),
      })
      .prefault({})
      .describe(`Per-class settings; classes in priority order: ${REQUEST_CLASSES.join(", ")}.`),
    limiter: z
      .strictObject({
        initial: z.int().min(1).max(100_000).default(1024).describe("Concurrency limit (requests in flight to the store) at start-up."),
        min: z
          .int()
          .min(1)
          .max(100_000)
          .default(1024)
          .describe(
            "The adaptive limit never goes below this. Keep it above what a healthy store holds in flight at full load (throughput x loaded round trip), or the limit throttles a store that is not congested when the process's own CPU saturates; lower it only for a store that is itself slow.",
          ),
        max: z.int().min(1).max(100_000).default(4096).describe("The adaptive limit never goes above this."),
        tolerance: z
          .number()
          .min(1)
          .max(10)
          .default(2)
          .describe("The limit shrinks when the median round-trip time exceeds tolerance x the minimum (plus rttSlackMs)."),
        rttSlackMs: z.number().min(0).max(1_000).default(1).describe("Absolute round-trip inflation (ms) always tolerated: sub-millisecond noise is not congestion."),
        windowMs: z.number().positive().max(10_000).default(50).describe("How often the limit is recomputed from the round-trip samples of the window."),
      })
      .prefault({}),
    codel: z
      .strictObject({
        targetMs: z.number().positive().max(60_000).default(5).describe("Sojourn target: while a standing queue exists, a request that waited longer than this is shed."),
        intervalMs: z
          .number()
          .positive()
          .max(60_000)
          .default(100)
          .describe("A queue whose oldest request stayed above the target for this long is a standing queue (overload): serve newest first and cap queue time at the target until it drains."),
      })
      .prefault({}),
    eventLoop: z
      .strictObject({
        maxDelayMs: z
          .number()
          .positive()
          .max(60_000)
          .default(25)
          .describe(
            "Event-loop delay (ms), the mean over the last 100 ms, above which the process counts as saturated: the limit stops growing and, without kernel arrival stamps, every queue goes into overload mode. Short stalls (CPU steal, a CPU quota, a GC pause) raise it too, so keep it well above them.",
          ),
        maxUtilization: z.number().gt(0).max(1).default(0.95).describe("Event-loop utilisation (0..1) above which the process counts as saturated."),
      })
      .prefault({}),
    flowHoldBack: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            "Native io with flow queues: while one NAS's kernel queue is backlogged and another's is not, read less of the backlogged one, so that the event loop keeps room for the light NASes (what is not read the kernel drops, at no cost to the process). Off: every flow queue is read in turn, a full batch each. Applies only with enabled: true.",
          ),
        targetWaitMs: z
          .number()
          .positive()
          .max(60_000)
          .optional()
          .describe(
            "The light NASes' datagrams may wait this long (ms) in the kernel queue before they are read; a window in which one waited longer halves the backlogged queues' read allowance, a window under it adds one batch. Default: a tenth of budgetMs (5 ms at 50).",
          ),
        windowMs: z.number().min(1).max(10_000).default(10).describe("Read allowances are per window of this length (ms)."),
      })
      .prefault({})
      .describe("Per-flow hold-back of backlogged kernel flow queues (docs/scheduler.md)."),
    kernelQueue: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            "Native io: size each kernel receive queue by the time its datagrams wait rather than in bytes. A backlogged queue whose datagrams wait longer than targetWaitMs gets a smaller receive buffer (the kernel drops the excess on arrival, at no cost to the process, instead of queueing it until it is stale); one whose datagrams wait less than half of it grows back to radius.<listener>.recvBufferSize. Applies only with enabled: true.",
          ),
        targetWaitMs: z
          .number()
          .positive()
          .max(60_000)
          .optional()
          .describe("Longest wait (ms) in the kernel queue wanted for a backlogged queue's datagrams. Default: 30 % of budgetMs (15 ms at 50)."),
        minBytes: z.int().min(4096).max(64 * 1024 * 1024).default(16_384).describe("Smallest receive buffer (SO_RCVBUF bytes) a queue is cut to."),
      })
      .prefault({})
      .describe("Kernel receive queues sized by time (docs/scheduler.md)."),
  })
  .superRefine((c, ctx) => {
    if (c.limiter.min > c.limiter.max) {
      ctx.addIssue({ code: "custom", path: ["limiter", "min"], message: `limiter.min (${c.limiter.min}) must not exceed limiter.max (${c.limiter.max})` });
    } else if (c.limiter.initial < c.limiter.min || c.limiter.initial > c.limiter.max) {
      ctx.addIssue({
        code: "custom",
        path: ["limiter", "initial"],
        message: `limiter.initial (${c.limiter.initial}) must lie between limiter.min (${c.limiter.min}) and limiter.max (${c.limiter.max})`,
      });
    }
    const shares = (["access-state", "access", "acct-stop", "acct"] as const).map((k) => c.classes[k].minShare);
    const sum = shares.reduce((a, b) => a + b, 0);
    if (sum > 1 + 1e-9) {
      ctx.addIssue({ code: "custom", path: ["classes"], message: `the classes' minShare values sum to ${round(sum)}; they must sum to at most 1` });
    }
    if (c.codel.targetMs >= c.codel.intervalMs) {
      ctx.addIssue({ code: "custom", path: ["codel", "targetMs"], message: `codel.targetMs (${c.codel.targetMs}) must be smaller than codel.intervalMs (${c.codel.intervalMs})` });
    }
    if (c.flowHoldBack.targetWaitMs !== undefined && c.flowHoldBack.targetWaitMs >= c.budgetMs) {
      ctx.addIssue({
        code: "custom",
        path: ["flowHoldBack", "targetWaitMs"],
        message: `flowHoldBack.targetWaitMs (${c.flowHoldBack.targetWaitMs}) must be smaller than budgetMs (${c.budgetMs})`,
      });
    }
    if (c.kernelQueue.targetWaitMs !== undefined && c.kernelQueue.targetWaitMs >= c.budgetMs) {
      ctx.addIssue({
        code: "custom",
        path: ["kernelQueue", "targetWaitMs"],
        message: `kernelQueue.targetWaitMs (${c.kernelQueue.targetWaitMs}) must be smaller than budgetMs (${c.budgetMs})`,
      });
    }
    if (c.codel.targetMs >= c.budgetMs) {
      ctx.addIssue({ code: "custom", path: ["codel", "targetMs"], message: `codel.targetMs (${c.codel.targetMs}) must be smaller than budgetMs (${c.budgetMs})` });
    }
  });

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** The `scheduler:` section after parsing (defaults filled in). */
export type SchedulerConfig = z.output<typeof schedulerConfigSchema>;
/** The `scheduler:` section as written in the file. */
export type SchedulerConfigInput = z.input<typeof schedulerConfigSchema>;

/** Parse a `scheduler:` section, throwing a ZodError on a bad one (tests, embedding). */
export function schedulerConfig(input: SchedulerConfigInput = {}): SchedulerConfig {
  return schedulerConfigSchema.parse(input);
}

/** The budget of a class: its override, else the global one (for access-state at least STATE_BUDGET_MS). */
export function classBudgetMs(config: SchedulerConfig, cls: RequestClass): number {
  const own = config.classes[cls].budgetMs;
  if (own !== undefined) return own;
  return cls === "access-state" ? Math.max(config.budgetMs, STATE_BUDGET_MS) : config.budgetMs;
}

/** The minimum share of a class (Status-Server bypasses the queue: 0). */
export function classMinShare(config: SchedulerConfig, cls: RequestClass): number {
  return cls === "status" ? 0 : config.classes[cls].minShare;
}
