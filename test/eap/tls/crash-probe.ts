// Run by session.test.ts in a child process under --unhandled-rejections=strict: drives the
// session through every failure path; any unhandled rejection or uncaught exception kills the
// process with a non-zero exit, which the test reports. Argument: the test PKI directory.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type tls from "node:tls";
import { EapTlsError } from "../../../src/eap/tls/errors.js";
import { TlsServerSession, createTlsContexts, type TlsMethod } from "../../../src/eap/tls/session.js";
import { runHandshake, startClient } from "./harness.js";

const dir = process.argv[2] ?? "";
const r = (f: string) => readFileSync(join(dir, f), "utf8");
const ctx = createTlsContexts({ cert: r("server.pem"), key: r("server.key"), ca: r("ca.pem") });
const codes: string[] = [];

async function attempt(method: TlsMethod, client: tls.ConnectionOptions): Promise<void> {
  const session = new TlsServerSession({ method, secureContext: method === "tls" ? ctx.eapTls : ctx.tunnel });
  const c = startClient({ ca: r("ca.pem"), servername: "radius.test", ...client });
  const run = await runHandshake(session, c, method, { server: 700, client: 300 });
  if (run.serverError instanceof EapTlsError) codes.push(run.serverError.code);
  // Keep using the failed session: every call must reject or throw a typed error.
  await session.feed(Buffer.from([22, 3, 3, 0, 1, 1])).catch((e: unknown) => { if (!(e instanceof EapTlsError)) throw e; });
  await session.writeInner(Buffer.from("x")).catch((e: unknown) => { if (!(e instanceof EapTlsError)) throw e; });
  session.close();
  session.close();
  c.socket.destroy();
}

const key = r("client.key");
for (const v of ["TLSv1.2", "TLSv1.3"] as const) {
  await attempt("tls", { cert: r("alice-other.pem"), key, minVersion: v, maxVersion: v });
  await attempt("tls", { cert: r("expired.pem"), key, minVersion: v, maxVersion: v });
  await attempt("tls", { minVersion: v, maxVersion: v });
}
await attempt("peap", { minVersion: "TLSv1.3" });
// Garbage, an alert, and a session dropped halfway through its handshake.
for (const bytes of [Buffer.from("garbage"), Buffer.from([22, 3, 1, 0, 4, 1, 2, 3, 4]), Buffer.from([21, 3, 3, 0, 2, 2, 40])]) {
  const s = new TlsServerSession({ method: "tls", secureContext: ctx.eapTls });
  await s.feed(bytes).catch((e: unknown) => { if (e instanceof EapTlsError) codes.push(e.code); else throw e; });
  s.close();
}
const half = new TlsServerSession({ method: "ttls", secureContext: ctx.tunnel });
const hc = startClient({ ca: r("ca.pem"), servername: "radius.test" });
await hc.settle();
await half.feed(hc.takeOutput());
half.close();
hc.socket.destroy();
await new Promise((resolve) => setTimeout(resolve, 300));
process.stdout.write(`${JSON.stringify(codes)}\n`);
