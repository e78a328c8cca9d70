// In-process micro-benchmark of the whole request path without sockets: prebuilt PAP
// Access-Requests with Message-Authenticator go through RadiusCore.handle (verify, duplicates,
// admit, handle on the memory store, encode) and the reply is dropped. It measures the JavaScript
// cost per request, apart from the kernel's UDP work and Redis.
//   npx tsx load-tests/bench-pipeline.ts [seconds]
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pino } from "pino";
import { configSchema } from "../src/config/schema.js";
import { defaultDictionary } from "../src/radius/dictionary.js";
import { createStore } from "../src/store/factory.js";
import { ClientTable } from "../src/verify/clients.js";
import { Scheduler } from "../src/admit/scheduler.js";
import { RadiusCore } from "../src/pipeline/pipeline.js";
import { Metrics } from "../src/metrics/counters.js";
import { WorkerPool } from "../src/pipeline/worker-pool.js";
import { Attr, Code } from "../src/radius/codes.js";
import { encodeRequest } from "../src/radius/encode.js";
import { hidePassword } from "../src/radius/authenticator.js";
import { randomBytes } from "node:crypto";

const seconds = Number(process.argv[2] ?? 5);
const USERS = 100_000;
const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-bench-"));
const file = path.join(dir, "subs.jsonl");
const lines: string[] = [];
for (let i = 1; i <= USERS; i++) {
  const u = `user${String(i).padStart(6, "0")}`;
  lines.push(JSON.stringify({ username: u, password: `pw-${u}`, reply: { "Session-Timeout": 3600 } }));
}
writeFileSync(file, lines.join("\n"));

const config = configSchema.parse({ clients: [{ name: "bench", address: "127.0.0.1", secret: "testing123" }], store: { memory: { file } } });
const store = createStore(config.store);
await store.start();
const metrics = new Metrics();
const core = new RadiusCore({
  clients: new ClientTable(config.clients),
  store,
  dictionary: defaultDictionary(),
  // Shedding off: this measures CPU cost per request, and bursts of 1000 submitted in one
  // synchronous loop would otherwise (rightly) look like overload to the scheduler.
  scheduler: new Scheduler({ ...config.scheduler, enabled: false }, { clock: () => performance.now() }),
  metrics,
  log: pino({ level: "warn" }),
  pool: new WorkerPool({ size: 1, maxQueue: 10, now: () => performance.now() }),
  now: () => performance.now(),
  duplicates: config.duplicates,
});

const secret = Buffer.from("testing123");
const N = 50_000;
const packets: Buffer[] = [];
for (let k = 0; k < N; k++) {
  const u = `user${String(1 + (k % USERS)).padStart(6, "0")}`;
  const auth = randomBytes(16);
  packets.push(
    encodeRequest({
      code: Code.AccessRequest,
      identifier: k & 0xff,
      secret,
      authenticator: auth,
      messageAuthenticator: true,
      attributes: [
        { type: Attr.UserName, value: Buffer.from(u) },
        { type: Attr.UserPassword, value: hidePassword(Buffer.from(`pw-${u}`), secret, auth) },
        { type: Attr.NasIpAddress, value: Buffer.from([127, 0, 0, 1]) },
      ],
    }),
  );
}

let answered = 0;
const send = (): void => {
  answered++;
};
const end = performance.now() + seconds * 1000;
let sent = 0;
const t0 = performance.now();
while (performance.now() < end) {
  for (let i = 0; i < 1000; i++, sent++) {
    // A new source port per lap keeps the duplicate cache from answering.
    core.handle({ listener: "auth", data: packets[sent % N]!, remote: { address: "127.0.0.1", port: 1024 + Math.floor(sent / N) }, arrivedAt: performance.now() }, send);
  }
  await new Promise((r) => setImmediate(r));
}
await new Promise((r) => setTimeout(r, 50));
const elapsed = (performance.now() - t0) / 1000;
console.log(`requests ${sent}, answered ${answered}, ${(answered / elapsed).toFixed(0)}/s, ${((elapsed * 1e6) / answered).toFixed(1)} µs per request`);
console.log(metrics.snapshot().filter((s) => s.value > 0));
await store.close();
process.exit(0);
