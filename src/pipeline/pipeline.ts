// The request path, end to end, without sockets:
//   receive (transport) -> verify -> duplicates -> admit -> handle -> reply
// Each datagram handed to `handle` ends in exactly one counted outcome.
import { Attr, Code, codeName } from "../radius/codes.js";
import { RadiusError } from "../radius/errors.js";
import { findAttribute, type RadiusPacket } from "../radius/packet.js";
import type { Dictionary } from "../radius/dictionary.js";
import type { SubscriberStore } from "../store/store.js";
import { StoreError } from "../store/store.js";
import { ClientTable, type Client } from "../verify/clients.js";
import { DuplicateCache, type PendingEntry } from "../verify/duplicates.js";
import { verifyDatagram } from "../verify/verify.js";
import { classify, type CompletionReport, type RequestClass, type Scheduler } from "../admit/scheduler.js";
import { createAccessRequestHandler, createJsonAuthHandler, type JsonAuthInput, type JsonDecision } from "../handle/access-request.js";
import { handleStatusServer } from "../handle/status-server.js";
import { createAccountingHandler, type AccountingDecision, type AccountingInput } from "../handle/accounting.js";
import type { SessionStore } from "../store/sessions.js";
import type { EapServer } from "../eap/handler.js";
import type { Decision } from "../handle/decision.js";
import type { VerifyHashInput } from "../handle/password-hash.js";
import { encodeAccountingResponse, encodeReply } from "../reply/reply.js";
import type { AttributeInput } from "../radius/encode.js";
import { HandlerRegistry } from "./handlers.js";
import type { Handler } from "../core/handler.js";
import type { WorkerPool } from "./worker-pool.js";
import { WorkerPoolError } from "./worker-pool.js";
import type { DatagramEvent, EntryPoint, Outcome, SendReply } from "../core/event.js";
import type { CounterSeries, Histogram, Metrics } from "../metrics/counters.js";
import { RateLimitedLog, type Logger } from "../log.js";
import { AuthLineBudget, WindowCap } from "./auth-log.js";

export interface CoreOptions {
  clients: ClientTable;
  store: SubscriberStore;
  dictionary: Dictionary;
  scheduler: Scheduler;
  metrics: Metrics;
  log: Logger;
  pool: WorkerPool | null;
  /** Monotonic clock in ms (arrival stamps and deadlines). */
  now: () => number;
  /** Wall clock in ms since the epoch (subscriber expiry). */
  wallClock?: () => number;
  duplicates: { windowMs: number; maxEntries: number };
  rejectReplyMessage?: string | undefined;
  /** Sessions: accounting and Simultaneous-Use. Without it Accounting-Requests are dropped. */
  sessions?: SessionStore | null;
  /** EAP conversations (kept across reloads); absent: EAP-Message gets Access-Reject. */
  eap?: EapServer | null;
  /** Access-Accept/Reject lines at info: at most this many per second (log.authLines.perSecond); 0: none. Default 100. */
  authLinesPerSecond?: number;
  /**
   * Whether the store can serve requests now (the signal /readyz uses). When it says no, a
   * Status-Server is not answered unless `answerStatusWhenStoreDown`. Default: always available.
   */
  storeReady?: () => boolean;
  /** radius.statusServer.answerWhenStoreDown (default false). */
  answerStatusWhenStoreDown?: boolean;
}

/** What a live reload may replace (RadiusCore.reconfigure). */
export interface CoreSettings {
  clients: ClientTable;
  /** A new dictionary replaces the access-request handler; null keeps the current one. */
  dictionary: Dictionary | null;
  rejectReplyMessage?: string | undefined;
  /** log.authLines.perSecond; undefined keeps the current rate. */
  authLinesPerSecond?: number | undefined;
  /** radius.statusServer.answerWhenStoreDown; undefined keeps the current setting. */
  answerStatusWhenStoreDown?: boolean | undefined;
}

type AccessRequestHandler = Handler<Parameters<ReturnType<typeof createAccessRequestHandler>>[0], Decision>;

