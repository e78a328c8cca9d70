// Duplicate detection, RFC 5080 §2.2.2: a request is identified by the client's address and port,
// the Identifier and the Request Authenticator. A duplicate of a request still in progress is
// silently discarded; a duplicate of an answered one gets the cached reply bytes again.
//
// Layout, chosen for the garbage collector: every answered request is kept for the window (5 s
// by default, i.e. ~75k entries at 15k/s), and objects that live that long are the costliest
// kind for a generational GC: each is copied by scavenges, promoted, and every young object an
// old table points at must be scanned at each scavenge. So the cache holds no per-entry object
// at all: a slot's key (source address as a small interned number, port, Identifier, Request
// Authenticator) and state live in typed arrays, the reply bytes in one ring buffer, and the
// index is an open-addressing hash table of slot numbers (linear probing, backward-shift
// deletion). (With a Map of string keys, scavenges took 3-20 ms at 15k/s; see docs/benchmarks.md.)
// Slots are handed out in arrival order and reused after maxEntries newer requests, which bounds
// the cache without sweeping; a slot or reply that was reused is simply a miss (the
// retransmission is then served afresh, which RFC 5080 allows).
import { randomInt } from "node:crypto";

export type DuplicateCheck =
  | { kind: "new"; entry: PendingEntry }
  | { kind: "in-progress" }
  | { kind: "answered"; reply: Buffer };

/** What identifies a request (RFC 5080 §2.2.2). Short-lived: the cache keeps none of these. */
export interface DuplicateKey {
  readonly address: string;
  readonly port: number;
  readonly identifier: number;
  readonly authenticator: Buffer;
}

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

/**
 * Answered entries of a cache, for another process's cache (a rolling restart hands the window
 * of replies over to the replacement worker). Times are relative (`ttlMs`): two processes'
 * clocks differ. `records` holds, per entry: address index (u32, into `addresses`), port
 * (u16), Identifier (u8), Request Authenticator (16 octets), remaining time to live in ms
 * (u32), reply length (u16), then the reply bytes; big-endian. Oldest entries first.
 */
export interface DuplicateSnapshot {
  count: number;
  addresses: string[];
  records: Uint8Array;
}

/** Octets of a snapshot record before its reply bytes. */
const RECORD_HEAD = 4 + 2 + 1 + 16 + 4 + 2;

const PENDING = -1;
/** Source addresses interned before the name table is forgotten (ids are never reused). */
const MAX_ADDRESS_NAMES = 65_536;

/**
 * A snapshot cut into snapshots of at most `maxRecords` records each (same addresses table), so
 * that a process taking over a large cache can import it a piece per event-loop turn and keep
 * reading datagrams in between. Throws on a malformed snapshot.
 */
export function splitSnapshot(snap: DuplicateSnapshot, maxRecords: number): DuplicateSnapshot[] {
  if (!(maxRecords >= 1)) throw new RangeError("maxRecords must be at least 1");
  const buf = Buffer.from(snap.records.buffer, snap.records.byteOffset, snap.records.byteLength);
  const out: DuplicateSnapshot[] = [];
  let start = 0;
  let o = 0;
  let n = 0;
  while (o < buf.length) {
    if (o + RECORD_HEAD > buf.length) throw new RangeError("duplicate snapshot: truncated record");
    o += RECORD_HEAD + buf.readUInt16BE(o + 27);
    if (o > buf.length) throw new RangeError("duplicate snapshot: truncated reply");
    if (++n === maxRecords) {
      out.push({ count: n, addresses: snap.addresses, records: snap.records.subarray(start, o) });
      start = o;
      n = 0;
    }
  }
  if (n > 0) out.push({ count: n, addresses: snap.addresses, records: snap.records.subarray(start, o) });
  return out;
}

function keyHash(seed: number, aid: number, pid: number, a: Buffer): number {
  let h = Math.imul(a.readInt32LE(0) ^ seed, 0x9e3779b1);
  h ^= Math.imul(a.readInt32LE(4) ^ aid, 0x85ebca77);
  h ^= Math.imul(a.readInt32LE(8) ^ pid, 0xc2b2ae3d);
  h ^= a.readInt32LE(12);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 12);
}

