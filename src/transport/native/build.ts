// Builds the optional native UDP I/O addon (udp-mmsg.c) next to this file in dist/, with the
// system C compiler and the headers of the Node.js that runs this script. Part of `npm run build`.
//
// The addon is optional: without a C compiler or headers the server uses node:dgram (slower, same
// behaviour) and this script says so and exits 0. Set CARRIER_AAA_REQUIRE_NATIVE=1 to make a
// failed build an error instead (CI does, so that the tests of the native transport always run).
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.resolve(here, "../../../src/transport/native/udp-mmsg.c");
const output = path.join(here, "udp-mmsg.node");
const required = process.env.CARRIER_AAA_REQUIRE_NATIVE === "1";

function fail(message: string): never {
  process.stderr.write(`native UDP addon not built: ${message}; the server will use node:dgram\n`);
  process.exit(required ? 1 : 0);
}

if (process.platform !== "linux") fail(`recvmmsg/sendmmsg need Linux (this is ${process.platform})`);
if (!existsSync(source)) fail(`source missing: ${source}`);
const include = path.resolve(path.dirname(process.execPath), "..", "include", "node");
if (!existsSync(path.join(include, "node_api.h"))) fail(`Node.js headers not found in ${include}`);
if (existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) process.exit(0);

const cc = process.env.CC || "cc";
try {
  execFileSync(cc, ["-O2", "-Wall", "-Wextra", "-shared", "-fPIC", `-I${include}`, "-o", output, source], { stdio: ["ignore", "inherit", "inherit"] });
} catch (err) {
  fail(`${cc} failed (${(err as Error).message.split("\n")[0]})`);
}
