// Builds the configured backend: Redis or memory, for subscribers and for sessions. Apart from
// store.ts (the contract) so that the implementations can import the contract without a cycle.
import type { StoreConfig } from "./config.js";
import { MemorySessionStore } from "./memory-sessions.js";
import { MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
import { RedisSessionStore } from "./redis-sessions.js";
import { RedisStore } from "./redis-store.js";
import type { SessionsConfig } from "./sessions-config.js";
import type { SessionStore } from "./sessions.js";
import type { SubscriberStore } from "./store.js";
import { noopLogger, type StoreLogger } from "./util.js";

export function createStore(config: StoreConfig, log: StoreLogger = noopLogger, opts: MemoryStoreOptions = {}): SubscriberStore {
  if ("redis" in config) return new RedisStore(config.redis, log);
  return new MemoryStore(config.memory, log, opts);
}

/** The session store (accounting, Simultaneous-Use) on the same backend as the subscribers. */
export function createSessionStore(
  config: StoreConfig,
  sessions: SessionsConfig,
  log: StoreLogger = noopLogger,
  wallClock: () => number = Date.now,
): SessionStore {
  const deps = { config: sessions, log, wallClock };
  if ("redis" in config) return new RedisSessionStore(config.redis, deps);
  return new MemorySessionStore(deps);
}