/**
 * One configuration version. A datagram takes the current version when it arrives and keeps it to
 * the end: the client (and so the secret) it was verified with signs its reply, whatever a reload
 * did meanwhile.
 */
interface Version {
  readonly id: number;
  readonly clients: ClientTable;
  readonly accessRequest: AccessRequestHandler;
  readonly rejectAttrs: AttributeInput[];
}

type Ctx = {
  ev: Pick<DatagramEvent, "remote" | "arrivedAt"> & { readonly listener: EntryPoint };
  version: Version;
  client: Client | null;
  code: number;
  cls: RequestClass | "none";
  user?: string | undefined;
  /** The verified request, for the fields of its log lines (Calling-Station-Id). */
  packet?: RadiusPacket | undefined;
};

/** Unknown-client warnings over all source addresses together: at most this many per window. */
const UNKNOWN_CLIENT_LINES_PER_WINDOW = 20;
const UNKNOWN_CLIENT_WINDOW_MS = 10_000;
/** Verification failures that mean the NAS signs with another shared secret than ours. */
const BAD_SECRET_REASONS = new Set(["bad_message_authenticator", "bad_request_authenticator"]);

const EMPTY = Buffer.alloc(0);

/** A PAP authentication that did not come as a datagram (POST /v1/auth). */
export interface JsonAuthRequest {
  username: string;
  password: Buffer;
  /** Arrival stamp on the core's clock (`now`). */
  arrivedAt: number;
  /** Scheduler client (unit of fair queuing) and `client` label of the outcome counter. */
  client: string;
  /** The HTTP peer, for the debug log. */
  remote: { address: string; port: number };
}

export type JsonAuthOutcome =
  | { kind: "answered"; result: "accept"; reply: Record<string, unknown> }
  | { kind: "answered"; result: "reject"; reason: string }
  | { kind: "shed"; reason: string }
  | { kind: "dropped"; reason: string };

const SAMPLE: CompletionReport = { sample: true };
const NO_SAMPLE: CompletionReport = { sample: false };

export class RadiusCore {
  readonly handlers: HandlerRegistry;
  readonly duplicates: DuplicateCache;
  private current: Version;
  private readonly verifyHash: Handler<VerifyHashInput, "match" | "mismatch" | "bad-hash">;
  private readonly jsonAuth: Handler<JsonAuthInput, JsonDecision>;
  private readonly accounting: Handler<AccountingInput, AccountingDecision> | null;
  private readonly unknownClientLog = new RateLimitedLog(UNKNOWN_CLIENT_WINDOW_MS);
  private readonly unknownClientCap = new WindowCap(UNKNOWN_CLIENT_LINES_PER_WINDOW, UNKNOWN_CLIENT_WINDOW_MS);
  private readonly badSecretLog = new RateLimitedLog(10_000);
  private readonly authLines: AuthLineBudget;
  private readonly suppressedLines: { auth: CounterSeries; unknownClient: CounterSeries; badSecret: CounterSeries };
  private readonly storeReady: () => boolean;
  private answerStatusWhenStoreDown: boolean;
  private debug: boolean;
  private info: boolean;
  private readonly outcomeCounters = new Map<string, CounterSeries>();
  private readonly latencyByClass = new Map<RequestClass, Histogram>();
  private httpAuthLatency: Histogram | undefined;
  private readonly pseudoClients = new Map<string, Client>();
  /** Stale-shed counters by listener and source address, for the configuration version in force. */
  private readonly staleSeries = new Map<string, CounterSeries>();
  private staleVersion = 0;

