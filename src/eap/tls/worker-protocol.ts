/**
 * Messages between the main thread and a TLS worker thread (worker-client.ts, worker-entry.ts).
 * One request per EAP round and one reply; the records travel as transferred ArrayBuffers.
 */
import type { EapTlsErrorCode } from "./errors.js";
import type { TlsMethod, TlsProtocol } from "./keys.js";
import type { PeerCertificateInfo } from "./peer-cert.js";

/** PEM files (and passphrase) of one certificate generation; the thread builds its contexts. */
export interface WorkerCredentials {
  cert: Uint8Array;
  key: Uint8Array;
  ca: Uint8Array;
  passphrase?: string;
}

export type ToWorker =
  /** A certificate generation: sessions opened with `gen` use its contexts. */
  | { t: "ctx"; gen: number; creds: WorkerCredentials }
  /**
   * `op` "feed": the peer's records; "write": plaintext into the tunnel. `open` comes with the
   * first request of a session (it creates it).
   */
  | { t: "op"; id: number; op: "feed" | "write"; data: ArrayBuffer; open?: { method: TlsMethod; gen: number } }
  | { t: "close"; id: number }
  /** No session will open with `gen` any more (those open keep their contexts). */
  | { t: "forget"; gen: number }
  /** Asks how many sessions the thread holds (tests, metrics). */
  | { t: "count"; ask: number };

export interface OpReply {
  t: "op";
  id: number;
  out: ArrayBuffer | null;
  inner: ArrayBuffer | null;
  /** Present once, in the reply where the handshake finished (and the peer passed). */
  done?: {
    protocol: TlsProtocol;
    peer: PeerCertificateInfo | null;
    /** The method's 128 octets of key material (keys.ts keyMaterialParams). */
    keyMaterial: ArrayBuffer;
    /** TTLS: the 17 octets of "ttls challenge" (RFC 5281 §11.1). */
    ttlsChallenge?: ArrayBuffer;
  };
  error?: { code: EapTlsErrorCode; message: string; detail?: string };
}

export type FromWorker = OpReply | { t: "count"; ask: number; sessions: number; generations: number } | { t: "ready" };

/**
 * An exact-size copy of `b` whose ArrayBuffer can be transferred. A Buffer is often a view into a
 * shared pool slab: transferring that would detach the slab, and cloning it copies all of it.
 */
export function ownedCopy(b: Uint8Array): ArrayBuffer {
  const ab = new ArrayBuffer(b.length);
  new Uint8Array(ab).set(b);
  return ab;
}
