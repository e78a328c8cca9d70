// Duplicate detection, RFC 5080 §2.2.2: a request is identified by the client's address and port,
// the Identifier and the Request Authenticator. A duplicate of a request still in progress is
// silently discarded; a duplicate of an answered one gets the cached reply bytes again.
//
// No object per entry (see slots.ts): keys and state in typed arrays, the reply bytes in one ring
// buffer. Slots are handed out in arrival order and reused after maxEntries newer requests, which
// bounds the cache without sweeping; a slot or reply that was reused is simply a miss (the
// retransmission is then served afresh, which RFC 5080 allows). docs/benchmarks.md has the GC
// figures that chose this layout over a Map.
import { randomInt } from "node:crypto";
import { AdoptedCache, encodeDump } from "./dump.js";
import { PENDING, SlotIndex, portIdOf, type DuplicateKey } from "./slots.js";

export type { DuplicateKey } from "./slots.js";

export type DuplicateCheck =
  | { kind: "new"; entry: PendingEntry }
  | { kind: "in-progress" }
  | { kind: "answered"; reply: Buffer };

export interface PendingEntry {
  readonly slot: number;
  /** The slot's generation when claimed: a reused slot does not match. */
  readonly gen: number;
}

export interface DuplicateCacheOptions {
  windowMs: number;
  maxEntries: number;
  /** How long an unanswered entry may stay (a handler that never settles must not pin it forever). */
  pendingTtlMs?: number;
  /** Bytes of the reply ring (default 160 per entry, at least 64 KiB). */
  replyBytes?: number;
}

/** Source addresses interned before the name table is forgotten (ids are never reused). */
const MAX_ADDRESS_NAMES = 65_536;

function tableCells(n: number): number {
  let cap = 16;
  while (cap < 2 * n) cap *= 2;
  return cap;
}

export class DuplicateCache extends SlotIndex {
  private readonly n: number;
  private readonly gen: Uint32Array;
  private readonly ring: Buffer;
  private addressIds = new Map<string, number>();
  private nextAddressId = 1;
  private ringPos = 0;
  private next = 0;
  private live = 0;
  private predecessor: AdoptedCache | undefined;
  evictions = 0;
  /** Retransmissions answered from an adopted predecessor's cache. */
  adoptedHits = 0;

  constructor(private readonly opts: DuplicateCacheOptions) {
    const n = opts.maxEntries;
    super(
      {
        table: new Int32Array(tableCells(n)),
        hashOf: new Int32Array(n),
        inUse: new Uint8Array(n),
        addrId: new Int32Array(n),
        portId: new Int32Array(n),
        auth: new Uint8Array(n * 16),
        expiresAt: new Float64Array(n),
        replyAt: new Float64Array(n),
        replyLen: new Uint16Array(n),
      },
      randomInt(0x7fffffff),
    );
    this.n = n;
    this.gen = new Uint32Array(n);
    // allocUnsafeSlow: its own memory, outside the pool; pages are touched only as it fills.
    this.ring = Buffer.allocUnsafeSlow(Math.max(65_536, opts.replyBytes ?? n * 160));
  }

  static key(address: string, port: number, identifier: number, authenticator: Buffer): DuplicateKey {
    return { address, port, identifier, authenticator };
  }

  /** Live entries (answered within their window, or in progress). */
  get size(): number {
    return this.live;
  }

  check(key: DuplicateKey, now: number): DuplicateCheck {
    const aid = this.addressId(key.address);
    const pid = portIdOf(key.port, key.identifier);
    const h = this.hash(aid, pid, key.authenticator);
    const slot = this.find(h, aid, pid, key.authenticator);
    if (slot >= 0 && (this.expiresAt[slot] as number) > now) {
      const at = this.replyAt[slot] as number;
      if (at === PENDING) return { kind: "in-progress" };
      const len = this.replyLen[slot] as number;
      if (this.ringPos - at <= this.ring.length - len) {
        // A copy: the ring may be overwritten before the datagram leaves.
        const off = at % this.ring.length;
        return { kind: "answered", reply: Buffer.from(this.ring.subarray(off, off + len)) };
      }
    }
    if (slot >= 0) this.release(slot);
    if (this.predecessor) {
      if (now >= this.predecessor.until) this.predecessor = undefined;
      else {
        const reply = this.predecessor.lookup(key, now);
        if (reply) {
          this.adoptedHits++;
          return { kind: "answered", reply };
        }
      }
    }
    return { kind: "new", entry: this.claim(h, aid, pid, key.authenticator, now) };
  }

