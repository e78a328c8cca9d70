/**
 * A TLS server session driven by EAP: the EAP layer feeds the peer's reassembled TLS records
 * (`feed`), sends back what TLS wrote (`takeOutput`, then fragment.ts), and once the handshake
 * is done reads the keys (`eapKeys`) and, for PEAP/TTLS, exchanges inner data in plaintext
 * (`writeInner` / `takeInner`). Node's own tls runs over an in-memory duplex (duplex.ts).
 *
 * Versions: EAP-TLS negotiates TLS 1.2 or 1.3 (RFC 9190); PEAP and TTLS are held to TLS 1.2,
 * because their TLS 1.3 key derivations (RFC 9427, 2023) differ from the TLS 1.2 labels and
 * eapol_test 2.10 (2022) predates that RFC. TLS 1.0/1.1 are refused (RFC 8996).
 *
 * Client certificates (EAP-TLS): OpenSSL verifies the chain against the configured CA during
 * the handshake but Node accepts every chain and reports the verdict afterwards; the session
 * reads that verdict when the handshake ends and fails with a typed error if it is negative.
 * Session resumption is not offered (no tickets): every conversation runs a full handshake,
 * so the certificate checks and the subscriber lookup always happen.
 */
import tls from "node:tls";
import type { Duplex } from "node:stream";
import { createDuplexPair, settle } from "./duplex.js";
import { EapTlsError, type EapTlsErrorCode } from "./errors.js";
import { tlsErrorToEapTls } from "./openssl-errors.js";
import { KEY_MATERIAL_LENGTH, keyMaterialParams, splitKeyMaterial, type EapKeys, type TlsMethod, type TlsProtocol } from "./keys.js";
import {
  allowsClientAuth, DEFAULT_NAME_SOURCES, parseSubjectAltName, subscriberNameOf, verifyCodeToError,
  type PeerCertificateInfo, type SubscriberNameSource,
} from "./peer-cert.js";

// Callers reach keys, contexts, certificate helpers and the error mapping through this module.
export { EAP_TYPE, KEY_MATERIAL_LENGTH, LABEL, keyMaterialParams, splitKeyMaterial } from "./keys.js";
export type { EapKeys, KeyExporter, TlsMethod, TlsProtocol } from "./keys.js";
export { createTlsContexts } from "./contexts.js";
export type { ServerCredentials, TlsContexts } from "./contexts.js";
export { DEFAULT_NAME_SOURCES, parseSubjectAltName, subscriberNameOf } from "./peer-cert.js";
export type { PeerCertificateInfo, SubscriberNameSource } from "./peer-cert.js";
export { tlsErrorToEapTls } from "./openssl-errors.js";

// TLS record layer (RFC 8446 §5.1, RFC 5246 §6.2): 5-octet header, content types 20..23.
const RECORD_HEADER = 5;
const MAX_RECORD_BODY = 16384 + 2048;

export interface TlsServerSessionOptions {
  method: TlsMethod;
  /** From createTlsContexts: `eapTls` for "tls", `tunnel` for "peap"/"ttls". */
  secureContext: tls.SecureContext;
  /** Ask for and verify a client certificate. Default: true for "tls", false otherwise. */
  requestCert?: boolean;
  nameSources?: readonly SubscriberNameSource[];
}

type HandleWithVerify = { verifyError?: () => (Error & { code?: string }) | null };

export class TlsServerSession {
  readonly method: TlsMethod;
  private readonly requestCert: boolean;
  private readonly nameSources: readonly SubscriberNameSource[];
  private readonly socket: tls.TLSSocket;
  private readonly wire: Duplex;
  private out: Buffer[] = [];
  private inner: Buffer[] = [];
  private activity = 0;
  private failure: EapTlsError | null = null;
  private closed = false;
  private done = false;
  private proto: TlsProtocol | null = null;
  private peerInfo: PeerCertificateInfo | null = null;
  private commitmentSent = false;
  // Record-boundary tracking over everything fed so far.
  private headerBytes: number[] = [];
  private bodyLeft = 0;

