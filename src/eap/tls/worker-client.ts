/**
 * The main thread's side of the TLS worker threads: each conversation's TLS session lives on one
 * thread (TLS state cannot move), chosen when the conversation starts; every EAP round is one
 * request to that thread and one reply with the records to send, the plaintext received and,
 * when the handshake finishes, its facts and key material.
 *
 * A thread that dies fails the sessions it held (EAPTLS_ERR_WORKER_FAILED, counted as
 * eap_tls_worker_failed at their next round) and is started again; new conversations go on.
 */
import type { Worker } from "node:worker_threads";
import { startThread } from "../../core/worker-thread.js";
import { EapTlsError } from "./errors.js";
import type { TlsEndpoint } from "./endpoint.js";
import { KEY_MATERIAL_LENGTH, LABEL, keyMaterialParams, splitKeyMaterial, type EapKeys, type TlsMethod, type TlsProtocol } from "./keys.js";
import type { PeerCertificateInfo } from "./peer-cert.js";
import { ownedCopy, type FromWorker, type OpReply, type ToWorker, type WorkerCredentials } from "./worker-protocol.js";

/** A thread that dies sooner than this after its start is started again only after this long. */
const RESTART_BACKOFF_MS = 1000;
/**
 * Backlogged: this many requests per thread wait for a reply, or some wait and recent ones took
 * longer than BUSY_LATENCY_MS from send to reply. New conversations are then not started (the
 * NAS sends their request again), so that the rounds of those in progress, which have 1 s
 * each, do not queue behind new handshakes: the scheduler sees the event loop, not the threads.
 * Inline, the scheduler sheds the new conversations instead, for the same reason.
 */
const BUSY_OUTSTANDING_PER_THREAD = 8;
const BUSY_LATENCY_MS = 250;

interface Slot {
  index: number;
  worker: Worker | null;
  /** +1 per thread started in this slot: a session opened under an older one has lost its state. */
  epoch: number;
  startedAt: number;
  sessions: Map<number, RemoteTlsSession>;
}

export interface TlsWorkerPoolOptions {
  /** Threads (1..16); a conversation stays on the thread it started on. */
  threads: number;
  creds: WorkerCredentials;
  /** A thread died (logged by the caller). */
  onThreadExit?: (info: { thread: number; code: number; sessionsFailed: number }) => void;
}

export class TlsWorkerPool {
  private readonly slots: Slot[] = [];
  /** Certificate generations still needed: the current one, and older ones with conversations. */
  private readonly gens = new Map<number, { creds: WorkerCredentials; refs: number }>();
  private gen = 1;
  private nextId = 1;
  private nextAsk = 1;
  private readonly asks = new Map<number, { slot: Slot; done: (n: number) => void }>();
  private closed = false;
  /** Threads started again after they died; sessions that failed with them. */
  readonly stats = { restarts: 0, sessionsFailed: 0 };
  /** Requests sent and not answered yet; smoothed send-to-reply time of the last ones (ms). */
  private outstanding = 0;
  private latencyMs = 0;

  constructor(private readonly o: TlsWorkerPoolOptions) {
    if (!Number.isInteger(o.threads) || o.threads < 1 || o.threads > 16) throw new RangeError("TLS worker threads must be 1..16");
    this.gens.set(this.gen, { creds: o.creds, refs: 0 });
    for (let i = 0; i < o.threads; i++) {
      const slot: Slot = { index: i, worker: null, epoch: 0, startedAt: 0, sessions: new Map() };
      this.slots.push(slot);
      this.start(slot);
    }
  }

  private start(slot: Slot): void {
    if (this.closed) return;
    const w = startThread(import.meta.url, "worker-entry");
    w.unref();
    slot.worker = w;
    slot.epoch++;
    slot.startedAt = performance.now();
    for (const [gen, g] of this.gens) this.post(slot, { t: "ctx", gen, creds: g.creds });
    w.on("message", (m: FromWorker) => this.onMessage(slot, m));
    // 'error' (an uncaught exception in the thread) is followed by 'exit'.
    w.on("error", () => undefined);
    w.on("exit", (code) => {
      if (slot.worker !== w) return;
      slot.worker = null;
      if (this.closed) return;
      let failed = 0;
      for (const s of [...slot.sessions.values()]) if (s.threadDied(slot.epoch)) failed++;
      this.stats.sessionsFailed += failed;
      for (const [ask, a] of this.asks) if (a.slot === slot) (this.asks.delete(ask), a.done(0));
      this.stats.restarts++;
      this.o.onThreadExit?.({ thread: slot.index, code, sessionsFailed: failed });
      const early = performance.now() - slot.startedAt < RESTART_BACKOFF_MS;
      if (!early) this.start(slot);
      else setTimeout(() => this.start(slot), RESTART_BACKOFF_MS).unref();
    });
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    if (m.t === "op") slot.sessions.get(m.id)?.onReply(m);
    else if (m.t === "count") {
      const a = this.asks.get(m.ask);
      this.asks.delete(m.ask);
      a?.done(m.sessions);
    }
  }

