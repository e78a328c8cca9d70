// The request path's log lines: the debug line of every outcome, the error line of a failure, the
// info line of an answered Access-Request, and the warnings for unknown clients and bad secrets.
// Each kind has its own rate limit; what a limit holds back is counted.
import { codeName } from "../radius/codes.js";
import type { Client } from "../verify/clients.js";
import type { DatagramEvent, Outcome, Remote } from "../core/event.js";
import type { DropReason, RejectReason } from "../core/outcomes.js";
import type { CounterSeries, Metrics } from "../metrics/counters.js";
import { RateLimitedLog, type Logger } from "../log.js";
import { AuthLineBudget, WindowCap } from "./auth-log.js";
import { callingStationId, type Request } from "./request.js";

/** Unknown-client warnings over all source addresses together: at most this many per window. */
const UNKNOWN_CLIENT_LINES_PER_WINDOW = 20;
const UNKNOWN_CLIENT_WINDOW_MS = 10_000;

export class RequestLog {
  private readonly unknownClientLog = new RateLimitedLog(UNKNOWN_CLIENT_WINDOW_MS);
  private readonly unknownClientCap = new WindowCap(UNKNOWN_CLIENT_LINES_PER_WINDOW, UNKNOWN_CLIENT_WINDOW_MS);
  private readonly badSecretLog = new RateLimitedLog(10_000);
  private readonly authLines: AuthLineBudget;
  private readonly suppressed: { auth: CounterSeries; unknownClient: CounterSeries; badSecret: CounterSeries };
  private debug = false;
  private info = false;

  constructor(
    private readonly log: Logger,
    metrics: Metrics,
    private readonly now: () => number,
    authLinesPerSecond: number,
  ) {
    metrics.describe("aaa_log_lines_suppressed_total", "Log lines not written because of their rate limit, by kind (auth: Access-Accept/Reject lines, log.authLines.perSecond; unknown_client; bad_secret).");
    this.suppressed = {
      auth: metrics.counter("aaa_log_lines_suppressed_total", { kind: "auth" }),
      unknownClient: metrics.counter("aaa_log_lines_suppressed_total", { kind: "unknown_client" }),
      badSecret: metrics.counter("aaa_log_lines_suppressed_total", { kind: "bad_secret" }),
    };
    this.authLines = new AuthLineBudget(authLinesPerSecond, now());
    this.levelsChanged();
  }

  /** Re-reads which levels are on (after a log level change). */
  levelsChanged(): void {
    this.debug = this.log.isLevelEnabled("debug");
    this.info = this.log.isLevelEnabled("info");
  }

  setAuthLinesPerSecond(perSecond: number): void {
    this.authLines.setRate(perSecond);
  }

  /** A request's outcome: an error line if it failed unexpectedly, a debug line if enabled. */
  ended(req: Request, outcome: Outcome, err: unknown, rejectReason: RejectReason | undefined): void {
    if (err !== undefined) {
      this.log.error({ err: { message: (err as Error)?.message, code: (err as { code?: unknown })?.code }, client: req.client?.name, reason: outcome.reason }, "request failed");
    }
    if (!this.debug) return;
    this.log.debug(
      {
        outcome: outcome.kind,
        reason: outcome.reason,
        rejectReason,
        client: req.client?.name,
        from: `${req.remote.address}:${req.remote.port}`,
        code: req.code ? codeName(req.code) : undefined,
        user: req.user,
        callingStationId: req.packet ? callingStationId(req.packet) : undefined,
        ms: this.elapsed(req),
      },
      "request",
    );
  }

  /**
   * The `info` line of an answered Access-Request (FreeRADIUS's `auth = yes`): result, user, NAS,
   * source, Calling-Station-Id, reject reason and time taken. Never a password or an attribute
   * that holds one. Through the log.authLines budget: what it holds back is counted and summed up
   * by flushSummary().
   */
  authLine(req: Request, result: "accept" | "reject", reason: RejectReason | undefined): void {
    if (!this.info) return;
    if (!this.authLines.take(result === "accept" ? "accept" : `reject:${reason}`, this.now())) {
      this.suppressed.auth.value++;
      return;
    }
    this.log.info(
      {
        user: req.user,
        client: req.client?.name,
        from: `${req.remote.address}:${req.remote.port}`,
        callingStationId: req.packet ? callingStationId(req.packet) : undefined,
        reason,
        ms: this.elapsed(req),
      },
      result === "accept" ? "Access-Accept" : "Access-Reject",
    );
  }

  /** One line with what the log.authLines budget held back since the last call, if anything. */
  flushSummary(): void {
    const d = this.authLines.drain();
    if (d) {
      this.log.warn({ suppressed: d.total, byResult: d.byKind, perSecond: this.authLines.rate }, "Access-Accept/Reject lines suppressed by log.authLines.perSecond");
    }
  }

  unknownClient(remote: Remote): void {
    const now = this.now();
    const suppressed = this.unknownClientLog.allow(remote.address, now);
    if (suppressed < 0) {
      this.suppressed.unknownClient.value++;
      return;
    }
    // Spoofed or ever-changing sources pass the per-source limit: a global cap bounds the lines.
    const heldGlobally = this.unknownClientCap.allow(now);
    if (heldGlobally < 0) {
      this.suppressed.unknownClient.value++;
      return;
    }
    this.log.warn({ from: remote.address, suppressedSinceLast: suppressed, suppressedAllSources: heldGlobally }, "datagram from unknown client dropped");
  }

  /** A verified client whose authenticators do not check: almost always a wrong shared secret. */
  badSecret(ev: DatagramEvent, client: Client, reason: DropReason): void {
    const suppressed = this.badSecretLog.allow(client.name, this.now());
    if (suppressed < 0) {
      this.suppressed.badSecret.value++;
      return;
    }
    this.log.warn(
      { client: client.name, from: `${ev.remote.address}:${ev.remote.port}`, listener: ev.listener, reason, suppressedSinceLast: suppressed },
      "request dropped: authenticator does not verify; check the shared secret configured for this client",
    );
  }

  private elapsed(req: Request): number {
    return Math.round((this.now() - req.arrivedAt) * 1000) / 1000;
  }
}
