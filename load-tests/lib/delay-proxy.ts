// A delaying TCP proxy for the slow-store scenario (bench-scenarios.ts): listens on a free
// loopback port and forwards bytes both ways to a target (Redis). While delaying is on, each
// chunk from the target is held for a random minMs..maxMs before it is written to the client,
// and chunks leave in the order they came (a chunk never overtakes the one before it, so a
// short delay drawn after a long one waits for it). Requests to the target are not delayed.
// Turning the delay off lets held chunks out at their due time; new chunks then pass at once
// (still behind any held one).
import net from "node:net";

export interface DelayProxy {
  port: number;
  /** Hold each chunk from the target for a random minMs..maxMs (0, 0: no delay). */
  setDelay(minMs: number, maxMs: number): void;
  /** Chunks delayed so far, and chunks that passed through in total. */
  stats(): { delayed: number; chunks: number; connections: number };
  close(): Promise<void>;
}

export async function startDelayProxy(o: { targetPort: number; targetHost?: string; random?: () => number }): Promise<DelayProxy> {
  let minMs = 0;
  let maxMs = 0;
  let delayed = 0;
  let chunks = 0;
  let connections = 0;
  const rnd = o.random ?? Math.random;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    connections++;
    client.setNoDelay(true);
    const upstream = net.connect(o.targetPort, o.targetHost ?? "127.0.0.1");
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    // Client -> target: as is, with back-pressure.
    client.pipe(upstream);
    // Target -> client: in order; each chunk no earlier than its own due time.
    const queue: { due: number; data: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    let lastDue = 0;
    const flush = (): void => {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.due <= now) client.write(queue.shift()!.data);
      if (queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0]!.due - now));
    };
    upstream.on("data", (data: Buffer) => {
      chunks++;
      const now = performance.now();
      const d = maxMs > 0 ? minMs + rnd() * (maxMs - minMs) : 0;
      if (d > 0) delayed++;
      // Order kept: never due before the chunk ahead of it.
      const due = Math.max(now + d, lastDue);
      lastDue = due;
      if (queue.length === 0 && due <= now) {
        client.write(data);
        return;
      }
      queue.push({ due, data });
      if (!timer) timer = setTimeout(flush, Math.max(0, queue[0]!.due - now));
    });
    const end = (): void => {
      if (timer) clearTimeout(timer);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", end);
    upstream.on("close", end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    port,
    setDelay(lo: number, hi: number): void {
      if (!(lo >= 0 && hi >= lo)) throw new RangeError(`delay range ${lo}..${hi} ms`);
      minMs = lo;
      maxMs = hi;
    },
    stats: () => ({ delayed, chunks, connections }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