  /** @internal Posts to the slot's thread; false if it has none (dead, restarting, closed). */
  post(slot: Slot, m: ToWorker, transfer: ArrayBuffer[] = []): boolean {
    if (!slot.worker) return false;
    slot.worker.postMessage(m, transfer);
    return true;
  }

  /** @internal */
  epochOf(slot: Slot): number {
    return slot.worker ? slot.epoch : -1;
  }

  /** @internal */
  forget(slot: Slot, id: number): void {
    slot.sessions.delete(id);
  }

  /** New conversations use these credentials from now on; those in progress keep theirs. */
  setCredentials(creds: WorkerCredentials): void {
    const old = this.gen;
    this.gen++;
    this.gens.set(this.gen, { creds, refs: 0 });
    for (const slot of this.slots) this.post(slot, { t: "ctx", gen: this.gen, creds });
    if (this.gens.get(old)?.refs === 0) this.forgetGen(old);
  }

  private forgetGen(gen: number): void {
    this.gens.delete(gen);
    for (const slot of this.slots) this.post(slot, { t: "forget", gen });
  }

  /** @internal A session of generation `gen` has ended. */
  release(gen: number): void {
    const g = this.gens.get(gen);
    if (!g) return;
    g.refs--;
    if (g.refs <= 0 && gen !== this.gen) this.forgetGen(gen);
  }

  /** A session for a new conversation, on the thread holding the fewest. */
  session(method: TlsMethod): TlsEndpoint {
    if (this.closed) throw new EapTlsError("EAPTLS_ERR_STATE", "TLS worker threads are closed");
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.sessions.size < slot.sessions.size) slot = s;
    const id = this.nextId++;
    const session = new RemoteTlsSession(this, slot, id, method, this.gen);
    this.gens.get(this.gen)!.refs++;
    slot.sessions.set(id, session);
    return session;
  }

  /** @internal A request went to a thread. */
  sent(): void {
    this.outstanding++;
  }

  /** @internal Its reply came back after `ms` (or the thread died: ms undefined). */
  answered(ms: number | undefined): void {
    this.outstanding = Math.max(0, this.outstanding - 1);
    if (ms !== undefined) this.latencyMs += 0.2 * (ms - this.latencyMs);
  }

  /** True while the threads are backlogged (see BUSY_LATENCY_MS): no new conversation should start. */
  get backlogged(): boolean {
    return this.outstanding >= BUSY_OUTSTANDING_PER_THREAD * this.slots.length || (this.outstanding > 0 && this.latencyMs > BUSY_LATENCY_MS);
  }

  /** Threads running now (one may be waiting for its restart). */
  get alive(): number {
    return this.slots.filter((s) => s.worker !== null).length;
  }

  /** Sessions the main thread holds open on the threads. */
  get openSessions(): number {
    return this.slots.reduce((n, s) => n + s.sessions.size, 0);
  }

  /** Sessions the threads themselves hold (asked of each; a dead thread counts 0). */
  async threadSessions(): Promise<number> {
    const counts = await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<number>((resolve) => {
            const ask = this.nextAsk++;
            this.asks.set(ask, { slot, done: resolve });
            if (!this.post(slot, { t: "count", ask })) {
              this.asks.delete(ask);
              resolve(0);
            }
          }),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Ends thread `i` as a crash would (tests of the restart path). */
  async terminateThread(i: number): Promise<void> {
    await this.slots[i]?.worker?.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots) for (const s of [...slot.sessions.values()]) s.close();
    for (const a of this.asks.values()) a.done(0);
    this.asks.clear();
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }
}

/** One conversation's TLS session, held by a worker thread. */
class RemoteTlsSession implements TlsEndpoint {
  private opened = false;
  private epoch = -1;
  private pending: { resolve: () => void; reject: (e: EapTlsError) => void; sentAt: number } | null = null;
  private out: Buffer[] = [];
  private inner: Buffer[] = [];
  private failure: EapTlsError | null = null;
  private closed = false;
  private released = false;
  private done: { protocol: TlsProtocol; peer: PeerCertificateInfo | null; keyMaterial: Buffer; ttlsChallenge: Buffer | undefined } | null = null;

  constructor(
    private readonly pool: TlsWorkerPool,
    private readonly slot: Slot,
    private readonly id: number,
    readonly method: TlsMethod,
    private readonly gen: number,
  ) {}

  feed(records: Buffer): Promise<void> {
    return this.request("feed", records);
  }

  writeInner(data: Buffer): Promise<void> {
    if (!this.failure && !this.closed && !this.done) return Promise.reject(new EapTlsError("EAPTLS_ERR_STATE", "handshake not finished"));
    return this.request("write", data);
  }