/**
 * A whole cache as bytes, for a replacement process that adopts it as is (`adoptPredecessor`)
 * instead of importing it entry by entry: its index and slot arrays, the part of the reply ring
 * that holds live replies, and the interned address names. Taking over 100k+ entries one by
 * one cost the replacement CPU while it served at full rate (docs/benchmarks.md); a dump costs
 * a few memory copies to write and none to adopt.
 *
 * Layout: u32 BE length of a JSON header, the header, zero padding to a multiple of 8, then the
 * sections the header lists (each at a multiple of 8 from the start).
 */
interface DumpHeader {
  v: 1;
  /** Slots, hash table cells (a power of two), hash seed. */
  n: number;
  cap: number;
  seed: number;
  /** The dumping process's clock (performance.now()) and wall clock (Date.now()) when dumped. */
  now: number;
  wall: number;
  windowMs: number;
  /** Absolute ring positions [ringLo, ringHi) of the `ring` section. */
  ringLo: number;
  ringHi: number;
  addresses: [string, number][];
  sections: Record<DumpSection, [offset: number, bytes: number]>;
}
type DumpSection = "table" | "hashOf" | "inUse" | "addrId" | "portId" | "auth" | "expiresAt" | "replyAt" | "replyLen" | "ring";
const DUMP_SECTIONS: readonly DumpSection[] = ["table", "hashOf", "inUse", "addrId", "portId", "auth", "expiresAt", "replyAt", "replyLen", "ring"];
const pad8 = (x: number): number => (x + 7) & ~7;

/**
 * A predecessor's cache adopted from its dump: read-only, consulted when this process's own
 * cache has no entry, until the last of its entries expires. Its times are shifted to this
 * process's clock through both processes' wall clocks.
 */
class AdoptedCache {
  private readonly table: Int32Array;
  private readonly hashOf: Int32Array;
  private readonly inUse: Uint8Array;
  private readonly addrId: Int32Array;
  private readonly portId: Int32Array;
  private readonly auth: Uint8Array;
  private readonly expiresAt: Float64Array;
  private readonly replyAt: Float64Array;
  private readonly replyLen: Uint16Array;
  private readonly ring: Uint8Array;
  private readonly ids: Map<string, number>;
  private readonly mask: number;
  /** Add to a dumped time to get this process's clock. */
  private readonly shift: number;
  /** This process's time after which no adopted entry is live. */
  readonly until: number;
  readonly entries: number;

  constructor(
    private readonly h: DumpHeader,
    body: ArrayBuffer,
    now: number,
    wallNow: number,
  ) {
    const view = <T>(name: DumpSection, make: (buf: ArrayBuffer, off: number, len: number) => T, size: number, count: number): T => {
      const [off, bytes] = h.sections[name];
      if (bytes !== size * count) throw new RangeError(`duplicate dump: section ${name} has ${bytes} octets, ${size * count} expected`);
      return make(body, off, count);
    };
    this.table = view("table", (b, o, c) => new Int32Array(b, o, c), 4, h.cap);
    this.hashOf = view("hashOf", (b, o, c) => new Int32Array(b, o, c), 4, h.n);
    this.inUse = view("inUse", (b, o, c) => new Uint8Array(b, o, c), 1, h.n);
    this.addrId = view("addrId", (b, o, c) => new Int32Array(b, o, c), 4, h.n);
    this.portId = view("portId", (b, o, c) => new Int32Array(b, o, c), 4, h.n);
    this.auth = view("auth", (b, o, c) => new Uint8Array(b, o, 16 * c), 16, h.n);
    this.expiresAt = view("expiresAt", (b, o, c) => new Float64Array(b, o, c), 8, h.n);
    this.replyAt = view("replyAt", (b, o, c) => new Float64Array(b, o, c), 8, h.n);
    this.replyLen = view("replyLen", (b, o, c) => new Uint16Array(b, o, c), 2, h.n);
    this.ring = view("ring", (b, o, c) => new Uint8Array(b, o, c), 1, h.ringHi - h.ringLo);
    this.mask = h.cap - 1;
    this.ids = new Map(h.addresses);
    this.shift = now - (h.now + (wallNow - h.wall));
    this.until = h.now + h.windowMs + this.shift;
    let entries = 0;
    for (let s = 0; s < h.n; s++) if (this.inUse[s] === 1 && this.replyAt[s] !== PENDING && (this.expiresAt[s] as number) + this.shift > now) entries++;
    this.entries = entries;
  }

