// The HTTP side: Prometheus text on /metrics, liveness on /healthz, readiness on /readyz.
import http from "node:http";

export interface HttpSideOptions {
  host: string;
  port: number;
  metrics: () => string;
  ready: () => { ready: boolean; detail: Record<string, unknown> };
}

export interface HttpSide {
  readonly address: { address: string; port: number };
  close(): Promise<void>;
}

export async function listenHttp(o: HttpSideOptions): Promise<HttpSide> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    if (url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(o.metrics());
    } else if (url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}\n');
    } else if (url === "/readyz") {
      const r = o.ready();
      res.writeHead(r.ready ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify({ ready: r.ready, ...r.detail }) + "\n");
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address();
  return {
    address: typeof addr === "object" && addr ? { address: addr.address, port: addr.port } : { address: o.host, port: o.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
