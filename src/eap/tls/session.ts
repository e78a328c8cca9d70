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
import { X509Certificate, constants as cryptoConstants } from "node:crypto";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import { createDuplexPair, settle } from "./duplex.js";
import { EapTlsError, isEapTlsError, type EapTlsErrorCode } from "./errors.js";

export type TlsMethod = "tls" | "peap" | "ttls";
export type TlsProtocol = "TLSv1.2" | "TLSv1.3";

/** EAP Type codes (RFC 3748 §5, IANA): used as the RFC 9190 exporter context. */
export const EAP_TYPE = { tls: 13, ttls: 21, peap: 25 } as const;

/** Exporter labels. */
export const LABEL = {
  /** RFC 5216 §2.3 (EAP-TLS over TLS 1.2) and PEAPv0 (MS-PEAP §3.1.5.7). */
  clientEapEncryption: "client EAP encryption",
  /** RFC 9190 §2.3 (EAP-TLS over TLS 1.3), context = Type-Code 0x0D. */
  eapTls13KeyMaterial: "EXPORTER_EAP_TLS_Key_Material",
  /** RFC 5281 §8 (EAP-TTLSv0 over TLS 1.2). */
  ttlsKeyingMaterial: "ttls keying material",
  /** RFC 5281 §11.1 (implicit challenges for inner CHAP / MS-CHAP / MS-CHAPv2). */
  ttlsChallenge: "ttls challenge",
} as const;

/** 64 octets of MSK followed by 64 of EMSK (RFC 5216 §2.3, RFC 9190 §2.3). */
export const KEY_MATERIAL_LENGTH = 128;

export interface EapKeys {
  /** MSK: octets 0..63 of the exported key material. */
  msk: Buffer;
  /** EMSK: octets 64..127; never sent to the NAS. */
  emsk: Buffer;
  /** MS-MPPE-Recv-Key = MSK[0..31] (RFC 5216 §2.3, RFC 2548 §2.4.3). */
  recvKey: Buffer;
  /** MS-MPPE-Send-Key = MSK[32..63] (RFC 5216 §2.3, RFC 2548 §2.4.2). */
  sendKey: Buffer;
}

/** Splits 128 octets of key material into MSK/EMSK and the two MPPE keys, all from the MSK. */
export function splitKeyMaterial(material: Buffer): EapKeys {
  if (material.length !== KEY_MATERIAL_LENGTH) {
    throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", `key material must be ${KEY_MATERIAL_LENGTH} octets`);
  }
  const msk = Buffer.from(material.subarray(0, 64));
  return {
    msk,
    emsk: Buffer.from(material.subarray(64, 128)),
    recvKey: Buffer.from(msk.subarray(0, 32)),
    sendKey: Buffer.from(msk.subarray(32, 64)),
  };
}

/** Label and context each method exports its key material with, by negotiated version. */
export function keyMaterialParams(method: TlsMethod, protocol: TlsProtocol): { label: string; context: Buffer | undefined } {
  if (method === "tls") {
    return protocol === "TLSv1.3"
      ? { label: LABEL.eapTls13KeyMaterial, context: Buffer.of(EAP_TYPE.tls) } // RFC 9190 §2.3
      : { label: LABEL.clientEapEncryption, context: undefined }; // RFC 5216 §2.3
  }
  if (protocol !== "TLSv1.2") {
    throw new EapTlsError("EAPTLS_ERR_PROTOCOL_VERSION", `${method} keys are defined here for TLS 1.2 only`);
  }
  return method === "peap"
    ? { label: LABEL.clientEapEncryption, context: undefined }
    : { label: LABEL.ttlsKeyingMaterial, context: undefined }; // RFC 5281 §8
}

/** What derives keys from a finished handshake (a session, or a stand-in in tests). */
export interface KeyExporter {
  exportKeyingMaterial(label: string, length: number, context?: Buffer): Buffer;
}

export interface ServerCredentials {
  cert: string | Buffer;
  key: string | Buffer;
  /** The CA(s) that client certificates must chain to (EAP-TLS); also sent as the chain. */
  ca: string | Buffer;
  passphrase?: string;
}

export interface TlsContexts {
  /** EAP-TLS: TLS 1.2 and 1.3. */
  eapTls: tls.SecureContext;
  /** PEAP and TTLS: TLS 1.2 only. */
  tunnel: tls.SecureContext;
}

