// store.redis.tls -> ioredis's `tls` option (node:tls connection options). The files are read
// here, once, when a store is built at start; a problem names the configuration key.
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type { RedisStoreConfig } from "./config.js";

const FILE_KEYS = ["caFile", "certFile", "keyFile"] as const;

/** Reads one file of store.redis.tls; the error names the key and the path, never the contents. */
export function readTlsFile(key: (typeof FILE_KEYS)[number], file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(`store.redis.tls.${key}: cannot read ${file} (${code})`);
  }
}

/** The `tls` option for ioredis, or undefined without a tls section (a rediss:// URL then uses Node's defaults). */
export function redisTlsOptions(config: Pick<RedisStoreConfig, "tls">): ConnectionOptions | undefined {
  const t = config.tls;
  if (t === undefined) return undefined;
  const out: ConnectionOptions = { rejectUnauthorized: t.rejectUnauthorized };
  if (t.caFile !== undefined) out.ca = readTlsFile("caFile", t.caFile);
  if (t.certFile !== undefined) out.cert = readTlsFile("certFile", t.certFile);
  if (t.keyFile !== undefined) out.key = readTlsFile("keyFile", t.keyFile);
  if (t.servername !== undefined) out.servername = t.servername;
  return out;
}

/** Every file path of store.redis.tls with its key (for checks that run before start). */
export function tlsFiles(config: Pick<RedisStoreConfig, "tls">): Array<[(typeof FILE_KEYS)[number], string]> {
  const t = config.tls;
  if (t === undefined) return [];
  return FILE_KEYS.flatMap((k) => (t[k] !== undefined ? [[k, t[k]] as [(typeof FILE_KEYS)[number], string]] : []));
}
