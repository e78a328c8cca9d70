/**
 * Reading a client certificate (EAP-TLS): its SANs, the subscriber name it yields, whether its
 * extended key usage allows client authentication, and the error code an OpenSSL verify code
 * maps to.
 */
import type { X509Certificate } from "node:crypto";
import type { EapTlsErrorCode } from "./errors.js";

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

/** The typed error for an OpenSSL verify code (Node's verifyError().code). */
export function verifyCodeToError(code: string): EapTlsErrorCode {
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

/** Whether the certificate may authenticate a client: no EKU, clientAuth, or anyExtendedKeyUsage. */
export function allowsClientAuth(x509: X509Certificate): boolean {
  // Node names the extendedKeyUsage OIDs `keyUsage`; undefined when the extension is absent.
  const eku = x509.keyUsage as string[] | undefined;
  return eku === undefined || eku.includes(CLIENT_AUTH_OID) || eku.includes(ANY_EKU_OID);
}
