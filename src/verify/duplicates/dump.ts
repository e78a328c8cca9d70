// The hand-over format of a duplicate cache: the whole cache as bytes, for a replacement process
// (rolling restart) that adopts it as is instead of importing it entry by entry: its index and
// slot arrays, the part of the reply ring that holds live replies, and the interned address
// names. Writing it costs a few memory copies; adopting it costs no work per entry.
//
// Layout: u32 BE length of a JSON header, the header, zero padding to a multiple of 8, then the
// sections the header lists (each at a multiple of 8 from the start of the body).
import { PENDING, SLOT_ARRAYS, SlotIndex, portIdOf, type DuplicateKey, type SlotArrays } from "./slots.js";

export interface DumpHeader {
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
type DumpSection = keyof SlotArrays | "ring";
const DUMP_SECTIONS: readonly DumpSection[] = [...SLOT_ARRAYS, "ring"];
const pad8 = (x: number): number => (x + 7) & ~7;

/** The dump of a cache: copies of its arrays (it may go on answering while the bytes are written). */
export function encodeDump(meta: Omit<DumpHeader, "v" | "sections">, arrays: SlotArrays, ring: Uint8Array): Uint8Array[] {
  const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
  const parts = { ring } as Record<DumpSection, Uint8Array>;
  for (const name of SLOT_ARRAYS) parts[name] = bytesOf(arrays[name]);
  const sections = {} as DumpHeader["sections"];
  let at = 0;
  for (const name of DUMP_SECTIONS) {
    sections[name] = [at, parts[name].byteLength];
    at = pad8(at + parts[name].byteLength);
  }
  const header: DumpHeader = { v: 1, ...meta, sections };
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
 * A predecessor's cache adopted from its dump: read-only, consulted when this process's own
 * cache has no entry, until the last of its entries expires. Its times are shifted to this
 * process's clock through both processes' wall clocks. Throws on a malformed dump.
 */
export class AdoptedCache extends SlotIndex {
  private readonly ring: Uint8Array;
  private readonly ids: Map<string, number>;
  private readonly ringLo: number;
  private readonly ringHi: number;
  /** Add to a dumped time to get this process's clock. */
  private readonly shift: number;
  /** This process's time after which no adopted entry is live. */
  readonly until: number;
  /** Answered entries still live when adopted. */
  readonly entries: number;

  constructor(bytes: Uint8Array, now: number, wallNow: number) {
    const { h, body, base } = parseDump(bytes);
    const view = <T>(name: DumpSection, make: (buf: ArrayBuffer, off: number, len: number) => T, size: number, count: number): T => {
      const [off, octets] = h.sections[name];
      if (octets !== size * count) throw new RangeError(`duplicate dump: section ${name} has ${octets} octets, ${size * count} expected`);
      return make(body, base + off, count);
    };
    const arrays: SlotArrays = {
      table: view("table", (b, o, c) => new Int32Array(b, o, c), 4, h.cap),
      hashOf: view("hashOf", (b, o, c) => new Int32Array(b, o, c), 4, h.n),
      inUse: view("inUse", (b, o, c) => new Uint8Array(b, o, c), 1, h.n),
      addrId: view("addrId", (b, o, c) => new Int32Array(b, o, c), 4, h.n),
      portId: view("portId", (b, o, c) => new Int32Array(b, o, c), 4, h.n),
      auth: view("auth", (b, o, c) => new Uint8Array(b, o, 16 * c), 16, h.n),
      expiresAt: view("expiresAt", (b, o, c) => new Float64Array(b, o, c), 8, h.n),
      replyAt: view("replyAt", (b, o, c) => new Float64Array(b, o, c), 8, h.n),
      replyLen: view("replyLen", (b, o, c) => new Uint16Array(b, o, c), 2, h.n),
    };
    const ring = view("ring", (b, o, c) => new Uint8Array(b, o, c), 1, h.ringHi - h.ringLo);
    super(arrays, h.seed);
    this.ring = ring;
    this.ringLo = h.ringLo;
    this.ringHi = h.ringHi;
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
    const pid = portIdOf(key.port, key.identifier);
    const slot = this.find(this.hash(aid, pid, key.authenticator), aid, pid, key.authenticator);
    if (slot < 0) return undefined;
    const at = this.replyAt[slot] as number;
    const len = this.replyLen[slot] as number;
    if (at === PENDING || (this.expiresAt[slot] as number) + this.shift <= now) return undefined;
    if (at < this.ringLo || at + len > this.ringHi) return undefined;
    const off = at - this.ringLo;
    return Buffer.from(this.ring.subarray(off, off + len));
  }
}

/** The header and the body of a dump, validated; the body 8-aligned in memory (typed-array views). */
function parseDump(bytes: Uint8Array): { h: DumpHeader; body: ArrayBuffer; base: number } {
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
  const start = pad8(4 + len);
  const size = bytes.byteLength - start;
  for (const name of DUMP_SECTIONS) {
    const sec = h.sections?.[name];
    if (!Array.isArray(sec) || !int(sec[0], size) || !int(sec[1], size) || sec[0] % 8 !== 0 || sec[0] + sec[1] > size) throw new RangeError(`duplicate dump: bad section ${name}`);
  }
  if ((bytes.byteOffset + start) % 8 === 0 && bytes.buffer instanceof ArrayBuffer) return { h, body: bytes.buffer, base: bytes.byteOffset + start };
  // A copy at offset 0 (Buffer#slice would be a view of the same unaligned memory).
  const copy = new Uint8Array(size);
  copy.set(bytes.subarray(start));
  return { h, body: copy.buffer, base: 0 };
}
