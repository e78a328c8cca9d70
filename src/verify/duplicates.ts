// Duplicate detection, RFC 5080 §2.2.2: a request is identified by the client's address and port,
// the Identifier and the Request Authenticator. A duplicate of a request still in progress is
// silently discarded; a duplicate of an answered one gets the cached reply bytes again.
// The cache is bounded in time (window after the reply) and in entries (oldest evicted first).

export type DuplicateCheck =
  | { kind: "new"; entry: PendingEntry }
  | { kind: "in-progress" }
  | { kind: "answered"; reply: Buffer };

export interface PendingEntry {
  readonly key: string;
}

interface Entry {
  key: string;
  reply: Buffer | null;
  /** Expiry time (clock ms); pending entries carry arrival + pendingTtl as a safety net. */
  expiresAt: number;
}

export interface DuplicateCacheOptions {
  windowMs: number;
  maxEntries: number;
  /** How long an unanswered entry may stay (a handler that never settles must not pin it forever). */
  pendingTtlMs?: number;
}

export class DuplicateCache {
  // A Map iterates in insertion order; entries are re-inserted when answered so that the order
  // stays close to expiry order and expired ones can be swept from the head.
  private readonly entries = new Map<string, Entry>();
  private lastSweep = -Infinity;
  evictions = 0;

  constructor(private readonly opts: DuplicateCacheOptions) {}

  static key(address: string, port: number, identifier: number, authenticator: Buffer): string {
    return `${address}|${port}|${identifier}|${authenticator.toString("latin1")}`;
  }

  get size(): number {
    return this.entries.size;
  }

  check(key: string, now: number): DuplicateCheck {
    this.sweep(now);
    const e = this.entries.get(key);
    if (e && e.expiresAt > now) {
      return e.reply ? { kind: "answered", reply: e.reply } : { kind: "in-progress" };
    }
    if (e) this.entries.delete(key);
    if (this.entries.size >= this.opts.maxEntries) this.evictOldest();
    this.entries.set(key, { key, reply: null, expiresAt: now + (this.opts.pendingTtlMs ?? 30_000) });
    return { kind: "new", entry: { key } };
  }

  /** The request was answered: keep the reply for the window. */
  answered(entry: PendingEntry, reply: Buffer, now: number): void {
    if (this.opts.windowMs === 0) {
      this.entries.delete(entry.key);
      return;
    }
    this.entries.delete(entry.key);
    this.entries.set(entry.key, { key: entry.key, reply, expiresAt: now + this.opts.windowMs });
  }

  /** The request ended without a reply (dropped, shed): a retransmission may be served afresh. */
  forget(entry: PendingEntry): void {
    const e = this.entries.get(entry.key);
    if (e && e.reply === null) this.entries.delete(entry.key);
  }

  private evictOldest(): void {
    const oldest = this.entries.keys().next().value;
    if (oldest !== undefined) {
      this.entries.delete(oldest);
      this.evictions++;
    }
  }

  private sweep(now: number): void {
    // At most every 10 ms, and only from the head: entries are kept close to expiry order, so
    // the first one still alive ends the sweep.
    if (now - this.lastSweep < 10) return;
    this.lastSweep = now;
    for (const e of this.entries.values()) {
      if (e.expiresAt > now) break;
      this.entries.delete(e.key);
    }
  }
}
