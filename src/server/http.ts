// The HTTP side of a server: /metrics, /healthz, /readyz and the admin API, wired to the core.
import type { HttpConfig } from "../config/schema.js";
import { listenHttp, type HttpSide } from "../http/server.js";
import type { Logger } from "../log.js";
import type { ServerCore } from "./core.js";
import type { Listeners } from "./listeners.js";
import type { Reloader } from "./reload.js";
import type { Intake } from "./shutdown.js";
import { HTTP_AUTH_CLIENT, type InheritedSockets } from "./types.js";

export interface HttpSideDeps {
  parts: ServerCore;
  listeners: Listeners;
  /** Whether the accounting listener is configured (readiness lists it, bound or not). */
  acctConfigured: boolean;
  intake: Intake;
  reloader: Reloader;
  inherited: InheritedSockets | undefined;
  log: Logger;
}

const at = (a: { address: string; port: number }): string => (a.address.includes(":") ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);

export async function startHttpSide(h: HttpConfig, d: HttpSideDeps): Promise<HttpSide> {
  const { parts, listeners, intake, inherited: inh, log } = d;
  const { store, sessions, core } = parts;
  let side: HttpSide | undefined;
  side = await listenHttp({
    host: h.host,
    port: h.port,
    fd: inh?.httpFd,
    metricsText: inh ? () => inh.cluster.metricsText() : undefined,
    metrics: parts.metrics,
    token: h.token,
    authToken: h.authToken,
    headersTimeoutMs: h.headersTimeoutMs,
    requestTimeoutMs: h.requestTimeoutMs,
    maxConnections: h.maxConnections,
    metricsRendersPerSecond: h.metricsRendersPerSecond,
    admin: {
      store,
      dictionary: parts.dictionary,
      maxBodyBytes: h.maxBodyBytes,
      authenticate: (req) => core.authenticate(req),
      now: parts.now,
      authClient: HTTP_AUTH_CLIENT,
      revealRejectReason: h.revealRejectReason,
      reload: inh ? () => inh.cluster.reloadAll() : () => d.reloader.reloadFromFile(),
      restart: inh ? () => inh.cluster.restart() : undefined,
      audit: (change) => log.info({ admin: change }, `admin API: ${change.kind} ${change.action}`),
    },
    ready: () => {
      const problems = parts.storeProblems();
      return {
        ready: parts.storeReady() && intake.open,
        detail: {
          store: store.kind,
          storeAvailable: store.isAvailable(),
          sessionsAvailable: sessions.isAvailable(),
          ...(problems.length > 0 ? { storeProblems: problems } : {}),
          listeners: {
            auth: intake.open ? at(listeners.auth.address) : null,
            // null: configured but not bound (starting, or shutting down); absent: not configured.
            ...(d.acctConfigured ? { acct: intake.open && listeners.acct ? at(listeners.acct.address) : null } : {}),
            http: side ? at(side.address) : null,
          },
        },
      };
    },
    onError: (err, route) => log.error({ err: { message: (err as Error)?.message }, route }, "HTTP handler failed"),
  });
  if (!side.adminEnabled) log.warn({ http: side.address }, "admin API disabled: no http.token or http.tokenEnv configured (only /metrics, /healthz and /readyz answer)");
  return side;
}