  constructor(private readonly o: CoreOptions) {
    o.metrics.describe("aaa_datagrams_total", "Datagrams by final outcome (answered, dropped, shed, duplicate) and reason.");
    o.metrics.describe("aaa_access_rejects_total", "Access-Rejects by reason.");
    o.metrics.describe("aaa_response_seconds", "Time from a datagram's arrival to its reply being sent, answered requests, by class.");
    o.metrics.describe("aaa_http_auth_seconds", "POST /v1/auth: time from the request's arrival (body read) to its decision, answered requests.");
    o.metrics.describe("aaa_log_lines_suppressed_total", "Log lines not written because of their rate limit, by kind (auth: Access-Accept/Reject lines, log.authLines.perSecond; unknown_client; bad_secret).");
    this.debug = o.log.isLevelEnabled("debug");
    this.info = o.log.isLevelEnabled("info");
    this.authLines = new AuthLineBudget(o.authLinesPerSecond ?? 100, o.now());
    this.suppressedLines = {
      auth: o.metrics.counter("aaa_log_lines_suppressed_total", { kind: "auth" }),
      unknownClient: o.metrics.counter("aaa_log_lines_suppressed_total", { kind: "unknown_client" }),
      badSecret: o.metrics.counter("aaa_log_lines_suppressed_total", { kind: "bad_secret" }),
    };
    this.storeReady = o.storeReady ?? (() => true);
    this.answerStatusWhenStoreDown = o.answerStatusWhenStoreDown ?? false;
    this.duplicates = new DuplicateCache({ windowMs: o.duplicates.windowMs, maxEntries: o.duplicates.maxEntries });
    this.handlers = new HandlerRegistry(o.pool);
    this.verifyHash = this.handlers.register<VerifyHashInput, "match" | "mismatch" | "bad-hash">({
      name: "verify-password-hash",
      placement: "worker",
      module: new URL(import.meta.url.endsWith(".ts") ? "../handle/password-hash.ts" : "../handle/password-hash.js", import.meta.url),
      exportName: "verifyPasswordHash",
    });
    const deps = { store: o.store, dictionary: o.dictionary, verifyHash: this.verifyHash, now: o.now, wallClock: o.wallClock ?? Date.now, sessions: o.sessions ?? null };
    const accessRequest = this.handlers.register({ name: "access-request", placement: "inline", run: this.accessRequestRun(o.dictionary) });
    this.current = { id: 1, clients: o.clients, accessRequest, rejectAttrs: rejectAttributes(o.rejectReplyMessage) };
    // POST /v1/auth: the same subscriber check as an Access-Request, registered on its own.
    this.jsonAuth = this.handlers.register({ name: "json-auth", placement: "inline", run: createJsonAuthHandler(deps) });
    this.accounting = o.sessions
      ? this.handlers.register({
          name: "accounting",
          placement: "inline",
          run: createAccountingHandler({ sessions: o.sessions, now: o.now, wallClock: o.wallClock ?? Date.now }),
        })
      : null;
  }

  /** The configuration version new datagrams get (1 at start, +1 per reconfigure). */
  get version(): number {
    return this.current.id;
  }

  /**
   * Live reload: from the next datagram on, clients and secrets, the access-request handler (with
   * its dictionary) and the reject Reply-Message are the new ones, swapped in one assignment.
   * Datagrams already in the core finish on the version they arrived with. Also re-reads whether
   * debug logging is on (after a log level change).
   */
  reconfigure(settings: CoreSettings): number {
    const accessRequest = settings.dictionary
      ? this.handlers.replace({ name: "access-request", placement: "inline", run: this.accessRequestRun(settings.dictionary) })
      : this.current.accessRequest;
    this.current = { id: this.current.id + 1, clients: settings.clients, accessRequest, rejectAttrs: rejectAttributes(settings.rejectReplyMessage) };
    this.debug = this.o.log.isLevelEnabled("debug");
    this.info = this.o.log.isLevelEnabled("info");
    if (settings.authLinesPerSecond !== undefined) this.authLines.setRate(settings.authLinesPerSecond);
    if (settings.answerStatusWhenStoreDown !== undefined) this.answerStatusWhenStoreDown = settings.answerStatusWhenStoreDown;
    return this.current.id;
  }

  private accessRequestRun(dictionary: Dictionary): ReturnType<typeof createAccessRequestHandler> {
    return createAccessRequestHandler({
      store: this.o.store,
      dictionary,
      verifyHash: this.verifyHash,
      now: this.o.now,
      wallClock: this.o.wallClock ?? Date.now,
      sessions: this.o.sessions ?? null,
      eap: this.o.eap ?? null,
    });
  }

