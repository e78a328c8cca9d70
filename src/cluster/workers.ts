// How many workers `serve --workers N` runs by default, and whether N can run with a configuration.
import os from "node:os";
import type { Config } from "../config/schema.js";
import { loadUdpMmsg } from "../transport/native/binding.js";
import { MAX_WORKERS } from "./layout.js";

export class WorkersError extends Error {}

/** Default worker count: one per core with the Redis store; 1 with the embedded memory store. */
export function defaultWorkers(config: Config): number {
  return "redis" in config.store ? Math.min(MAX_WORKERS, os.availableParallelism()) : 1;
}

/** Why `workers` (> 1) cannot run with this configuration, or null. */
export function workersProblem(config: Config, workers: number): string | null {
  if (workers <= 1) return null;
  if (workers > MAX_WORKERS) return `--workers must be at most ${MAX_WORKERS}`;
  if (!("redis" in config.store)) {
    return `--workers ${workers}: store.memory keeps subscribers and sessions inside one process; each worker would hold its own copy, so admin API writes and Simultaneous-Use would not be shared. Use store.redis, or --workers 1`;
  }
  for (const [name, l] of [["auth", config.radius.auth], ["acct", config.radius.acct]] as const) {
    if (l?.io === "dgram") return `--workers ${workers}: radius.${name}.io is "dgram"; several workers share the sockets through the native UDP transport (io "auto" or "native")`;
  }
  const { binding, error } = loadUdpMmsg();
  if (!binding) return `--workers ${workers} needs the native UDP addon: ${error}`;
  return null;
}
