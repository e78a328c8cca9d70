// Shared helpers for the RADIUS codec tests (not a test file itself).
import { readFileSync } from "node:fs";
import { expect } from "@jest/globals";
import { RadiusError, type RadiusErrorCode } from "../../src/radius/errors.js";

export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ""), "hex");
}

export interface Section7 {
  secret: string;
  vectors: Record<string, string>;
}

export function section7(): { secret: Buffer; v: (name: string) => Buffer } {
  const data = JSON.parse(readFileSync(new URL("../fixtures/radius/rfc2865-section7.json", import.meta.url), "utf8")) as Section7;
  return {
    secret: Buffer.from(data.secret),
    v: (name: string): Buffer => {
      const h = data.vectors[name];
      if (h === undefined) throw new Error(`no vector ${name}`);
      return hex(h);
    },
  };
}

export function fixturePath(rel: string): string {
  return new URL(`../fixtures/radius/${rel}`, import.meta.url).pathname;
}

/** Run f and return the RadiusError it throws (fails the test if it does not throw one). */
export function radiusErrorOf(f: () => unknown): RadiusError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RadiusError);
    return e as RadiusError;
  }
  throw new Error("expected a RadiusError, nothing was thrown");
}

export function expectRadiusError(f: () => unknown, code: RadiusErrorCode): RadiusError {
  const e = radiusErrorOf(f);
  expect(e.code).toBe(code);
  return e;
}

export { prng } from "../helpers/prng.js";

export function randomBuffer(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}
