// The request path, end to end, without sockets:
//   receive (transport) -> verify -> duplicates -> admit -> handle -> reply
// Each datagram handed to `handle` ends in exactly one counted outcome. A Request (request.ts)
// carries what the stages learn about it; metrics and log lines are in outcome-counters.ts and
// request-log.ts.
import { Attr, Code } from "../radius/codes.js";
import { RadiusError } from "../radius/errors.js";
import { findAttribute } from "../radius/packet.js";
import type { Dictionary } from "../radius/dictionary.js";
import type { SubscriberStore } from "../store/store.js";
import { StoreError } from "../store/errors.js";
import type { ClientTable, Client } from "../verify/clients.js";
import { DuplicateCache } from "../verify/duplicates/cache.js";
import { verifyDatagram } from "../verify/verify.js";
import { classify, type CompletionReport, type Scheduler } from "../admit/scheduler.js";
import { createAccessRequestHandler, createJsonAuthHandler, type JsonAuthInput, type JsonDecision } from "../handle/access-request.js";
import { handleStatusServer } from "../handle/status-server.js";
import { createAccountingHandler, type AccountingDecision, type AccountingInput } from "../handle/accounting.js";
import type { SessionStore } from "../store/sessions.js";
import type { EapServer } from "../eap/handler.js";
import type { Decision } from "../handle/decision.js";
import type { VerifyHashInput } from "../handle/password-hash.js";
import { encodeAccountingResponse, encodeReply } from "../reply/reply.js";
import type { Handler } from "../core/handler.js";
import type { DatagramEvent, Outcome, SendReply } from "../core/event.js";
import type { DropReason, RejectReason, ShedOutcomeReason } from "../core/outcomes.js";
import type { Metrics } from "../metrics/counters.js";
import type { Logger } from "../log.js";
import { HandlerRegistry } from "./handlers.js";
import type { WorkerPool } from "./worker-pool.js";
import { OutcomeCounters } from "./outcome-counters.js";
import { RequestLog } from "./request-log.js";
import {
  NO_SAMPLE,
  SAMPLE,
  acctStatusType,
  failureReason,
  isExpected,
  rejectAttributes,
  sampleOfFailure,
  type AccessRequestHandler,
  type Admitted,
  type Request,
  type Version,
} from "./request.js";

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


/** Verification failures that mean the NAS signs with another shared secret than ours. */
const BAD_SECRET_REASONS = new Set<DropReason>(["bad_message_authenticator", "bad_request_authenticator"]);

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
  | { kind: "answered"; result: "reject"; reason: RejectReason }
  | { kind: "shed"; reason: ShedOutcomeReason }
  | { kind: "dropped"; reason: DropReason };

export class RadiusCore {
  readonly handlers: HandlerRegistry;
  readonly duplicates: DuplicateCache;
  private current: Version;
  private readonly verifyHash: Handler<VerifyHashInput, "match" | "mismatch" | "bad-hash">;
  private readonly jsonAuth: Handler<JsonAuthInput, JsonDecision>;
  private readonly accounting: Handler<AccountingInput, AccountingDecision> | null;
  private readonly counters: OutcomeCounters;
  private readonly log: RequestLog;
  private readonly storeReady: () => boolean;
  private answerStatusWhenStoreDown: boolean;
  private readonly pseudoClients = new Map<string, Client>();

