// Builds the C load tools on demand (they need only a C compiler: MD5/HMAC are in
// radius-md5.h, the generators' shared code in radius-common.h, no libssl). Binaries go to load-tests/results/tmp/ (git-ignored), rebuilt
// when a source is newer than the binary.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { which } from "./procs.js";

export const LOAD_TESTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const TMP_DIR = path.join(LOAD_TESTS_DIR, "results", "tmp");

export type CTool = "radius-load" | "echo-responder" | "core-speed" | "storm-load" | "cpu-compete";

/** Path of the built tool, or an Error saying why it could not be built. */
export function buildC(tool: CTool): string | Error {
  const src = path.join(LOAD_TESTS_DIR, `${tool}.c`);
  const headers = ["radius-md5.h", "radius-common.h"].map((h) => path.join(LOAD_TESTS_DIR, h));
  const out = path.join(TMP_DIR, tool);
  const cc = which("cc") ?? which("gcc") ?? which("clang");
  if (existsSync(out)) {
    const bin = statSync(out).mtimeMs;
    if (bin >= statSync(src).mtimeMs && headers.every((h) => bin >= statSync(h).mtimeMs)) return out;
  }
  if (!cc) return new Error("no C compiler (cc/gcc/clang) to build the C load tools");
  mkdirSync(TMP_DIR, { recursive: true });
  const r = spawnSync(cc, ["-O2", "-Wall", "-o", out, src, "-lm"], { encoding: "utf8" });
  if (r.status !== 0) return new Error(`${cc} failed for ${tool}.c:\n${r.stderr}`);
  return out;
}
