// Runs inside a TLS worker thread: the TLS sessions of the conversations pinned to this thread
// (TlsServerSession over its in-memory duplex), one per id, fed round by round by the main thread.
import { parentPort } from "node:worker_threads";
import { createTlsContexts, type TlsContexts } from "./contexts.js";
import { EapTlsError, isEapTlsError } from "./errors.js";
import { KEY_MATERIAL_LENGTH, LABEL, keyMaterialParams } from "./keys.js";
import { TlsServerSession } from "./session.js";
import { ownedCopy, type FromWorker, type OpReply, type ToWorker } from "./worker-protocol.js";

interface Entry {
  session: TlsServerSession;
  /** Requests of one session run one after the other. */
  chain: Promise<void>;
  doneSent: boolean;
}

const port = parentPort;
// Open sessions hold their SecureContext themselves: the main thread says when a generation
// can no longer be opened ("forget").
const generations = new Map<number, TlsContexts>();
const sessions = new Map<number, Entry>();

function post(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(m, transfer);
}

function drop(id: number): void {
  const e = sessions.get(id);
  if (!e) return;
  sessions.delete(id);
  e.session.close();
}

function open(id: number, method: "tls" | "peap" | "ttls", gen: number): Entry {
  const g = generations.get(gen);
  if (!g) throw new EapTlsError("EAPTLS_ERR_STATE", "the certificate of this conversation is not held by the TLS thread");
  const session = new TlsServerSession({ method, secureContext: method === "tls" ? g.eapTls : g.tunnel, requestCert: method === "tls" });
  const e: Entry = { session, chain: Promise.resolve(), doneSent: false };
  sessions.set(id, e);
  return e;
}

async function run(e: Entry | undefined, m: Extract<ToWorker, { t: "op" }>): Promise<void> {
  const reply: OpReply = { t: "op", id: m.id, out: null, inner: null };
  const transfer: ArrayBuffer[] = [];
  try {
    if (!e) throw new EapTlsError("EAPTLS_ERR_STATE", "no such TLS session on this thread");
    const data = Buffer.from(m.data);
    if (m.op === "feed") await e.session.feed(data);
    else await e.session.writeInner(data);
    if (e.session.handshakeDone && !e.doneSent) {
      // Everything the main thread reads after the handshake, computed here once.
      e.doneSent = true;
      const proto = e.session.protocol!;
      const { label, context } = keyMaterialParams(e.session.method, proto);
      const keyMaterial = ownedCopy(e.session.exportKeyingMaterial(label, KEY_MATERIAL_LENGTH, context));
      transfer.push(keyMaterial);
      reply.done = { protocol: proto, peer: e.session.peerCertificate, keyMaterial };
      if (e.session.method === "ttls") {
        const c = ownedCopy(e.session.exportKeyingMaterial(LABEL.ttlsChallenge, 17));
        transfer.push(c);
        reply.done.ttlsChallenge = c;
      }
    }
  } catch (err) {
    const x = isEapTlsError(err) ? err : new EapTlsError("EAPTLS_ERR_STATE", "TLS session failed on its thread");
    reply.error = { code: x.code, message: x.message, ...(x.detail !== undefined ? { detail: x.detail } : {}) };
  }
  if (e) {
    // On failure too: what TLS wrote (an alert) goes back, as inline.
    const out = e.session.takeOutput();
    const inner = e.session.takeInner();
    if (out.length > 0) transfer.push((reply.out = ownedCopy(out)));
    if (inner.length > 0) transfer.push((reply.inner = ownedCopy(inner)));
    if (reply.error) drop(m.id);
  }
  post(reply, transfer);
}

port?.on("message", (m: ToWorker) => {
  if (m.t === "ctx") {
    try {
      generations.set(m.gen, createTlsContexts({ cert: Buffer.from(m.creds.cert), key: Buffer.from(m.creds.key), ca: Buffer.from(m.creds.ca), ...(m.creds.passphrase !== undefined ? { passphrase: m.creds.passphrase } : {}) }));
    } catch {
      // The main thread checked these files; a failure here makes every open of `gen` fail (named).
    }
    return;
  }
  if (m.t === "forget") {
    generations.delete(m.gen);
    return;
  }
  if (m.t === "op") {
    let e = sessions.get(m.id);
    if (!e && m.open) {
      try {
        e = open(m.id, m.open.method, m.open.gen);
      } catch (err) {
        const x = isEapTlsError(err) ? err : new EapTlsError("EAPTLS_ERR_STATE", "TLS session could not start");
        post({ t: "op", id: m.id, out: null, inner: null, error: { code: x.code, message: x.message } });
        return;
      }
    }
    if (!e) {
      void run(undefined, m);
      return;
    }
    const entry = e;
    entry.chain = entry.chain.then(() => run(entry, m));
    return;
  }
  if (m.t === "close") {
    const e = sessions.get(m.id);
    // After the request in progress, if any.
    if (e) e.chain = e.chain.then(() => drop(m.id));
    return;
  }
  if (m.t === "count") post({ t: "count", ask: m.ask, sessions: sessions.size, generations: generations.size });
});

post({ t: "ready" });