  /**
   * Entry point for an authentication that arrives without a datagram (POST /v1/auth): a PAP
   * check classed as a new Access-Request from the pseudo-client `req.client`, through the same
   * scheduler (admission, deadline, fairness, shedding), handler, store and outcome counter
   * (listener "http"). No duplicate detection (there is no Identifier). Never rejects.
   */
  authenticate(req: JsonAuthRequest): Promise<JsonAuthOutcome> {
    const ev: Ctx["ev"] = { listener: "http", remote: req.remote, arrivedAt: req.arrivedAt };
    const ctx: Ctx = { ev, version: this.current, client: this.pseudoClient(req.client), code: Code.AccessRequest, cls: "access", user: req.username };
    return new Promise<JsonAuthOutcome>((resolve) => {
      this.o.scheduler.submit({
        class: "access",
        client: req.client,
        arrivedAt: req.arrivedAt,
        start: (run) =>
          this.jsonAuth.invoke({ username: req.username, password: req.password, deadline: run.deadline }, run.deadline).then(
            (d) => {
              if (d.result === "drop") {
                this.finish(ctx, { kind: "dropped", reason: d.reason });
                resolve({ kind: "dropped", reason: d.reason });
              } else if (this.o.now() > run.deadline) {
                this.finish(ctx, { kind: "shed", reason: "late_reply" });
                resolve({ kind: "shed", reason: "late_reply" });
              } else {
                if (d.result === "reject") this.o.metrics.inc("aaa_access_rejects_total", { reason: d.reason });
                this.finish(ctx, { kind: "answered", reason: d.result }, undefined, d.result === "reject" ? d.reason : undefined);
                this.authLine(ctx, d.result, d.result === "reject" ? d.reason : undefined);
                this.httpLatency().observe((this.o.now() - req.arrivedAt) / 1000);
                resolve(d.result === "accept" ? { kind: "answered", result: "accept", reply: d.reply } : { kind: "answered", result: "reject", reason: d.reason });
              }
              return SAMPLE;
            },
            (err: unknown) => {
              const reason = failureReason(err);
              this.finish(ctx, { kind: "dropped", reason }, isExpected(err) ? undefined : err);
              resolve({ kind: "dropped", reason });
              return err instanceof StoreError && err.code === "STORE_TIMEOUT" ? SAMPLE : NO_SAMPLE;
            },
          ),
        shed: (reason) => {
          this.finish(ctx, { kind: "shed", reason });
          resolve({ kind: "shed", reason });
        },
      });
    });
  }

  /** The counters' `client` for a non-datagram entry point (no secret: nothing is signed). */
  private pseudoClient(name: string): Client {
    let c = this.pseudoClients.get(name);
    if (!c) {
      c = { name, secret: EMPTY, requireMessageAuthenticator: false };
      this.pseudoClients.set(name, c);
    }
    return c;
  }

  private httpLatency(): Histogram {
    if (!this.httpAuthLatency) this.httpAuthLatency = this.o.metrics.histogram("aaa_http_auth_seconds", { class: "access" });
    return this.httpAuthLatency;
  }

  /**
   * Before a datagram is copied or parsed (native io): has it waited in the kernel queue until
   * too little of its budget is left to be served in time, by its packet code?
   */
  isStale(code: number, arrivedAt: number): boolean {
    return this.o.scheduler.enabled && this.o.scheduler.tooLateToStart(code, arrivedAt);
  }

  /**
   * Counts a datagram shed unread as stale, under the client its source address belongs to (a
   * label only: nothing of it was verified), so that what went stale shows per NAS.
   */
  countStale(listener: DatagramEvent["listener"], address: string): void {
    const key = `${listener}|${address}`;
    let s = this.staleSeries.get(key);
    if (!s || this.staleVersion !== this.current.id) {
      if (this.staleVersion !== this.current.id || this.staleSeries.size >= 4096) this.staleSeries.clear();
      this.staleVersion = this.current.id;
      const ctx: Ctx = { ev: { listener, remote: { address, port: 0 }, arrivedAt: 0 }, version: this.current, client: this.current.clients.lookup(address), code: 0, cls: "none" };
      s = this.outcomeSeries(ctx, { kind: "shed", reason: "stale" });
      this.staleSeries.set(key, s);
    }
    s.value++;
  }