/**
 * Builds the two secure contexts once per certificate (they are shared by all sessions; a
 * reload builds new ones while conversations in progress keep the old).
 */
export function createTlsContexts(creds: ServerCredentials): TlsContexts {
  const base = {
    cert: creds.cert,
    key: creds.key,
    ca: creds.ca,
    ...(creds.passphrase !== undefined ? { passphrase: creds.passphrase } : {}),
    // No session tickets: resumption would skip the certificate checks (see the header).
    // No renegotiation: a TLS 1.2 peer could otherwise restart the handshake, and its CPU
    // cost, inside a tunnel that has already been checked.
    secureOptions: cryptoConstants.SSL_OP_NO_TICKET | cryptoConstants.SSL_OP_NO_RENEGOTIATION,
    minVersion: "TLSv1.2" as const,
  };
  try {
    return {
      eapTls: tls.createSecureContext({ ...base, maxVersion: "TLSv1.3" }),
      tunnel: tls.createSecureContext({ ...base, maxVersion: "TLSv1.2" }),
    };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", `server certificate, key or CA could not be loaded: ${reason}`);
  }
}

/** Where the subscriber name may come from, tried in the order given. */
export type SubscriberNameSource = "cn" | "email" | "dns";
/**
 * Default: the subject CN (what EAP-TLS deployments usually put the user in), then the first
 * SAN rfc822Name (email), then the first SAN dNSName (machine certificates). A UPN (SAN
 * otherName) is not read: Node renders otherName only as text whose form is not a stable API.
 */
export const DEFAULT_NAME_SOURCES: readonly SubscriberNameSource[] = ["cn", "email", "dns"];

export interface PeerCertificateInfo {
  /** OpenSSL's verdict against the configured CA (and clientAuth purpose, checked here). */
  authorized: boolean;
  /** OpenSSL verify code (e.g. CERT_HAS_EXPIRED) or PURPOSE when authorized is false. */
  authorizationError: string | null;
  subject: string;
  issuer: string;
  serialNumber: string;
  fingerprint256: string;
  validFrom: Date;
  validTo: Date;
  commonName: string | undefined;
  emails: string[];
  dnsNames: string[];
  subscriberName: string | undefined;
  subscriberNameSource: SubscriberNameSource | undefined;
}

const CLIENT_AUTH_OID = "1.3.6.1.5.5.7.3.2";
const ANY_EKU_OID = "2.5.29.37.0";

/** Parses Node's subjectaltname text ("DNS:a, email:b, DNS:\"c,d\""), quoted values JSON-escaped. */
export function parseSubjectAltName(text: string | undefined): Array<{ type: string; value: string }> {
  const out: Array<{ type: string; value: string }> = [];
  if (!text) return out;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(":", i);
    if (colon < 0) break;
    const type = text.slice(i, colon).trim();
    let j = colon + 1;
    let value: string;
    if (text[j] === '"') {
      let k = j + 1;
      while (k < text.length && text[k] !== '"') k += text[k] === "\\" ? 2 : 1;
      try {
        value = JSON.parse(text.slice(j, k + 1)) as string;
      } catch {
        value = text.slice(j + 1, k);
      }
      j = k + 1;
    } else {
      const comma = text.indexOf(", ", j);
      const end = comma < 0 ? text.length : comma;
      value = text.slice(j, end);
      j = end;
    }
    out.push({ type, value });
    const next = text.indexOf(", ", j);
    if (next < 0) break;
    i = next + 2;
  }
  return out;
}

function usableName(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  // A User-Name holds at most 253 octets (RFC 2865 §5.1); control characters are refused.
  if (s.length === 0 || Buffer.byteLength(s, "utf8") > 253 || /[\u0000-\u001f\u007f]/.test(s)) return undefined;
  return s;
}

/** Chooses the subscriber name from a certificate's CN / SANs, first usable source wins. */
export function subscriberNameOf(
  cert: { commonName: string | undefined; emails: readonly string[]; dnsNames: readonly string[] },
  sources: readonly SubscriberNameSource[] = DEFAULT_NAME_SOURCES,
): { name: string; source: SubscriberNameSource } | undefined {
  for (const source of sources) {
    const candidate = source === "cn" ? cert.commonName : source === "email" ? cert.emails[0] : cert.dnsNames[0];
    const name = usableName(candidate);
    if (name !== undefined) return { name, source };
  }
  return undefined;
}

