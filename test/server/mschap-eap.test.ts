// MS-CHAPv2 in plain RADIUS and EAP over a live server (UDP): replies, keys and counted outcomes.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Attr, Code } from "../../src/radius/codes.js";
import { findAttribute, findVendorAttributes } from "../../src/radius/packet.js";
import { unhideTunnelPassword } from "../../src/radius/authenticator.js";
import { hashPassword } from "../../src/handle/password-hash.js";
import { authenticatorResponse, generateNtResponse, ntPasswordHash, serverMppeKeys } from "../../src/mschap/mschapv2.js";
import { encodeEap, EapCode, EapType, decodeEap } from "../../src/eap/packet.js";
import { startTestServer, UdpPeer, type TestServer } from "../helpers/server.js";
import { accessRequest, verifiedReply } from "../helpers/packets.js";
import type { AttributeInput } from "../../src/radius/encode.js";

const SECRET = Buffer.from("testing123");
let server: TestServer;
let peer: UdpPeer;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-mschap-"));
  const subs = [
    { username: "alice", password: "alice-pw" },
    { username: "nt", ntHash: ntPasswordHash("nt-pw").toString("hex").toUpperCase() },
    { username: "hashed", passwordHash: hashPassword("h4shed", { ln: 10, r: 8, p: 1 }) },
  ];
  writeFileSync(path.join(dir, "subs.jsonl"), subs.map((s) => JSON.stringify(s)).join("\n") + "\n");
  // Message-Authenticator not required of the client in general: the EAP rule alone must drop it.
  server = await startTestServer({ store: { memory: { file: path.join(dir, "subs.jsonl") } }, clients: [{ name: "test", address: "127.0.0.1", secret: "testing123", requireMessageAuthenticator: false }] }, "debug");
  peer = new UdpPeer();
  await peer.bind();
});

afterAll(async () => {
  peer.close();
  await server.close();
});

const reply = (raw: Buffer | null, requestAuthenticator: Buffer) => verifiedReply(raw, requestAuthenticator, SECRET);

/** An MS-CHAPv2 Access-Request built with the project's own MS-CHAPv2 functions. */
function mschapRequest(user: string, password: string, opts: { responseLength?: number } = {}) {
  const challenge = randomBytes(16);
  const peerChallenge = randomBytes(16);
  const nt = generateNtResponse(challenge, peerChallenge, Buffer.from(user), ntPasswordHash(password));
  const response = Buffer.concat([Buffer.from([0x2a, 0]), peerChallenge, Buffer.alloc(8), nt]).subarray(0, opts.responseLength ?? 50);
  const extra: AttributeInput[] = [
    { vendorId: 311, vendorType: 11, value: challenge },
    { vendorId: 311, vendorType: 25, value: response },
  ];
  const { packet, authenticator } = accessRequest({ user, extra });
  return { packet, authenticator, challenge, peerChallenge, nt };
}

const datagrams = (reason: string): number => server.metrics.sum("aaa_datagrams_total", { listener: "auth", reason });
const rejects = (reason: string): number => server.metrics.get("aaa_access_rejects_total", { reason });

describe("MS-CHAPv2 in plain RADIUS (RFC 2548, RFC 2759, RFC 3079)", () => {
  it.each([
    ["alice", "alice-pw"],
    ["nt", "nt-pw"],
  ])("accepts %s with MS-CHAP2-Success and MPPE keys the client can decrypt", async (user, password) => {
    const r = mschapRequest(user, password);
    const p = reply(await peer.request(r.packet, server.port), r.authenticator);
    expect(p.code).toBe(Code.AccessAccept);
    const ms = findVendorAttributes(p, 311);
    const success = ms.find((a) => a.vendorType === 26)!.value;
    expect(success[0]).toBe(0x2a);
    const ntHash = ntPasswordHash(password);
    expect(success.subarray(1).toString("ascii")).toBe(authenticatorResponse(ntHash, r.nt, r.peerChallenge, r.challenge, Buffer.from(user)));
    const keys = serverMppeKeys(ntHash, r.nt);
    expect(unhideTunnelPassword(ms.find((a) => a.vendorType === 16)!.value, SECRET, r.authenticator)).toEqual(keys.sendKey);
    expect(unhideTunnelPassword(ms.find((a) => a.vendorType === 17)!.value, SECRET, r.authenticator)).toEqual(keys.recvKey);
  });

  it("PAP against an ntHash-only subscriber compares NT hashes", async () => {
    const ok = accessRequest({ user: "nt", password: "nt-pw" });
    expect(reply(await peer.request(ok.packet, server.port), ok.authenticator).code).toBe(Code.AccessAccept);
    const bad = accessRequest({ user: "nt", password: "nt-pw2" });
    expect(reply(await peer.request(bad.packet, server.port), bad.authenticator).code).toBe(Code.AccessReject);
  });

  it("rejects a wrong password with MS-CHAP-Error E=691", async () => {
    const before = rejects("bad_password");
    const r = mschapRequest("alice", "wrong");
    const p = reply(await peer.request(r.packet, server.port), r.authenticator);
    expect(p.code).toBe(Code.AccessReject);
    const err = findVendorAttributes(p, 311).find((a) => a.vendorType === 2)!.value;
    expect(err[0]).toBe(0x2a);
    expect(err.subarray(1).toString("ascii")).toBe(`E=691 R=0 C=${r.challenge.toString("hex").toUpperCase()} V=3 M=Authentication failed`);
    expect(rejects("bad_password")).toBe(before + 1);
  });

  it("rejects a subscriber with only an scrypt hash: method_not_possible", async () => {
    const before = rejects("method_not_possible");
    const r = mschapRequest("hashed", "h4shed");
    expect(reply(await peer.request(r.packet, server.port), r.authenticator).code).toBe(Code.AccessReject);
    expect(rejects("method_not_possible")).toBe(before + 1);
  });

  it("drops a malformed MS-CHAP2-Response, counted", async () => {
    const before = datagrams("malformed:mschapv2");
    const r = mschapRequest("alice", "alice-pw", { responseLength: 49 });
    expect(await peer.request(r.packet, server.port, 300)).toBeNull();
    expect(datagrams("malformed:mschapv2")).toBe(before + 1);
  });
});

