// The `eap:` section of the server configuration.
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import type { EapMethod, EapMethodName } from "./method.js";
import { eapMd5 } from "./methods/md5.js";
import { eapMsChapV2 } from "./methods/mschapv2.js";
import { eapPeapMethod, eapTlsMethod, eapTtlsMethod, type TlsSessionSource } from "./methods/tls.js";
import { createTlsContexts, type TlsContexts } from "./tls/session.js";
import { TlsWorkerPool } from "./tls/worker-client.js";
import type { WorkerCredentials } from "./tls/worker-protocol.js";

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
    placement: z
      .enum(["worker", "inline"], { error: 'eap.tls.placement must be "worker" or "inline"' })
      .default("worker")
      .describe("Where the TLS sessions run: \"worker\" (default) on worker threads of their own, so that a handshake's RSA signature does not hold up other requests; \"inline\" on the event loop. docs/eap-benchmark.md has the measurement. Takes effect at start."),
    workerThreads: z
      .int({ error: "eap.tls.workerThreads must be an integer" })
      .min(1, { error: "eap.tls.workerThreads must be at least 1" })
      .max(16, { error: "eap.tls.workerThreads must be at most 16" })
      .default(1)
      .describe("TLS worker threads per process with placement \"worker\"; a conversation stays on the thread it started on. Default 1. Takes effect at start."),
  })
  .describe("Server certificate for the TLS-based methods (EAP-TLS, EAP-TTLS, PEAP). Without it they are not offered. Read at start; a reload re-reads the files and swaps the certificate for new conversations (those in progress finish with theirs).");

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
  .describe("EAP (RFC 3748, RFC 3579): methods offered and the conversation store. Takes effect at start, except the files of eap.tls, which a reload re-reads.");

export type EapConfig = z.infer<typeof eapConfigSchema>;
export type EapTlsConfig = z.infer<typeof eapTlsSchema>;

interface TlsMaterial {
  contexts: TlsContexts;
  /** SHA-256 over the files and the passphrase: tells whether a reload changes anything. */
  digest: Buffer;
  /** The server certificate, for the date checks of a reload. */
  cert: X509Certificate;
  /** The files as read, for TLS worker threads (they build contexts of their own). */
  creds: WorkerCredentials;
}

/**
 * Reads eap.tls's files (paths already resolved by the loader), checks each and builds the TLS
 * contexts. Errors name the key, never a file's contents or the passphrase.
 */
