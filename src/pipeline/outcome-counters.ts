// The request path's metrics: one counter series per distinct outcome (resolved once, not per
// datagram) and the response-time histograms.
import type { RequestClass } from "../admit/scheduler.js";
import type { ListenerName, Outcome } from "../core/event.js";
import type { RejectReason } from "../core/outcomes.js";
import type { CounterSeries, Histogram, Metrics } from "../metrics/counters.js";
import type { Request } from "./request.js";

/** Distinct (listener, source address) stale series kept before the cache is cleared. */
const MAX_STALE_SERIES = 4096;

export class OutcomeCounters {
  private readonly outcomes = new Map<string, CounterSeries>();
  private readonly latencyByClass = new Map<RequestClass, Histogram>();
  private httpLatency: Histogram | undefined;
  /** Stale-shed series by listener and source address, for the configuration version `staleVersion`. */
  private readonly staleSeries = new Map<string, CounterSeries>();
  private staleVersion = 0;

  constructor(private readonly metrics: Metrics) {
    metrics.describe("aaa_datagrams_total", "Datagrams by final outcome (answered, dropped, shed, duplicate) and reason.");
    metrics.describe("aaa_access_rejects_total", "Access-Rejects by reason.");
    metrics.describe("aaa_response_seconds", "Time from a datagram's arrival to its reply being sent, answered requests, by class.");
    metrics.describe("aaa_http_auth_seconds", "POST /v1/auth: time from the request's arrival (body read) to its decision, answered requests.");
  }

  /** The aaa_datagrams_total series of a request's outcome. */
  series(req: Pick<Request, "listener" | "client" | "cls">, outcome: Outcome): CounterSeries {
    const client = req.client?.name ?? "unknown";
    const key = `${req.listener}|${outcome.kind}|${outcome.reason}|${req.cls}|${client}`;
    let s = this.outcomes.get(key);
    if (!s) {
      s = this.metrics.counter("aaa_datagrams_total", { listener: req.listener, outcome: outcome.kind, reason: outcome.reason, class: req.cls, client });
      this.outcomes.set(key, s);
    }
    return s;
  }

  /**
   * The stale-shed series of a source address, cached per configuration version (a reload may
   * move the address to another client). `client` is looked up only on a miss.
   */
  stale(listener: ListenerName, address: string, version: number, client: () => Request["client"]): CounterSeries {
    const key = `${listener}|${address}`;
    let s = this.staleSeries.get(key);
    if (!s || this.staleVersion !== version) {
      if (this.staleVersion !== version || this.staleSeries.size >= MAX_STALE_SERIES) this.staleSeries.clear();
      this.staleVersion = version;
      s = this.series({ listener, client: client(), cls: "none" }, { kind: "shed", reason: "stale" });
      this.staleSeries.set(key, s);
    }
    return s;
  }

  rejected(reason: RejectReason): void {
    this.metrics.inc("aaa_access_rejects_total", { reason });
  }

  latency(cls: RequestClass): Histogram {
    let h = this.latencyByClass.get(cls);
    if (!h) {
      h = this.metrics.histogram("aaa_response_seconds", { class: cls });
      this.latencyByClass.set(cls, h);
    }
    return h;
  }

  http(): Histogram {
    if (!this.httpLatency) this.httpLatency = this.metrics.histogram("aaa_http_auth_seconds", { class: "access" });
    return this.httpLatency;
  }
}
