/**
 * What an EAP method needs of the server side of one TLS session, wherever it runs: inline
 * (TlsServerSession, session.ts) or on a TLS worker thread (RemoteTlsSession, worker-client.ts).
 */
import type { EapKeys, KeyExporter, TlsMethod } from "./keys.js";
import type { PeerCertificateInfo } from "./peer-cert.js";

export interface TlsEndpoint extends KeyExporter {
  /** The peer's records (one reassembled EAP-TLS message); rejects with an EapTlsError. */
  feed(records: Buffer): Promise<void>;
  /** Plaintext into the tunnel (PEAP/TTLS inner data); the records go to takeOutput(). */
  writeInner(data: Buffer): Promise<void>;
  /** Records TLS wrote since the last call, for the peer. */
  takeOutput(): Buffer;
  /** Plaintext the peer sent since the last call. */
  takeInner(): Buffer;
  readonly handshakeDone: boolean;
  readonly peerCertificate: PeerCertificateInfo | null;
  /** MSK/EMSK and MPPE keys of the method, once the handshake is done. */
  eapKeys(): EapKeys;
  /** Frees the TLS state. Idempotent. */
  close(): void;
}

/** Makes the session of a new conversation (with the certificate in force at that moment). */
export type TlsEndpointFactory = (method: TlsMethod) => TlsEndpoint;
