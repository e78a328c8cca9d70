// EAP-TLS and PEAP against the live server without eapol_test: Node's own tls client over an
// in-memory duplex is the peer (radius-peer.ts), its records carried in EAP-Message attributes
// over UDP. Success checks the MPPE keys against the client's own exportKeyingMaterial; every
// bad input ends in a named, counted Access-Reject (or drop), and the server goes on answering.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { TLSSocket } from "node:tls";
import { Code } from "../../src/radius/codes.js";
import { encodeTlsFrame, startFrame } from "../../src/eap/tls/fragment.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { makeTestPki, type TestPki } from "./tls/certs.js";
import { EapRadiusPeer, peapMsChapV2Peer, runTlsMethod, type Reply } from "./tls/radius-peer.js";

let server: TestServer;
let pki: TestPki;
const f = (name: string) => path.join(pki.dir, name);
const SLOW = 60_000;

beforeAll(async () => {
  pki = makeTestPki();
  writeFileSync(f("srv.pem"), pki.server.cert);
  writeFileSync(f("srv.key"), pki.server.key);
  writeFileSync(
    f("subs.jsonl"),
    [
      { username: "alice", password: "alice-pw" },
      { username: "carol", password: "carol-pw", enabled: false },
    ].map((s) => JSON.stringify(s)).join("\n"),
  );
}, SLOW);

afterAll(() => {
  pki?.cleanup();
});

/** RFC 5705 exporter with no context at all (not an empty one: TLS 1.2 tells them apart), as RFC 5216 §2.3 asks. */
const exportNoContext = (s: TLSSocket, length: number, label: string): Buffer => (s.exportKeyingMaterial as (n: number, l: string) => Buffer).call(s, length, label);
const rejects = (s: TestServer, reason: string): number => s.metrics.sum("aaa_access_rejects_total", { reason });
const dropped = (s: TestServer, reason: string): number => s.metrics.sum("aaa_datagrams_total", { outcome: "dropped", reason });
const gauge = (s: TestServer, name: string): number => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(s.metrics.toPrometheus())?.[1] ?? NaN);

async function withPeer<T>(s: TestServer, fn: (p: EapRadiusPeer) => Promise<T>, opts: { framedMtu?: number } = {}): Promise<T> {
  const p = await new EapRadiusPeer(s.port, opts).open();
  try {
    return await fn(p);
  } finally {
    p.close();
  }
}

const clientOpts = (cert: { cert: string; key: string } | null, extra: Record<string, unknown> = {}) => ({
  ca: pki.ca,
  servername: "radius.test",
  ...(cert ? { cert: cert.cert, key: cert.key } : {}),
  ...extra,
});

/** Runs EAP-TLS with the given certificate; expects an Access-Reject counted under `reason`. */
async function expectTlsReject(cert: { cert: string; key: string } | null, reason: string, extra: Record<string, unknown> = {}, tamper?: (out: Buffer, n: number) => Buffer): Promise<Reply | null> {
  const before = rejects(server, reason);
  const run = await withPeer(server, (p) => runTlsMethod(p, { type: 13, client: clientOpts(cert, extra), ...(tamper ? { tamper } : {}) }));
  expect(run.final?.code).toBe(Code.AccessReject);
  expect(run.final?.eap?.code).toBe(4); // EAP-Failure
  expect(rejects(server, reason)).toBe(before + 1);
  run.client?.socket.destroy();
  return run.final;
}

