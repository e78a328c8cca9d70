// Starts a worker thread on a module next to the caller. From the built dist/ the .js file runs
// as it is; from the TypeScript sources (the test runner) tsx is registered inside the thread first.
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * `base` is the caller's import.meta.url, `name` the entry module without extension: the
 * sibling `name.js` (built) or `name.ts` (sources) runs in the new thread.
 */
export function startThread(base: string, name: string, opts: Pick<WorkerOptions, "workerData" | "resourceLimits"> = {}): Worker {
  const fromSource = base.endsWith(".ts");
  const entry = new URL(`./${name}${fromSource ? ".ts" : ".js"}`, base);
  if (!fromSource) return new Worker(entry, opts);
  const tsxApi = pathToFileURL(path.join(path.dirname(createRequire(base).resolve("tsx/package.json")), "dist/esm/api/index.mjs"));
  const code = `import(${JSON.stringify(tsxApi.href)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { ...opts, eval: true });
}
