// The contract of a RADIUS UDP listener, shared by both implementations: node:dgram (udp.ts) and
// the native addon (udp-native.ts). Apart from both so that neither imports the other's module
// for its types.
import type { FlowHoldBackSettings, FlowHoldBackStats } from "../admit/flow-holdback.js";
import type { KernelQueueSettings, KernelQueueStats } from "../admit/kernel-queue.js";
import type { DatagramEvent, ListenerName, Remote } from "../core/event.js";

export type UdpIo = "auto" | "dgram" | "native";

export interface UdpListenerOptions {
  name: ListenerName;
  host: string;
  port: number;
  recvBufferSize?: number | undefined;
  now: () => number;
  onEvent: (ev: DatagramEvent, send: (reply: Buffer, remote: Remote) => void) => void;
  /**
   * Native only: datagrams that waited in the kernel until they can no longer be answered in
   * time are shed before they are copied or parsed. `isStale(code, arrivedAt)` judges one from
   * its first octet and arrival stamp; `onStale` counts it (by listener and source address).
   */
  stale?: { isStale(code: number, arrivedAt: number): boolean; onStale(listener: ListenerName, address: string): void } | undefined;
  onSendError?: (err: Error) => void;
  /** Which implementation; default auto. */
  io?: UdpIo | undefined;
  /** Datagrams read per call (native only); default 64, or 16 per queue with `flows`. */
  batch?: number | undefined;
  /**
   * Native only: spread datagrams over this many kernel receive queues by source address, plus
   * one queue for Access-Requests carrying State and one for Status-Server (see steering.ts).
   * 0 or absent: one socket.
   */
  flows?: number | undefined;
  /**
   * With `flows`: IPv4 sources (as numbers, see steering.ts exactSources) given flow queues of
   * their own in turn, before any hashing, so that configured NASes do not share a queue.
   */
  exactSources?: readonly number[] | undefined;
  /** Called once when `auto` falls back to node:dgram, with the reason. */
  onFallback?: (reason: string) => void;
  /**
   * Native only: read these already bound sockets (inherited from the primary process of
   * `serve --workers N`) instead of binding; `keepFrom` is the index in `fds` of the first
   * socket still read while holding back (the State socket, then Status-Server's), or null.
   * `flows` is then ignored.
   */
  adopt?: { fds: readonly number[]; keepFrom: number | null } | undefined;
  /** Open the sockets but read nothing until startReading() (a worker that takes over from another). */
  deferReading?: boolean | undefined;
  /**
   * Native with flow queues: hold back a backlogged flow queue while others are light (see
   * src/admit/flow-holdback.ts). Absent or disabled: every flow queue is read in turn.
   */
  flowHoldBack?: FlowHoldBackSettings | undefined;
  /**
   * Native: receive buffers sized by the time datagrams wait in them (see
   * src/admit/kernel-queue.ts), up to `recvBufferSize`. Absent or disabled: `recvBufferSize`.
   */
  kernelQueue?: KernelQueueSettings | undefined;
  /**
   * Is the process CPU-bound now (its event loop without idle time)? The per-flow hold-back and
   * the receive-buffer cuts act only while it is. Absent: always.
   */
  cpuBound?: (() => boolean) | undefined;
}

export interface UdpListener {
  readonly io: "dgram" | "native";
  /** Kernel receive queues (sockets) behind the listener. */
  readonly queues: number;
  /** Datagrams the kernel dropped for lack of queue space, when known (native). */
  kernelDrops(): number | undefined;
  /**
   * Stop (true) or resume (false) reading requests; the State and Status-Server queues, when
   * there are, are still read. node:dgram cannot stop reading: there it does nothing.
   */
  holdBack(hold: boolean): void;
  /** New per-flow hold-back settings (live reload); nothing without flow queues. */
  setFlowHoldBack?(settings: FlowHoldBackSettings): void;
  /** Per-flow hold-back counters, when there are flow queues. */
  flowHoldBackStats?(): FlowHoldBackStats | undefined;
  /** New receive-buffer sizing settings (live reload). */
  setKernelQueue?(settings: KernelQueueSettings): void;
  /** Receive-buffer sizing: cuts so far and current sizes, when sized. */
  kernelQueueStats?(): KernelQueueStats | undefined;
  readonly address: { address: string; port: number; family: string };
  /**
   * Graceful shutdown, step 1: datagrams received from now on go to `onDiscard` instead of the
   * core, while replies to requests already in flight can still be sent from this socket.
   */
  stopReceiving(onDiscard: () => void): void;
  /** Begin reading, when opened with `deferReading` (no-op otherwise or after retire). */
  startReading(): void;
  /**
   * Hand-over (native): stop reading every socket for good; datagrams wait in the kernel queues
   * for the process that reads the same sockets next. Replies can still be sent. holdBack and
   * stopReceiving never read again after this.
   */
  retire(): void;
  close(): Promise<void>;
}
