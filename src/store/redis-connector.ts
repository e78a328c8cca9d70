// The socket under every ioredis client of the stores. ioredis hears a stream's "error" with
// once(): a TLS stream can emit two (the server's alert, then the broken write), and a second
// error nobody hears would take the process down (ioredis PR #961, closed unmerged). This is
// ioredis's standalone connection with a lasting listener; ioredis still gets the first error.
// GuardedSentinelConnector does the same for a primary found through Redis Sentinel.
import net from "node:net";
import tls from "node:tls";
import { AbstractConnector, SentinelConnector } from "ioredis";

interface ConnectOptions {
  host?: string | null;
  port?: number | null;
  path?: string | null;
  family?: number | null;
  tls?: tls.ConnectionOptions | null;
  disconnectTimeout?: number;
}

export class GuardedConnector extends AbstractConnector {
  private readonly options: ConnectOptions;

  constructor(options: unknown) {
    const o = options as ConnectOptions;
    super(o.disconnectTimeout ?? 2000);
    this.options = o;
  }

  connect(): Promise<net.Socket> {
    const o = this.options;
    this.connecting = true;
    const target: net.TcpNetConnectOpts | net.IpcNetConnectOpts = o.path
      ? { path: o.path }
      : { port: o.port ?? 6379, ...(o.host != null ? { host: o.host } : {}), ...(o.family != null ? { family: o.family } : {}) };
    return new Promise((resolve, reject) => {
      // As ioredis: the stream is made on the next tick, unless disconnect() came first.
      process.nextTick(() => {
        if (!this.connecting) {
          reject(new Error("Connection is closed."));
          return;
        }
        let stream: net.Socket;
        try {
          stream = o.tls ? tls.connect({ ...target, ...o.tls }) : net.createConnection(target);
        } catch (err) {
          reject(err);
          return;
        }
        stream.once("error", (err) => {
          this.firstError = err;
        });
        stream.on("error", () => {});
        this.stream = stream;
        resolve(stream);
      });
    });
  }
}

/** ioredis's Sentinel connection with the same lasting "error" listener on the primary's socket. */
export class GuardedSentinelConnector extends SentinelConnector {
  // ioredis hands every connector the client's whole options object.
  constructor(options: unknown) {
    super(options as ConstructorParameters<typeof SentinelConnector>[0]);
  }

  override async connect(eventEmitter: Parameters<SentinelConnector["connect"]>[0]): ReturnType<SentinelConnector["connect"]> {
    const stream = await super.connect(eventEmitter);
    stream.on("error", () => {});
    return stream;
  }
}
