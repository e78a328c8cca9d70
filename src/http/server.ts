// The HTTP side (node:http, no framework): /metrics (Prometheus text), /healthz (alive),
// /readyz (store reachable, listeners bound, not draining), and the admin API under /v1 with
// bearer-token auth. Without a token the admin API is disabled (404 with a message saying so).
import http from "node:http";
import { performance } from "node:perf_hooks";
import type { Metrics, CounterSeries } from "../metrics/counters.js";
import { HttpError, TokenCheck, sendError, sendJson } from "./io.js";
import { Router, type RouteContext } from "./router.js";
import { adminRoutes, type AdminDeps } from "./admin.js";

export interface HttpSideOptions {
  host: string;
  port: number;
  metrics: Metrics;
  ready: () => { ready: boolean; detail: Record<string, unknown> };
  /** Admin token (all of /v1) and auth-only token (POST /v1/auth); both absent: admin API off. */
  token?: string | undefined;
  authToken?: string | undefined;
  /** The admin API's store, dictionary and core entry point; absent: admin API off. */
  admin?: AdminDeps | undefined;
  /** A handler threw something that is not an HttpError (a bug): log it. */
  onError?: (err: unknown, route: string) => void;
  /** Serve on this inherited listening TCP socket instead of binding host:port (serve --workers N). */
  fd?: number | undefined;
  /** The text of GET /metrics, when it is not `metrics` alone (the merged metrics of every worker). */
  metricsText?: (() => Promise<string>) | undefined;
  /** Complete request headers within this long (ms), else 408 and close. Default 10000. */
  headersTimeoutMs?: number | undefined;
  /** Complete request (headers and body) within this long (ms), else 408 and close. Default 30000. */
  requestTimeoutMs?: number | undefined;
  /** Open connections at most (server.maxConnections). Default 256. */
  maxConnections?: number | undefined;
  /** GET /metrics renders at most this many times per second; faster requests get the last text. Default 5. */
  metricsRendersPerSecond?: number | undefined;
}

export interface HttpSide {
  readonly address: { address: string; port: number };
  /** True when the admin API answers (a token is configured). */
  readonly adminEnabled: boolean;
  /** Requests being served now. */
  readonly active: number;
  /**
   * Replace the tokens (for a configuration reload): requests authenticated after this call use
   * the new ones. The admin API's routes exist only when a token was configured at start.
   */
  setTokens(token: string | undefined, authToken: string | undefined): void;
  /**
   * Stop intake: no new connections; requests that arrive on open connections get 503 (and
   * `connection: close`), except /metrics and /healthz. Requests already being served finish.
   */
  drain(): void;
  /**
   * Hand-over (rolling restart): accept no new connections (other processes serve the shared
   * listening socket); requests on open connections are still served, answered with
   * `connection: close`, and idle connections are closed.
   */
  stopAccepting(): void;
  /** Close for good: waits for requests being served at most `graceMs`, then cuts connections. */
  close(graceMs?: number): Promise<void>;
}

/** Routes that answer without a token, also while draining. */
const OPEN = new Set(["/metrics", "/healthz", "/readyz"]);

