// Stage 1, receive, on the native addon: one recvmmsg per readable event, one call into
// JavaScript per batch, replies written with one sendmmsg per event-loop turn. Same contract as
// the node:dgram listener in udp.ts; chosen by `radius.<listener>.io`.
import { isIP } from "node:net";
import { DEFAULT_FLOW_HOLD_BACK, FlowHoldBack } from "../admit/flow-holdback.js";
import { DEFAULT_KERNEL_QUEUE, KernelQueueSizer } from "../admit/kernel-queue.js";
import type { DatagramEvent, Remote } from "../core/event.js";
import { SLOT_META, type UdpMmsgBinding } from "./native/binding.js";
import { steeringPlan } from "./steering.js";
import type { UdpListener, UdpListenerOptions } from "./listener.js";

/** RFC 2865 §3: a RADIUS packet is at most 4096 octets. */
const SLOT = 4096;
const DEFAULT_BATCH = 64;
/** With flow queues, each queue is read at most this many datagrams per turn (its quantum). */
const DEFAULT_FLOW_BATCH = 16;
const MAX_CACHED_ADDRESSES = 65_536;
/** Window of the receive-buffer sizer when there is no per-flow hold-back to share one with. */
const WINDOW_MS = 10;

/** A source address as received: the text form the core sees, plus the raw form for replies. */
class NativeRemote implements Remote {
  constructor(
    readonly address: string,
    readonly port: number,
    /** 4 or 6 */
    readonly family: number,
    /** IPv4 as a 32-bit number (network order read big-endian); unused for IPv6 */
    readonly v4: number,
    /** IPv6 octets; null for IPv4 */
    readonly v6: Uint8Array | null,
  ) {}
}