  /** The reply kept for this request, if the predecessor had answered it within the window. */
  lookup(key: DuplicateKey, now: number): Buffer | undefined {
    const aid = this.ids.get(key.address);
    if (aid === undefined) return undefined;
    const pid = ((key.port & 0xffff) << 8) | (key.identifier & 0xff);
    const a = key.authenticator;
    const hv = keyHash(this.h.seed, aid, pid, a);
    // Bounded probe: a damaged table without an empty cell must not loop.
    for (let i = hv & this.mask, k = 0; k <= this.mask; i = (i + 1) & this.mask, k++) {
      const v = this.table[i] as number;
      if (v === 0) return undefined;
      const slot = v - 1;
      if (slot >= this.h.n || this.inUse[slot] !== 1) continue;
      if (this.hashOf[slot] !== hv || this.addrId[slot] !== aid || this.portId[slot] !== pid) continue;
      let b = 0;
      while (b < 16 && this.auth[slot * 16 + b] === a[b]) b++;
      if (b < 16) continue;
      const at = this.replyAt[slot] as number;
      const len = this.replyLen[slot] as number;
      if (at === PENDING || (this.expiresAt[slot] as number) + this.shift <= now) return undefined;
      if (at < this.h.ringLo || at + len > this.h.ringHi) return undefined;
      const off = at - this.h.ringLo;
      return Buffer.from(this.ring.subarray(off, off + len));
    }
    return undefined;
  }
}

