// Closes sessions that stopped sending accounting (sessions.staleMultiple interim intervals), one
// sweep at a time and only while the session store is available.
import type { Logger } from "../log.js";
import type { SessionStore } from "../store/sessions.js";

export function startSessionSweeper(sessions: SessionStore, everyMs: number, log: Logger): { stop(): void } {
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping || !sessions.isAvailable()) return;
    sweeping = true;
    sessions
      .sweepStale()
      .then(
        (n) => {
          if (n > 0) log.info({ closed: n }, "stale sessions closed");
        },
        (err: unknown) => log.warn({ err: (err as Error)?.message }, "closing stale sessions failed; retrying at the next sweep"),
      )
      .finally(() => {
        sweeping = false;
      });
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