  /**
   * The whole cache as bytes (dump.ts) for `adoptPredecessor` in another process, with the live
   * part of the reply ring. `wall` is Date.now() at the same moment as `now`.
   */
  dump(now: number, wall: number): Uint8Array[] {
    // The oldest reply still readable: live replies lie in [lo, ringPos).
    let lo = this.ringPos;
    for (let s = 0; s < this.n; s++) {
      if (this.inUse[s] !== 1 || (this.expiresAt[s] as number) <= now) continue;
      const at = this.replyAt[s] as number;
      if (at !== PENDING && at < lo) lo = at;
    }
    lo = Math.max(lo, this.ringPos - this.ring.length);
    const ring = Buffer.allocUnsafeSlow(this.ringPos - lo);
    for (let p = lo, o = 0; p < this.ringPos; ) {
      const off = p % this.ring.length;
      const k = Math.min(this.ringPos - p, this.ring.length - off);
      this.ring.copy(ring, o, off, off + k);
      p += k;
      o += k;
    }
    const meta = { n: this.n, cap: this.mask + 1, seed: this.seed, now, wall, windowMs: this.opts.windowMs, ringLo: lo, ringHi: this.ringPos, addresses: [...this.addressIds] };
    const arrays = { table: this.table, hashOf: this.hashOf, inUse: this.inUse, addrId: this.addrId, portId: this.portId, auth: this.auth, expiresAt: this.expiresAt, replyAt: this.replyAt, replyLen: this.replyLen };
    return encodeDump(meta, arrays, ring);
  }

  /**
   * Adopts a predecessor's dump (`dump`, written by another process): from now until its last
   * entry expires, a request this cache does not know is looked up there too, so a retransmission
   * of a request the predecessor answered gets the same reply. Costs no work per entry. Throws on
   * a malformed dump, before changing anything; returns the answered entries still live in it.
   */
  adoptPredecessor(bytes: Uint8Array, now: number, wall: number): number {
    const adopted = new AdoptedCache(bytes, now, wall);
    this.predecessor = adopted;
    return adopted.entries;
  }

  /** The request was answered: keep the reply for the window. */
  answered(entry: PendingEntry, reply: Buffer, now: number): void {
    if (!this.owns(entry)) return; // the slot went to a newer request meanwhile
    this.keep(entry.slot, reply, now + this.opts.windowMs);
  }

  /** Puts a reply in the ring for a claimed slot, kept until `expiresAt`. */
  private keep(slot: number, reply: Buffer, expiresAt: number): void {
    if (this.opts.windowMs === 0 || reply.length > this.ring.length || reply.length > 0xffff) {
      this.release(slot);
      return;
    }
    let off = this.ringPos % this.ring.length;
    if (off + reply.length > this.ring.length) {
      // Never split a reply across the end of the ring.
      this.ringPos += this.ring.length - off;
      off = 0;
    }
    reply.copy(this.ring, off);
    this.replyAt[slot] = this.ringPos;
    this.replyLen[slot] = reply.length;
    this.ringPos += reply.length;
    this.expiresAt[slot] = expiresAt;
  }

  /** The request ended without a reply (dropped, shed): a retransmission may be served afresh. */
  forget(entry: PendingEntry): void {
    if (this.owns(entry) && this.replyAt[entry.slot] === PENDING) this.release(entry.slot);
  }

  private owns(entry: PendingEntry): boolean {
    return this.inUse[entry.slot] === 1 && this.gen[entry.slot] === entry.gen;
  }

  private addressId(address: string): number {
    let id = this.addressIds.get(address);
    if (id === undefined) {
      // Forgetting the names only turns old entries into misses: ids are never handed out twice.
      if (this.addressIds.size >= MAX_ADDRESS_NAMES) this.addressIds = new Map();
      id = this.nextAddressId++;
      this.addressIds.set(address, id);
    }
    return id;
  }

  private claim(h: number, aid: number, pid: number, a: Buffer, now: number): PendingEntry {
    const slot = this.next;
    this.next = (slot + 1) % this.n;
    if (this.inUse[slot] === 1) {
      if ((this.expiresAt[slot] as number) > now) this.evictions++;
      this.release(slot);
    }
    this.inUse[slot] = 1;
    this.live++;
    const gen = (this.gen[slot] = ((this.gen[slot] as number) + 1) >>> 0);
    this.hashOf[slot] = h;
    this.addrId[slot] = aid;
    this.portId[slot] = pid;
    this.auth.set(a.subarray(0, 16), slot * 16);
    this.replyAt[slot] = PENDING;
    this.expiresAt[slot] = now + (this.opts.pendingTtlMs ?? 30_000);
    let i = h & this.mask;
    while (this.table[i] !== 0) i = (i + 1) & this.mask;
    this.table[i] = slot + 1;
    return { slot, gen };
  }

  private release(slot: number): void {
    if (this.inUse[slot] !== 1) return;
    this.inUse[slot] = 0;
    this.live--;
    this.expiresAt[slot] = 0;
    // Find the slot's cell, then close the gap (backward-shift deletion keeps probes short).
    let i = (this.hashOf[slot] as number) & this.mask;
    while (this.table[i] !== slot + 1) i = (i + 1) & this.mask;
    for (let j = (i + 1) & this.mask; this.table[j] !== 0; j = (j + 1) & this.mask) {
      const home = (this.hashOf[(this.table[j] as number) - 1] as number) & this.mask;
      // Move j's entry into the gap when its home is not in the cyclic range (i, j].
      const inRange = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!inRange) {
        this.table[i] = this.table[j] as number;
        i = j;
      }
    }
    this.table[i] = 0;
  }
}