export class DuplicateCache {
  private readonly n: number;
  private readonly mask: number;
  /** Hash table: slot + 1, 0 = empty. */
  private readonly table: Int32Array;
  private readonly hashOf: Int32Array;
  private readonly inUse: Uint8Array;
  private readonly gen: Uint32Array;
  private readonly addrId: Int32Array;
  /** port << 8 | Identifier */
  private readonly portId: Int32Array;
  private readonly auth: Uint8Array;
  private readonly expiresAt: Float64Array;
  /** Absolute ring position of the reply, PENDING while in progress. */
  private readonly replyAt: Float64Array;
  private readonly replyLen: Uint16Array;
  private readonly ring: Buffer;
  private readonly seed = randomInt(0x7fffffff);
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
    const n = (this.n = opts.maxEntries);
    let cap = 16;
    while (cap < 2 * n) cap *= 2;
    this.mask = cap - 1;
    this.table = new Int32Array(cap);
    this.hashOf = new Int32Array(n);
    this.inUse = new Uint8Array(n);
    this.gen = new Uint32Array(n);
    this.addrId = new Int32Array(n);
    this.portId = new Int32Array(n);
    this.auth = new Uint8Array(n * 16);
    this.expiresAt = new Float64Array(n);
    this.replyAt = new Float64Array(n);
    this.replyLen = new Uint16Array(n);
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
    const pid = ((key.port & 0xffff) << 8) | (key.identifier & 0xff);
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
   * The whole cache as bytes for `adoptPredecessor` in another process: copies of its arrays
   * (this process may go on answering while the bytes are written) and of the ring's live part.
   * `wall` is Date.now() at the same moment as `now`.
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
    const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
    const parts: Record<DumpSection, Uint8Array> = {
      table: bytesOf(this.table),
      hashOf: bytesOf(this.hashOf),
      inUse: bytesOf(this.inUse),
      addrId: bytesOf(this.addrId),
      portId: bytesOf(this.portId),
      auth: bytesOf(this.auth),
      expiresAt: bytesOf(this.expiresAt),
      replyAt: bytesOf(this.replyAt),
      replyLen: bytesOf(this.replyLen),
      ring,
    };
    // Section offsets are relative to the body, which starts 8-aligned after the header.
    const sections = {} as DumpHeader["sections"];
    let at = 0;
    for (const name of DUMP_SECTIONS) {
      sections[name] = [at, parts[name].byteLength];
      at = pad8(at + parts[name].byteLength);
    }
    const header: DumpHeader = {
      v: 1,
      n: this.n,
      cap: this.mask + 1,
      seed: this.seed,
      now,
      wall,
      windowMs: this.opts.windowMs,
      ringLo: lo,
      ringHi: this.ringPos,
      addresses: [...this.addressIds],
      sections,
    };
    const json = Buffer.from(JSON.stringify(header));
    const head = Buffer.alloc(pad8(4 + json.length));
    head.writeUInt32BE(json.length, 0);
    json.copy(head, 4);
    const out: Uint8Array[] = [head];
    for (const name of DUMP_SECTIONS) {
      const part = parts[name];
      out.push(part);
      const gap = pad8(part.byteLength) - part.byteLength;
      if (gap > 0) out.push(new Uint8Array(gap));
    }
    return out;
  }

  /**
   * Adopts a predecessor's dump (`dump`, written by another process): from now until its last
   * entry expires, a request this cache does not know is looked up there too, so a retransmission
   * of a request the predecessor answered gets the same reply. Costs no work per entry. Throws on
   * a malformed dump, before changing anything; returns the answered entries still live in it.
   */
  adoptPredecessor(bytes: Uint8Array, now: number, wall: number): number {
    if (bytes.byteLength < 4) throw new RangeError("duplicate dump: truncated");
    const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
    if (4 + len > bytes.byteLength) throw new RangeError("duplicate dump: truncated header");
    let h: DumpHeader;
    try {
      h = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 4, len).toString("utf8")) as DumpHeader;
    } catch {
      throw new RangeError("duplicate dump: the header is not JSON");
    }
    const int = (x: unknown, max: number): boolean => Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= max;
    const num = (x: unknown): boolean => typeof x === "number" && Number.isFinite(x);
    if (h?.v !== 1) throw new RangeError("duplicate dump: unknown version");
    if (!int(h.n, 10_000_000) || h.n < 1 || !int(h.cap, 1 << 26) || h.cap < 2 * h.n || (h.cap & (h.cap - 1)) !== 0) throw new RangeError("duplicate dump: bad sizes");
    if (!int(h.seed, 0x7fffffff) || !num(h.now) || !num(h.wall) || !int(h.windowMs, 60_000)) throw new RangeError("duplicate dump: bad header");
    if (!int(h.ringLo, Number.MAX_SAFE_INTEGER) || !int(h.ringHi, Number.MAX_SAFE_INTEGER) || h.ringHi < h.ringLo) throw new RangeError("duplicate dump: bad ring bounds");
    if (!Array.isArray(h.addresses) || !h.addresses.every((e) => Array.isArray(e) && typeof e[0] === "string" && int(e[1], 0x7fffffff))) throw new RangeError("duplicate dump: bad address table");
    // The body, 8-aligned in memory so that the typed arrays can be views of it.
    const start = pad8(4 + len);
    const size = bytes.byteLength - start;
    for (const name of DUMP_SECTIONS) {
      const sec = h.sections?.[name];
      if (!Array.isArray(sec) || !int(sec[0], size) || !int(sec[1], size) || sec[0] % 8 !== 0 || sec[0] + sec[1] > size) throw new RangeError(`duplicate dump: bad section ${name}`);
    }
    let body: ArrayBuffer;
    let base: number;
    if ((bytes.byteOffset + start) % 8 === 0 && bytes.buffer instanceof ArrayBuffer) {
      body = bytes.buffer;
      base = bytes.byteOffset + start;
    } else {
      // A copy at offset 0 (Buffer#slice would be a view of the same unaligned memory).
      const copy = new Uint8Array(size);
      copy.set(bytes.subarray(start));
      body = copy.buffer;
      base = 0;
    }
    const shifted: DumpHeader = { ...h, sections: Object.fromEntries(DUMP_SECTIONS.map((n) => [n, [h.sections[n][0] + base, h.sections[n][1]]])) as DumpHeader["sections"] };
    const adopted = new AdoptedCache(shifted, body, now, wall);
    this.predecessor = adopted;
    return adopted.entries;
  }

  /** The request was answered: keep the reply for the window. */
  answered(entry: PendingEntry, reply: Buffer, now: number): void {
    if (!this.owns(entry)) return; // the slot went to a newer request meanwhile
    this.keep(entry.slot, reply, now + this.opts.windowMs);
  }

  /**
   * The answered entries still within their window (a reply overwritten in the ring is left
   * out), oldest first. `answeredSince`: only those answered at or after that time (a second,
   * smaller snapshot for what was answered after a first one).
   */
  exportAnswered(now: number, answeredSince = -Infinity): DuplicateSnapshot {
    const names = new Map<number, string>();
    for (const [name, id] of this.addressIds) names.set(id, name);
    const slots: number[] = [];
    for (let s = 0; s < this.n; s++) {
      if (this.inUse[s] !== 1 || this.replyAt[s] === PENDING) continue;
      const exp = this.expiresAt[s] as number;
      if (exp <= now || exp - this.opts.windowMs < answeredSince) continue;
      if (this.ringPos - (this.replyAt[s] as number) > this.ring.length - (this.replyLen[s] as number)) continue;
      if (!names.has(this.addrId[s] as number)) continue; // its address name was forgotten
      slots.push(s);
    }
    slots.sort((a, b) => (this.expiresAt[a] as number) - (this.expiresAt[b] as number));
    const addresses: string[] = [];
    const index = new Map<number, number>();
    let bytes = 0;
    for (const s of slots) bytes += RECORD_HEAD + (this.replyLen[s] as number);
    const out = Buffer.allocUnsafe(bytes);
    let o = 0;
    for (const s of slots) {
      const aid = this.addrId[s] as number;
      let ai = index.get(aid);
      if (ai === undefined) {
        ai = addresses.push(names.get(aid)!) - 1;
        index.set(aid, ai);
      }
      const pid = this.portId[s] as number;
      const len = this.replyLen[s] as number;
      o = out.writeUInt32BE(ai, o);
      o = out.writeUInt16BE(pid >>> 8, o);
      o = out.writeUInt8(pid & 0xff, o);
      out.set(this.auth.subarray(s * 16, s * 16 + 16), o);
      o += 16;
      o = out.writeUInt32BE(Math.min(0xffffffff, Math.ceil((this.expiresAt[s] as number) - now)), o);
      o = out.writeUInt16BE(len, o);
      const off = (this.replyAt[s] as number) % this.ring.length;
      this.ring.copy(out, o, off, off + len);
      o += len;
    }
    return { count: slots.length, addresses, records: out };
  }

  /**
   * Takes over another cache's answered entries (exportAnswered), each for the time it had left.
   * A live entry already here for the same request wins (it is this process's own, newer
   * knowledge). Throws on a malformed snapshot, before changing anything.
   */
  importAnswered(snap: DuplicateSnapshot, now: number): { imported: number; skipped: number } {
    const buf = Buffer.from(snap.records.buffer, snap.records.byteOffset, snap.records.byteLength);
    // First pass: validate, allocating nothing (it runs while the importing process serves).
    let o = 0;
    let n = 0;
    while (o < buf.length) {
      if (o + RECORD_HEAD > buf.length) throw new RangeError("duplicate snapshot: truncated record");
      if (buf.readUInt32BE(o) >= snap.addresses.length) throw new RangeError("duplicate snapshot: address index out of range");
      const len = buf.readUInt16BE(o + 27);
      if (o + RECORD_HEAD + len > buf.length) throw new RangeError("duplicate snapshot: truncated reply");
      o += RECORD_HEAD + len;
      n++;
    }
    if (n !== snap.count) throw new RangeError(`duplicate snapshot: ${n} records, ${snap.count} announced`);
    const aids = new Int32Array(snap.addresses.length).fill(-1);
    let imported = 0;
    let skipped = 0;
    for (o = 0; o < buf.length; ) {
      const ai = buf.readUInt32BE(o);
      let aid = aids[ai]!;
      if (aid < 0) aid = aids[ai] = this.addressId(snap.addresses[ai]!);
      const pid = ((buf.readUInt16BE(o + 4) & 0xffff) << 8) | buf[o + 6]!;
      const authenticator = buf.subarray(o + 7, o + 23);
      const ttl = buf.readUInt32BE(o + 23);
      const len = buf.readUInt16BE(o + 27);
      const start = o + RECORD_HEAD;
      o = start + len;
      const h = this.hash(aid, pid, authenticator);
      const slot = this.find(h, aid, pid, authenticator);
      if (slot >= 0 && (this.expiresAt[slot] as number) > now) {
        skipped++;
        continue;
      }
      if (slot >= 0) this.release(slot);
      if (ttl <= 0) continue;
      const entry = this.claim(h, aid, pid, authenticator, now);
      this.keep(entry.slot, buf.subarray(start, start + len), now + ttl);
      if (this.inUse[entry.slot] === 1) imported++;
    }
    return { imported, skipped };
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

  private hash(aid: number, pid: number, a: Buffer): number {
    return keyHash(this.seed, aid, pid, a);
  }

  private find(h: number, aid: number, pid: number, a: Buffer): number {
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.table[i] as number;
      if (v === 0) return -1;
      const slot = v - 1;
      if (this.hashOf[slot] === h && this.addrId[slot] === aid && this.portId[slot] === pid && this.sameAuth(slot, a)) return slot;
    }
  }

  private sameAuth(slot: number, a: Buffer): boolean {
    const base = slot * 16;
    for (let k = 0; k < 16; k++) if (this.auth[base + k] !== a[k]) return false;
    return true;
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
