// CPU priority of a starting worker (rolling restart): it loads at the lowest priority and gets
// its priority back before it reads, so that loading takes only the CPU the serving workers leave.
import { readdirSync } from "node:fs";
import os from "node:os";
import type { Logger } from "../log.js";

/**
 * The replacement's nice value while it starts. Only where the priority can be given back (root
 * or CAP_SYS_NICE): otherwise the replacement would go on serving at the lowest priority.
 */
const STARTUP_NICE = 19;

/**
 * Linux keeps a nice value per thread, and a thread inherits its creator's: the threads of a
 * process (V8's compiler and GC helpers, libuv's pool) are set one by one, as /proc lists them.
 */
function setProcessPriority(pid: number, nice: number): void {
  let tids: number[] = [pid];
  try {
    tids = readdirSync(`/proc/${pid}/task`).map(Number).filter((t) => Number.isInteger(t) && t > 0);
  } catch {
    // not Linux, or gone: the process itself
  }
  for (const tid of tids) {
    try {
      os.setPriority(tid, nice);
    } catch (err) {
      if (tid === pid) throw err; // a thread may have ended meanwhile
    }
  }
}

/** Lower a starting worker's priority if it can be given back; returns how to give it back. */
export function lowerWhileStarting(pid: number, log: Logger): () => void {
  let own: number;
  try {
    own = os.getPriority(0);
    // Can we raise a priority? Try on ourselves (one step up and back).
    if (own <= -20) return () => undefined;
    os.setPriority(0, own - 1);
    os.setPriority(0, own);
    setProcessPriority(pid, STARTUP_NICE);
  } catch {
    return () => undefined;
  }
  log.info({ pid, nice: STARTUP_NICE }, "replacement starting at the lowest CPU priority");
  return () => {
    try {
      setProcessPriority(pid, own);
    } catch (err) {
      log.warn({ pid, err: (err as Error).message }, "could not give the replacement its priority back");
    }
  };
}
