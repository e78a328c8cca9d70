// Structured logs (pino). Passwords and secrets are redacted at every level; the request path never
// logs decoded packets, only named fields.
import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

/** Paths pino removes before a line is written, whatever the level. */
export const REDACT_PATHS = [
  "password",
  "passwordHash",
  "ntHash",
  "secret",
  "*.password",
  "*.passwordHash",
  "*.ntHash",
  "*.secret",
  "*.*.password",
  "*.*.secret",
  "clients[*].secret",
  "config.clients[*].secret",
  "userPassword",
  "*.userPassword",
  "token",
  "authToken",
  "*.token",
  "*.authToken",
  "authorization",
  "*.authorization",
  "*.*.authorization",
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const opts = {
    level,
    base: { service: "carrier-aaa" },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(opts, destination) : pino(opts);
}

/**
 * Lets one line through per key per interval and counts what it held back, so that a flood of bad
 * datagrams cannot flood the log.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Returns the number of lines suppressed since the last one let through, or -1 to suppress this one. */
  allow(key: string, now: number): number {
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return -1;
    }
    const suppressed = entry?.suppressed ?? 0;
    if (!entry && this.last.size >= this.maxKeys) {
      const oldest = this.last.keys().next().value;
      if (oldest !== undefined) this.last.delete(oldest);
    }
    this.last.delete(key);
    this.last.set(key, { at: now, suppressed: 0 });
    return suppressed;
  }
}