function loadEapTlsMaterial(t: EapTlsConfig, env: NodeJS.ProcessEnv): TlsMaterial {
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
  // Each file on its own first, so that a problem names its key. The TLS library's messages
  // are not repeated: they may concern the key.
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new Error(`eap.tls.certFile: ${t.certFile} holds no PEM certificate`);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key, format: "pem", ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    const locked = code === "ERR_MISSING_PASSPHRASE" || /BAD_DECRYPT|DECRYPT|PASSPHRASE/i.test(code);
    throw new Error(locked
      ? `eap.tls.keyFile: ${t.keyFile} cannot be decrypted (${passphrase === undefined ? "it is encrypted and eap.tls.passphraseEnv is not set" : "wrong passphrase in eap.tls.passphraseEnv"})`
      : `eap.tls.keyFile: ${t.keyFile} holds no PEM private key`);
  }
  if (!x509.checkPrivateKey(keyObject)) throw new Error(`eap.tls.keyFile: ${t.keyFile} is not the key of the certificate in eap.tls.certFile`);
  try {
    new X509Certificate(ca);
  } catch {
    throw new Error(`eap.tls.caFile: ${t.caFile} holds no PEM certificate`);
  }
  let contexts: TlsContexts;
  try {
    contexts = createTlsContexts({ cert, key, ca, ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch {
    throw new Error("eap.tls: the certificate, key (or its passphrase) or CA could not be loaded");
  }
  const h = createHash("sha256");
  for (const part of [cert, key, ca, Buffer.from(passphrase ?? "", "utf8")]) h.update(`${part.length}:`).update(part);
  return { contexts, digest: h.digest(), cert: x509, creds: { cert, key, ca, ...(passphrase !== undefined ? { passphrase } : {}) } };
}

/** Reads and checks eap.tls's files and builds the TLS contexts (check-config, start). */
export function loadEapTlsContexts(t: EapTlsConfig, env: NodeJS.ProcessEnv = process.env): TlsContexts {
  return loadEapTlsMaterial(t, env).contexts;
}

/** What a reload does to eap.tls: refused (the running certificate stays), or ready to commit. */
export type EapTlsReload =
  | { ok: false; error: string }
  | {
      ok: true;
      /** What changes for new conversations ("eap.tls.certFile", "eap.tls (files re-read)"...); empty: nothing. */
      applied: string[];
      /** Swaps the certificate in for new conversations; those in progress keep theirs. */
      commit(): void;
    };

export interface EapSetup {
  /** The configured methods, in order (TLS-based ones only with eap.tls). */
  readonly methods: EapMethod[];
  /**
   * Live reload of eap.tls: re-reads its files (the paths may be the same, the contents new)
   * and checks them. A server started without eap.tls has no TLS methods to swap: adding it
   * needs a restart (config/reload.ts reports it), so nothing happens here.
   */
  prepareReload(next: EapConfig, env?: NodeJS.ProcessEnv, now?: number): EapTlsReload;
  /** The TLS worker threads (eap.tls.placement "worker"), for metrics and tests. */
  readonly tlsWorkers: TlsWorkerPool | undefined;
  /** Stops the TLS worker threads (shutdown). */
  close(): Promise<void>;
}

export interface EapHooks {
  /** A TLS worker thread died (it is started again; its conversations fail). */
  onTlsThreadExit?: (info: { thread: number; code: number; sessionsFailed: number }) => void;
}

const NOTHING: EapTlsReload = { ok: true, applied: [], commit: () => undefined };

/** The EAP methods of a configuration, with the TLS certificate a reload can swap. */
export function configureEap(c: EapConfig, env: NodeJS.ProcessEnv = process.env, hooks: EapHooks = {}): EapSetup {
  let material = c.tls !== undefined ? loadEapTlsMaterial(c.tls, env) : undefined;
  let files = c.tls;
  // New conversations read `current` (methods/tls.ts); a reload replaces it.
  const holder = material ? { current: material.contexts } : undefined;
  // placement "worker": the sessions live on TLS worker threads, which get each certificate too.
  const pool = material && c.tls && (c.tls.placement ?? "worker") === "worker"
    ? new TlsWorkerPool({ threads: c.tls.workerThreads ?? 1, creds: material.creds, ...(hooks.onTlsThreadExit ? { onThreadExit: hooks.onTlsThreadExit } : {}) })
    : undefined;
  const source: TlsSessionSource | undefined = pool ? { sessions: (method) => pool.session(method), busy: () => pool.backlogged } : holder;
  const names = c.methods ?? NAMES.filter((n) => holder !== undefined || !TLS_NAMES.includes(n));
  const methods = names.flatMap((n): EapMethod[] => {
    if (n === "tls") return source ? [eapTlsMethod(source)] : [];
    if (n === "ttls") return source ? [eapTtlsMethod(source)] : [];
    if (n === "peap") return source ? [eapPeapMethod(source)] : [];
    const m = EAP_METHODS[n];
    return m ? [m] : [];
  });
  const prepareReload = (next: EapConfig, e: NodeJS.ProcessEnv = env, now = Date.now()): EapTlsReload => {
    if (!holder || !material || !files || next.tls === undefined) return NOTHING;
    let loaded: TlsMaterial;
    try {
      loaded = loadEapTlsMaterial(next.tls, e);
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    const prev = files;
    const keys = (["certFile", "keyFile", "caFile", "passphraseEnv"] as const).filter((k) => prev[k] !== next.tls?.[k]).map((k) => `eap.tls.${k}`);
    const contentsChanged = !loaded.digest.equals(material.digest);
    // Unchanged: nothing to swap, and nothing to refuse (an expired certificate in force does
    // not block reloads of the rest of the configuration).
    if (keys.length === 0 && !contentsChanged) return NOTHING;
    // A certificate peers would refuse at once is not swapped in for one that may still work.
    if (Date.parse(loaded.cert.validTo) <= now) return { ok: false, error: `eap.tls.certFile: ${next.tls.certFile} expired on ${loaded.cert.validTo}` };
    if (Date.parse(loaded.cert.validFrom) > now) return { ok: false, error: `eap.tls.certFile: ${next.tls.certFile} is not valid before ${loaded.cert.validFrom}` };
    const nextFiles = next.tls;
    return {
      ok: true,
      applied: keys.length > 0 ? keys : ["eap.tls (certificate, key or CA files re-read)"],
      commit: () => {
        holder.current = loaded.contexts;
        pool?.setCredentials(loaded.creds);
        material = loaded;
        files = nextFiles;
      },
    };
  };
  return { methods, prepareReload, tlsWorkers: pool, close: async () => pool?.close() };
}

/** The configured methods, in order; TLS-based ones only with eap.tls (inline contexts built here, once, no threads). */
export function configuredMethods(c: EapConfig, env: NodeJS.ProcessEnv = process.env): EapMethod[] {
  return configureEap(c.tls ? { ...c, tls: { ...c.tls, placement: "inline" } } : c, env).methods;
}