  /** Entry point for every datagram. Never throws; every path ends in `finish`. */
  handle(ev: DatagramEvent, send: SendReply): void {
    const ctx: Ctx = { ev, version: this.current, client: null, code: 0, cls: "none" };
    // A datagram that waited in the kernel queue until too little of its budget is left to be
    // served in time (by its packet code) is shed before a verification is spent on it.
    if (this.o.scheduler.enabled && ev.data.length > 0 && this.o.scheduler.tooLateToStart(ev.data[0]!, ev.arrivedAt)) {
      // Counted under the client its source address belongs to (not verified: a label only), so
      // that what went stale in the kernel queues shows per NAS.
      ctx.client = ctx.version.clients.lookup(ev.remote.address);
      this.finish(ctx, { kind: "shed", reason: "stale" });
      return;
    }
    let v;
    try {
      v = verifyDatagram(ev, ctx.version.clients);
    } catch (err) {
      this.finish(ctx, { kind: "dropped", reason: "internal_error" }, err);
      return;
    }
    if (!v.ok) {
      ctx.client = v.client;
      if (v.reason === "unknown_client") this.logUnknownClient(ev);
      else if (v.client && BAD_SECRET_REASONS.has(v.reason)) this.logBadSecret(ev, v.client, v.reason);
      this.finish(ctx, { kind: "dropped", reason: v.reason });
      return;
    }
    const { client, packet } = v;
    ctx.client = client;
    ctx.code = packet.code;
    ctx.packet = packet;

    // RFC 5080 §2.2.2: same source, Identifier and Request Authenticator = the same request.
    const dupKey = DuplicateCache.key(ev.remote.address, ev.remote.port, packet.identifier, packet.authenticator);
    const dup = this.duplicates.check(dupKey, this.o.now());
    if (dup.kind === "in-progress") return this.finish(ctx, { kind: "duplicate", reason: "in_progress" });
    if (dup.kind === "answered") {
      send(dup.reply, ev.remote);
      return this.finish(ctx, { kind: "duplicate", reason: "replayed" });
    }
    const entry = dup.entry;

    // Stage 3, admit: the scheduler starts it now, queues it, or sheds it (silently, RFC 5080 §2.6.1).
    ctx.cls = classify(packet.code, findAttribute(packet, Attr.State) !== undefined, packet.code === Code.AccountingRequest ? acctStatusType(packet) : undefined);
    this.o.scheduler.submit({
      class: ctx.cls,
      client: client.name,
      arrivedAt: ev.arrivedAt,
      start: (run) => this.run(ctx, packet, client, entry, run.deadline, send),
      shed: (reason) => {
        this.duplicates.forget(entry);
        this.finish(ctx, { kind: "shed", reason });
      },
    });
  }

  /** Stages 4 and 5, handle and reply, for an admitted request. Never rejects. */
  private run(ctx: Ctx, packet: RadiusPacket, client: Client, entry: PendingEntry, deadline: number, send: SendReply): CompletionReport | Promise<CompletionReport> {
    if (packet.code === Code.StatusServer) {
      // RFC 5997 §4 lets a server that cannot serve requests leave Status-Server unanswered: a
      // NAS that probes with it then fails over, instead of being told that a server which drops
      // every Access-Request is alive. radius.statusServer.answerWhenStoreDown restores the answer.
      if (!this.answerStatusWhenStoreDown && !this.storeReady()) {
        this.unanswered(ctx, entry, { kind: "dropped", reason: "store_unavailable" });
        return NO_SAMPLE;
      }
      if (ctx.ev.listener === "acct") {
        // RFC 5997 §3: on the accounting port, Status-Server is answered with Accounting-Response.
        this.completeAccounting(ctx, packet, client, entry, deadline, send, { result: "status" });
        return NO_SAMPLE;
      }
      this.complete(ctx, packet, client, entry, deadline, send, handleStatusServer());
      return NO_SAMPLE;
    }
    if (packet.code === Code.AccountingRequest) return this.runAccounting(ctx, packet, client, entry, deadline, send);
    return ctx.version.accessRequest.invoke({ packet, client, deadline }, deadline).then(
      (d) => {
        this.complete(ctx, packet, client, entry, deadline, send, d);
        return SAMPLE;
      },
      (err: unknown) => {
        this.duplicates.forget(entry);
        this.finish(ctx, { kind: "dropped", reason: failureReason(err) }, isExpected(err) ? undefined : err);
        // A store that is down answers fast: that says nothing about its load.
        return err instanceof StoreError && err.code === "STORE_TIMEOUT" ? SAMPLE : NO_SAMPLE;
      },
    );
  }

