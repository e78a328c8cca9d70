// Live reload of eap.tls: a new certificate serves new conversations while those in progress
// finish with the one they started with; a bad certificate is refused, naming the key, and the
// running one keeps serving. The peer is Node's tls client (radius-peer.ts), which reports the
// server certificate it was shown.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Code } from "../../src/radius/codes.js";
import type { Config } from "../../src/config/schema.js";
import type { EapTlsConfig } from "../../src/eap/config.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { makeTestPki, type TestPki } from "./tls/certs.js";
import { EapRadiusPeer, runTlsMethod, type TlsRun } from "./tls/radius-peer.js";

let server: TestServer;
let pki: TestPki;
const f = (name: string) => path.join(pki.dir, name);
const SLOW = 60_000;
let oldFp: string;
let newFp: string;

beforeAll(async () => {
  pki = makeTestPki();
  writeFileSync(f("srv.pem"), pki.server.cert);
  writeFileSync(f("srv.key"), pki.server.key);
  // A second server certificate from the same CA, with a key of its own (EC: quick to make).
  const o = (args: string[]) => execFileSync("openssl", args, { cwd: pki.dir, stdio: ["ignore", "ignore", "pipe"] });
  o(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "srv2.key", "-subj", "/CN=radius.test", "-out", "srv2.csr"]);
  o(["x509", "-req", "-in", "srv2.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "77", "-days", "30", "-extfile", "server.ext", "-out", "srv2.pem"]);
  writeFileSync(f("not-a-cert.pem"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
  writeFileSync(f("subs.jsonl"), JSON.stringify({ username: "alice", password: "alice-pw" }));
  oldFp = new X509Certificate(pki.server.cert).fingerprint256;
  newFp = new X509Certificate(readFileSync(f("srv2.pem"))).fingerprint256;
}, SLOW);

afterAll(() => {
  pki?.cleanup();
});

const withTls = (tls: Partial<EapTlsConfig>): Config => {
  const c = server.runningConfig();
  return { ...c, eap: { ...c.eap, tls: { ...c.eap.tls!, ...tls } } };
};

async function conversation(onChallenge?: (n: number) => Promise<void>): Promise<TlsRun> {
  const p = await new EapRadiusPeer(server.port).open();
  try {
    return await runTlsMethod(p, {
      type: 13,
      client: { ca: pki.ca, servername: "radius.test", cert: pki.alice.cert, key: pki.alice.key, maxVersion: "TLSv1.2" },
      ...(onChallenge ? { onChallenge } : {}),
    });
  } finally {
    p.close();
  }
}

/** The server certificate the peer was shown, after an Access-Accept. */
function shown(run: TlsRun): string {
  expect(run.final?.code).toBe(Code.AccessAccept);
  const fp = run.client!.socket.getPeerX509Certificate()!.fingerprint256;
  // The MPPE keys still come from this conversation's own TLS session.
  const msk = (run.client!.socket.exportKeyingMaterial as (n: number, l: string) => Buffer).call(run.client!.socket, 64, "client EAP encryption");
  expect(EapRadiusPeer.mppeKeys(run.final!)?.recvKey).toEqual(msk.subarray(0, 32));
  run.client!.socket.destroy();
  return fp;
}

const failedReloads = (): number => server.metrics.sum("aaa_config_reloads_total", { result: "failed" });

// The same with the TLS sessions on a worker thread (the default: the thread gets each new
// certificate) and inline.
for (const placement of ["worker", "inline"] as const) {
describe(`reload of eap.tls, placement ${placement}`, () => {
  beforeAll(async () => {
    server = await startTestServer(
      { store: { memory: { file: f("subs.jsonl") } }, eap: { methods: ["tls"], tls: { certFile: f("srv.pem"), keyFile: f("srv.key"), caFile: f("ca.pem"), placement } } },
      "warn",
    );
  }, SLOW);

  afterAll(async () => {
    await server?.close();
  });

    it("a conversation started before the reload finishes with the old certificate; a new one gets the new", async () => {
      let reloaded: Awaited<ReturnType<TestServer["reload"]>> | undefined;
      // Reload as soon as the server's EAP-TLS Start arrives: the conversation's TLS session
      // exists, no handshake octet has been exchanged yet.
      const first = await conversation(async (n) => {
        if (n === 1) reloaded = await server.reload(withTls({ certFile: f("srv2.pem"), keyFile: f("srv2.key") }));
      });
      expect(reloaded).toMatchObject({ ok: true });
      expect(reloaded?.ok && reloaded.applied).toEqual(expect.arrayContaining(["eap.tls.certFile", "eap.tls.keyFile"]));
      expect(reloaded?.ok && reloaded.needsRestart).toEqual([]);
      expect(shown(first)).toBe(oldFp);
      expect(shown(await conversation())).toBe(newFp);
    }, SLOW);

    it("a bad certificate, key or expired certificate is refused with the key named; the running one keeps serving", async () => {
      const before = failedReloads();
      const cases: Array<[Partial<EapTlsConfig>, RegExp]> = [
        [{ certFile: f("not-a-cert.pem") }, /^eap\.tls\.certFile: .*not-a-cert\.pem holds no PEM certificate$/],
        [{ certFile: f("missing.pem") }, /^eap\.tls\.certFile: cannot read .*missing\.pem \(ENOENT\)$/],
        [{ keyFile: f("srv.key") }, /^eap\.tls\.keyFile: .*srv\.key is not the key of the certificate in eap\.tls\.certFile$/],
        [{ caFile: f("not-a-cert.pem") }, /^eap\.tls\.caFile: /],
        [{ certFile: f("expired.pem"), keyFile: f("client.key") }, /^eap\.tls\.certFile: .*expired\.pem expired on /],
      ];
      for (const [tls, error] of cases) {
        const r = await server.reload(withTls(tls));
        expect(r.ok).toBe(false);
        expect(!r.ok && r.error).toMatch(error);
      }
      expect(failedReloads()).toBe(before + cases.length);
      // The certificate in force before the refused reloads (srv2, from the test above).
      expect(shown(await conversation())).toBe(newFp);
    }, SLOW);

    it("the same paths with new contents (a renewed certificate) are re-read; an unchanged reload swaps nothing", async () => {
      writeFileSync(f("live.pem"), pki.server.cert);
      writeFileSync(f("live.key"), pki.server.key);
      const toLive = await server.reload(withTls({ certFile: f("live.pem"), keyFile: f("live.key") }));
      expect(toLive.ok && toLive.applied).toEqual(["eap.tls.certFile", "eap.tls.keyFile"]);
      expect(shown(await conversation())).toBe(oldFp);
      // Renewal in place: new files under the same names, then a reload of the same configuration.
      writeFileSync(f("live.pem"), readFileSync(f("srv2.pem")));
      writeFileSync(f("live.key"), readFileSync(f("srv2.key")));
      const renewed = await server.reload(server.runningConfig());
      expect(renewed.ok && renewed.applied).toEqual(["eap.tls (certificate, key or CA files re-read)"]);
      expect(shown(await conversation())).toBe(newFp);
      const same = await server.reload(server.runningConfig());
      expect(same.ok && same.applied).toEqual([]);
    }, SLOW);

  it("placement and workerThreads need a restart: the running values stay", async () => {
    const other = placement === "worker" ? "inline" : "worker";
    const r = await server.reload(withTls({ placement: other, workerThreads: 2 }));
    expect(r.ok && r.needsRestart).toEqual(["eap.tls.placement", "eap.tls.workerThreads"]);
    expect(server.runningConfig().eap.tls).toMatchObject({ placement, workerThreads: 1 });
    expect(server.tlsWorkers !== undefined).toBe(placement === "worker");
    expect(shown(await conversation())).toBe(newFp);
  }, SLOW);
});
}
