// Which NAS sent a datagram: per-client entries by IP or CIDR (IPv4 and IPv6), most specific prefix
// wins. Lookups are cached per source address because a NAS sends from few addresses.
import { isIP } from "node:net";
import type { ClientConfig } from "../config/schema.js";

export interface Client {
  readonly name: string;
  readonly secret: Buffer;
  readonly requireMessageAuthenticator: boolean;
}

interface Prefix {
  family: 4 | 6;
  network: bigint;
  bits: number;
  client: Client;
}

function ipv4ToBigInt(addr: string): bigint {
  let n = 0n;
  for (const part of addr.split(".")) n = (n << 8n) | BigInt(Number(part));
  return n;
}

function ipv6ToBigInt(addr: string): bigint {
  // Zone ids (fe80::1%eth0) do not take part in matching.
  const a = addr.split("%")[0] ?? "";
  let head = a;
  let tail = "";
  const dbl = a.indexOf("::");
  if (dbl >= 0) {
    head = a.slice(0, dbl);
    tail = a.slice(dbl + 2);
  }
  const toGroups = (s: string): number[] => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (g.includes(".")) {
        const v4 = ipv4ToBigInt(g);
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = toGroups(head);
  const t = toGroups(tail);
  const groups = dbl >= 0 ? [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return n;
}

/** Parses an address to (family, value); IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as IPv4. */
export function parseAddress(addr: string): { family: 4 | 6; value: bigint } | null {
  const fam = isIP(addr.split("%")[0] ?? "");
  if (fam === 4) return { family: 4, value: ipv4ToBigInt(addr) };
  if (fam === 6) {
    const v = ipv6ToBigInt(addr);
    if (v >> 32n === 0xffffn) return { family: 4, value: v & 0xffffffffn };
    return { family: 6, value: v };
  }
  return null;
}

export class ClientTable {
  private readonly prefixes: Prefix[];
  private readonly cache = new Map<string, Client | null>();
  private static readonly CACHE_MAX = 65_536;

  constructor(clients: readonly ClientConfig[]) {
    this.prefixes = clients.map((c) => {
      const [addr = "", bitsText] = c.address.split("/");
      const parsed = parseAddress(addr);
      if (!parsed) throw new Error(`client ${c.name}: bad address ${c.address}`);
      const width = parsed.family === 4 ? 32 : 128;
      // "::ffff:10.0.0.0/104" style prefixes are rare; a plain IPv6 prefix stays IPv6.
      const bits = bitsText === undefined ? width : Math.min(Number(bitsText), width);
      const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
      return {
        family: parsed.family,
        network: parsed.value & mask,
        bits,
        client: {
          name: c.name,
          secret: Buffer.from(c.secret, "utf8"),
          requireMessageAuthenticator: c.requireMessageAuthenticator,
        },
      };
    });
    // Most specific first, so the first match is the best one.
    this.prefixes.sort((a, b) => b.bits - a.bits);
  }

  get size(): number {
    return this.prefixes.length;
  }

  /** The client for a source address, or null when no entry covers it. */
  lookup(address: string): Client | null {
    const cached = this.cache.get(address);
    if (cached !== undefined) return cached;
    const found = this.match(address);
    if (this.cache.size >= ClientTable.CACHE_MAX) this.cache.clear();
    this.cache.set(address, found);
    return found;
  }

  private match(address: string): Client | null {
    const parsed = parseAddress(address);
    if (!parsed) return null;
    const width = parsed.family === 4 ? 32 : 128;
    for (const p of this.prefixes) {
      if (p.family !== parsed.family) continue;
      const mask = p.bits === 0 ? 0n : ((1n << BigInt(p.bits)) - 1n) << BigInt(width - p.bits);
      if ((parsed.value & mask) === p.network) return p.client;
    }
    return null;
  }
}
