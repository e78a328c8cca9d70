// TlsServerSession against a real Node TLS client, every message cut into EAP-TLS fragments
// both ways: handshakes on TLS 1.2 and 1.3, the same keys on both sides, the RFC 9190
// commitment message, inner data for PEAP/TTLS, and each refusal with its stable code.
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import type tls from "node:tls";
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { EapTlsError, type EapTlsErrorCode } from "../../../src/eap/tls/errors.js";
import {
  KEY_MATERIAL_LENGTH, LABEL, TlsServerSession, createTlsContexts, keyMaterialParams, splitKeyMaterial,
  type TlsContexts, type TlsMethod,
} from "../../../src/eap/tls/session.js";
import { ttlsImplicitChallenge } from "../../../src/eap/tls/ttls-avp.js";
import { makeTestPki, type TestPki } from "./certs.js";
import { runHandshake, startClient, type Client } from "./harness.js";

let pki: TestPki;
let ctx: TlsContexts;

// Generous timeouts: RSA key generation and handshakes slow down a lot on a loaded machine.
const SLOW = 120_000;
jest.setTimeout(60_000);

beforeAll(() => {
  pki = makeTestPki();
  ctx = createTlsContexts({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca });
}, SLOW);
afterAll(() => pki.cleanup());

function clientExport(c: Client, label: string, context?: Buffer): Buffer {
  const f = c.socket.exportKeyingMaterial as (n: number, l: string, ctx?: Buffer) => Buffer;
  return context === undefined ? f.call(c.socket, KEY_MATERIAL_LENGTH, label) : f.call(c.socket, KEY_MATERIAL_LENGTH, label, context);
}

function baseClient(extra: Partial<tls.ConnectionOptions> = {}): tls.ConnectionOptions {
  return { ca: pki.ca, servername: "radius.test", ...extra };
}

async function converse(method: TlsMethod, client: tls.ConnectionOptions, sizes = { server: 1020, client: 300 }) {
  const session = new TlsServerSession({ method, secureContext: method === "tls" ? ctx.eapTls : ctx.tunnel });
  const c = startClient(client);
  const run = await runHandshake(session, c, method, sizes);
  return { session, c, run };
}