export async function listenHttp(o: HttpSideOptions): Promise<HttpSide> {
  let tokens = new TokenCheck(o.token, o.authToken);
  const adminEnabled = tokens.enabled && o.admin !== undefined;
  const router = new Router();
  const metricsText = o.metricsText;
  // Rendering the exposition costs CPU on the thread that serves RADIUS: at most
  // metricsRendersPerSecond renders (a token bucket); a request that finds it empty gets the last
  // text rendered, so an unauthenticated /metrics flood costs little more than the sockets.
  const rendersPerSecond = o.metricsRendersPerSecond ?? 5;
  let renderTokens = rendersPerSecond;
  let refilledAt = performance.now();
  let lastText: Promise<string> | undefined;
  const renderMetrics = (): Promise<string> => {
    const t = performance.now();
    renderTokens = Math.min(rendersPerSecond, renderTokens + ((t - refilledAt) * rendersPerSecond) / 1000);
    refilledAt = t;
    if (lastText !== undefined && renderTokens < 1) return lastText;
    renderTokens -= 1;
    const text = metricsText ? metricsText() : Promise.resolve(o.metrics.toPrometheus());
    lastText = text;
    text.catch(() => {
      if (lastText === text) lastText = undefined;
    });
    return text;
  };
  router.on("GET", "/metrics", async ({ res }) => {
    const text = await renderMetrics();
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(text);
  });
  router.on("GET", "/healthz", ({ res }) => sendJson(res, 200, { status: "ok" }));
  router.on("GET", "/readyz", ({ res }) => {
    const r = o.ready();
    const ready = r.ready && !draining;
    sendJson(res, ready ? 200 : 503, { ready, draining, ...r.detail });
  });
  if (adminEnabled) adminRoutes(router, o.admin!);

  o.metrics.describe("aaa_http_requests_total", "HTTP requests by route pattern and status code.");
  const series = new Map<string, CounterSeries>();
  const count = (route: string, status: number): void => {
    const key = `${route}|${status}`;
    let s = series.get(key);
    if (!s) {
      s = o.metrics.counter("aaa_http_requests_total", { route, status: String(status) });
      series.set(key, s);
    }
    s.value++;
  };

  let draining = false;
  let handingOver = false;
  let active = 0;
  let idleWaiters: Array<() => void> = [];

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<string> => {
    const url = parseUrl(req.url);
    const method = req.method ?? "GET";
    const m = router.match(method, url.pathname);
    if ("error" in m) {
      if (m.error.status === 404 && url.pathname.startsWith("/v1/") && !adminEnabled) {
        throw new HttpError(404, "admin_api_disabled", "the admin API is disabled: set http.token (or http.tokenEnv) in the configuration");
      }
      throw m.error;
    }
    if (!OPEN.has(m.route)) {
      if (draining) throw new HttpError(503, "shutting_down", "the server is shutting down", undefined, { connection: "close", "retry-after": "1" });
      const scope = tokens.scope(req.headers.authorization);
      const www = { "www-authenticate": 'Bearer realm="carrier-aaa"' };
      if (scope === null) throw new HttpError(401, "unauthorized", req.headers.authorization ? "wrong token" : "missing bearer token (authorization: Bearer <token>)", undefined, www);
      if (scope === "auth" && m.route !== "/v1/auth") throw new HttpError(403, "forbidden", "this token allows POST /v1/auth only");
    }
    const ctx: RouteContext = { req, res, params: m.params, query: url.searchParams, route: m.route };
    await m.handler(ctx);
    return m.route;
  };

  const headersTimeout = o.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(headersTimeout, o.requestTimeoutMs ?? 30_000);
  const server = http.createServer(
    {
      noDelay: true,
      headersTimeout,
      requestTimeout,
      // Node enforces both timeouts only when it checks its connections (every 30 s by default,
      // which could hold a slow client up to 30 s past its timeout): check often enough to cut it on time.
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(headersTimeout / 5))),
    },
    (req, res) => {
      active++;
      if (draining || handingOver) res.setHeader("connection", "close");
      res.once("close", () => {
        active--;
        if (active === 0 && idleWaiters.length > 0) {
          const w = idleWaiters;
          idleWaiters = [];
          for (const f of w) f();
        }
      });
      serve(req, res).then(
        (route) => count(route, res.statusCode),
        (err: unknown) => {
          const route = routeOf(req, router);
          const e = err instanceof HttpError ? err : (o.onError?.(err, route), new HttpError(500, "internal_error", "internal error; see the server log"));
          if (res.headersSent) res.destroy();
          else sendError(res, e);
          count(route, res.statusCode);
        },
      );
    },
  );
  server.keepAliveTimeout = 5000;
  server.maxConnections = o.maxConnections ?? 256;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const done = (): void => {
      server.off("error", reject);
      resolve();
    };
    if (o.fd !== undefined) server.listen({ fd: o.fd }, done);
    else server.listen(o.port, o.host, done);
  });
  const addr = server.address();
  let closed: Promise<void> | undefined;
  const drain = (): void => {
    if (draining) return;
    draining = true;
    server.close();
    server.closeIdleConnections();
  };
  return {
    address: typeof addr === "object" && addr ? { address: addr.address, port: addr.port } : { address: o.host, port: o.port },
    adminEnabled,
    get active() {
      return active;
    },
    drain,
    stopAccepting: () => {
      if (handingOver || draining) return;
      handingOver = true;
      server.close();
      server.closeIdleConnections();
    },
    setTokens: (token, authToken) => {
      tokens = new TokenCheck(token, authToken);
    },
    close: (graceMs = 0) => {
      closed ??= (async () => {
        drain();
        if (active > 0 && graceMs > 0) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, graceMs);
            idleWaiters.push(() => {
              clearTimeout(t);
              resolve();
            });
          });
        }
        server.closeAllConnections();
      })();
      return closed;
    },
  };
}

/** The metrics label of a request: its route pattern, or "unmatched" (never the raw path). */
function routeOf(req: http.IncomingMessage, router: Router): string {
  try {
    return router.match(req.method ?? "GET", parseUrl(req.url).pathname).route;
  } catch {
    return "unmatched";
  }
}

const NO_QUERY = new URLSearchParams();

/** The request target's path and query; 400 for anything but an origin-form path. */
function parseUrl(target: string | undefined): { pathname: string; searchParams: URLSearchParams } {
  if (!target?.startsWith("/")) throw new HttpError(400, "bad_request", "the request target must be a path");
  const q = target.indexOf("?");
  if (q < 0) return { pathname: target, searchParams: NO_QUERY };
  return { pathname: target.slice(0, q), searchParams: new URLSearchParams(target.slice(q + 1)) };
}