  private runAccounting(ctx: Ctx, packet: RadiusPacket, client: Client, entry: PendingEntry, deadline: number, send: SendReply): CompletionReport | Promise<CompletionReport> {
    if (!this.accounting) {
      this.duplicates.forget(entry);
      this.finish(ctx, { kind: "dropped", reason: "accounting_disabled" });
      return NO_SAMPLE;
    }
    return this.accounting.invoke({ packet, client, from: ctx.ev.remote.address, deadline }, deadline).then(
      (d) => {
        this.completeAccounting(ctx, packet, client, entry, deadline, send, d);
        return SAMPLE;
      },
      (err: unknown) => {
        // Not recorded (or not known to be): no Accounting-Response (RFC 2866 §4.1). The NAS
        // retransmits; if the write did land, the retransmission is recognised as a duplicate.
        this.duplicates.forget(entry);
        const kind = err instanceof StoreError && err.code === "STORE_OVERLOADED" ? "shed" : "dropped";
        this.finish(ctx, { kind, reason: failureReason(err) }, isExpected(err) ? undefined : err);
        return err instanceof StoreError && err.code === "STORE_TIMEOUT" ? SAMPLE : NO_SAMPLE;
      },
    );
  }

  private completeAccounting(
    ctx: Ctx,
    packet: RadiusPacket,
    client: Client,
    entry: PendingEntry,
    deadline: number,
    send: SendReply,
    d: AccountingDecision | { result: "status" },
  ): void {
    if (d.result !== "status") ctx.user = d.user;
    if (d.result === "drop") return this.unanswered(ctx, entry, { kind: "dropped", reason: d.reason });
    // A record written too late is not acknowledged: the NAS has retransmitted or will, and the
    // retransmission is answered as a duplicate.
    const sent = this.sendReply(ctx, entry, deadline, send, () =>
      d.result === "status"
        ? encodeAccountingResponse(packet, client.secret, true, "request")
        : encodeAccountingResponse(packet, client.secret, findAttribute(packet, Attr.MessageAuthenticator) !== undefined),
    );
    if (sent) this.finish(ctx, { kind: "answered", reason: d.result === "status" ? "status" : d.duplicate ? "acct_duplicate" : `acct_${d.kind}` });
  }

  /** Ends a request without a reply: a retransmission may then be served afresh. */
  private unanswered(ctx: Ctx, entry: PendingEntry, outcome: Outcome): void {
    this.duplicates.forget(entry);
    this.finish(ctx, outcome);
  }

  /**
   * The common end of an answered request: a result ready after its deadline is not sent (the
   * NAS has moved on or will retransmit); otherwise the reply is encoded, kept for duplicates and
   * sent. Returns false when it ended the request itself (late, or the reply could not be
   * encoded); the caller counts the answer otherwise.
   */
  private sendReply(ctx: Ctx, entry: PendingEntry, deadline: number, send: SendReply, encode: () => Buffer): boolean {
    if (this.o.now() > deadline) {
      this.unanswered(ctx, entry, { kind: "shed", reason: "late_reply" });
      return false;
    }
    let reply: Buffer;
    try {
      reply = encode();
    } catch (err) {
      this.duplicates.forget(entry);
      this.finish(ctx, { kind: "dropped", reason: err instanceof RadiusError ? `reply_encode:${err.code}` : "internal_error" }, err);
      return false;
    }
    this.duplicates.answered(entry, reply, this.o.now());
    send(reply, ctx.ev.remote);
    return true;
  }