describe("EAP-TLS handshake through the fragmentation layer", () => {
  it.each([["TLSv1.2"], ["TLSv1.3"]] as const)("%s: handshake, peer certificate, same keys on both sides", async (version) => {
    const { session, c, run } = await converse("tls", baseClient({ ...pki.alice, minVersion: version, maxVersion: version }));
    expect(run.serverError).toBeNull();
    expect(c.error).toBeNull();
    expect(session.handshakeDone).toBe(true);
    expect(session.protocol).toBe(version);
    // The server's certificate flight is larger than 1020 octets and the client's flight larger
    // than 300: both directions really were fragmented.
    expect(run.fragmentsToClient).toBeGreaterThan(run.rounds - 1);
    expect(run.fragmentsToServer).toBeGreaterThan(run.rounds);
    const peer = session.peerCertificate;
    expect(peer?.authorized).toBe(true);
    expect(peer?.authorizationError).toBeNull();
    expect(peer?.subscriberName).toBe("alice");
    expect(peer?.subscriberNameSource).toBe("cn");
    expect(peer?.emails).toEqual(["alice@example.test"]);
    expect(peer?.validTo.getTime()).toBeGreaterThan(Date.now());

    const { label, context } = keyMaterialParams("tls", version);
    expect(label).toBe(version === "TLSv1.3" ? "EXPORTER_EAP_TLS_Key_Material" : "client EAP encryption");
    const keys = session.eapKeys();
    const expected = splitKeyMaterial(clientExport(c, label, context));
    expect(keys.msk.equals(expected.msk)).toBe(true);
    expect(keys.emsk.equals(expected.emsk)).toBe(true);
    expect(keys.recvKey.equals(keys.msk.subarray(0, 32))).toBe(true);
    expect(keys.sendKey.equals(keys.msk.subarray(32, 64))).toBe(true);
    // A key from the wrong label does not match.
    expect(clientExport(c, "client EAP encryption", Buffer.of(13)).subarray(0, 64).equals(keys.msk)).toBe(false);

    // RFC 9190 §2.5: under TLS 1.3 the client received exactly one 0x00 octet of application data.
    if (version === "TLSv1.3") {
      expect(session.commitmentMessageSent).toBe(true);
      expect(Buffer.concat(c.inner).equals(Buffer.of(0))).toBe(true);
    } else {
      expect(session.commitmentMessageSent).toBe(false);
      expect(c.inner).toHaveLength(0);
    }
    session.close();
    c.socket.destroy();
  });

  it("TLS 1.3 exporter output depends on the length: eapKeys exports 128 octets then splits", async () => {
    const { session, c } = await converse("tls", baseClient({ ...pki.alice, minVersion: "TLSv1.3" }));
    const ctx13 = Buffer.of(13);
    const first64 = session.exportKeyingMaterial(LABEL.eapTls13KeyMaterial, 64, ctx13);
    expect(first64.equals(session.eapKeys().msk)).toBe(false);
    session.close();
    c.socket.destroy();
  });

  const refusals: Array<[string, () => Partial<tls.ConnectionOptions>, EapTlsErrorCode, string | null]> = [
    ["a client certificate from another CA", () => pki.otherCa, "EAPTLS_ERR_CERT_UNTRUSTED", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"],
    ["an expired client certificate", () => pki.expired, "EAPTLS_ERR_CERT_EXPIRED", "CERT_HAS_EXPIRED"],
    ["a certificate without clientAuth", () => pki.wrongPurpose, "EAPTLS_ERR_CERT_PURPOSE", "INVALID_PURPOSE"],
    ["no client certificate", () => ({}), "EAPTLS_ERR_NO_PEER_CERT", null],
  ];
  for (const version of ["TLSv1.2", "TLSv1.3"] as const) {
    it.each(refusals)(`${version}: %s is refused`, async (_name, creds, code, verifyCode) => {
      const { session, c, run } = await converse("tls", baseClient({ ...creds(), minVersion: version, maxVersion: version }));
      expect(run.serverError).toBeInstanceOf(EapTlsError);
      expect((run.serverError as EapTlsError).code).toBe(code);
      expect(session.error?.code).toBe(code);
      expect(session.handshakeDone).toBe(false);
      expect(session.commitmentMessageSent).toBe(false);
      if (verifyCode !== null) {
        expect(session.peerCertificate?.authorized).toBe(false);
        expect(session.peerCertificate?.authorizationError).toBe(verifyCode);
      }
      expect(() => session.eapKeys()).toThrow(EapTlsError);
      // The session stays failed: a later feed rejects with the same typed error.
      await expect(session.feed(Buffer.alloc(0))).rejects.toMatchObject({ code });
      c.socket.destroy();
    });
  }

  it("a fatal alert from the peer (it does not trust the server) gives EAPTLS_ERR_PEER_ALERT", async () => {
    // An OpenSSL supplicant that rejects the server certificate answers the server's flight
    // with a fatal alert in clear (TLS 1.2); Node's client cannot be made to send one, so the
    // test sends the record itself: alert(21), TLS 1.2, length 2, fatal(2) unknown_ca(48).
    const session = new TlsServerSession({ method: "tls", secureContext: ctx.eapTls });
    const c = startClient(baseClient({ ...pki.alice, maxVersion: "TLSv1.2" }));
    await c.settle();
    await session.feed(c.takeOutput());
    expect(session.takeOutput().length).toBeGreaterThan(1000);
    await expect(session.feed(Buffer.from([21, 3, 3, 0, 2, 2, 48]))).rejects.toMatchObject({ code: "EAPTLS_ERR_PEER_ALERT" });
    expect(session.error?.detail).toMatch(/ALERT_UNKNOWN_CA/);
    c.socket.destroy();
  });
});

describe("PEAP / TTLS tunnels", () => {
  it.each([["peap"], ["ttls"]] as const)("%s: TLS 1.2 handshake, keys, and inner data both ways", async (method) => {
    const { session, c, run } = await converse(method, baseClient(), { server: 500, client: 1020 });
    expect(run.serverError).toBeNull();
    expect(session.handshakeDone).toBe(true);
    expect(session.protocol).toBe("TLSv1.2");
    expect(session.peerCertificate).toBeNull();
    const label = method === "peap" ? "client EAP encryption" : "ttls keying material";
    expect(session.eapKeys().msk.equals(clientExport(c, label).subarray(0, 64))).toBe(true);
    if (method === "ttls") {
      // RFC 5281 §11.1: the peer derives the same implicit challenge from its side of the tunnel.
      const f = c.socket.exportKeyingMaterial as (n: number, l: string) => Buffer;
      const peer = f.call(c.socket, 17, "ttls challenge");
      const mine = ttlsImplicitChallenge(session);
      expect(mine.challenge.equals(peer.subarray(0, 16))).toBe(true);
      expect(mine.ident).toBe(peer[16]);
    }

    // Server to client: inner data comes out as records the client decrypts.
    await session.writeInner(Buffer.from("inner request"));
    const toClient = session.takeOutput();
    expect(toClient.includes(Buffer.from("inner request"))).toBe(false);
    (c as Client & { wire: { write(b: Buffer): void } }).wire.write(toClient);
    await c.settle();
    expect(Buffer.concat(c.inner).toString()).toBe("inner request");

    // Client to server.
    c.socket.write(Buffer.from("inner response"));
    await c.settle();
    await session.feed(c.takeOutput());
    expect(session.takeInner().toString()).toBe("inner response");
    expect(session.takeInner()).toHaveLength(0);
    session.close();
    c.socket.destroy();
  });

  it("a TLS 1.2 renegotiation inside the tunnel is refused with an alert, not a new handshake", async () => {
    const { session, c, run } = await converse("ttls", baseClient());
    expect(run.serverError).toBeNull();
    const renegotiated = new Promise<Error | null>((resolve) => {
      c.socket.renegotiate({}, (err) => resolve(err ?? null));
    });
    await c.settle();
    const hello = c.takeOutput();
    expect(hello[0]).toBe(22); // the client's new ClientHello (a handshake record)
    await session.feed(hello).catch(() => undefined);
    const reply = session.takeOutput();
    // The server answers with an alert record (21), never a handshake record (22).
    expect(reply.length).toBeGreaterThan(0);
    expect(reply[0]).toBe(21);
    (c as Client & { wire: { write(b: Buffer): void } }).wire.write(reply);
    await c.settle();
    c.socket.destroy();
    await Promise.race([renegotiated, new Promise((r) => setTimeout(r, 200))]);
    session.close();
  });

  it("a TLS 1.3-only client cannot open a PEAP tunnel", async () => {
    const { session, c, run } = await converse("peap", baseClient({ minVersion: "TLSv1.3" }));
    expect((run.serverError as EapTlsError).code).toBe("EAPTLS_ERR_TLS_FAILED");
    expect(session.handshakeDone).toBe(false);
    c.socket.destroy();
  });

  it("writeInner before the handshake is a state error", async () => {
    const session = new TlsServerSession({ method: "ttls", secureContext: ctx.tunnel });
    await expect(session.writeInner(Buffer.from("x"))).rejects.toMatchObject({ code: "EAPTLS_ERR_STATE" });
    expect(() => session.exportKeyingMaterial("ttls challenge", 17)).toThrow(expect.objectContaining({ code: "EAPTLS_ERR_STATE" }));
    session.close();
  });
});

describe("garbage records", () => {
  const cases: Array<[string, Buffer, EapTlsErrorCode]> = [
    ["text", Buffer.from("GET / HTTP/1.1\r\n\r\n"), "EAPTLS_ERR_BAD_RECORD"],
    ["content type 24 (heartbeat)", Buffer.from([24, 3, 3, 0, 1, 0]), "EAPTLS_ERR_BAD_RECORD"],
    ["record body over 18 KiB", Buffer.from([22, 3, 3, 0x48, 0x01]), "EAPTLS_ERR_BAD_RECORD"],
    // Well-framed records that OpenSSL cannot parse (ERR_SSL_UNEXPECTED_MESSAGE) are malformed TLS too.
    ["a handshake record holding junk", Buffer.concat([Buffer.from([22, 3, 1, 0, 16]), Buffer.alloc(16, 0xee)]), "EAPTLS_ERR_BAD_RECORD"],
    ["application data before any handshake", Buffer.concat([Buffer.from([23, 3, 3, 0, 8]), Buffer.alloc(8, 1)]), "EAPTLS_ERR_BAD_RECORD"],
  ];
  it.each(cases)("%s: typed error, session closed, nothing thrown later", async (_n, bytes, code) => {
    const session = new TlsServerSession({ method: "tls", secureContext: ctx.eapTls });
    await expect(session.feed(bytes)).rejects.toMatchObject({ code });
    expect(session.error?.code).toBe(code);
    await expect(session.feed(bytes)).rejects.toMatchObject({ code });
    session.close();
    session.close();
  });

  it("a record header split across feeds is tracked, not misread", async () => {
    const session = new TlsServerSession({ method: "tls", secureContext: ctx.eapTls });
    await session.feed(Buffer.from([22, 3])); // incomplete: nothing happens yet
    expect(session.error).toBeNull();
    await expect(session.feed(Buffer.from([9, 0, 1, 0]))).rejects.toMatchObject({ code: "EAPTLS_ERR_BAD_RECORD" });
    session.close();
  });
});

describe("fuzz: records into a fresh session", () => {
  let hello: Buffer = Buffer.alloc(0);
  beforeAll(async () => {
    const c = startClient(baseClient({ ...pki.alice }));
    await c.settle();
    hello = c.takeOutput();
    c.socket.destroy();
  }, SLOW);

  it("mutated ClientHellos only resolve or reject with EapTlsError", async () => {
    expect(hello[0]).toBe(22);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(4096), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(4096), async (flips, cut) => {
        const m = Buffer.from(hello.subarray(0, Math.max(1, Math.min(hello.length, cut + 5))));
        for (const [i, v] of flips) if (i < m.length) m[i] = v;
        const session = new TlsServerSession({ method: "tls", secureContext: ctx.eapTls });
        try {
          await session.feed(m);
        } catch (e) {
          expect(e).toBeInstanceOf(EapTlsError);
        } finally {
          session.close();
        }
      }),
      // A time cap as well as a run count: on a loaded machine fewer runs, not a timeout.
      { numRuns: 150, interruptAfterTimeLimit: 15_000 },
    );
  }, SLOW);

  it("random bytes only reject with EapTlsError", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (u) => {
        const session = new TlsServerSession({ method: "peap", secureContext: ctx.tunnel });
        try {
          await session.feed(Buffer.from(u));
        } catch (e) {
          expect(e).toBeInstanceOf(EapTlsError);
        } finally {
          session.close();
        }
      }),
      { numRuns: 150, interruptAfterTimeLimit: 15_000 },
    );
  }, SLOW);
});

