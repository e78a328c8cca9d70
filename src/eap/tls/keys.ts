/**
 * EAP keys from a finished TLS handshake: which exporter label and context each method uses
 * (by TLS version), and how the 128 exported octets split into MSK, EMSK and the MPPE keys.
 */
import { EapTlsError } from "./errors.js";

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