  private complete(ctx: Ctx, packet: RadiusPacket, client: Client, entry: PendingEntry, deadline: number, send: SendReply, d: Decision): void {
    ctx.user = d.user;
    if (d.result === "drop") return this.unanswered(ctx, entry, { kind: "dropped", reason: d.reason });
    if (!this.sendReply(ctx, entry, deadline, send, () => this.encode(packet, client, d, ctx.version))) return;
    if (d.result === "reject") this.o.metrics.inc("aaa_access_rejects_total", { reason: d.reason });
    const result = packet.code === Code.StatusServer ? "status" : d.result;
    this.finish(ctx, { kind: "answered", reason: result }, undefined, d.result === "reject" ? d.reason : undefined);
    if (packet.code !== Code.StatusServer && d.result !== "challenge") this.authLine(ctx, d.result, d.result === "reject" ? d.reason : undefined);
  }

  /** `client` is the one the request was verified with: its secret signs the reply. */
  private encode(packet: Parameters<typeof encodeReply>[0], client: Client, d: Exclude<Decision, { result: "drop" }>, version: Version): Buffer {
    if (d.result === "accept") return encodeReply(packet, client.secret, Code.AccessAccept, d.attributes);
    // RFC 3579 §2.1: an EAP round that is not the last is answered with Access-Challenge.
    if (d.result === "challenge") return encodeReply(packet, client.secret, Code.AccessChallenge, d.attributes);
    return encodeReply(packet, client.secret, Code.AccessReject, d.attributes ? [...d.attributes, ...version.rejectAttrs] : version.rejectAttrs);
  }

  private finish(ctx: Ctx, outcome: Outcome, err?: unknown, rejectReason?: string): void {
    this.outcomeSeries(ctx, outcome).value++;
    if (outcome.kind === "answered" && ctx.cls !== "none" && ctx.ev.listener !== "http") {
      this.latency(ctx.cls).observe((this.o.now() - ctx.ev.arrivedAt) / 1000);
    }
    if (err !== undefined) {
      this.o.log.error({ err: { message: (err as Error)?.message, code: (err as { code?: unknown })?.code }, client: ctx.client?.name, reason: outcome.reason }, "request failed");
    }
    if (this.debug) {
      this.o.log.debug(
        {
          outcome: outcome.kind,
          reason: outcome.reason,
          rejectReason,
          client: ctx.client?.name,
          from: `${ctx.ev.remote.address}:${ctx.ev.remote.port}`,
          code: ctx.code ? codeName(ctx.code) : undefined,
          user: ctx.user,
          callingStationId: ctx.packet ? callingStationId(ctx.packet) : undefined,
          ms: Math.round((this.o.now() - ctx.ev.arrivedAt) * 1000) / 1000,
        },
        "request",
      );
    }
  }

  /** The counter of an outcome, resolved once per distinct outcome rather than per datagram. */
  private outcomeSeries(ctx: Ctx, outcome: Outcome): CounterSeries {
    const client = ctx.client?.name ?? "unknown";
    const key = `${ctx.ev.listener}|${outcome.kind}|${outcome.reason}|${ctx.cls}|${client}`;
    let s = this.outcomeCounters.get(key);
    if (!s) {
      s = this.o.metrics.counter("aaa_datagrams_total", { listener: ctx.ev.listener, outcome: outcome.kind, reason: outcome.reason, class: ctx.cls, client });
      this.outcomeCounters.set(key, s);
    }
    return s;
  }

  private latency(cls: RequestClass): Histogram {
    let h = this.latencyByClass.get(cls);
    if (!h) {
      h = this.o.metrics.histogram("aaa_response_seconds", { class: cls });
      this.latencyByClass.set(cls, h);
    }
    return h;
  }