function verifyCodeToError(code: string): EapTlsErrorCode {
  switch (code) {
    case "INVALID_PURPOSE":
      return "EAPTLS_ERR_CERT_PURPOSE";
    case "CERT_HAS_EXPIRED":
      return "EAPTLS_ERR_CERT_EXPIRED";
    case "CERT_NOT_YET_VALID":
      return "EAPTLS_ERR_CERT_NOT_YET_VALID";
    case "UNABLE_TO_GET_ISSUER_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "CERT_UNTRUSTED":
    case "CERT_SIGNATURE_FAILURE":
      return "EAPTLS_ERR_CERT_UNTRUSTED";
    default:
      return "EAPTLS_ERR_CERT_INVALID";
  }
}

/**
 * OpenSSL reasons (Node's err.code) that mean the peer's bytes are not well-formed TLS: a
 * record or handshake message that cannot be parsed, a record with a bad MAC, a message where
 * none can come. Garbage inside well-framed records ends here.
 */
const MALFORMED_TLS_CODES: ReadonlySet<string> = new Set([
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "ERR_SSL_UNEXPECTED_MESSAGE",
  "ERR_SSL_UNEXPECTED_RECORD",
  "ERR_SSL_UNKNOWN_PROTOCOL",
  "ERR_SSL_HTTP_REQUEST",
  "ERR_SSL_HTTPS_PROXY_REQUEST",
  "ERR_SSL_PACKET_LENGTH_TOO_LONG",
  "ERR_SSL_RECORD_LENGTH_MISMATCH",
  "ERR_SSL_ENCRYPTED_LENGTH_TOO_LONG",
  "ERR_SSL_DATA_LENGTH_TOO_LONG",
  "ERR_SSL_BAD_PACKET_LENGTH",
  "ERR_SSL_BAD_LENGTH",
  "ERR_SSL_LENGTH_MISMATCH",
  "ERR_SSL_LENGTH_TOO_SHORT",
  "ERR_SSL_BAD_PACKET",
  "ERR_SSL_EXCESSIVE_MESSAGE_SIZE",
  "ERR_SSL_BAD_RECORD_TYPE",
  "ERR_SSL_RECORD_LAYER_FAILURE",
  "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
  "ERR_SSL_DECRYPTION_FAILED",
  "ERR_SSL_BAD_DECRYPT",
  "ERR_SSL_BLOCK_CIPHER_PAD_IS_WRONG",
  "ERR_SSL_BAD_HANDSHAKE_LENGTH",
  "ERR_SSL_BAD_MESSAGE_TYPE",
  "ERR_SSL_BAD_EXTENSION",
  "ERR_SSL_NOT_ON_RECORD_BOUNDARY",
  "ERR_SSL_CCS_RECEIVED_EARLY",
]);

/**
 * Maps an error emitted by Node's TLSSocket to a typed error (OpenSSL's code kept as detail):
 * a received alert (OpenSSL's SSLV3_ALERT_* / TLSV1_ALERT_* reasons are the peer's alerts),
 * malformed TLS, or any other handshake failure (no common version or cipher suite, ...).
 */
export function tlsErrorToEapTls(e: unknown): EapTlsError {
  if (isEapTlsError(e)) return e;
  const code = typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : "UNKNOWN";
  if (code.includes("_ALERT_")) return new EapTlsError("EAPTLS_ERR_PEER_ALERT", `peer sent a TLS alert (${code})`, code);
  if (MALFORMED_TLS_CODES.has(code)) return new EapTlsError("EAPTLS_ERR_BAD_RECORD", `malformed TLS from the peer (${code})`, code);
  return new EapTlsError("EAPTLS_ERR_TLS_FAILED", `TLS failed (${code})`, code);
}

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

function allowsClientAuth(x509: X509Certificate): boolean {
  // Node names the extendedKeyUsage OIDs `keyUsage`; undefined when the extension is absent.
  const eku = x509.keyUsage as string[] | undefined;
  return eku === undefined || eku.includes(CLIENT_AUTH_OID) || eku.includes(ANY_EKU_OID);
}
