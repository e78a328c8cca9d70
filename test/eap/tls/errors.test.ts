// The error registry: codes are unique and each is raised somewhere in src/eap/tls.
import { describe, expect, it } from "@jest/globals";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { EAP_TLS_ERROR_CODES, EapTlsError, isEapTlsError } from "../../../src/eap/tls/errors.js";

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
