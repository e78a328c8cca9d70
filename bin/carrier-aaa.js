#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import("../dist/cli/main.js").catch((err) => {
  if (err && err.code === "ERR_MODULE_NOT_FOUND") {
    console.error("carrier-aaa: dist/ is missing; run `npm run build` first");
    process.exit(70);
  }
  throw err;
});
