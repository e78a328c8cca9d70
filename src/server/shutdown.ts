// Graceful stop: stop intake, let what was admitted finish within the grace period, release.
import type { HttpSide } from "../http/server.js";
import type { Logger } from "../log.js";
import type { ServerCore } from "./core.js";
import { eachListener, type Listeners } from "./listeners.js";

/** Whether the RADIUS listeners take requests: false before they are bound and from the start of a shutdown. */
export interface Intake {
  open: boolean;
}

/**
 * Releases everything a server holds except its UDP sockets, in order: timers, scheduler, HTTP
 * side, worker pool, TLS worker threads, stores.
 */
export async function releaseServer(parts: ServerCore, timers: ReadonlyArray<{ stop(): void }>, http: HttpSide | undefined): Promise<void> {
  for (const t of timers) t.stop();
  parts.stopTimers();
  parts.scheduler.close();
  await http?.close(0);
  await parts.pool.close();
  await parts.eapSetup.close();
  await parts.store.close();
  await parts.sessions.close();
}

export interface Drain {
  parts: ServerCore;
  listeners: Listeners;
  http: HttpSide | undefined;
  intake: Intake;
  log: Logger;
  /** Releases the rest once the listeners are closed. */
  release(): Promise<void>;
}

/**
 * 1. Stop intake: no new datagrams (counted as dropped, shutting_down), no new HTTP requests.
 * 2. Drain: what was admitted finishes (answered, or shed at its deadline), within `graceMs`.
 * 3. Close the listeners and release the rest. Resolves with what was still pending at the end.
 */
export async function drainAndClose(d: Drain, graceMs: number): Promise<{ abandoned: number }> {
  const { parts, http, log } = d;
  d.intake.open = false;
  for (const listener of ["auth", "acct"] as const) {
    const discarded = parts.metrics.counter("aaa_datagrams_total", { listener, outcome: "dropped", reason: "shutting_down", class: "none", client: "unknown" });
    d.listeners[listener]?.stopReceiving(() => discarded.value++);
  }
  http?.drain();
  const t0 = parts.now();
  const busy = (): number => parts.scheduler.pending + (http?.active ?? 0);
  while (busy() > 0 && parts.now() - t0 < graceMs) await new Promise((r) => setTimeout(r, 5));
  const abandoned = parts.scheduler.pending;
  log.info({ drainedMs: Math.round(parts.now() - t0), abandoned }, abandoned === 0 ? "drained: no request in flight" : "grace period over: requests still in flight are abandoned");
  for (const [, l] of eachListener(d.listeners)) await l.close();
  await d.release();
  return { abandoned };
}
