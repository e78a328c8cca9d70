// Starts a real server in-process on a free UDP port, with its log lines captured for assertions.
import dgram from "node:dgram";
import { Writable } from "node:stream";
import { configSchema, type Config } from "../../src/config/schema.js";
import { createLogger } from "../../src/log.js";
import { startServer, type RunningServer } from "../../src/server.js";

export interface TestServer extends RunningServer {
  port: number;
  logs: string[];
  config: Config;
}

export async function startTestServer(overrides: Record<string, unknown>, level = "debug"): Promise<TestServer> {
  const config = configSchema.parse({
    // CARRIER_AAA_TEST_IO=dgram runs the server tests on node:dgram instead of the native addon.
    radius: { auth: { host: "127.0.0.1", port: 0, io: process.env.CARRIER_AAA_TEST_IO ?? "auto" } },
    clients: [{ name: "test", address: "127.0.0.1", secret: "testing123" }],
    log: { level },
    workerPool: { size: 1 },
    // A generous budget: on a loaded test machine a cold server's first requests can take longer
    // than the production 50 ms, and a late reply is (rightly) not sent. Tests that are about
    // deadlines set their own scheduler section.
    scheduler: { budgetMs: 2000 },
    ...overrides,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      cb();
    },
  });
  const server = await startServer(config, createLogger(level, sink));
  return Object.assign(server, { port: server.auth.port, logs, config });
}

/** Sends datagrams from one socket and collects the answers (or nothing within the wait). */
export class UdpPeer {
  readonly socket = dgram.createSocket("udp4");
  private readonly waiters: Array<(b: Buffer) => void> = [];
  readonly received: Buffer[] = [];

  constructor() {
    this.socket.on("message", (msg) => {
      const w = this.waiters.shift();
      if (w) w(msg);
      else this.received.push(msg);
    });
  }

  async bind(): Promise<number> {
    await new Promise<void>((r) => this.socket.bind(0, "127.0.0.1", r));
    return this.socket.address().port;
  }

  send(buf: Buffer, port: number): void {
    this.socket.send(buf, port, "127.0.0.1");
  }

  /** Next datagram, or null when none arrives within waitMs. */
  next(waitMs = 1000): Promise<Buffer | null> {
    const queued = this.received.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(null);
      }, waitMs);
      const w = (b: Buffer): void => {
        clearTimeout(t);
        resolve(b);
      };
      this.waiters.push(w);
    });
  }

  async request(buf: Buffer, port: number, waitMs = 1000): Promise<Buffer | null> {
    this.send(buf, port);
    return this.next(waitMs);
  }

  close(): void {
    this.socket.close();
  }
}
