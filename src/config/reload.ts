// Live reload, the configuration side: which changed keys a running server can take over, and
// which need a restart because they are bound to a socket, a connection or a thread. Pure: it
// compares two validated configurations and never looks at a value beyond equality, so what it
// reports (key paths, client names) is safe to log.
import type { Config } from "./schema.js";

/**
 * Sections a running server swaps in on reload. Everything else is bound at start-up:
 *   radius.auth (host, port, socket buffer, io, kernel queues) - the bound sockets;
 *   store - the backend and its connection (its data is re-read on reload, see SubscriberStore.reload);
 *   workerPool - the threads; duplicates - the cache is sized at start; http - the HTTP listener;
 *   eap - the conversation store and its methods (conversations in progress are kept), except
 *   eap.tls: with a certificate at start and in the new file, the EAP side re-reads and swaps it
 *   (EapSetup.prepareReload); adding or removing eap.tls changes the methods and needs a restart.
 */
export const RELOADABLE_SECTIONS = ["clients", "log", "auth", "scheduler", "dictionary"] as const satisfies readonly (keyof Config)[];
export const RESTART_SECTIONS = ["radius", "store", "workerPool", "duplicates", "http", "eap"] as const satisfies readonly (keyof Config)[];

export interface ReloadPlan {
  /** What the server runs after the reload: `next`, with every restart-only key at its running value. */
  effective: Config;
  /** Changed keys that take effect now (paths; clients by name). */
  applied: string[];
  /** Changed keys that keep their running value until the next restart. */
  needsRestart: string[];
}

/** Kernel receive queues the auth listener gets: `flows` when set, else 8 with the scheduler on (native io). */
export function effectiveFlows(config: Config): number {
  const a = config.radius.auth;
  return a.io === "dgram" ? 0 : (a.flows ?? (config.scheduler.enabled ? 8 : 0));
}

export function planReload(running: Config, next: Config): ReloadPlan {
  const applied: string[] = [];
  const needsRestart: string[] = [];

  diffClients(running.clients, next.clients, applied);
  for (const key of ["log", "auth", "scheduler", "dictionary"] as const) diff(running[key], next[key], key, applied);

  // The listener's kernel queues follow scheduler.enabled when `flows` is not set: compare what
  // was bound, not what was written.
  const { flows: _rf, ...runningAuth } = running.radius.auth;
  const { flows: _nf, ...nextAuth } = next.radius.auth;
  diff(runningAuth, nextAuth, "radius.auth", needsRestart);
  diff(running.radius.acct, next.radius.acct, "radius.acct", needsRestart);
  diff(running.radius.statusServer, next.radius.statusServer, "radius.statusServer", needsRestart);
  if (effectiveFlows(running) !== effectiveFlows(next)) {
    needsRestart.push(next.radius.auth.flows === undefined ? "radius.auth.flows (its default follows scheduler.enabled)" : "radius.auth.flows");
  }
  for (const key of ["store", "workerPool", "duplicates", "http"] as const) diff(running[key], next[key], key, needsRestart);
  // eap.tls changes (paths or contents) are the EAP side's to report when it swaps them.
  const tlsLive = running.eap.tls !== undefined && next.eap.tls !== undefined;
  const { tls: runningTls, ...runningEap } = running.eap;
  const { tls: nextTls, ...nextEap } = next.eap;
  diff(runningEap, nextEap, "eap", needsRestart);
  if (!tlsLive) diff(runningTls, nextTls, "eap.tls", needsRestart);
  // Where the TLS sessions run is bound to the threads started with the server.
  const threadKeys = (t: typeof runningTls) => ({ placement: t?.placement, workerThreads: t?.workerThreads });
  if (tlsLive) diff(threadKeys(runningTls), threadKeys(nextTls), "eap.tls", needsRestart);

  const effective: Config = {
    ...next,
    radius: { ...running.radius, auth: { ...running.radius.auth, flows: effectiveFlows(running) } },
    store: running.store,
    workerPool: running.workerPool,
    duplicates: running.duplicates,
    http: running.http,
    eap: tlsLive && nextTls && runningTls ? { ...running.eap, tls: { ...nextTls, placement: runningTls.placement, workerThreads: runningTls.workerThreads } } : running.eap,
  };
  return { effective, applied, needsRestart };
}

/** Clients by name: added, removed, and which keys of a kept one changed (never their values). */
function diffClients(a: Config["clients"], b: Config["clients"], into: string[]): void {
  const out: string[] = [];
  const before = new Map(a.map((c) => [c.name, c]));
  const after = new Map(b.map((c) => [c.name, c]));
  for (const [name, c] of after) {
    const prev = before.get(name);
    if (!prev) {
      out.push(`clients.${name} (added)`);
      continue;
    }
    const keys = new Set([...Object.keys(prev), ...Object.keys(c)]);
    for (const k of [...keys].sort()) {
      if (!equal((prev as Record<string, unknown>)[k], (c as Record<string, unknown>)[k])) out.push(`clients.${name}.${k}`);
    }
  }
  for (const name of before.keys()) if (!after.has(name)) out.push(`clients.${name} (removed)`);
  // Order matters only where prefixes tie; report it when nothing else explains a difference.
  if (out.length === 0 && !equal(a, b)) out.push("clients (order)");
  into.push(...out);
}

/** Dotted paths of the leaves that differ; arrays count as one leaf. */
function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) diff(a[k], b[k], `${path}.${k}`, out);
    return;
  }
  if (!equal(a, b)) out.push(path);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => equal(a[k], b[k]));
  }
  return false;
}
