// The public shapes of a running server (src/server.ts re-exports them): what startServer returns,
// a reload's result, and the sockets a worker of `serve --workers N` inherits.
import type { Config } from "../config/schema.js";
import type { Metrics } from "../metrics/counters.js";
import type { Scheduler } from "../admit/scheduler.js";
import type { RadiusCore } from "../pipeline/pipeline.js";
import type { SessionStore } from "../store/sessions.js";
import type { SubscriberStore } from "../store/store.js";
import type { TlsWorkerPool } from "../eap/tls/worker-client.js";

/** Scheduler client (fair-queuing unit and `client` label) of POST /v1/auth. */
export const HTTP_AUTH_CLIENT = "http";

export interface RunningServer {
  readonly auth: { address: string; port: number };
  readonly http: { address: string; port: number } | null;
  /** The accounting listener, when `radius.acct` is configured. */
  readonly acct: { address: string; port: number } | null;
  readonly sessions: SessionStore;
  readonly core: RadiusCore;
  readonly metrics: Metrics;
  readonly store: SubscriberStore;
  readonly scheduler: Scheduler;
  /** The EAP TLS worker threads (eap.tls.placement "worker"); undefined inline or without eap.tls. */
  readonly tlsWorkers: TlsWorkerPool | undefined;
  /** Datagrams the kernel dropped on the auth listener's queues (0 where unknown: node:dgram). */
  kernelDrops(): number;
  /**
   * Live reload: swap in `next` (clients and secrets, client weights, scheduler settings, log
   * level, reject Reply-Message, dictionary; the store re-reads its data). Atomic: everything
   * that can fail is prepared first, then swapped in one synchronous step; on failure nothing
   * changes. Requests already received finish on the version they arrived with. Keys that need
   * a restart keep their running value and are listed in the result. Never rejects; reloads run
   * one at a time.
   */
  reload(next: Config): Promise<ReloadResult>;
  /** As `reload`, reading the file (default: the one the server was started from). */
  reloadFromFile(file?: string): Promise<ReloadResult>;
  /** The configuration in force (restart-only keys at their start-up values). */
  runningConfig(): Config;
  /** Whether the admin API (/v1) answers: the HTTP side is on and a token is configured. */
  readonly adminApi: boolean;
  /**
   * Graceful stop: close the UDP listener and stop HTTP intake, let requests in flight finish
   * within their deadlines (at most `graceMs`, default the largest class budget + 1 s), then
   * close the scheduler, the worker pool and the store. Resolves with what was still pending
   * when the grace period ended (0 after a clean drain).
   */
  close(opts?: { graceMs?: number }): Promise<{ abandoned: number }>;
  /** Begin reading the UDP sockets when started with `inherited.deferReading` (no-op otherwise). */
  startReading(): void;
  /**
   * Hand-over (rolling restart, worker of `serve --workers N`): stop reading the UDP sockets for
   * good (datagrams wait in the kernel queues for the replacement) and accept no new HTTP
   * connections. Requests in flight go on; close() then drains them and releases the rest.
   */
  retire(): void;
}

export type ReloadResult =
  | {
      ok: true;
      /** Configuration version now in force (1 at start, +1 per successful reload). */
      version: number;
      /** Changed keys now in force (paths; clients by name; never values). */
      applied: string[];
      /** Changed keys that keep their running value until a restart. */
      needsRestart: string[];
      /** Applied, but something was not refreshed (e.g. Redis unreachable: cached groups kept). */
      warnings: string[];
    }
  | {
      ok: false;
      /** The version still in force. */
      version: number;
      /** Why nothing was changed (names the key or the file). */
      error: string;
    };

/** Sockets of one listener inherited from the primary process (see src/cluster/). */
export interface InheritedListener {
  fds: number[];
  /** Index in `fds` of the first socket still read while holding back (State, then Status-Server), or null. */
  keepFrom: number | null;
}

/** What a worker of `serve --workers N` is given by the primary process (src/cluster/primary.ts). */
export interface InheritedSockets {
  auth: InheritedListener;
  acct?: InheritedListener | undefined;
  /** The HTTP side's listening TCP socket, when `http` is configured. */
  httpFd?: number | undefined;
  /** Open the sockets but read nothing until startReading(). */
  deferReading?: boolean | undefined;
  /** This worker's index: the State socket it reads is the one its EAP States name (cluster/layout.ts). */
  worker?: number | undefined;
  /** Operations on the whole server, done through the primary. */
  cluster: {
    /** GET /metrics: every worker's metrics, merged. */
    metricsText(): Promise<string>;
    /** POST /v1/admin/reload: every worker reloads; the answer holds each one's result. */
    reloadAll(): Promise<{ ok: boolean } & Record<string, unknown>>;
    /** POST /v1/admin/restart. */
    restart(): Promise<{ accepted: boolean } & Record<string, unknown>>;
  };
}

export interface StartOptions {
  /** The configuration file, for `reloadFromFile()` (SIGHUP, admin API). */
  configFile?: string;
  /** Worker of `serve --workers N`: serve these sockets instead of binding the configured ones. */
  inherited?: InheritedSockets;
}
