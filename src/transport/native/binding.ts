// Loads the native UDP I/O addon built by native/build.ts, if it is there.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** Int32 per slot in the metadata arrays; the layout is documented in udp-mmsg.c. */
export const SLOT_META = 16;

export interface UdpMmsgBinding {
  open(
    family: 4 | 6,
    host: string,
    port: number,
    rcvbuf: number,
    sndbuf: number,
    batch: number,
    slotSize: number,
    rbuf: Buffer,
    rmeta: Int32Array,
    sbuf: Buffer,
    smeta: Int32Array,
    onBatch: (count: number, socketIndex: number) => void,
    sockets: number,
    program: Uint32Array | null,
    /**
     * Adopt these bound UDP sockets (from bindGroup in a parent process) instead of making new
     * ones; host, port, buffers, sockets and program are then ignored. They are set non-blocking
     * and close-on-exec; close() closes this process's fds only.
     */
    fds?: readonly number[] | null,
  ): object;
  /**
   * The sockets open() would make (created, configured, bound), watched by nobody: for a process
   * that holds them open while child processes read them. Close them with closeFds.
   */
  bindGroup(family: 4 | 6, host: string, port: number, rcvbuf: number, sndbuf: number, sockets: number, program: Uint32Array | null): number[];
  /** A listening TCP socket (non-blocking, close-on-exec) that this process holds without accepting. */
  listenTcp(family: 4 | 6, host: string, port: number, backlog: number): number;
  /** The local port of a socket fd. */
  socketPort(fd: number): number;
  /** Close fds this process holds (from bindGroup or listenTcp). */
  closeFds(fds: readonly number[]): void;
  /** Start, or resume, reading every socket. */
  start(handle: object): void;
  /** Stop reading every socket below index `keep`; those from `keep` on are still read (-1: none). */
  pause(handle: object, keep: number): void;
  /** Start (`on`) or stop reading the one socket at `index`. */
  poll(handle: object, index: number, on: boolean): void;
  /** SO_RCVBUF of the one socket at `index`, in bytes (the kernel doubles it). */
  receiveBuffer(handle: object, index: number, bytes: number): void;
  localPort(handle: object): number;
  flush(handle: object, count: number): number;
  /** Datagrams the kernel dropped on the group's sockets (or the one at `index`) so far (receive queue full). */
  drops(handle: object, index?: number): number;
  close(handle: object): void;
}

let loaded: { binding: UdpMmsgBinding | null; error: string | null } | undefined;

/** The addon, or null with the reason it could not be loaded. */
export function loadUdpMmsg(): { binding: UdpMmsgBinding | null; error: string | null } {
  if (loaded) return loaded;
  // dist/transport/native/binding.js sits next to the addon; under the test runner this file is
  // src/transport/native/binding.ts and the addon is in dist/.
  const candidates = [new URL("./udp-mmsg.node", import.meta.url), new URL("../../../dist/transport/native/udp-mmsg.node", import.meta.url)].map((u) => fileURLToPath(u));
  const file = candidates.find((f) => existsSync(f));
  if (!file) {
    loaded = { binding: null, error: "addon not built (npm run build compiles it when a C compiler is present)" };
    return loaded;
  }
  try {
    loaded = { binding: createRequire(import.meta.url)(file) as UdpMmsgBinding, error: null };
  } catch (err) {
    loaded = { binding: null, error: `addon failed to load: ${(err as Error).message}` };
  }
  return loaded;
}