// Every test runs with the TLS sessions on a worker thread (the default) and inline.
for (const placement of ["worker", "inline"] as const) {
describe(`eap.tls.placement ${placement}`, () => {
  beforeAll(async () => {
    server = await startTestServer(
      { store: { memory: { file: f("subs.jsonl") } }, eap: { methods: ["tls", "peap"], tls: { certFile: f("srv.pem"), keyFile: f("srv.key"), caFile: f("ca.pem"), placement } } },
      "warn",
    );
    expect(server.tlsWorkers !== undefined).toBe(placement === "worker");
  }, SLOW);

  afterAll(async () => {
    await server?.close();
  });

  describe("EAP-TLS with Node's tls client as the peer", () => {
    it("TLS 1.2: Access-Accept; MS-MPPE keys are the first 64 octets of the client's 'client EAP encryption' export", async () => {
      const run = await withPeer(server, (p) => runTlsMethod(p, { type: 13, client: clientOpts(pki.alice, { maxVersion: "TLSv1.2" }) }));
      expect(run.final?.code).toBe(Code.AccessAccept);
      expect(run.final?.eap?.code).toBe(3); // EAP-Success
      const msk = exportNoContext(run.client!.socket, 64, "client EAP encryption");
      expect(EapRadiusPeer.mppeKeys(run.final!)).toEqual({ recvKey: msk.subarray(0, 32), sendKey: msk.subarray(32, 64) });
      run.client!.socket.destroy();
    }, SLOW);

    it("TLS 1.3 (RFC 9190): the MSK is the first 64 of 128 octets of EXPORTER_EAP_TLS_Key_Material, context 0x0D", async () => {
      const run = await withPeer(server, (p) => runTlsMethod(p, { type: 13, client: clientOpts(pki.alice, { minVersion: "TLSv1.3" }) }));
      expect(run.final?.code).toBe(Code.AccessAccept);
      expect(run.client!.socket.getProtocol()).toBe("TLSv1.3");
      const msk = run.client!.socket.exportKeyingMaterial(128, "EXPORTER_EAP_TLS_Key_Material", Buffer.of(13)).subarray(0, 64);
      expect(EapRadiusPeer.mppeKeys(run.final!)).toEqual({ recvKey: msk.subarray(0, 32), sendKey: msk.subarray(32, 64) });
      run.client!.socket.destroy();
    }, SLOW);

    it("a client certificate from another CA: eap_tls_cert_untrusted", async () => {
      await expectTlsReject(pki.otherCa, "eap_tls_cert_untrusted");
    }, SLOW);

    it("an expired client certificate: eap_tls_cert_expired (TLS 1.2 and 1.3)", async () => {
      await expectTlsReject(pki.expired, "eap_tls_cert_expired", { maxVersion: "TLSv1.2" });
      await expectTlsReject(pki.expired, "eap_tls_cert_expired", { minVersion: "TLSv1.3" });
    }, SLOW);

    it("a client certificate not valid yet: eap_tls_cert_not_yet_valid", async () => {
      await expectTlsReject(pki.notYetValid, "eap_tls_cert_not_yet_valid");
    }, SLOW);

    it("a certificate without clientAuth: eap_tls_cert_invalid; no certificate: eap_tls_no_cert", async () => {
      await expectTlsReject(pki.wrongPurpose, "eap_tls_cert_invalid");
      await expectTlsReject(null, "eap_tls_no_cert");
    }, SLOW);

    it("a valid certificate naming no subscriber: unknown_user", async () => {
      await expectTlsReject(pki.stranger, "unknown_user");
    }, SLOW);

    it("a peer that does not trust the server certificate sends an alert: eap_tls_peer_alert", async () => {
      // Node's client checks the server certificate after its handshake and sends no alert; a
      // supplicant sends a fatal unknown_ca (48) in answer to the server's flight, as here.
      const unknownCa = Buffer.from([21, 3, 3, 0, 2, 2, 48]);
      await expectTlsReject(pki.alice, "eap_tls_peer_alert", { maxVersion: "TLSv1.2" }, (out, n) => (n === 1 ? unknownCa : out));
    }, SLOW);

    it("a peer that gives up halfway and only ACKs: eap_method_error", async () => {
      // Node's client that does not trust the server closes without an alert; its silence reaches
      // the server as an ACK while the handshake is unfinished.
      await expectTlsReject(pki.alice, "eap_method_error", { ca: pki.otherCaCert });
    }, SLOW);

    it("a peer limited to TLS 1.1: eap_tls_handshake_failed", async () => {
      await expectTlsReject(pki.alice, "eap_tls_handshake_failed", { minVersion: "TLSv1", maxVersion: "TLSv1.1" });
    }, SLOW);
  });

  describe("PEAPv0/EAP-MSCHAPv2 with Node's tls client as the peer", () => {
    it("Access-Accept for the inner identity; MPPE keys from the tunnel's 'client EAP encryption'", async () => {
      const inner = peapMsChapV2Peer("alice", "alice-pw");
      const run = await withPeer(server, (p) => runTlsMethod(p, { type: 25, client: clientOpts(null), identity: "anonymous", inner: inner.inner }));
      expect(inner.authenticated()).toBe(true);
      expect(run.final?.code).toBe(Code.AccessAccept);
      const msk = exportNoContext(run.client!.socket, 64, "client EAP encryption");
      expect(EapRadiusPeer.mppeKeys(run.final!)).toEqual({ recvKey: msk.subarray(0, 32), sendKey: msk.subarray(32, 64) });
      run.client!.socket.destroy();
    }, SLOW);

    it("a wrong inner password: bad_password", async () => {
      const before = rejects(server, "bad_password");
      const inner = peapMsChapV2Peer("alice", "wrong");
      const run = await withPeer(server, (p) => runTlsMethod(p, { type: 25, client: clientOpts(null), inner: inner.inner }));
      expect(run.final?.code).toBe(Code.AccessReject);
      expect(rejects(server, "bad_password")).toBe(before + 1);
      run.client?.socket.destroy();
    }, SLOW);
  });

  describe("Framed-MTU (RFC 3579 §2.2, RFC 5216 §2.1.5)", () => {
    // EAP header 4, Type 1, Flags 1, TLS Message Length 4: 10 octets around the TLS data.
    it.each([
      [300, 300],
      [576, 576],
      [1400, 1030], // the 1020-octet ceiling stays
      [9000, 1030],
      [40, 74], // at least 64 octets of TLS data
    ])("Framed-MTU %i: every EAP-Request of EAP-TLS is at most %i octets, and it succeeds", async (mtu, max) => {
      const run = await withPeer(server, async (p) => ({ ...(await runTlsMethod(p, { type: 13, client: clientOpts(pki.alice, { maxVersion: "TLSv1.2" }) })), sizes: p.challengeSizes }), { framedMtu: mtu });
      expect(run.final?.code).toBe(Code.AccessAccept);
      expect(Math.max(...run.sizes)).toBeLessThanOrEqual(max);
      // The server's certificate flight needed several fragments of exactly that size.
      expect(run.sizes.filter((n) => n === max).length).toBeGreaterThan(0);
      run.client?.socket.destroy();
    }, SLOW);

    it("PEAP/MSCHAPv2 with Framed-MTU 200: every EAP-Request fits, MPPE keys still match", async () => {
      const inner = peapMsChapV2Peer("alice", "alice-pw");
      const run = await withPeer(server, async (p) => ({ ...(await runTlsMethod(p, { type: 25, client: clientOpts(null), inner: inner.inner })), sizes: p.challengeSizes }), { framedMtu: 200 });
      expect(run.final?.code).toBe(Code.AccessAccept);
      expect(Math.max(...run.sizes)).toBeLessThanOrEqual(200);
      const msk = exportNoContext(run.client!.socket, 64, "client EAP encryption");
      expect(EapRadiusPeer.mppeKeys(run.final!)).toEqual({ recvKey: msk.subarray(0, 32), sendKey: msk.subarray(32, 64) });
      run.client!.socket.destroy();
    }, SLOW);

    it("without Framed-MTU the fragments are of 1020 octets of TLS data (1030-octet EAP packets)", async () => {
      const run = await withPeer(server, async (p) => ({ ...(await runTlsMethod(p, { type: 13, client: clientOpts(pki.alice, { maxVersion: "TLSv1.2" }) })), sizes: p.challengeSizes }));
      expect(run.final?.code).toBe(Code.AccessAccept);
      expect(Math.max(...run.sizes)).toBe(1030);
      run.client?.socket.destroy();
    }, SLOW);
  });

  /** Starts EAP-TLS and returns the peer positioned on the server's Start request. */
  async function atStart(p: EapRadiusPeer): Promise<void> {
    const r = await p.identity("alice");
    expect(r?.code).toBe(Code.AccessChallenge);
    expect(r?.eap?.type).toBe(13);
    expect(r?.eap?.data).toEqual(startFrame(0));
  }

  describe("bad input in an EAP-TLS conversation", () => {
    it("garbage instead of TLS records: eap_tls_bad_record", async () => {
      const before = rejects(server, "eap_tls_bad_record");
      await withPeer(server, async (p) => {
        await atStart(p);
        const r = await p.respond(13, encodeTlsFrame({ data: Buffer.from("this is not a TLS record at all") }));
        expect(r?.code).toBe(Code.AccessReject);
      });
      // A well-framed handshake record whose body is garbage.
      await withPeer(server, async (p) => {
        await atStart(p);
        const junk = Buffer.concat([Buffer.from([22, 3, 3, 0, 64]), Buffer.alloc(64, 0xee)]);
        const r = await p.respond(13, encodeTlsFrame({ data: junk }));
        expect(r?.code).toBe(Code.AccessReject);
      });
      expect(rejects(server, "eap_tls_bad_record")).toBe(before + 2);
    }, SLOW);

    it("an S flag from the peer: eap_tls_bad_framing", async () => {
      const before = rejects(server, "eap_tls_bad_framing");
      await withPeer(server, async (p) => {
        await atStart(p);
        expect((await p.respond(13, startFrame(0)))?.code).toBe(Code.AccessReject);
      });
      expect(rejects(server, "eap_tls_bad_framing")).toBe(before + 1);
    }, SLOW);

    it("a fragment flood: fragments beyond 64 KiB, or a TLS Message Length over it, end in eap_tls_fragment_flood", async () => {
      const before = rejects(server, "eap_tls_fragment_flood");
      await withPeer(server, async (p) => {
        await atStart(p);
        let r: Reply | null = null;
        let acks = 0;
        // 3000 octets per fragment, M set, never a last one: refused once 64 KiB are held.
        for (let i = 0; i < 40; i++) {
          r = await p.respond(13, encodeTlsFrame({ more: true, data: Buffer.alloc(3000, 0x16) }));
          if (r?.code !== Code.AccessChallenge) break;
          acks++;
        }
        expect(r?.code).toBe(Code.AccessReject);
        expect(acks).toBe(21); // 21 x 3000 <= 65536 < 22 x 3000
      });
      await withPeer(server, async (p) => {
        await atStart(p);
        const r = await p.respond(13, encodeTlsFrame({ more: true, messageLength: 10_000_000, data: Buffer.alloc(100, 0x16) }));
        expect(r?.code).toBe(Code.AccessReject);
      });
      expect(rejects(server, "eap_tls_fragment_flood")).toBe(before + 2);
    }, SLOW);

    it("a flood of small fragments without end stops at the round limit: eap_too_many_rounds", async () => {
      const before = rejects(server, "eap_too_many_rounds");
      await withPeer(server, async (p) => {
        await atStart(p);
        let r: Reply | null = null;
        let n = 0;
        for (; n < 100; n++) {
          r = await p.respond(13, encodeTlsFrame({ more: true, data: Buffer.alloc(100, 0x16) }));
          if (r?.code !== Code.AccessChallenge) break;
        }
        expect(r?.code).toBe(Code.AccessReject);
        expect(n).toBeLessThan(50);
      });
      expect(rejects(server, "eap_too_many_rounds")).toBe(before + 1);
    }, SLOW);

    it("after all of it the server still authenticates", async () => {
      const run = await withPeer(server, (p) => runTlsMethod(p, { type: 13, client: clientOpts(pki.alice) }));
      expect(run.final?.code).toBe(Code.AccessAccept);
      run.client?.socket.destroy();
      expect(dropped(server, "internal_error")).toBe(0);
    }, SLOW);
  });

  describe("a conversation abandoned halfway", () => {
    let short: TestServer;
    beforeAll(async () => {
      short = await startTestServer(
        { store: { memory: { file: f("subs.jsonl") } }, eap: { methods: ["tls"], timeoutSeconds: 1, tls: { certFile: f("srv.pem"), keyFile: f("srv.key"), caFile: f("ca.pem"), placement } } },
        "warn",
      );
    }, SLOW);
    afterAll(async () => {
      await short?.close();
    });

    it("is freed at the timeout (its TLS state with it); its State then gets Access-Reject eap_unknown_state", async () => {
      const expiredBefore = gauge(short, "aaa_eap_conversations_expired_total");
      await withPeer(short, async (p) => {
        // Stop after the server's first flight fragment: the handshake is half done.
        const run = await runTlsMethod(p, { type: 13, client: clientOpts(pki.alice), stopAfter: 3 });
        expect(run.final?.code).toBe(Code.AccessChallenge);
        expect(gauge(short, "aaa_eap_conversations")).toBe(1);
        run.client?.socket.destroy();
        // Timeout 1 s, swept every second.
        const t0 = Date.now();
        while (gauge(short, "aaa_eap_conversations") > 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
        expect(gauge(short, "aaa_eap_conversations")).toBe(0);
        expect(gauge(short, "aaa_eap_conversations_expired_total")).toBe(expiredBefore + 1);
        const before = rejects(short, "eap_unknown_state");
        const late = await p.respond(13, encodeTlsFrame({}));
        expect(late?.code).toBe(Code.AccessReject);
        expect(rejects(short, "eap_unknown_state")).toBe(before + 1);
      });
    }, SLOW);
  });

  it("every conversation ended: no TLS session left, on the main thread or the TLS thread", async () => {
    expect(gauge(server, "aaa_eap_conversations")).toBe(0);
    if (placement === "worker") {
      expect(server.tlsWorkers!.openSessions).toBe(0);
      expect(await server.tlsWorkers!.threadSessions()).toBe(0);
    }
  }, SLOW);
});
}
