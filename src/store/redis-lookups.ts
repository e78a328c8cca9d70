// The hot path of the Redis subscriber store: lookups batched into one MGET per event-loop turn
// (or per batchDelayMs while another MGET is in flight), each with its own deadline, and the
// lookup counters and round-trip times behind stats(). See redis-store.ts for the failure model.
import type { Cluster } from "ioredis";
import { StoreError } from "./errors.js";
import { groupByNode, isCluster, mgetOneNode, type RedisClient } from "./redis-cluster.js";
import { quickSubscriber } from "./fast-check-record.js";
import type { StoreStats } from "./store.js";
import { subscriberSchema, summarizeIssues, type Subscriber } from "./subscriber.js";
import { safeErrorMessage } from "./util.js";

const RTT_WINDOW = 256;
/** Keys per MGET: bounds one reply's size and the head-of-line wait behind it. */
const MAX_BATCH = 256;

interface PendingLookup {
  username: string;
  resolve: (s: Subscriber | null) => void;
  reject: (e: Error) => void;
  settled: boolean;
  /** performance.now() after which the caller gets STORE_TIMEOUT. */
  expiresAt: number;
}

/** A command Redis refused with an error reply (it was received and answered). */
export function isReplyError(err: unknown): boolean {
  return err instanceof Error && err.name === "ReplyError";
}

/** ioredis refused to send (not connected, offline queue disabled): the command never left. */
export function isNotSentError(err: unknown): boolean {
  return err instanceof Error && /enableOfflineQueue|Stream isn't writeable/i.test(err.message);
}

