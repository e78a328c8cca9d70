/** The server's TLS secure contexts, one per certificate, shared by every session. */
import { constants as cryptoConstants } from "node:crypto";
import tls from "node:tls";
import { EapTlsError } from "./errors.js";

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
    // No session tickets: resumption would skip the certificate checks (session.ts).
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
