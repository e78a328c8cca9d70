// Kernel UDP counters, so that datagrams the kernel dropped (full socket receive buffers) are
// visible next to what the generator saw. Two views:
//  - `nstat -az` (namespace-wide Udp*/Udp6* counters, e.g. UdpRcvbufErrors): cheap, but counts
//    every process in the network namespace, so a concurrent test elsewhere shows up too;
//  - per-socket `drops` from /proc/net/udp{,6}: attributes drops to the generator's sockets or
//    to the server's listening port exactly.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export type Counters = Record<string, number>;

/** Absolute Udp* counters; falls back to /proc/net/snmp{,6} when nstat is missing. */
export function udpCounters(): Counters {
  const out: Counters = {};
  try {
    const text = execFileSync("nstat", ["-az"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    for (const line of text.split("\n")) {
      const m = /^(Udp6?[A-Za-z]+)\s+(\d+)/.exec(line);
      if (m && !m[1]!.startsWith("UdpLite")) out[m[1]!] = Number(m[2]);
    }
    if (Object.keys(out).length > 0) return out;
  } catch {
    // nstat not installed: read the same counters from procfs below.
  }
  try {
    const lines = readFileSync("/proc/net/snmp", "utf8").split("\n").filter((l) => l.startsWith("Udp:"));
    const names = (lines[0] ?? "").split(/\s+/).slice(1);
    const vals = (lines[1] ?? "").split(/\s+/).slice(1);
    names.forEach((n, i) => (out[`Udp${n}`] = Number(vals[i])));
    for (const line of readFileSync("/proc/net/snmp6", "utf8").split("\n")) {
      const m = /^(Udp6[A-Za-z]+)\s+(\d+)/.exec(line);
      if (m) out[m[1]!] = Number(m[2]);
    }
  } catch {
    // Not Linux: no counters.
  }
  return out;
}

/** after - before, keeping only counters that moved (plus the drop counters, always). */
export function counterDelta(before: Counters, after: Counters): Counters {
  const d: Counters = {};
  for (const [k, v] of Object.entries(after)) {
    const delta = v - (before[k] ?? 0);
    if (delta !== 0 || /RcvbufErrors|SndbufErrors|InErrors/.test(k)) d[k] = delta;
  }
  return d;
}

export interface SocketRow {
  localPort: number;
  remotePort: number;
  rxQueue: number;
  drops: number;
}

/** Rows of /proc/net/udp and /proc/net/udp6 (empty when unavailable). */
export function udpSockets(): SocketRow[] {
  const rows: SocketRow[] = [];
  for (const f of ["/proc/net/udp", "/proc/net/udp6"]) {
    let text = "";
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 13) continue;
      const local = c[1]!;
      const remote = c[2]!;
      const queues = c[4]!;
      rows.push({
        localPort: parseInt(local.slice(local.lastIndexOf(":") + 1), 16),
        remotePort: parseInt(remote.slice(remote.lastIndexOf(":") + 1), 16),
        rxQueue: parseInt(queues.slice(queues.indexOf(":") + 1), 16),
        drops: Number(c[12]),
      });
    }
  }
  return rows;
}

/** Sum of per-socket drops over sockets bound to one of `localPorts`. */
export function dropsOnPorts(localPorts: ReadonlySet<number>, rows: SocketRow[] = udpSockets()): number {
  let sum = 0;
  for (const r of rows) if (localPorts.has(r.localPort)) sum += r.drops;
  return sum;
}

/** Drops on the unconnected (listening) sockets bound to `port`: the server's side. */
export function listenerDrops(port: number, rows: SocketRow[] = udpSockets()): number {
  let sum = 0;
  for (const r of rows) if (r.localPort === port && r.remotePort === 0) sum += r.drops;
  return sum;
}