  /**
   * The `info` line of an answered Access-Request (FreeRADIUS's `auth = yes`): result, user, NAS,
   * source, Calling-Station-Id, reject reason and time taken. Never a password or an attribute
   * that holds one. Through the log.authLines budget: what it holds back is counted and summed up
   * by flushLogSummary().
   */
  private authLine(ctx: Ctx, result: "accept" | "reject", reason: string | undefined): void {
    if (!this.info) return;
    if (!this.authLines.take(result === "accept" ? "accept" : `reject:${reason}`, this.o.now())) {
      this.suppressedLines.auth.value++;
      return;
    }
    this.o.log.info(
      {
        user: ctx.user,
        client: ctx.client?.name,
        from: `${ctx.ev.remote.address}:${ctx.ev.remote.port}`,
        callingStationId: ctx.packet ? callingStationId(ctx.packet) : undefined,
        reason,
        ms: Math.round((this.o.now() - ctx.ev.arrivedAt) * 1000) / 1000,
      },
      result === "accept" ? "Access-Accept" : "Access-Reject",
    );
  }

  /**
   * One line with what the log.authLines budget held back since the last call (by result and
   * reject reason), if anything. The server calls it once a second.
   */
  flushLogSummary(): void {
    const d = this.authLines.drain();
    if (d) {
      this.o.log.warn({ suppressed: d.total, byResult: d.byKind, perSecond: this.authLines.rate }, "Access-Accept/Reject lines suppressed by log.authLines.perSecond");
    }
  }

  private logUnknownClient(ev: DatagramEvent): void {
    const now = this.o.now();
    const suppressed = this.unknownClientLog.allow(ev.remote.address, now);
    if (suppressed < 0) {
      this.suppressedLines.unknownClient.value++;
      return;
    }
    // Spoofed or ever-changing sources pass the per-source limit: a global cap bounds the lines.
    const heldGlobally = this.unknownClientCap.allow(now);
    if (heldGlobally < 0) {
      this.suppressedLines.unknownClient.value++;
      return;
    }
    this.o.log.warn(
      { from: ev.remote.address, suppressedSinceLast: suppressed, suppressedAllSources: heldGlobally },
      "datagram from unknown client dropped",
    );
  }

  /** A verified client whose authenticators do not check: almost always a wrong shared secret. */
  private logBadSecret(ev: DatagramEvent, client: Client, reason: string): void {
    const suppressed = this.badSecretLog.allow(client.name, this.o.now());
    if (suppressed < 0) {
      this.suppressedLines.badSecret.value++;
      return;
    }
    this.o.log.warn(
      { client: client.name, from: `${ev.remote.address}:${ev.remote.port}`, listener: ev.listener, reason, suppressedSinceLast: suppressed },
      "request dropped: authenticator does not verify; check the shared secret configured for this client",
    );
  }
}

/** Calling-Station-Id as text, when present (log lines). */
function callingStationId(packet: RadiusPacket): string | undefined {
  const a = findAttribute(packet, Attr.CallingStationId);
  return a === undefined ? undefined : a.value.toString("utf8");
}

/** Acct-Status-Type, when present and well formed (for the scheduler's class). */
function acctStatusType(packet: RadiusPacket): number | undefined {
  const a = findAttribute(packet, Attr.AcctStatusType);
  return a !== undefined && a.value.length === 4 ? a.value.readUInt32BE(0) : undefined;
}

function rejectAttributes(message: string | undefined): AttributeInput[] {
  return message ? [{ type: Attr.ReplyMessage, value: Buffer.from(message, "utf8") }] : [];
}

function failureReason(err: unknown): string {
  if (err instanceof StoreError) return `store:${err.code}`;
  if (err instanceof WorkerPoolError) return `worker:${err.code}`;
  if (err instanceof RadiusError) return `radius:${err.code}`;
  return "internal_error";
}

function isExpected(err: unknown): boolean {
  return err instanceof StoreError || err instanceof WorkerPoolError;
}
