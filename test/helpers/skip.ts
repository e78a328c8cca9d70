// Conditional tests that show up as skipped, with the reason, instead of passing without running.
import { describe, it } from "@jest/globals";

type TestFn = () => Promise<unknown> | void;

/** `it(name, fn)` when `condition` holds; otherwise `it.skip` with "[skipped: reason]" in the name. */
export function itIf(condition: boolean, reason: string): (name: string, fn: TestFn, timeout?: number) => void {
  return (name, fn, timeout) => {
    if (condition) it(name, fn, timeout);
    else it.skip(`${name} [skipped: ${reason}]`, fn, timeout);
  };
}

/** `describe(name, fn)` when `condition` holds; otherwise `describe.skip` with the reason in the name. */
export function describeIf(condition: boolean, reason: string): (name: string, fn: () => void) => void {
  return (name, fn) => {
    if (condition) describe(name, fn);
    else describe.skip(`${name} [skipped: ${reason}]`, fn);
  };
}

/** Tests that pause, kill or reconfigure Redis: only on the private redis-server the helpers start. */
export const itOwnRedis = itIf(!process.env["REDIS_URL"], "REDIS_URL is a shared Redis; this test stops, pauses or reconfigures it");
