// The error registry: codes are unique, each is raised somewhere in src/eap/tls and ends in a named reject reason.
import { describe, expect, it } from "@jest/globals";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { EAP_TLS_ERROR_CODES, EAP_TLS_REJECT_REASON, EapTlsError, isEapTlsError } from "../../../src/eap/tls/errors.js";
import { tlsErrorToEapTls } from "../../../src/eap/tls/session.js";

const dir = join(process.cwd(), "src", "eap", "tls");
const sources = readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "errors.ts").map((f) => readFileSync(join(dir, f), "utf8")).join("\n");

describe("EAP_TLS_ERROR_CODES", () => {
  it("are unique", () => {
    expect(new Set(EAP_TLS_ERROR_CODES).size).toBe(EAP_TLS_ERROR_CODES.length);
  });
  it.each(EAP_TLS_ERROR_CODES.map((c) => [c]))("%s is raised by a module", (code) => {
    expect(sources).toContain(`"${code}"`);
  });
  it("EapTlsError carries code and detail; isEapTlsError tells it apart", () => {
    const e = new EapTlsError("EAPTLS_ERR_TLS_FAILED", "TLS failed", "ERR_SSL_X");
    expect(e.code).toBe("EAPTLS_ERR_TLS_FAILED");
    expect(e.detail).toBe("ERR_SSL_X");
    expect(e.name).toBe("EapTlsError");
    expect(isEapTlsError(e)).toBe(true);
    expect(isEapTlsError(new Error("x"))).toBe(false);
  });
});

describe("EAP_TLS_REJECT_REASON", () => {
  it("names a reason for every code, never the catch-all for a peer's certificate or bytes", () => {
    for (const code of EAP_TLS_ERROR_CODES) expect(EAP_TLS_REJECT_REASON[code]).toMatch(/^eap_tls_[a-z_]+$/);
    expect(EAP_TLS_REJECT_REASON.EAPTLS_ERR_CERT_UNTRUSTED).toBe("eap_tls_cert_untrusted");
    expect(EAP_TLS_REJECT_REASON.EAPTLS_ERR_CERT_EXPIRED).toBe("eap_tls_cert_expired");
    expect(EAP_TLS_REJECT_REASON.EAPTLS_ERR_CERT_NOT_YET_VALID).toBe("eap_tls_cert_not_yet_valid");
    expect(EAP_TLS_REJECT_REASON.EAPTLS_ERR_BAD_RECORD).toBe("eap_tls_bad_record");
    expect(EAP_TLS_REJECT_REASON.EAPTLS_ERR_TOO_MANY_FRAGMENTS).toBe("eap_tls_fragment_flood");
    const catchAll = EAP_TLS_ERROR_CODES.filter((c) => EAP_TLS_REJECT_REASON[c] === "eap_tls_failed");
    expect(catchAll).toEqual(["EAPTLS_ERR_BAD_ARGUMENT", "EAPTLS_ERR_STATE", "EAPTLS_ERR_UNSUPPORTED"]);
  });
});

describe("tlsErrorToEapTls: Node/OpenSSL error codes", () => {
  const err = (code: string) => Object.assign(new Error("x"), { code });
  it.each([
    ["ERR_SSL_TLSV1_ALERT_UNKNOWN_CA", "EAPTLS_ERR_PEER_ALERT", "eap_tls_peer_alert"],
    ["ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "EAPTLS_ERR_PEER_ALERT", "eap_tls_peer_alert"],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "EAPTLS_ERR_BAD_RECORD", "eap_tls_bad_record"],
    ["ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC", "EAPTLS_ERR_BAD_RECORD", "eap_tls_bad_record"],
    ["ERR_SSL_UNEXPECTED_MESSAGE", "EAPTLS_ERR_BAD_RECORD", "eap_tls_bad_record"],
    ["ERR_SSL_UNSUPPORTED_PROTOCOL", "EAPTLS_ERR_TLS_FAILED", "eap_tls_handshake_failed"],
    ["ERR_SSL_NO_SHARED_CIPHER", "EAPTLS_ERR_TLS_FAILED", "eap_tls_handshake_failed"],
    ["SOMETHING_NEW", "EAPTLS_ERR_TLS_FAILED", "eap_tls_handshake_failed"],
  ])("%s -> %s -> %s", (code, eapCode, reason) => {
    const e = tlsErrorToEapTls(err(code));
    expect(e.code).toBe(eapCode);
    expect(e.detail).toBe(code);
    expect(EAP_TLS_REJECT_REASON[e.code]).toBe(reason);
  });
});
