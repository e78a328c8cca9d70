// Process signals of a serving process (`serve`, and the primary of `serve --workers N`): some
// signals trigger an operation while serving (SIGHUP reload, SIGUSR2 rolling restart); the first
// SIGINT or SIGTERM starts a graceful stop, and a second one while stopping exits at once (130).
import type { Logger } from "./log.js";

export type OperationSignal = "SIGHUP" | "SIGUSR2";

export interface StopSignalOptions {
  log: Pick<Logger, "flush">;
  /** Handlers run on each of these signals until the stop signal arrives. */
  operations?: Partial<Record<OperationSignal, () => void>>;
  /** A second SIGINT or SIGTERM while stopping: runs this (log, kill children), then the process exits with 130. */
  onSecond(signal: string): void;
}

/** Resolves with the first SIGINT or SIGTERM; from then on the operation signals are no longer handled. */
export function waitForStopSignal(o: StopSignalOptions): Promise<string> {
  const operations = Object.entries(o.operations ?? {}) as Array<[OperationSignal, () => void]>;
  for (const [sig, fn] of operations) process.on(sig, fn);
  return new Promise<string>((resolve) => {
    const first = (sig: string): void => {
      process.off("SIGINT", first);
      process.off("SIGTERM", first);
      const again = (sig2: string): void => {
        o.onSecond(sig2);
        o.log.flush();
        process.exit(130);
      };
      process.once("SIGINT", again);
      process.once("SIGTERM", again);
      for (const [s, fn] of operations) process.off(s, fn);
      resolve(sig);
    };
    process.on("SIGINT", first);
    process.on("SIGTERM", first);
  });
}
