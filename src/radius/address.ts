/**
 * Text forms of the address-like attribute types: IPv4/IPv6 addresses (RFC 5952 output),
 * prefixes, interface ids and MAC addresses. Parsers return undefined on bad input so the
 * value codec can name the attribute in its error.
 */

/** Dotted quad into 4 octets. */
export function parseIPv4(s: string): Buffer | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return undefined;
  const out = Buffer.allocUnsafe(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1] as string;
    // Leading zeros are refused: some parsers read them as octal.
    if (part.length > 1 && part.startsWith("0")) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** 4 octets at `off` as a dotted quad. */
export function formatIPv4(b: Buffer, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 4291 §2.2 text (with "::" and an embedded IPv4 tail) into 16 octets. */
export function parseIPv6(s: string): Buffer | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  let str = s;
  if (str.includes(".")) {
    // Embedded IPv4 in the last 32 bits (RFC 4291 §2.2 form 3).
    const lastColon = str.lastIndexOf(":");
    const v4 = parseIPv4(str.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    str = `${str.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = str.split("::");
  if (halves.length > 2) return undefined;
  const group = /^[0-9a-f]{1,4}$/i;
  const head = halves[0] === "" ? [] : (halves[0] as string).split(":");
  const tail = halves.length === 2 ? (halves[1] === "" ? [] : (halves[1] as string).split(":")) : [];
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return undefined;
  for (const g of [...head, ...tail]) if (!group.test(g)) return undefined;
  const out = Buffer.alloc(16);
  head.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), i * 2));
  tail.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), 16 - (tail.length - i) * 2));
  return out;
}

/** RFC 5952 text form. */
export function formatIPv6(b: Buffer): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(i));
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted tail.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIPv4(b, 12)}`;
  }
  // RFC 5952 §4.2: compress the longest run (>= 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Whether every bit of `addr` past the first `plen` is zero. */
export function prefixHostBitsClear(addr: Buffer, plen: number): boolean {
  for (let bit = plen; bit < addr.length * 8; bit++) {
    if (((addr[bit >> 3] as number) >> (7 - (bit & 7))) & 1) return false;
  }
  return true;
}

/** "addr/len" into its two parts; undefined without a slash or a 1..3 digit length. */
export function splitPrefix(s: string): [string, number] | undefined {
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const lenStr = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenStr)) return undefined;
  return [s.slice(0, slash), Number(lenStr)];
}

/** Interface id (RFC 3162 §2.2) "0011:2233:4455:6677" into 8 octets. */
export function parseIfid(s: string): Buffer | undefined {
  if (!/^[0-9a-f]{1,4}(:[0-9a-f]{1,4}){3}$/i.test(s)) return undefined;
  const out = Buffer.allocUnsafe(8);
  s.split(":").forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), i * 2));
  return out;
}

/** 8 octets as four groups of 4 hex digits. */
export function formatIfid(b: Buffer): string {
  const hex = b.toString("hex");
  return `${hex.slice(0, 4)}:${hex.slice(4, 8)}:${hex.slice(8, 12)}:${hex.slice(12, 16)}`;
}

/** MAC address "00:11:22:33:44:55" (or '-' separated, one separator throughout) into 6 octets. */
export function parseEther(s: string): Buffer | undefined {
  if (!/^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i.test(s)) return undefined;
  return Buffer.from(s.replace(/[:-]/g, ""), "hex");
}

/** 6 octets as colon-separated hex pairs. */
export function formatEther(b: Buffer): string {
  return (b.toString("hex").match(/../g) as string[]).join(":");
}
