#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import os from "node:os";
import v8 from "node:v8";

// Confined to one CPU (taskset, a one-CPU container), V8's parallel scavenger threads only take
// turns with the event loop on that CPU and stretch its pauses. Parallel scavenging is checked at
// each scavenge, so it can be turned off here; concurrent marking cannot be changed once V8 runs
// (it must be given on the command line: `node --single-threaded-gc bin/carrier-aaa.js ...`,
// see docs/benchmarks.md). CARRIER_AAA_GC_THREADS=keep leaves V8's defaults.
if (os.availableParallelism() === 1 && process.env.CARRIER_AAA_GC_THREADS !== "keep") {
  v8.setFlagsFromString("--no-parallel-scavenge");
}

import("../dist/cli/main.js").catch((err) => {
  if (err && err.code === "ERR_MODULE_NOT_FOUND") {
    console.error("carrier-aaa: dist/ is missing; run `npm run build` first");
    process.exit(70);
  }
  throw err;
});