  constructor(private readonly o: CoreOptions) {
    this.counters = new OutcomeCounters(o.metrics);
    this.log = new RequestLog(o.log, o.metrics, o.now, o.authLinesPerSecond ?? 100);
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
    const wallClock = o.wallClock ?? Date.now;
    const deps = { store: o.store, dictionary: o.dictionary, verifyHash: this.verifyHash, now: o.now, wallClock, sessions: o.sessions ?? null };
    const accessRequest = this.handlers.register({ name: "access-request", placement: "inline", run: this.accessRequestRun(o.dictionary) });
    this.current = { id: 1, clients: o.clients, accessRequest, rejectAttrs: rejectAttributes(o.rejectReplyMessage) };
    // POST /v1/auth: the same subscriber check as an Access-Request, registered on its own.
    this.jsonAuth = this.handlers.register({ name: "json-auth", placement: "inline", run: createJsonAuthHandler(deps) });
    this.accounting = o.sessions
      ? this.handlers.register({ name: "accounting", placement: "inline", run: createAccountingHandler({ sessions: o.sessions, now: o.now, wallClock }) })
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
    const accessRequest: AccessRequestHandler = settings.dictionary
      ? this.handlers.replace({ name: "access-request", placement: "inline", run: this.accessRequestRun(settings.dictionary) })
      : this.current.accessRequest;
    this.current = { id: this.current.id + 1, clients: settings.clients, accessRequest, rejectAttrs: rejectAttributes(settings.rejectReplyMessage) };
    this.log.levelsChanged();
    if (settings.authLinesPerSecond !== undefined) this.log.setAuthLinesPerSecond(settings.authLinesPerSecond);
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
   * check classed as a new Access-Request from the pseudo-client `auth.client`, through the same
   * scheduler (admission, deadline, fairness, shedding), handler, store and outcome counter
   * (listener "http"). No duplicate detection (there is no Identifier). Never rejects.
   */
  authenticate(auth: JsonAuthRequest): Promise<JsonAuthOutcome> {
    const req: Request = { listener: "http", remote: auth.remote, arrivedAt: auth.arrivedAt, version: this.current, client: this.pseudoClient(auth.client), code: Code.AccessRequest, cls: "access", user: auth.username };
    return new Promise<JsonAuthOutcome>((resolve) => {
      const unanswered = (outcome: Extract<JsonAuthOutcome, { kind: "shed" | "dropped" }>, err?: unknown): void => {
        this.finish(req, outcome, err);
        resolve(outcome);
      };
      this.o.scheduler.submit({
        class: "access",
        client: auth.client,
        arrivedAt: auth.arrivedAt,
        start: (run) =>
          this.jsonAuth.invoke({ username: auth.username, password: auth.password, deadline: run.deadline }, run.deadline).then(
            (d) => {
              if (d.result === "drop") unanswered({ kind: "dropped", reason: d.reason });
              else if (this.o.now() > run.deadline) unanswered({ kind: "shed", reason: "late_reply" });
              else {
                const rejectReason = d.result === "reject" ? d.reason : undefined;
                if (rejectReason !== undefined) this.counters.rejected(rejectReason);
                this.finish(req, { kind: "answered", reason: d.result }, undefined, rejectReason);
                this.log.authLine(req, d.result, rejectReason);
                this.counters.http().observe((this.o.now() - auth.arrivedAt) / 1000);
                resolve(d.result === "accept" ? { kind: "answered", result: "accept", reply: d.reply } : { kind: "answered", result: "reject", reason: d.reason });
              }
              return SAMPLE;
            },
            (err: unknown) => {
              unanswered({ kind: "dropped", reason: failureReason(err) }, isExpected(err) ? undefined : err);
              return sampleOfFailure(err);
            },
          ),
        shed: (reason) => unanswered({ kind: "shed", reason }),
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
    const version = this.current;
    this.counters.stale(listener, address, version.id, () => version.clients.lookup(address)).value++;
  }

  /** Entry point for every datagram. Never throws; every path ends in `finish`. */
  handle(ev: DatagramEvent, send: SendReply): void {
    const req: Request = { listener: ev.listener, remote: ev.remote, arrivedAt: ev.arrivedAt, version: this.current, client: null, code: 0, cls: "none" };
    // A datagram that waited in the kernel queue until too little of its budget is left to be
    // served in time (by its packet code) is shed before a verification is spent on it.
    if (this.o.scheduler.enabled && ev.data.length > 0 && this.o.scheduler.tooLateToStart(ev.data[0]!, ev.arrivedAt)) {
      // Counted under the client its source address belongs to (not verified: a label only), so
      // that what went stale in the kernel queues shows per NAS.
      req.client = req.version.clients.lookup(ev.remote.address);
      this.finish(req, { kind: "shed", reason: "stale" });
      return;
    }
    let v;
    try {
      v = verifyDatagram(ev, req.version.clients);
    } catch (err) {
      this.finish(req, { kind: "dropped", reason: "internal_error" }, err);
      return;
    }
    if (!v.ok) {
      req.client = v.client;
      if (v.reason === "unknown_client") this.log.unknownClient(ev.remote);
      else if (v.client && BAD_SECRET_REASONS.has(v.reason)) this.log.badSecret(ev, v.client, v.reason);
      this.finish(req, { kind: "dropped", reason: v.reason });
      return;
    }
    const { client, packet } = v;
    req.client = client;
    req.code = packet.code;
    req.packet = packet;

    // RFC 5080 §2.2.2: same source, Identifier and Request Authenticator = the same request.
    const dup = this.duplicates.check(DuplicateCache.key(ev.remote.address, ev.remote.port, packet.identifier, packet.authenticator), this.o.now());
    if (dup.kind === "in-progress") return this.finish(req, { kind: "duplicate", reason: "in_progress" });
    if (dup.kind === "answered") {
      send(dup.reply, ev.remote);
      return this.finish(req, { kind: "duplicate", reason: "replayed" });
    }

    // Stage 3, admit: the scheduler starts it now, queues it, or sheds it (silently, RFC 5080 §2.6.1).
    const cls = classify(packet.code, findAttribute(packet, Attr.State) !== undefined, packet.code === Code.AccountingRequest ? acctStatusType(packet) : undefined);
    // A literal, not a spread of `req`: a spread here slows the whole request path (bench-pipeline).
    const admitted: Admitted = { listener: req.listener, remote: req.remote, arrivedAt: req.arrivedAt, version: req.version, client, code: packet.code, cls, user: undefined, packet, entry: dup.entry, send, deadline: 0 };
    this.o.scheduler.submit({
      class: cls,
      client: client.name,
      arrivedAt: ev.arrivedAt,
      start: (run) => {
        admitted.deadline = run.deadline;
        return this.run(admitted);
      },
      shed: (reason) => this.unanswered(admitted, { kind: "shed", reason }),
    });
  }

  /** Stages 4 and 5, handle and reply, for an admitted request. Never rejects. */
  private run(req: Admitted): CompletionReport | Promise<CompletionReport> {
    if (req.code === Code.StatusServer) {
      // RFC 5997 §4 lets a server that cannot serve requests leave Status-Server unanswered: a
      // NAS that probes with it then fails over, instead of being told that a server which drops
      // every Access-Request is alive. radius.statusServer.answerWhenStoreDown restores the answer.
      if (!this.answerStatusWhenStoreDown && !this.storeReady()) this.unanswered(req, { kind: "dropped", reason: "store_unavailable" });
      // RFC 5997 §3: on the accounting port, Status-Server is answered with Accounting-Response.
      else if (req.listener === "acct") this.completeAccounting(req, { result: "status" });
      else this.complete(req, handleStatusServer());
      return NO_SAMPLE;
    }
    if (req.code === Code.AccountingRequest) return this.runAccounting(req);
    return req.version.accessRequest.invoke({ packet: req.packet, client: req.client, deadline: req.deadline }, req.deadline).then(
      (d) => {
        this.complete(req, d);
        return SAMPLE;
      },
      (err: unknown) => this.failed(req, err, "dropped"),
    );
  }

  private runAccounting(req: Admitted): CompletionReport | Promise<CompletionReport> {
    if (!this.accounting) {
      this.unanswered(req, { kind: "dropped", reason: "accounting_disabled" });
      return NO_SAMPLE;
    }
    return this.accounting.invoke({ packet: req.packet, client: req.client, from: req.remote.address, deadline: req.deadline }, req.deadline).then(
      (d) => {
        this.completeAccounting(req, d);
        return SAMPLE;
      },
      // Not recorded (or not known to be): no Accounting-Response (RFC 2866 §4.1). The NAS
      // retransmits; if the write did land, the retransmission is recognised as a duplicate.
      (err: unknown) => this.failed(req, err, err instanceof StoreError && err.code === "STORE_OVERLOADED" ? "shed" : "dropped"),
    );
  }

  /** A handler threw: no reply, counted under the failure's reason. */
  private failed(req: Admitted, err: unknown, kind: "dropped" | "shed"): CompletionReport {
    this.unanswered(req, { kind, reason: failureReason(err) }, isExpected(err) ? undefined : err);
    return sampleOfFailure(err);
  }

  private completeAccounting(req: Admitted, d: AccountingDecision | { result: "status" }): void {
    if (d.result !== "status") req.user = d.user;
    if (d.result === "drop") return this.unanswered(req, { kind: "dropped", reason: d.reason });
    // A record written too late is not acknowledged: the NAS has retransmitted or will, and the
    // retransmission is answered as a duplicate.
    const sent = this.sendReply(req, () =>
      d.result === "status"
        ? encodeAccountingResponse(req.packet, req.client.secret, true, "request")
        : encodeAccountingResponse(req.packet, req.client.secret, findAttribute(req.packet, Attr.MessageAuthenticator) !== undefined),
    );
    if (sent) this.finish(req, { kind: "answered", reason: d.result === "status" ? "status" : d.duplicate ? "acct_duplicate" : `acct_${d.kind}` });
  }

  /** Ends a request without a reply: a retransmission may then be served afresh. */
  private unanswered(req: Request, outcome: Outcome, err?: unknown): void {
    if (req.entry) this.duplicates.forget(req.entry);
    this.finish(req, outcome, err);
  }

  /**
   * The common end of an answered request: a result ready after its deadline is not sent (the
   * NAS has moved on or will retransmit); otherwise the reply is encoded, kept for duplicates and
   * sent. Returns false when it ended the request itself (late, or the reply could not be
   * encoded); the caller counts the answer otherwise.
   */
  private sendReply(req: Admitted, encode: () => Buffer): boolean {
    if (this.o.now() > req.deadline) {
      this.unanswered(req, { kind: "shed", reason: "late_reply" });
      return false;
    }
    let reply: Buffer;
    try {
      reply = encode();
    } catch (err) {
      this.unanswered(req, { kind: "dropped", reason: err instanceof RadiusError ? `reply_encode:${err.code}` : "internal_error" }, err);
      return false;
    }
    this.duplicates.answered(req.entry, reply, this.o.now());
    req.send(reply, req.remote);
    return true;
  }

  private complete(req: Admitted, d: Decision): void {
    req.user = d.user;
    if (d.result === "drop") return this.unanswered(req, { kind: "dropped", reason: d.reason });
    if (!this.sendReply(req, () => this.encode(req, d))) return;
    const rejectReason = d.result === "reject" ? d.reason : undefined;
    if (rejectReason !== undefined) this.counters.rejected(rejectReason);
    const status = req.code === Code.StatusServer;
    this.finish(req, { kind: "answered", reason: status ? "status" : d.result }, undefined, rejectReason);
    if (!status && d.result !== "challenge") this.log.authLine(req, d.result, rejectReason);
  }

  /** The reply is signed with the secret of the client the request was verified with. */
  private encode(req: Admitted, d: Exclude<Decision, { result: "drop" }>): Buffer {
    const secret = req.client.secret;
    if (d.result === "accept") return encodeReply(req.packet, secret, Code.AccessAccept, d.attributes);
    // RFC 3579 §2.1: an EAP round that is not the last is answered with Access-Challenge.
    if (d.result === "challenge") return encodeReply(req.packet, secret, Code.AccessChallenge, d.attributes);
    const rejectAttrs = req.version.rejectAttrs;
    return encodeReply(req.packet, secret, Code.AccessReject, d.attributes ? [...d.attributes, ...rejectAttrs] : rejectAttrs);
  }

  private finish(req: Request, outcome: Outcome, err?: unknown, rejectReason?: RejectReason): void {
    this.counters.series(req, outcome).value++;
    if (outcome.kind === "answered" && req.cls !== "none" && req.listener !== "http") {
      this.counters.latency(req.cls).observe((this.o.now() - req.arrivedAt) / 1000);
    }
    this.log.ended(req, outcome, err, rejectReason);
  }

  /**
   * One line with what the log.authLines budget held back since the last call (by result and
   * reject reason), if anything. The server calls it once a second.
   */
  flushLogSummary(): void {
    this.log.flushSummary();
  }
}
