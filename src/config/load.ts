// Reading and validating the configuration file. Any problem stops start-up with a message that
// names the key and the problem.
import { accessSync, constants, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { clientSecretSchema, configSchema, httpSchema, type Config } from "./schema.js";
import { tlsFiles } from "../store/redis-tls.js";
import { loadEapTlsContexts } from "../eap/config.js";
import { duplicateClientMessage, findDuplicateClientAddress } from "../verify/clients.js";

export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface LoadOptions {
  /**
   * Read http.tokenEnv / http.authTokenEnv from the environment (default true). Commands that
   * never start the HTTP side (imports, sessions) pass false: a variable only the server needs
   * must not be required to run them.
   */
  httpTokens?: boolean;
  /** Read clients[].secretEnv from the environment (default true); imports and listings pass false. */
  clientSecrets?: boolean;
}

export function parseConfig(text: string, fileName: string, opts: LoadOptions = {}): Config {
  let raw: unknown;
  try {
    raw = fileName.endsWith(".json") ? JSON.parse(text) : parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    // First line only: the YAML parser's message goes on to quote the offending source line,
    // which may hold a client secret, and this message is logged when a live reload fails.
    // Likewise V8's JSON message quotes the text around the error: keep the token and position.
    const first = ((err as Error).message.split("\n")[0] ?? "").replace(/:$/, "").replace(/, ".*" is not valid JSON$/, "");
    throw new ConfigError(`${fileName}: not valid ${fileName.endsWith(".json") ? "JSON" : "YAML"}: ${first}`);
  }
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(`${fileName}: invalid configuration\n${z.prettifyError(result.error)}`);
  }
  const config = result.data;
  checkCrossFields(config, fileName);
  if (opts.httpTokens !== false) resolveTokens(config, fileName, process.env);
  if (opts.clientSecrets !== false) resolveClientSecrets(config, fileName, process.env);
  resolvePaths(config, path.dirname(path.resolve(fileName)));
  checkFiles(config, fileName);
  // The EAP server certificate is loaded once here so that check-config fails on a bad file or
  // passphrase; the passphrase is a secret like clientSecrets, read only when those are.
  if (config.eap.tls && opts.clientSecrets !== false) {
    try {
      loadEapTlsContexts(config.eap.tls, process.env);
    } catch (err) {
      throw new ConfigError(`${fileName}: ${(err as Error).message}`);
    }
  }
  return config;
}

function checkCrossFields(config: Config, fileName: string): void {
  const names = new Set<string>();
  config.clients.forEach((c, i) => {
    if (names.has(c.name)) throw new ConfigError(`${fileName}: clients[${i}].name: duplicate client name "${c.name}"`);
    names.add(c.name);
  });
  // Compared after normalisation (127.0.0.1 = 127.0.0.1/32 = ::ffff:127.0.0.1): the later of two
  // equal entries would never match, so its secret would silently never work.
  const dup = findDuplicateClientAddress(config.clients);
  if (dup) throw new ConfigError(`${fileName}: ${duplicateClientMessage(config.clients, dup)}`);
}

/** http.tokenEnv / http.authTokenEnv: read the token from the environment, with the same rules as in the file. */
export function resolveTokens(config: Config, fileName: string, env: NodeJS.ProcessEnv): void {
  const h = config.http;
  if (!h) return;
  for (const [envKey, key] of [["tokenEnv", "token"], ["authTokenEnv", "authToken"]] as const) {
    const name = h[envKey];
    if (name === undefined) continue;
    const value = env[name];
    if (value === undefined || value === "") throw new ConfigError(`${fileName}: http.${envKey}: environment variable ${name} is not set`);
    const r = httpSchema.shape[key].safeParse(value);
    if (!r.success) throw new ConfigError(`${fileName}: http.${envKey}: the value of ${name}: ${r.error.issues[0]?.message ?? "invalid"}`);
    h[key] = value;
  }
}

/** clients[].secretEnv: the shared secret from the environment, checked like `secret` (the value is never quoted). */
export function resolveClientSecrets(config: Config, fileName: string, env: NodeJS.ProcessEnv): void {
  config.clients.forEach((c, i) => {
    const name = c.secretEnv;
    if (name === undefined) return;
    const value = env[name];
    if (value === undefined || value === "") throw new ConfigError(`${fileName}: clients[${i}].secretEnv: environment variable ${name} is not set`);
    const r = clientSecretSchema.safeParse(value);
    if (!r.success) throw new ConfigError(`${fileName}: clients[${i}].secretEnv: the value of ${name}: ${r.error.issues[0]?.message ?? "invalid"}`);
    c.secret = value;
  });
}

/** Relative file paths in the config are relative to the config file, not to the working directory. */
function resolvePaths(config: Config, baseDir: string): void {
  const store = config.store as { memory?: { file: string; groupsFile?: string | undefined } };
  if (store.memory) {
    store.memory.file = path.resolve(baseDir, store.memory.file);
    if (store.memory.groupsFile !== undefined) store.memory.groupsFile = path.resolve(baseDir, store.memory.groupsFile);
  }
  config.dictionary.files = config.dictionary.files.map((f) => path.resolve(baseDir, f));
  const redis = (config.store as { redis?: { tls?: Record<string, unknown> } }).redis;
  if (redis?.tls) {
    for (const k of ["caFile", "certFile", "keyFile"] as const) {
      const f = redis.tls[k];
      if (typeof f === "string") redis.tls[k] = path.resolve(baseDir, f);
    }
  }
  const eapTls = config.eap.tls;
  if (eapTls) for (const k of ["certFile", "keyFile", "caFile"] as const) eapTls[k] = path.resolve(baseDir, eapTls[k]);
}

/** Files that must be readable at start: a problem names the key (store.redis.tls.*, eap.tls.*). */
function checkFiles(config: Config, fileName: string): void {
  const eapTls = config.eap.tls;
  if (eapTls) {
    for (const k of ["certFile", "keyFile", "caFile"] as const) {
      try {
        accessSync(eapTls[k], constants.R_OK);
      } catch (err) {
        throw new ConfigError(`${fileName}: eap.tls.${k}: cannot read ${eapTls[k]} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
      }
    }
  }
  if (!("redis" in config.store)) return;
  for (const [key, file] of tlsFiles(config.store.redis)) {
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw new ConfigError(`${fileName}: store.redis.tls.${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
}

export function loadConfig(file: string, opts: LoadOptions = {}): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${file}: cannot read the configuration file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseConfig(text, file, opts);
}