describe("EAP over a live server (RFC 3579)", () => {
  const eapRequest = (eap: Buffer, state?: Buffer) =>
    accessRequest({ user: "alice", extra: [{ type: Attr.EapMessage, value: eap }, ...(state ? [{ type: Attr.State, value: state }] : [])] });

  it("answers the Identity with an Access-Challenge (Message-Authenticator first, State, EAP-Request)", async () => {
    const before = server.metrics.sum("aaa_datagrams_total", { listener: "auth", outcome: "answered", reason: "challenge", class: "access" });
    const r = eapRequest(encodeEap({ code: EapCode.Response, identifier: 1, type: EapType.Identity, data: Buffer.from("alice") }));
    const p = reply(await peer.request(r.packet, server.port), r.authenticator);
    expect(p.code).toBe(Code.AccessChallenge);
    expect(findAttribute(p, Attr.State)?.value.length).toBe(16);
    expect(decodeEap(findAttribute(p, Attr.EapMessage)!.value).type).toBe(EapType.MsChapV2);
    expect(server.metrics.sum("aaa_datagrams_total", { listener: "auth", outcome: "answered", reason: "challenge", class: "access" })).toBe(before + 1);
  });

  it("a conversation in progress survives a live reload", async () => {
    const r1 = eapRequest(encodeEap({ code: EapCode.Response, identifier: 1, type: EapType.Identity, data: Buffer.from("alice") }));
    const p1 = reply(await peer.request(r1.packet, server.port), r1.authenticator);
    const state = findAttribute(p1, Attr.State)!.value;
    const cfg = server.runningConfig();
    const result = await server.reload({ ...cfg, auth: { rejectReplyMessage: "after reload" } });
    expect(result).toMatchObject({ ok: true });
    // Nak MSCHAPv2 for MD5: the conversation goes on where it was.
    const r2 = eapRequest(encodeEap({ code: EapCode.Response, identifier: 2, type: EapType.Nak, data: Buffer.from([EapType.Md5Challenge]) }), Buffer.from(state));
    const p2 = reply(await peer.request(r2.packet, server.port), r2.authenticator);
    expect(p2.code).toBe(Code.AccessChallenge);
    expect(decodeEap(findAttribute(p2, Attr.EapMessage)!.value).type).toBe(EapType.Md5Challenge);
  });

  it("an unknown State gets Access-Reject with EAP-Failure, counted as eap_unknown_state", async () => {
    const before = rejects("eap_unknown_state");
    const r = eapRequest(encodeEap({ code: EapCode.Response, identifier: 2, type: EapType.Nak, data: Buffer.from([4]) }), randomBytes(16));
    const p = reply(await peer.request(r.packet, server.port), r.authenticator);
    expect(p.code).toBe(Code.AccessReject);
    expect(decodeEap(findAttribute(p, Attr.EapMessage)!.value).code).toBe(EapCode.Failure);
    expect(rejects("eap_unknown_state")).toBe(before + 1);
  });

  it("drops a truncated or overlong EAP-Message, counted", async () => {
    const before = datagrams("eap_malformed:EAP_ERR_LENGTH_MISMATCH");
    const good = encodeEap({ code: EapCode.Response, identifier: 1, type: EapType.Identity, data: Buffer.from("alice") });
    for (const bad of [good.subarray(0, good.length - 1), Buffer.concat([good, Buffer.from([0])])]) {
      const r = eapRequest(bad);
      expect(await peer.request(r.packet, server.port, 300)).toBeNull();
    }
    expect(datagrams("eap_malformed:EAP_ERR_LENGTH_MISMATCH")).toBe(before + 2);
  });

  it("drops EAP-Message without Message-Authenticator (RFC 3579 §3.2), counted", async () => {
    const before = datagrams("missing_message_authenticator");
    // The codec refuses to build this (RFC 3579 §3.3), so write it by hand.
    const eap = encodeEap({ code: EapCode.Response, identifier: 1, type: EapType.Identity, data: Buffer.from("alice") });
    const attrs = Buffer.concat([Buffer.from([Attr.UserName, 7]), Buffer.from("alice"), Buffer.from([Attr.EapMessage, 2 + eap.length]), eap]);
    const packet = Buffer.concat([Buffer.from([Code.AccessRequest, 9, 0, 0]), randomBytes(16), attrs]);
    packet.writeUInt16BE(packet.length, 2);
    expect(await peer.request(packet, server.port, 300)).toBeNull();
    expect(datagrams("missing_message_authenticator")).toBe(before + 1);
  });
});

describe("logs", () => {
  it("hold no password, NT hash or key material", () => {
    expect(server.logs.length).toBeGreaterThan(0);
    const text = server.logs.join("\n");
    for (const secret of ["alice-pw", "nt-pw", ntPasswordHash("nt-pw").toString("hex"), ntPasswordHash("nt-pw").toString("hex").toUpperCase(), ntPasswordHash("alice-pw").toString("hex"), "testing123"]) {
      expect(text).not.toContain(secret);
    }
  });
});
