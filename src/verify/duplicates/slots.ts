// The index both a live duplicate cache and an adopted predecessor's cache are read through: per
// slot, the key (interned source address, port and Identifier, Request Authenticator) and state
// in typed arrays, and an open-addressing hash table of slot numbers (linear probing). No object
// per entry: entries live for the whole window, the costliest kind for a generational GC.

/** What identifies a request (RFC 5080 §2.2.2). Short-lived: the cache keeps none of these. */
export interface DuplicateKey {
  readonly address: string;
  readonly port: number;
  readonly identifier: number;
  readonly authenticator: Buffer;
}

/** replyAt of a slot whose request is still in progress. */
export const PENDING = -1;

/** The typed arrays of a cache: `table` has a power-of-two length, the others one cell per slot. */
export interface SlotArrays {
  /** Hash table: slot + 1, 0 = empty. */
  readonly table: Int32Array;
  readonly hashOf: Int32Array;
  readonly inUse: Uint8Array;
  readonly addrId: Int32Array;
  /** port << 8 | Identifier */
  readonly portId: Int32Array;
  /** 16 octets per slot. */
  readonly auth: Uint8Array;
  readonly expiresAt: Float64Array;
  /** Absolute ring position of the reply, PENDING while in progress. */
  readonly replyAt: Float64Array;
  readonly replyLen: Uint16Array;
}

export const SLOT_ARRAYS: readonly (keyof SlotArrays)[] = ["table", "hashOf", "inUse", "addrId", "portId", "auth", "expiresAt", "replyAt", "replyLen"];

/** The packed port and Identifier of a key. */
export function portIdOf(port: number, identifier: number): number {
  return ((port & 0xffff) << 8) | (identifier & 0xff);
}

export abstract class SlotIndex {
  protected readonly table: Int32Array;
  protected readonly hashOf: Int32Array;
  protected readonly inUse: Uint8Array;
  protected readonly addrId: Int32Array;
  protected readonly portId: Int32Array;
  protected readonly auth: Uint8Array;
  protected readonly expiresAt: Float64Array;
  protected readonly replyAt: Float64Array;
  protected readonly replyLen: Uint16Array;
  protected readonly mask: number;

  constructor(
    a: SlotArrays,
    protected readonly seed: number,
  ) {
    this.table = a.table;
    this.hashOf = a.hashOf;
    this.inUse = a.inUse;
    this.addrId = a.addrId;
    this.portId = a.portId;
    this.auth = a.auth;
    this.expiresAt = a.expiresAt;
    this.replyAt = a.replyAt;
    this.replyLen = a.replyLen;
    this.mask = a.table.length - 1;
  }

  protected hash(aid: number, pid: number, a: Buffer): number {
    let h = Math.imul(a.readInt32LE(0) ^ this.seed, 0x9e3779b1);
    h ^= Math.imul(a.readInt32LE(4) ^ aid, 0x85ebca77);
    h ^= Math.imul(a.readInt32LE(8) ^ pid, 0xc2b2ae3d);
    h ^= a.readInt32LE(12);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return h ^ (h >>> 12);
  }

  /** The slot holding this key, or -1. The probe is bounded: an adopted table may be damaged. */
  protected find(h: number, aid: number, pid: number, a: Buffer): number {
    for (let i = h & this.mask, k = 0; k <= this.mask; i = (i + 1) & this.mask, k++) {
      const v = this.table[i] as number;
      if (v === 0) return -1;
      const slot = v - 1;
      if (this.inUse[slot] === 1 && this.hashOf[slot] === h && this.addrId[slot] === aid && this.portId[slot] === pid && this.sameAuth(slot, a)) return slot;
    }
    return -1;
  }

  protected sameAuth(slot: number, a: Buffer): boolean {
    const base = slot * 16;
    for (let k = 0; k < 16; k++) if (this.auth[base + k] !== a[k]) return false;
    return true;
  }
}
