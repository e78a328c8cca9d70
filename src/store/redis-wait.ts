// store.redis.waitReplicas: an accounting write counts as done only once WAIT reports it on that
// many replicas. WAIT blocks its connection, so the waits are grouped: at most one WAIT is in
// flight; the writes that finish meanwhile share the next one (it covers every earlier write of
// the connection). Use it on a connection of its own, or other commands would queue behind WAIT.
import type { Redis } from "ioredis";
import { StoreError } from "./errors.js";

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
  deadline: number;
}

export class ReplicaWait {
  private inFlight = false;
  private queued: Waiter[] = [];

  constructor(
    private readonly redis: Pick<Redis, "wait">,
    private readonly replicas: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Call after the write's reply arrived, on the connection that wrote. Resolves once a WAIT sent
   * after this call reports >= replicas within budgetMs; else rejects with STORE_NOT_REPLICATED
   * (or the connection's error).
   */
  wait(budgetMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ resolve, reject, deadline: this.now() + budgetMs });
      if (!this.inFlight) this.flush();
    });
  }

  private flush(): void {
    const batch = this.queued;
    if (batch.length === 0) return;
    this.queued = [];
    this.inFlight = true;
    let first = Infinity;
    for (const w of batch) first = Math.min(first, w.deadline);
    // WAIT 0 would block forever: at least 1 ms.
    const timeout = Math.max(1, Math.ceil(first - this.now()));
    const n = this.replicas;
    this.redis
      .wait(n, timeout)
      .then(
        (acked) => {
          const err = acked >= n ? undefined : new StoreError("STORE_NOT_REPLICATED", `${acked} of ${n} replicas acknowledged the write within ${timeout} ms`);
          for (const w of batch) (err ? w.reject(err) : w.resolve());
        },
        (err: unknown) => {
          for (const w of batch) w.reject(err);
        },
      )
      .finally(() => {
        this.inFlight = false;
        this.flush();
      });
  }
}