export async function listenUdpNative(o: UdpListenerOptions, binding: UdpMmsgBinding): Promise<UdpListener> {
  const family = isIP(o.host) === 6 ? 6 : 4;
  const plan = o.flows && !o.adopt ? steeringPlan(o.flows, 1, o.exactSources ?? []) : null;
  // The first queue still read while holding back (the State queue; Status-Server's follows it):
  // the plan's, or the one named with adopted sockets.
  const keepFrom = o.adopt ? o.adopt.keepFrom : plan ? plan.stateQueue : null;
  const sockets = o.adopt ? o.adopt.fds.length : (plan?.sockets ?? 1);
  const batch = o.batch ?? (sockets > 1 ? DEFAULT_FLOW_BATCH : DEFAULT_BATCH);
  const rbuf = Buffer.alloc(batch * SLOT);
  const rmeta = new Int32Array(batch * SLOT_META);
  const rmetaBytes = new Uint8Array(rmeta.buffer);
  const sbuf = Buffer.alloc(batch * SLOT);
  const smeta = new Int32Array(batch * SLOT_META);
  const smetaBytes = new Uint8Array(smeta.buffer);
  const v4Names = new Map<number, string>();
  let pending = 0;
  let flushScheduled = false;
  let closed = false;
  let held = false;
  /** Not reading: before startReading() with deferReading, and for good after retire(). */
  let deferred = o.deferReading === true;
  let retired = false;
  let discard: (() => void) | null = null;
  let handle: object | null = null;
  // Per-flow hold-back: the flow queues are the sockets below the State queue.
  const flowCount = keepFrom ?? 0;
  const governor = flowCount > 0 ? new FlowHoldBack(flowCount, batch, o.flowHoldBack ?? { ...DEFAULT_FLOW_HOLD_BACK, enabled: false }) : null;
  // Receive buffers sized by time: the flow queues, or the one socket of a listener without them.
  const sizedQueues = flowCount > 0 ? flowCount : sockets === 1 && !o.adopt ? 1 : 0;
  const sizer =
    sizedQueues > 0 && (o.recvBufferSize ?? 0) > 0
      ? new KernelQueueSizer(sizedQueues, o.recvBufferSize!, o.kernelQueue ?? { ...DEFAULT_KERNEL_QUEUE, enabled: false })
      : null;
  let windowTimer: NodeJS.Timeout | undefined;

  /** Flow queues are read unless the whole listener is not reading or they are held back together. */
  const flowsReading = (): boolean => !closed && !!handle && !deferred && !held && !discard;

  // Kernel drops of each flow (or sized) queue so far, read once per window for both.
  const drops = new Float64Array(Math.max(flowCount, sizedQueues));
  const onWindow = (): void => {
    if (closed || !handle) return;
    for (let q = 0; q < drops.length; q++) drops[q] = binding.drops(handle, q);
    const cpuBound = o.cpuBound ? o.cpuBound() : true;
    const resume = governor ? governor.endWindow(drops, cpuBound) : [];
    if (sizer) for (const [q, bytes] of sizer.endWindow(o.now(), (q) => drops[q]!, cpuBound)) binding.receiveBuffer(handle, q, bytes);
    if (!flowsReading()) return;
    for (const f of resume) binding.poll(handle, f, true);
  };

  /** After binding.start (which starts every socket): stop again the flow queues held back on their own. */
  const restopHeld = (): void => {
    if (!governor || !handle) return;
    for (let f = 0; f < flowCount; f++) if (governor.isHeld(f)) binding.poll(handle, f, false);
  };

  const sendError = (message: string): void => o.onSendError?.(new Error(message));

  const flush = (): void => {
    flushScheduled = false;
    const n = pending;
    pending = 0;
    if (n === 0 || closed || !handle) return;
    const sent = binding.flush(handle, n);
    if (sent < 0) sendError(`sendmmsg failed (errno ${-sent}); ${n} replies not sent`);
    else if (sent < n) sendError(`sendmmsg: ${n - sent} of ${n} replies not sent`);
  };

  const send = (reply: Buffer, remote: Remote): void => {
    if (closed) return;
    if (reply.length > SLOT) return sendError(`reply of ${reply.length} octets exceeds ${SLOT}`);
    let fam: number;
    let v4 = 0;
    let v6: Uint8Array | null = null;
    if (remote instanceof NativeRemote) {
      fam = remote.family;
      v4 = remote.v4;
      v6 = remote.v6;
    } else {
      const parsed = parseRemote(remote.address);
      if (!parsed) return sendError(`not an IP address: ${remote.address}`);
      ({ fam, v4, v6 } = parsed);
    }
    if (fam === 6 && family === 4) return sendError(`IPv6 destination on an IPv4 socket: ${remote.address}`);
    if (pending === batch) flush();
    const i = pending++;
    reply.copy(sbuf, i * SLOT);
    const m = i * SLOT_META;
    smeta[m] = reply.length;
    smeta[m + 1] = remote.port;
    smeta[m + 2] = fam;
    if (v6) smetaBytes.set(v6, (m + 8) * 4);
    else {
      const b = (m + 8) * 4;
      smetaBytes[b] = v4 >>> 24;
      smetaBytes[b + 1] = (v4 >>> 16) & 0xff;
      smetaBytes[b + 2] = (v4 >>> 8) & 0xff;
      smetaBytes[b + 3] = v4 & 0xff;
    }
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  const remoteOf = (m: number): NativeRemote => {
    const port = rmeta[m + 1]!;
    const b = (m + 8) * 4;
    if (rmeta[m + 2] === 4) {
      const v4 = ((rmetaBytes[b]! << 24) | (rmetaBytes[b + 1]! << 16) | (rmetaBytes[b + 2]! << 8) | rmetaBytes[b + 3]!) >>> 0;
      return new NativeRemote(v4Name(v4), port, 4, v4, null);
    }
    const v6 = rmetaBytes.slice(b, b + 16);
    // IPv4-mapped (::ffff:a.b.c.d) arrives on a dual-stack socket; named as node:dgram names it.
    const mapped = v6.subarray(0, 10).every((x) => x === 0) && v6[10] === 0xff && v6[11] === 0xff;
    const address = mapped ? `::ffff:${v6[12]}.${v6[13]}.${v6[14]}.${v6[15]}` : ipv6Text(v6);
    return new NativeRemote(address, port, 6, 0, v6);
  };

  /** The source address's text form alone (no object: the stale path). */
  const addressOf = (m: number): string => {
    const b = (m + 8) * 4;
    if (rmeta[m + 2] === 4) return v4Name(((rmetaBytes[b]! << 24) | (rmetaBytes[b + 1]! << 16) | (rmetaBytes[b + 2]! << 8) | rmetaBytes[b + 3]!) >>> 0);
    return remoteOf(m).address;
  };

  const v4Name = (v4: number): string => {
    let name = v4Names.get(v4);
    if (name === undefined) {
      if (v4Names.size >= MAX_CACHED_ADDRESSES) v4Names.clear();
      name = `${v4 >>> 24}.${(v4 >>> 16) & 0xff}.${(v4 >>> 8) & 0xff}.${v4 & 0xff}`;
      v4Names.set(v4, name);
    }
    return name;
  };

  const onBatch = (count: number, queue: number): void => {
    if (closed) return;
    if (count < 0) return sendError(`receive failed (errno ${-count})`);
    if (discard) {
      for (let i = 0; i < count; i++) discard();
      return;
    }
    const t = o.now();
    if (count > 0 && (governor || sizer)) {
      // FIFO: the first datagram of the read waited longest.
      const headWaitMs = Math.max(0, rmeta[4]!) / 1000;
      if (sizer && queue < sizedQueues) sizer.onRead(queue, count, headWaitMs, t);
      if (governor) {
        if (queue >= flowCount) governor.onProtectedRead(headWaitMs);
        else if (governor.onRead(queue, count, headWaitMs) && handle) binding.poll(handle, queue, false);
      }
    }
    const stale = o.stale;
    for (let i = 0; i < count; i++) {
      const m = i * SLOT_META;
      const len = rmeta[m]!;
      const start = i * SLOT;
      const age = rmeta[m + 4]!;
      const arrivedAt = age >= 0 ? t - age / 1000 : t;
      // Too old to be answered in time: shed before anything is copied, parsed or verified.
      if (stale && len > 0 && age > 0 && stale.isStale(rbuf[start]!, arrivedAt)) {
        stale.onStale(o.name, addressOf(m));
        continue;
      }
      // The datagram is copied out: the slot is overwritten by the next batch, while handlers
      // keep the request across awaits.
      const data = Buffer.allocUnsafe(len);
      rbuf.copy(data, 0, start, start + len);
      const ev: DatagramEvent = { listener: o.name, data, remote: remoteOf(m), arrivedAt };
      try {
        o.onEvent(ev, send);
      } catch (err) {
        sendError(`handler threw: ${(err as Error)?.message}`);
      }
    }
  };

  handle = binding.open(family, o.host, o.port, o.recvBufferSize ?? 0, 0, batch, SLOT, rbuf, rmeta, sbuf, smeta, onBatch, sockets, plan?.program ?? null, o.adopt?.fds ?? null);
  const port = binding.localPort(handle);
  if (!deferred) binding.start(handle);
  if (governor || sizer) {
    windowTimer = setInterval(onWindow, governor?.windowMs ?? WINDOW_MS);
    windowTimer.unref();
  }
  return {
    io: "native",
    queues: sockets,
    kernelDrops: () => (handle ? binding.drops(handle) : undefined),
    stopReceiving: (onDiscard: () => void) => {
      discard = onDiscard;
      // Read on (and discard) even if reading was held back: a shutdown drains nothing new. Not
      // after a hand-over (retire) or before reading began: the datagrams are the next reader's.
      if (held && handle && !closed && !deferred) {
        held = false;
        binding.start(handle);
      }
      // Flow queues held back on their own are read again too.
      if (handle && !closed && !deferred && governor) for (let f = 0; f < flowCount; f++) if (governor.isHeld(f)) binding.poll(handle, f, true);
    },
    holdBack: (hold: boolean) => {
      if (closed || !handle || hold === held || discard) return;
      held = hold;
      if (deferred) return; // startReading() applies it
      // The State and Status-Server queues (the last two) are still read.
      if (hold) binding.pause(handle, keepFrom ?? -1);
      else {
        binding.start(handle);
        restopHeld();
      }
    },
    setFlowHoldBack: (settings) => {
      if (!governor) return;
      const windowChanged = settings.windowMs !== governor.windowMs;
      governor.reconfigure(settings);
      if (windowChanged && windowTimer) {
        clearInterval(windowTimer);
        windowTimer = setInterval(onWindow, settings.windowMs);
        windowTimer.unref();
      }
    },
    flowHoldBackStats: () => governor?.stats(),
    setKernelQueue: (settings) => sizer?.reconfigure(settings),
    kernelQueueStats: () => sizer?.stats(),
    startReading: () => {
      if (closed || !handle || retired || !deferred) return;
      deferred = false;
      binding.start(handle);
      if (held) binding.pause(handle, keepFrom ?? -1);
      else restopHeld();
    },
    retire: () => {
      if (closed || !handle || retired) return;
      retired = true;
      deferred = true;
      binding.pause(handle, -1);
    },
    address: { address: o.host, port, family: family === 6 ? "IPv6" : "IPv4" },
    close: async () => {
      if (closed) return;
      flush();
      closed = true;
      if (windowTimer) clearInterval(windowTimer);
      if (handle) binding.close(handle);
      handle = null;
    },
  };
}

function parseRemote(address: string): { fam: number; v4: number; v6: Uint8Array | null } | null {
  const kind = isIP(address);
  if (kind === 4) {
    const p = address.split(".").map(Number);
    return { fam: 4, v4: ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0, v6: null };
  }
  if (kind !== 6) return null;
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (m) return parseRemote(m[1]!);
  return { fam: 6, v4: 0, v6: ipv6Bytes(address) };
}

/** Octets of a valid IPv6 address in text form (with :: and an optional dotted IPv4 tail). */
function ipv6Bytes(text: string): Uint8Array {
  const out = new Uint8Array(16);
  let s = text.split("%")[0]!;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const p = tail[1]!.split(".").map(Number);
    s = s.slice(0, -tail[1]!.length) + (((p[0]! << 8) | p[1]!).toString(16) + ":" + ((p[2]! << 8) | p[3]!).toString(16));
  }
  const [head, rest] = s.split("::") as [string, string | undefined];
  const hs = head ? head.split(":") : [];
  const ts = rest !== undefined && rest !== "" ? rest.split(":") : [];
  const groups = rest === undefined ? hs : [...hs, ...Array<string>(8 - hs.length - ts.length).fill("0"), ...ts];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** RFC 5952 text form: lower case, longest run of zero groups (≥ 2) as "::". */
function ipv6Text(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export const __test = { ipv6Bytes, ipv6Text, parseRemote };