  constructor(opts: TlsServerSessionOptions) {
    this.method = opts.method;
    this.requestCert = opts.requestCert ?? opts.method === "tls";
    this.nameSources = opts.nameSources ?? DEFAULT_NAME_SOURCES;
    const [tlsSide, wire] = createDuplexPair();
    this.wire = wire;
    this.socket = new tls.TLSSocket(tlsSide, {
      isServer: true,
      secureContext: opts.secureContext,
      requestCert: this.requestCert,
      // Node's verify callback accepts every chain; the verdict is read in onSecure().
      rejectUnauthorized: false,
    });
    if (this.requestCert && typeof this.handle()?.verifyError !== "function") {
      this.socket.destroy();
      wire.destroy();
      throw new EapTlsError("EAPTLS_ERR_UNSUPPORTED", "this Node.js runtime does not report the client certificate verdict");
    }
    wire.on("data", (chunk: Buffer) => {
      this.out.push(chunk);
      this.activity++;
    });
    wire.on("error", () => undefined);
    tlsSide.on("error", () => undefined);
    this.socket.on("data", (chunk: Buffer) => {
      this.inner.push(chunk);
      this.activity++;
    });
    this.socket.on("secure", () => this.onSecure());
    this.socket.on("error", (e: unknown) => this.fail(tlsErrorToEapTls(e)));
    this.socket.on("close", () => {
      this.activity++;
    });
  }

  private handle(): HandleWithVerify | undefined {
    return (this.socket as unknown as { _handle?: HandleWithVerify | null })._handle ?? undefined;
  }

  private fail(e: EapTlsError): void {
    this.activity++;
    if (!this.failure) this.failure = e;
  }

  private onSecure(): void {
    this.activity++;
    try {
      const p = this.socket.getProtocol();
      if (p !== "TLSv1.2" && p !== "TLSv1.3") throw new EapTlsError("EAPTLS_ERR_PROTOCOL_VERSION", `negotiated ${String(p)}`);
      if (this.method !== "tls" && p !== "TLSv1.2") throw new EapTlsError("EAPTLS_ERR_PROTOCOL_VERSION", `${this.method} runs over TLS 1.2 only`);
      this.proto = p;
      if (this.requestCert) this.checkPeer();
      this.done = true;
      if (this.method === "tls" && p === "TLSv1.3") {
        // RFC 9190 §2.5: after its last handshake message the server sends the commitment
        // message, one octet 0x00 of application data, to say no more handshake follows.
        this.socket.write(Buffer.of(0));
        this.commitmentSent = true;
      }
    } catch (e) {
      this.fail(tlsErrorToEapTls(e));
    }
  }

  private checkPeer(): void {
    const x509 = this.socket.getPeerX509Certificate();
    if (!x509) throw new EapTlsError("EAPTLS_ERR_NO_PEER_CERT", "the peer sent no certificate");
    const legacy = this.socket.getPeerCertificate();
    const cnRaw: unknown = legacy.subject?.CN;
    // Several CN values are ambiguous: none is taken.
    const commonName = typeof cnRaw === "string" ? cnRaw : undefined;
    const sans = parseSubjectAltName(x509.subjectAltName);
    const emails = sans.filter((s) => s.type === "email").map((s) => s.value);
    const dnsNames = sans.filter((s) => s.type === "DNS").map((s) => s.value);
    const verify = this.handle()?.verifyError?.() ?? null;
    let authorizationError: string | null = verify ? (verify.code ?? "UNKNOWN") : null;
    let errorCode: EapTlsErrorCode | null = verify ? verifyCodeToError(authorizationError ?? "") : null;
    if (!errorCode && !allowsClientAuth(x509)) {
      authorizationError = "PURPOSE";
      errorCode = "EAPTLS_ERR_CERT_PURPOSE";
    }
    const chosen = subscriberNameOf({ commonName, emails, dnsNames }, this.nameSources);
    this.peerInfo = {
      authorized: errorCode === null,
      authorizationError,
      subject: x509.subject,
      issuer: x509.issuer,
      serialNumber: x509.serialNumber,
      fingerprint256: x509.fingerprint256,
      validFrom: new Date(x509.validFrom),
      validTo: new Date(x509.validTo),
      commonName,
      emails,
      dnsNames,
      subscriberName: chosen?.name,
      subscriberNameSource: chosen?.source,
    };
    if (errorCode) throw new EapTlsError(errorCode, `client certificate refused (${authorizationError ?? ""})`, authorizationError ?? undefined);
    if (!chosen) throw new EapTlsError("EAPTLS_ERR_CERT_NO_NAME", "client certificate names no usable subscriber (CN, email or DNS SAN)");
  }