  private request(op: "feed" | "write", data: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new EapTlsError("EAPTLS_ERR_STATE", "TLS session is closed"));
    if (this.pending) return Promise.reject(new EapTlsError("EAPTLS_ERR_STATE", "a TLS request is already in progress"));
    const epoch = this.pool.epochOf(this.slot);
    // Opened on a thread that has died since, or no thread right now.
    if (epoch < 0 || (this.opened && epoch !== this.epoch)) return Promise.reject(this.fail(workerFailed()));
    const buf = ownedCopy(data);
    const m: ToWorker = { t: "op", id: this.id, op, data: buf, ...(this.opened ? {} : { open: { method: this.method, gen: this.gen } }) };
    this.opened = true;
    this.epoch = epoch;
    return new Promise<void>((resolve, reject) => {
      this.pending = { resolve, reject, sentAt: performance.now() };
      this.pool.sent();
      this.pool.post(this.slot, m, [buf]);
    });
  }

  /** @internal The thread's answer to the request in progress. */
  onReply(r: OpReply): void {
    const p = this.pending;
    this.pending = null;
    if (p) this.pool.answered(performance.now() - p.sentAt);
    if (r.out) this.out.push(Buffer.from(r.out));
    if (r.inner) this.inner.push(Buffer.from(r.inner));
    if (r.done) {
      this.done = { protocol: r.done.protocol, peer: r.done.peer, keyMaterial: Buffer.from(r.done.keyMaterial), ttlsChallenge: r.done.ttlsChallenge ? Buffer.from(r.done.ttlsChallenge) : undefined };
    }
    if (r.error) {
      // The thread has freed the session.
      this.fail(new EapTlsError(r.error.code, r.error.message, r.error.detail));
      p?.reject(this.failure!);
      return;
    }
    p?.resolve();
  }

  /** @internal The thread this session was opened on died: true if the session lost its state. */
  threadDied(deadEpoch: number): boolean {
    if (!this.opened || this.epoch !== deadEpoch) return false;
    const e = this.fail(workerFailed());
    const p = this.pending;
    this.pending = null;
    if (p) this.pool.answered(undefined);
    p?.reject(e);
    return true;
  }

  private fail(e: EapTlsError): EapTlsError {
    if (!this.failure) this.failure = e;
    this.closed = true;
    this.releaseOnce();
    return this.failure;
  }

  private releaseOnce(): void {
    this.pool.forget(this.slot, this.id);
    if (this.released) return;
    this.released = true;
    this.pool.release(this.gen);
  }

  takeOutput(): Buffer {
    const b = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    return b ?? Buffer.alloc(0);
  }

  takeInner(): Buffer {
    const b = this.inner.length === 1 ? this.inner[0]! : Buffer.concat(this.inner);
    this.inner = [];
    return b ?? Buffer.alloc(0);
  }

  get handshakeDone(): boolean {
    return this.done !== null && !this.failure;
  }

  get peerCertificate(): PeerCertificateInfo | null {
    return this.done?.peer ?? null;
  }

  /** Only what the thread exported when the handshake finished: the method's keys, TTLS's challenge. */
  exportKeyingMaterial(label: string, length: number, context?: Buffer): Buffer {
    const d = this.done;
    if (!d || this.failure) throw new EapTlsError("EAPTLS_ERR_STATE", "no keying material before a successful handshake");
    if (label === LABEL.ttlsChallenge && length === 17 && context === undefined && d.ttlsChallenge) return Buffer.from(d.ttlsChallenge);
    const p = keyMaterialParams(this.method, d.protocol);
    const sameContext = p.context === undefined ? context === undefined : context !== undefined && p.context.equals(context);
    if (label === p.label && length === KEY_MATERIAL_LENGTH && sameContext) return Buffer.from(d.keyMaterial);
    throw new EapTlsError("EAPTLS_ERR_UNSUPPORTED", "the TLS thread exported no such keying material");
  }

  eapKeys(): EapKeys {
    if (!this.done || this.failure) throw new EapTlsError("EAPTLS_ERR_STATE", "no keying material before a successful handshake");
    return splitKeyMaterial(this.done.keyMaterial);
  }

  close(): void {
    if (this.closed && !this.opened) {
      this.releaseOnce();
      return;
    }
    const wasClosed = this.closed;
    this.closed = true;
    const p = this.pending;
    this.pending = null;
    if (p) this.pool.answered(undefined);
    p?.reject(new EapTlsError("EAPTLS_ERR_STATE", "TLS session is closed"));
    this.releaseOnce();
    // The thread frees its session (after a request in progress). One never opened holds nothing there.
    if (this.opened && !wasClosed && this.pool.epochOf(this.slot) === this.epoch) this.pool.post(this.slot, { t: "close", id: this.id });
    this.opened = false;
  }
}

function workerFailed(): EapTlsError {
  return new EapTlsError("EAPTLS_ERR_WORKER_FAILED", "the TLS worker thread holding this conversation's session died");
}
