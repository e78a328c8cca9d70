// Duplicate detection, RFC 5080 §2.2.2: a request is identified by the client's address and port,
// the Identifier and the Request Authenticator. A duplicate of a request still in progress is
// silently discarded; a duplicate of an answered one gets the cached reply bytes again.
//
// Layout, chosen for the garbage collector: every answered request is kept for the window (5 s
// by default, i.e. ~75k entries at 15k/s), and objects that live that long are the costliest
// kind for a generational GC (copied by each scavenge, then promoted and marked). So an entry is
// one string key in a Map pointing at a slot number; the slot's state lives in typed arrays and
// the reply bytes in one ring buffer. Slots are handed out in arrival order and reused after
// maxEntries newer requests, which bounds the cache without sweeping; a slot or reply that was
// reused is simply a miss (the retransmission is then served afresh, which RFC 5080 allows).

export type DuplicateCheck =
  | { kind: "new"; entry: PendingEntry }
  | { kind: "in-progress" }
  | { kind: "answered"; reply: Buffer };

export interface PendingEntry {
  readonly key: string;
  readonly slot: number;
}

export interface DuplicateCacheOptions {
  windowMs: number;
  maxEntries: number;
  /** How long an unanswered entry may stay (a handler that never settles must not pin it forever). */
  pendingTtlMs?: number;
  /** Bytes of the reply ring (default 160 per entry, at least 64 KiB). */
  replyBytes?: number;
}

const PENDING = -1;

export class DuplicateCache {
  private readonly index = new Map<string, number>();
  private readonly keys: Array<string | undefined>;
  private readonly expiresAt: Float64Array;
  /** Absolute ring position of the reply, PENDING while in progress. */
  private readonly replyAt: Float64Array;
  private readonly replyLen: Uint16Array;
  private readonly ring: Buffer;
  private ringPos = 0;
  private next = 0;
  evictions = 0;

  constructor(private readonly opts: DuplicateCacheOptions) {
    const n = opts.maxEntries;
    this.keys = new Array<string | undefined>(n);
    this.expiresAt = new Float64Array(n);
    this.replyAt = new Float64Array(n);
    this.replyLen = new Uint16Array(n);
    // allocUnsafeSlow: its own memory, outside the pool; pages are touched only as it fills.
    this.ring = Buffer.allocUnsafeSlow(Math.max(65_536, opts.replyBytes ?? n * 160));
  }

  static key(address: string, port: number, identifier: number, authenticator: Buffer): string {
    return `${address}|${port}|${identifier}|${authenticator.toString("latin1")}`;
  }

  /** Live entries (answered within their window, or in progress). */
  get size(): number {
    return this.index.size;
  }

  check(key: string, now: number): DuplicateCheck {
    const slot = this.index.get(key);
    if (slot !== undefined && (this.expiresAt[slot] as number) > now) {
      const at = this.replyAt[slot] as number;
      if (at === PENDING) return { kind: "in-progress" };
      const len = this.replyLen[slot] as number;
      if (this.ringPos - at <= this.ring.length - len) {
        // A copy: the ring may be overwritten before the datagram leaves.
        const off = at % this.ring.length;
        return { kind: "answered", reply: Buffer.from(this.ring.subarray(off, off + len)) };
      }
    }
    if (slot !== undefined) this.release(slot);
    return { kind: "new", entry: { key, slot: this.claim(key, now) } };
  }

  /** The request was answered: keep the reply for the window. */
  answered(entry: PendingEntry, reply: Buffer, now: number): void {
    if (this.keys[entry.slot] !== entry.key) return; // the slot went to a newer request meanwhile
    if (this.opts.windowMs === 0 || reply.length > this.ring.length || reply.length > 0xffff) {
      this.release(entry.slot);
      return;
    }
    let off = this.ringPos % this.ring.length;
    if (off + reply.length > this.ring.length) {
      // Never split a reply across the end of the ring.
      this.ringPos += this.ring.length - off;
      off = 0;
    }
    reply.copy(this.ring, off);
    this.replyAt[entry.slot] = this.ringPos;
    this.replyLen[entry.slot] = reply.length;
    this.ringPos += reply.length;
    this.expiresAt[entry.slot] = now + this.opts.windowMs;
  }

  /** The request ended without a reply (dropped, shed): a retransmission may be served afresh. */
  forget(entry: PendingEntry): void {
    if (this.keys[entry.slot] === entry.key && this.replyAt[entry.slot] === PENDING) this.release(entry.slot);
  }

  private claim(key: string, now: number): number {
    const slot = this.next;
    this.next = (slot + 1) % this.opts.maxEntries;
    const old = this.keys[slot];
    if (old !== undefined) {
      if ((this.expiresAt[slot] as number) > now) this.evictions++;
      this.index.delete(old);
    }
    this.keys[slot] = key;
    this.index.set(key, slot);
    this.replyAt[slot] = PENDING;
    this.expiresAt[slot] = now + (this.opts.pendingTtlMs ?? 30_000);
    return slot;
  }

  private release(slot: number): void {
    const key = this.keys[slot];
    if (key !== undefined) this.index.delete(key);
    this.keys[slot] = undefined;
    this.expiresAt[slot] = 0;
  }
}
