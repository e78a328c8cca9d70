// The `eap:` section of the server configuration.
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { EapMethod, EapMethodName } from "./method.js";
import { eapMd5 } from "./methods/md5.js";
import { eapMsChapV2 } from "./methods/mschapv2.js";
import { eapPeapMethod, eapTlsMethod, eapTtlsMethod } from "./methods/tls.js";
import { createTlsContexts, type TlsContexts } from "./tls/session.js";

/** Methods that need no certificate, in the default order of preference (keyed methods first). */
export const EAP_METHODS: Readonly<Partial<Record<EapMethodName, EapMethod>>> = { mschapv2: eapMsChapV2, md5: eapMd5 };
/** Every method name, in the default order of preference (keyed methods first). */
const NAMES = ["mschapv2", "peap", "ttls", "tls", "md5"] as const;
/** Methods that run inside TLS: offered only with `eap.tls`. */
const TLS_NAMES: readonly string[] = ["tls", "ttls", "peap"];

const fileKey = (key: string) =>
  z
    .string({ error: `eap.tls.${key} must be a file path` })
    .min(1, { error: `eap.tls.${key} must not be empty` })
    .describe(`Path of the PEM file (relative to the configuration file).`);

export const eapTlsSchema = z
  .strictObject({
    certFile: fileKey("certFile").describe("Server certificate chain (PEM), relative to the configuration file. The peer checks it against its own CA."),
    keyFile: fileKey("keyFile").describe("Private key of the server certificate (PEM), relative to the configuration file."),
    caFile: fileKey("caFile").describe("CA certificate(s) (PEM) that EAP-TLS client certificates must chain to, relative to the configuration file."),
    passphraseEnv: z
      .string({ error: "eap.tls.passphraseEnv must be the name of an environment variable" })
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "eap.tls.passphraseEnv must be the name of an environment variable" })
      .optional()
      .describe("Environment variable holding the passphrase of an encrypted keyFile."),
  })
  .describe("Server certificate for the TLS-based methods (EAP-TLS, EAP-TTLS, PEAP). Without it they are not offered. Read at start.");

export const eapConfigSchema = z
  .strictObject({
    methods: z
      .array(z.enum(NAMES, { error: `eap.methods: each entry must be one of ${NAMES.join(", ")}` }))
      .min(1, { error: "eap.methods: list at least one method (remove the key for every method)" })
      .refine((m) => new Set(m).size === m.length, { error: "eap.methods: a method is listed twice" })
      .optional()
      .describe(`Methods offered, in order of preference: the first is proposed after the peer's identity, a Nak picks another from the list. Absent: every method the configuration allows (${NAMES.join(", ")}; tls, ttls and peap only with eap.tls).`),
    maxConversations: z
      .int({ error: "eap.maxConversations must be an integer" })
      .min(1, { error: "eap.maxConversations must be at least 1" })
      .max(10_000_000, { error: "eap.maxConversations must be at most 10000000" })
      .default(10_000)
      .describe("EAP conversations held at once; a new one beyond this is dropped (eap_conversations_full) while those in progress continue. Default 10000."),
    timeoutSeconds: z
      .int({ error: "eap.timeoutSeconds must be an integer" })
      .min(1, { error: "eap.timeoutSeconds must be at least 1" })
      .max(600, { error: "eap.timeoutSeconds must be at most 600" })
      .default(30)
      .describe("A conversation whose peer does not answer within this many seconds is freed; a later round with its State gets Access-Reject (eap_unknown_state). Default 30."),
    tls: eapTlsSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.tls !== undefined || c.methods === undefined) return;
    const needs = c.methods.filter((m) => TLS_NAMES.includes(m));
    if (needs.length > 0) ctx.addIssue({ code: "custom", path: ["methods"], message: `eap.methods: ${needs.join(", ")} needs eap.tls (server certificate, key and CA)` });
  })
  .describe("EAP (RFC 3748, RFC 3579): methods offered and the conversation store. Takes effect at start.");

export type EapConfig = z.infer<typeof eapConfigSchema>;
export type EapTlsConfig = z.infer<typeof eapTlsSchema>;

/**
 * Reads eap.tls's files (paths already resolved by the loader) and builds the TLS contexts.
 * Errors name the key, never a file's contents or the passphrase.
 */
export function loadEapTlsContexts(t: EapTlsConfig, env: NodeJS.ProcessEnv = process.env): TlsContexts {
  const read = (key: "certFile" | "keyFile" | "caFile"): Buffer => {
    try {
      return readFileSync(t[key]);
    } catch (err) {
      throw new Error(`eap.tls.${key}: cannot read ${t[key]} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  };
  let passphrase: string | undefined;
  if (t.passphraseEnv !== undefined) {
    passphrase = env[t.passphraseEnv];
    if (passphrase === undefined || passphrase === "") throw new Error(`eap.tls.passphraseEnv: environment variable ${t.passphraseEnv} is not set`);
  }
  const cert = read("certFile");
  const key = read("keyFile");
  const ca = read("caFile");
  try {
    return createTlsContexts({ cert, key, ca, ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch {
    // The TLS library's message is not repeated: it may concern the key.
    throw new Error("eap.tls: the certificate, key (or its passphrase) or CA could not be loaded");
  }
}

/** The configured methods, in order; TLS-based ones only with eap.tls (contexts built here, once). */
export function configuredMethods(c: EapConfig, env: NodeJS.ProcessEnv = process.env): EapMethod[] {
  const contexts = c.tls !== undefined ? loadEapTlsContexts(c.tls, env) : undefined;
  const names = c.methods ?? NAMES.filter((n) => contexts !== undefined || !TLS_NAMES.includes(n));
  return names.flatMap((n): EapMethod[] => {
    if (n === "tls") return contexts ? [eapTlsMethod(contexts)] : [];
    if (n === "ttls") return contexts ? [eapTtlsMethod(contexts)] : [];
    if (n === "peap") return contexts ? [eapPeapMethod(contexts)] : [];
    const m = EAP_METHODS[n];
    return m ? [m] : [];
  });
}