  /** Checks that `data` continues a well-formed stream of TLS records. */
  private checkRecords(data: Buffer): void {
    let i = 0;
    while (i < data.length) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, data.length - i);
        this.bodyLeft -= n;
        i += n;
        continue;
      }
      this.headerBytes.push(data[i] ?? 0);
      i++;
      if (this.headerBytes.length < RECORD_HEADER) continue;
      const [type = 0, major = 0, minor = 0, hi = 0, lo = 0] = this.headerBytes;
      this.headerBytes = [];
      const len = (hi << 8) | lo;
      if (type < 20 || type > 23 || major !== 3 || minor > 4 || len > MAX_RECORD_BODY) {
        throw new EapTlsError("EAPTLS_ERR_BAD_RECORD", `not a TLS record (type ${type}, version ${major}.${minor}, length ${len})`);
      }
      this.bodyLeft = len;
    }
  }

  private async settle(): Promise<void> {
    await settle(() => this.activity);
  }

  private ensureUsable(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new EapTlsError("EAPTLS_ERR_STATE", "TLS session is closed");
  }

  /**
   * Hands the peer's TLS records (one reassembled EAP-TLS message) to TLS and waits until TLS
   * has answered. Rejects with an EapTlsError if the records or the handshake fail; the
   * session is then closed, and what TLS wrote (an alert) is still in takeOutput().
   */
  async feed(records: Buffer): Promise<void> {
    this.ensureUsable();
    try {
      this.checkRecords(records);
    } catch (e) {
      this.fail(tlsErrorToEapTls(e));
      this.destroy();
      throw this.failure ?? e;
    }
    if (records.length > 0) this.wire.write(records);
    await this.settle();
    if (this.failure) {
      this.destroy();
      throw this.failure;
    }
  }

  /** What TLS wrote since the last call (records to send to the peer), and clears it. */
  takeOutput(): Buffer {
    const b = Buffer.concat(this.out);
    this.out = [];
    return b;
  }

  /** Plaintext application data received from the peer since the last call, and clears it. */
  takeInner(): Buffer {
    const b = Buffer.concat(this.inner);
    this.inner = [];
    return b;
  }

  /** Sends plaintext through the tunnel (PEAP/TTLS inner data); the records go to takeOutput(). */
  async writeInner(data: Buffer): Promise<void> {
    this.ensureUsable();
    if (!this.done) throw new EapTlsError("EAPTLS_ERR_STATE", "handshake not finished");
    this.socket.write(data);
    await this.settle();
    if (this.failure) throw this.failure;
  }

  /** True once the handshake finished and (EAP-TLS) the client certificate passed. */
  get handshakeDone(): boolean {
    return this.done && !this.failure;
  }

  get protocol(): TlsProtocol | null {
    return this.proto;
  }

  /** The peer certificate as checked (null before the handshake or when none was requested). */
  get peerCertificate(): PeerCertificateInfo | null {
    return this.peerInfo;
  }

  /** The first error the session met, if any. */
  get error(): EapTlsError | null {
    return this.failure;
  }

  /** EAP-TLS over TLS 1.3: the commitment message (RFC 9190 §2.5) went out. */
  get commitmentMessageSent(): boolean {
    return this.commitmentSent;
  }

  /** RFC 5705 exporter over the finished handshake. */
  exportKeyingMaterial(label: string, length: number, context?: Buffer): Buffer {
    if (!this.handshakeDone) throw new EapTlsError("EAPTLS_ERR_STATE", "no keying material before a successful handshake");
    if (!Number.isInteger(length) || length < 1 || length > 4096) throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", "length must be 1..4096");
    try {
      // No context at all (use_context 0) differs from an empty one under TLS 1.2 (RFC 5705 §4);
      // @types/node makes the argument mandatory, Node does not.
      const exporter = this.socket.exportKeyingMaterial as (length: number, label: string, context?: Buffer) => Buffer;
      return context === undefined ? exporter.call(this.socket, length, label) : exporter.call(this.socket, length, label, context);
    } catch (e) {
      throw tlsErrorToEapTls(e);
    }
  }

  /**
   * The method's MSK/EMSK and MPPE keys. Always exports the full 128 octets and splits them:
   * a TLS 1.3 exporter's output depends on the length asked for (RFC 8446 §7.5).
   */
  eapKeys(): EapKeys {
    if (!this.proto) throw new EapTlsError("EAPTLS_ERR_STATE", "no keying material before a successful handshake");
    const { label, context } = keyMaterialParams(this.method, this.proto);
    return splitKeyMaterial(this.exportKeyingMaterial(label, KEY_MATERIAL_LENGTH, context));
  }

  private destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.wire.destroy();
  }

  /** Frees the TLS state. Idempotent. */
  close(): void {
    this.destroy();
  }
}
