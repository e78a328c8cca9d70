// Which NAS sent a datagram: per-client entries by IP or CIDR (IPv4 and IPv6), most specific prefix
// wins. Lookups are cached per source address because a NAS sends from few addresses.
import { isIP } from "node:net";
import { clientSecret, type ClientConfig } from "../config/clients.js";

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

/** A client entry's prefix after normalisation: the network with its host bits cleared. */
export interface ClientPrefix {
  family: 4 | 6;
  network: bigint;
  bits: number;
}

/**
 * Normalises a client `address` (IP or CIDR): a bare address is a host prefix (/32, /128), host
 * bits are cleared, and an IPv4-mapped IPv6 prefix of /96 or longer is the IPv4 prefix it maps
 * (`::ffff:10.0.0.0/104` is `10.0.0.0/8`), because sources are matched that way (parseAddress).
 * Two entries with the same prefix are the same client. Null for a malformed address.
 */
export function clientPrefix(address: string): ClientPrefix | null {
  const [addr = "", bitsText, extra] = address.split("/");
  if (extra !== undefined) return null;
  const parsed = parseAddress(addr);
  if (!parsed) return null;
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) return null;
  let family = parsed.family;
  let value = parsed.value;
  let bits: number;
  if (family === 4 && isIP(addr.split("%")[0] ?? "") === 6) {
    // Written as ::ffff:a.b.c.d: its prefix length counts over 128 bits.
    const written = bitsText === undefined ? 128 : Number(bitsText);
    if (written > 128) return null;
    if (written >= 96) bits = written - 96;
    else {
      // Wider than the mapped range: an IPv6 prefix (covering more than IPv4-mapped sources).
      family = 6;
      value = (0xffffn << 32n) | parsed.value;
      bits = written;
    }
  } else {
    const width = family === 4 ? 32 : 128;
    bits = bitsText === undefined ? width : Number(bitsText);
    if (bits > width) return null;
  }
  const width = family === 4 ? 32 : 128;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  return { family, network: value & mask, bits };
}

/** Canonical text of a normalised prefix ("10.0.0.0/8", "v6:<hex>/128"), for comparing entries. */
export function clientPrefixKey(p: ClientPrefix): string {
  if (p.family === 4) {
    const n = Number(p.network);
    return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${p.bits}`;
  }
  return `v6:${p.network.toString(16)}/${p.bits}`;
}

/**
 * The first pair of clients with the same normalised address (`127.0.0.1` and `127.0.0.1/32`,
 * `10.0.0.5/8` and `10.0.0.0/8`, `::ffff:127.0.0.1` and `127.0.0.1`): the later entry would
 * never be matched and its secret would never work. Indexes into `clients`.
 */
export function findDuplicateClientAddress(clients: ReadonlyArray<Pick<ClientConfig, "address">>): { first: number; second: number } | null {
  const seen = new Map<string, number>();
  for (let i = 0; i < clients.length; i++) {
    const p = clientPrefix(clients[i]?.address ?? "");
    if (!p) continue;
    const key = clientPrefixKey(p);
    const first = seen.get(key);
    if (first !== undefined) return { first, second: i };
    seen.set(key, i);
  }
  return null;
}

/** The message for a duplicate pair: both entries named, by index, name and address as written. */
export function duplicateClientMessage(clients: ReadonlyArray<Pick<ClientConfig, "address" | "name">>, d: { first: number; second: number }): string {
  const a = clients[d.first];
  const b = clients[d.second];
  return `clients[${d.second}].address: "${b?.address}" (client "${b?.name}") is the same address as clients[${d.first}].address "${a?.address}" (client "${a?.name}"); one client per address or prefix`;
}

export class ClientTable {
  private readonly prefixes: Prefix[];
  private readonly cache = new Map<string, Client | null>();
  private static readonly CACHE_MAX = 65_536;

  constructor(clients: readonly ClientConfig[]) {
    const dup = findDuplicateClientAddress(clients);
    if (dup) throw new Error(duplicateClientMessage(clients, dup));
    this.prefixes = clients.map((c) => {
      const p = clientPrefix(c.address);
      if (!p) throw new Error(`client ${c.name}: bad address ${c.address}`);
      return {
        family: p.family,
        network: p.network,
        bits: p.bits,
        client: {
          name: c.name,
          secret: Buffer.from(clientSecret(c), "utf8"),
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
