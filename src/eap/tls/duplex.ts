/**
 * An in-memory duplex pair: what one side writes, the other side reads. Node 20 has no
 * `stream.duplexPair` (added in 22.6), and a TLS server over EAP needs a transport without a
 * socket: `new tls.TLSSocket(pair[0], { isServer: true, ... })`, with the EAP layer feeding the
 * peer's records into pair[1] and reading what TLS wrote from it.
 *
 * Back-pressure: a write completes once the other side has asked for more data (its _read),
 * so a reader that stops reading stalls the writer instead of growing a buffer without bound.
 * Ending one side (end()) ends the other side's readable half; destroying one side destroys
 * the other, so neither half outlives its partner.
 */
import { Duplex } from "node:stream";

class DuplexSide extends Duplex {
  other: DuplexSide | null = null;
  private pendingWrite: (() => void) | null = null;

  override _read(): void {
    const cb = this.pendingWrite;
    if (cb) {
      this.pendingWrite = null;
      cb();
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const other = this.other;
    if (!other || other.destroyed) {
      cb(new Error("duplex pair: the other side is gone"));
      return;
    }
    if (chunk.length === 0) {
      process.nextTick(cb);
      return;
    }
    // Complete now if the reader still wants data, else when it next reads.
    if (other.push(chunk)) cb();
    else other.pendingWrite = () => cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    const other = this.other;
    if (other && !other.destroyed) other.push(null);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const other = this.other;
    this.other = null;
    const pending = this.pendingWrite;
    this.pendingWrite = null;
    if (pending) pending();
    if (other && !other.destroyed) {
      other.other = null;
      other.destroy();
    }
    cb(err);
  }
}

/** Two connected Duplex streams (buffers only, no encoding). */
export function createDuplexPair(): [Duplex, Duplex] {
  const a = new DuplexSide();
  const b = new DuplexSide();
  a.other = b;
  b.other = a;
  return [a, b];
}

/**
 * Resolves once `activity()` has not changed for `quietRounds` consecutive event-loop turns
 * (setImmediate). TLS over a JS stream completes its work in a few turns after an input; this
 * turns "wait until TLS has answered" into a bounded wait. Gives up after `maxRounds` turns.
 */
export async function settle(activity: () => number, quietRounds = 3, maxRounds = 2000): Promise<void> {
  let last = activity();
  let quiet = 0;
  for (let i = 0; i < maxRounds && quiet < quietRounds; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const now = activity();
    if (now === last) quiet++;
    else {
      quiet = 0;
      last = now;
    }
  }
}