export class RedisLookups {
  /** Failed lookups (timeouts excluded), timed-out lookups, corrupt records (also of groups). */
  readonly counts = { errors: 0, timeouts: 0, corrupt: 0 };
  private inFlight = 0;
  /** Lookup MGETs sent and not yet answered (a timed-out one counts until its reply). */
  private mgetsInFlight = 0;
  private immediateFlush = false;
  private batch: PendingLookup[] = [];
  private flushScheduled = false;
  private readonly rtt = new Float64Array(RTT_WINDOW);
  private rttCount = 0;
  /** Set on a cluster: a batch is split by master, one MGET (or pipeline of per-slot MGETs) each. */
  private readonly cluster: Cluster | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly batchDelayMs: number,
  ) {
    this.cluster = isCluster(redis) ? redis : undefined;
  }

  private subKey(username: string): string {
    return `${this.prefix}sub:${username}`;
  }

  /** Looks `username` up within `budget` ms (> 0): resolves null for an unknown user. */
  lookup(username: string, budget: number): Promise<Subscriber | null> {
    return new Promise<Subscriber | null>((resolve, reject) => {
      this.batch.push({ username, resolve, reject, settled: false, expiresAt: performance.now() + budget });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // The lookups of one event-loop turn share one MGET (setImmediate runs after the poll
        // phase has read every ready datagram). While another MGET is in flight, those of the
        // next batchDelayMs share one too: under load a turn holds one or two datagrams, and a
        // Redis write and read per request cost more CPU than the lookup. With none in flight
        // nothing is gained by waiting: an idle server answers without a batching delay.
        if (this.batchDelayMs > 0 && this.mgetsInFlight > 0) setTimeout(this.flush, this.batchDelayMs);
        else setImmediate(this.flush);
      } else if (this.batch.length >= MAX_BATCH) {
        this.flush();
      }
    });
  }

  private readonly flush = (): void => {
    if (this.batch.length === 0) return;
    this.flushScheduled = false;
    const batch = this.batch;
    this.batch = [];
    if (this.cluster) {
      // No MGET across slots (CROSSSLOT): one request per master, each settling on its own.
      const c = this.cluster;
      for (const g of groupByNode(c, batch.map((p) => this.subKey(p.username)))) {
        for (let i = 0; i < g.length; i += MAX_BATCH) this.sendBatch(g.slice(i, i + MAX_BATCH).map((j) => batch[j]!));
      }
      return;
    }
    for (let i = 0; i < batch.length; i += MAX_BATCH) this.sendBatch(i === 0 && batch.length <= MAX_BATCH ? batch : batch.slice(i, i + MAX_BATCH));
  };

  /**
   * One MGET for the lookups of one event-loop turn: still one round trip per Access-Request,
   * with one command to build and one reply to parse instead of one per request.
   */
  private sendBatch(batch: PendingLookup[]): void {
    const t0 = performance.now();
    let earliest = Infinity;
    const keys = new Array<string>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      if (p.expiresAt < earliest) earliest = p.expiresAt;
      keys[i] = this.subKey(p.username);
    }
    this.inFlight += batch.length;
    this.mgetsInFlight++;
    const expire = (): void => {
      for (const p of batch) {
        if (p.settled) continue;
        p.settled = true;
        this.counts.timeouts++;
        p.reject(new StoreError("STORE_TIMEOUT", `lookup of user ${p.username} timed out after ${Math.round(p.expiresAt - t0)} ms`));
      }
    };
    // Timers run before the poll phase: after a long turn of the loop the timer would fire while
    // the reply already waits in the socket. setImmediate runs after the poll phase has read it.
    const timer = setTimeout(() => setImmediate(expire), Math.max(0, earliest - t0));
    (this.cluster ? mgetOneNode(this.cluster, keys) : this.redis.mget(keys)).then(
      (values) => {
        this.inFlight -= batch.length;
        this.mgetsInFlight--;
        this.flushWaitingBatch();
        this.recordRtt(performance.now() - t0);
        clearTimeout(timer);
        for (let i = 0; i < batch.length; i++) {
          const p = batch[i]!;
          if (p.settled) continue;
          p.settled = true;
          const raw = values[i];
          if (raw === null || raw === undefined) {
            p.resolve(null);
            continue;
          }
          try {
            p.resolve(this.decodeSubscriber(p.username, raw));
          } catch (err) {
            p.reject(err as Error);
          }
        }
      },
      (err: unknown) => {
        this.inFlight -= batch.length;
        this.mgetsInFlight--;
        this.flushWaitingBatch();
        if (isReplyError(err)) this.recordRtt(performance.now() - t0);
        clearTimeout(timer);
        for (const p of batch) {
          if (p.settled) continue;
          p.settled = true;
          p.reject(this.lookupError(p.username, err));
        }
      },
    );
  }

  /**
   * The last lookup MGET in flight came back: lookups waiting for the batching window go out at
   * the end of this turn instead (the window only serves to share an MGET with a busy store).
   */
  private flushWaitingBatch(): void {
    if (this.mgetsInFlight === 0 && this.batch.length > 0 && !this.immediateFlush) {
      this.immediateFlush = true;
      setImmediate(() => {
        this.immediateFlush = false;
        this.flush();
      });
    }
  }

  private recordRtt(ms: number): void {
    this.rtt[this.rttCount % RTT_WINDOW] = ms;
    this.rttCount++;
  }

  private lookupError(username: string, err: unknown): StoreError {
    this.counts.errors++;
    const msg = isNotSentError(err) ? "Redis not connected" : safeErrorMessage(err);
    if (isReplyError(err) && msg.startsWith("WRONGTYPE")) {
      this.counts.corrupt++;
      return new StoreError("STORE_CORRUPT_RECORD", `stored record of user ${username} is not a string value (WRONGTYPE)`);
    }
    return new StoreError("STORE_UNAVAILABLE", `Redis lookup of user ${username} failed: ${msg}`);
  }

  /** Never lets a bad record crash or slip through: it becomes STORE_CORRUPT_RECORD. */
  decodeSubscriber(username: string, raw: string): Subscriber {
    const fail = (why: string): never => {
      this.counts.errors++;
      this.counts.corrupt++;
      throw new StoreError("STORE_CORRUPT_RECORD", `stored record of user ${username} ${why}`);
    };
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      // V8's message quotes the input, which may contain the password: not included.
      return fail("is not valid JSON");
    }
    const quick = quickSubscriber(value);
    if (quick) {
      if (quick.username !== username) return fail("holds a different username");
      return quick;
    }
    const parsed = subscriberSchema.safeParse(value);
    if (!parsed.success) return fail(`fails the schema: ${summarizeIssues(parsed.error)}`);
    if (parsed.data.username !== username) return fail("holds a different username");
    return parsed.data;
  }

  stats(): StoreStats {
    const s: StoreStats = { inFlight: this.inFlight, errors: this.counts.errors, timeouts: this.counts.timeouts, corrupt: this.counts.corrupt };
    const n = Math.min(this.rttCount, RTT_WINDOW);
    if (n > 0) {
      const sorted = Array.from(this.rtt.subarray(0, n)).sort((a, b) => a - b);
      const at = (q: number): number => sorted[Math.min(n - 1, Math.floor(q * n))] ?? 0;
      s.rtt = { samples: n, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[n - 1] ?? 0 };
    }
    return s;
  }
}