describe("no unhandled rejection, no crash", () => {
  it("every failure path, in a child process run with --unhandled-rejections=strict", () => {
    const probe = join(process.cwd(), "test", "eap", "tls", "crash-probe.ts");
    const res = spawnSync(process.execPath, ["--unhandled-rejections=strict", "--import", "tsx", probe, pki.dir], { encoding: "utf8", timeout: 100_000 });
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    const codes = JSON.parse(res.stdout.trim()) as string[];
    expect(codes).toEqual([
      "EAPTLS_ERR_CERT_UNTRUSTED", "EAPTLS_ERR_CERT_EXPIRED", "EAPTLS_ERR_NO_PEER_CERT",
      "EAPTLS_ERR_CERT_UNTRUSTED", "EAPTLS_ERR_CERT_EXPIRED", "EAPTLS_ERR_NO_PEER_CERT",
      // PEAP refused to a TLS 1.3-only client; garbage; a junk handshake record; an alert sent
      // before any hello (OpenSSL reports ERR_SSL_UNEXPECTED_MESSAGE, not the peer's alert).
      "EAPTLS_ERR_TLS_FAILED", "EAPTLS_ERR_BAD_RECORD", "EAPTLS_ERR_BAD_RECORD", "EAPTLS_ERR_BAD_RECORD",
    ]);
  }, SLOW);
});

describe("createTlsContexts", () => {
  it("refuses a key that does not load, naming no key material", () => {
    try {
      createTlsContexts({ cert: pki.server.cert, key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", ca: pki.ca });
      throw new Error("expected a failure");
    } catch (e) {
      expect(e).toBeInstanceOf(EapTlsError);
      expect((e as EapTlsError).code).toBe("EAPTLS_ERR_BAD_ARGUMENT");
      expect((e as EapTlsError).message).not.toContain("AAAA");
    }
  });
});
