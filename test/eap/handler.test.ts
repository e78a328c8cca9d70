// The EAP framework end to end without sockets: Access-Requests in, Decisions out, on the memory
// store and an injected clock. eapol-test.test.ts runs the same against a real peer.
import { describe, it, expect, beforeAll, afterAll } from "@jest/globals";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { EapServer, splitMsk } from "../../src/eap/handler.js";
import { eapMd5 } from "../../src/eap/methods/md5.js";
import { eapMsChapV2 } from "../../src/eap/methods/mschapv2.js";
import type { EapMethod, MethodStep } from "../../src/eap/method.js";
import { decodeEap, encodeEap, EapCode, EapType } from "../../src/eap/packet.js";
import { fragmentEap } from "../../src/eap/radius.js";
import { MemoryStore } from "../../src/store/memory-store.js";
import { defaultDictionary } from "../../src/radius/dictionary.js";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket, findAttribute, type RadiusPacket } from "../../src/radius/packet.js";
import { encodeRequest, type AttributeInput } from "../../src/radius/encode.js";
import { unhideTunnelPassword } from "../../src/radius/authenticator.js";
import type { Decision } from "../../src/handle/decision.js";
import type { Client } from "../../src/verify/clients.js";
import { asymmetricStartKey, authenticatorResponse, generateNtResponse, hashNtPasswordHash, masterKey, ntPasswordHash } from "../../src/mschap/mschapv2.js";
import { hashPassword } from "../../src/handle/password-hash.js";

const SECRET = Buffer.from("testing123");
const NAS: Client = { name: "nas", secret: SECRET, requireMessageAuthenticator: true };
const OTHER_NAS: Client = { name: "other", secret: SECRET, requireMessageAuthenticator: true };
let store: MemoryStore;
let clock = 0;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-eap-"));
  const subs = [
    { username: "alice", password: "alice-pw", reply: { "Session-Timeout": 3600 } },
    { username: "nt", ntHash: ntPasswordHash("nt-pw").toString("hex") },
    { username: "hashed", passwordHash: hashPassword("h", { ln: 4, r: 8, p: 1 }) },
    { username: "inner", password: "x" },
  ];
  writeFileSync(path.join(dir, "subs.jsonl"), subs.map((s) => JSON.stringify(s)).join("\n") + "\n");
  store = new MemoryStore({ file: path.join(dir, "subs.jsonl") }, { info() {}, warn() {}, error() {}, debug() {} } as never);
  await store.start();
});

afterAll(async () => {
  await store.close();
});

const deps = () => ({ store, dictionary: defaultDictionary(), wallClock: () => Date.parse("2026-01-01T00:00:00Z"), sessions: null });

function server(opts: { methods?: EapMethod[]; max?: number; timeoutMs?: number; maxRounds?: number } = {}): EapServer {
  return new EapServer({ methods: opts.methods ?? [eapMsChapV2, eapMd5], maxConversations: opts.max ?? 100, timeoutMs: opts.timeoutMs ?? 30_000, now: () => clock, maxRounds: opts.maxRounds });
}

/** An Access-Request carrying `eap` (fragmented) and `state`. */
function request(eap: Buffer | null, state?: Buffer, user = "alice", extra: AttributeInput[] = []): RadiusPacket {
  const attributes: AttributeInput[] = [{ type: Attr.UserName, value: Buffer.from(user) }];
  if (eap) attributes.push(...(eap.length === 0 ? [{ type: Attr.EapMessage, value: eap }] : fragmentEap(eap)));
  if (state) attributes.push({ type: Attr.State, value: state });
  attributes.push(...extra);
  return decodePacket(encodeRequest({ code: Code.AccessRequest, identifier: 1, secret: SECRET, attributes, messageAuthenticator: true }));
}

const resp = (id: number, type: number, data: Buffer | number[] = []): Buffer => encodeEap({ code: EapCode.Response, identifier: id, type, data: Buffer.from(data) });

function attr(d: Decision, type: number): Buffer | undefined {
  if (d.result === "drop") return undefined;
  const a = (d.attributes ?? []).find((x) => "type" in x && x.type === type);
  return a?.value;
}

/** The EAP packet of a decision, reassembled from its EAP-Message attributes. */
function eapOf(d: Decision) {
  if (d.result === "drop") throw new Error(`dropped: ${d.reason}`);
  const parts = (d.attributes ?? []).filter((x) => "type" in x && x.type === Attr.EapMessage).map((x) => x.value);
  return decodeEap(Buffer.concat(parts));
}

function vsa(d: Decision, vendorType: number): Buffer | undefined {
  if (d.result !== "accept") return undefined;
  const a = d.attributes.find((x) => "vendorId" in x && x.vendorId === 311 && x.vendorType === vendorType);
  return a?.value;
}

async function round(s: EapServer, eap: Buffer | null, state?: Buffer, client: Client = NAS, user = "alice"): Promise<{ d: Decision; packet: RadiusPacket }> {
  const packet = request(eap, state, user);
  return { d: await s.handle({ packet, client, deadline: clock + 1000 }, deps()), packet };
}

describe("EAP conversations", () => {
  it("Identity starts the first configured method: Access-Challenge with the next Identifier and a 16-octet State", async () => {
    const s = server();
    const { d } = await round(s, resp(5, EapType.Identity, Buffer.from("alice")));
    expect(d.result).toBe("challenge");
    const e = eapOf(d);
    expect([e.code, e.identifier, e.type]).toEqual([EapCode.Request, 6, EapType.MsChapV2]);
    expect(attr(d, Attr.State)?.length).toBe(16);
    expect(s.conversations.size).toBe(1);
  });

  it("serve --workers N: every State issued starts with the worker's index, the rest random", async () => {
    const s = new EapServer({ methods: [eapMsChapV2, eapMd5], maxConversations: 100, timeoutMs: 30_000, now: () => clock, stateTag: 3 });
    const states: Buffer[] = [];
    for (let i = 0; i < 8; i++) states.push(attr((await round(s, resp(5, EapType.Identity, Buffer.from("alice")))).d, Attr.State)!);
    for (const st of states) expect([st.length, st[0]]).toEqual([16, 3]);
    expect(new Set(states.map((st) => st.toString("hex"))).size).toBe(8);
    // The next round, with that State, continues the conversation.
    const r1 = await round(s, resp(5, EapType.Identity, Buffer.from("alice")));
    const r2 = await round(s, resp(eapOf(r1.d).identifier, EapType.Nak, [EapType.Md5Challenge]), attr(r1.d, Attr.State));
    expect(eapOf(r2.d).type).toBe(EapType.Md5Challenge);
  });

  it("EAP-MD5 after a Nak of MSCHAPv2: Access-Accept with EAP-Success and no MPPE keys", async () => {
    const s = server();
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    const state = attr(r1.d, Attr.State)!;
    // RFC 3748 §5.3.1: the legacy Nak lists the types the peer wants.
    const r2 = await round(s, resp(2, EapType.Nak, [EapType.Md5Challenge]), state);
    const md5req = eapOf(r2.d);
    expect([md5req.identifier, md5req.type, md5req.data[0]]).toEqual([3, EapType.Md5Challenge, 16]);
    const value = createHash("md5").update(Buffer.from([3])).update("alice-pw").update(md5req.data.subarray(1, 17)).digest();
    const r3 = await round(s, resp(3, EapType.Md5Challenge, Buffer.concat([Buffer.from([16]), value])), attr(r2.d, Attr.State));
    expect(r3.d.result).toBe("accept");
    const ok = eapOf(r3.d);
    expect([ok.code, ok.identifier]).toEqual([EapCode.Success, 3]);
    expect(vsa(r3.d, 17)).toBeUndefined();
    expect(r3.d.result === "accept" && r3.d.attributes.some((a) => "type" in a && a.type === Attr.SessionTimeout)).toBe(true);
    expect(s.conversations.size).toBe(0);
  });

  it("EAP-MD5 with a wrong answer: Access-Reject with EAP-Failure, reason bad_password", async () => {
    const s = server({ methods: [eapMd5] });
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    const r2 = await round(s, resp(2, EapType.Md5Challenge, Buffer.concat([Buffer.from([16]), Buffer.alloc(16)])), attr(r1.d, Attr.State));
    expect(r2.d).toMatchObject({ result: "reject", reason: "bad_password" });
    expect([eapOf(r2.d).code, eapOf(r2.d).identifier]).toEqual([EapCode.Failure, 2]);
  });

  async function mschapv2(user: string, password: string, peerName = user) {
    const s = server();
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from(user)), undefined, NAS, user);
    const ch = eapOf(r1.d);
    // OpCode 1, MS-CHAPv2-ID, MS-Length, Value-Size 16, Challenge, Name.
    expect([ch.data[0], ch.data[1], ch.data.readUInt16BE(2), ch.data[4]]).toEqual([1, 2, ch.data.length, 16]);
    const authChallenge = ch.data.subarray(5, 21);
    const peerChallenge = randomBytes(16);
    const ntHash = ntPasswordHash(password);
    const nt = generateNtResponse(authChallenge, peerChallenge, Buffer.from(peerName), ntHash);
    const value = Buffer.concat([peerChallenge, Buffer.alloc(8), nt, Buffer.from([0])]);
    const body = Buffer.concat([Buffer.from([49]), value, Buffer.from(peerName)]);
    const data = Buffer.concat([Buffer.from([2, 2, 0, 0]), body]);
    data.writeUInt16BE(data.length, 2);
    const r2 = await round(s, resp(2, EapType.MsChapV2, data), attr(r1.d, Attr.State), NAS, user);
    return { s, r2, authChallenge, peerChallenge, nt, ntHash };
  }

  it("EAP-MSCHAPv2: Success Request with the authenticator response, then Access-Accept with MPPE keys from the MSK", async () => {
    const { s, r2, authChallenge, peerChallenge, nt, ntHash } = await mschapv2("alice", "alice-pw");
    const sr = eapOf(r2.d);
    expect(sr.data[0]).toBe(3);
    expect(sr.data.subarray(4).toString("ascii")).toBe(`${authenticatorResponse(ntHash, nt, peerChallenge, authChallenge, Buffer.from("alice"))} M=OK`);
    const r3 = await round(s, resp(3, EapType.MsChapV2, [3]), attr(r2.d, Attr.State));
    expect(r3.d.result).toBe("accept");
    expect(eapOf(r3.d).code).toBe(EapCode.Success);
    const master = masterKey(hashNtPasswordHash(ntHash), nt);
    expect(unhideTunnelPassword(vsa(r3.d, 17)!, SECRET, r3.packet.authenticator)).toEqual(asymmetricStartKey(master, false, true));
    expect(unhideTunnelPassword(vsa(r3.d, 16)!, SECRET, r3.packet.authenticator)).toEqual(asymmetricStartKey(master, true, true));
    // The identity is the request's User-Name: none added.
    expect(attr(r3.d, Attr.UserName)).toBeUndefined();
  });

  it("EAP-MSCHAPv2 against an ntHash-only subscriber", async () => {
    const { r2 } = await mschapv2("nt", "nt-pw");
    expect(eapOf(r2.d).data[0]).toBe(3);
  });

  it("EAP-MSCHAPv2 with a wrong password: Failure Request (E=691), then Access-Reject bad_password", async () => {
    const { s, r2, authChallenge } = await mschapv2("alice", "wrong");
    const fr = eapOf(r2.d);
    expect(fr.data[0]).toBe(4);
    expect(fr.data.subarray(4).toString("ascii")).toBe(`E=691 R=0 C=${authChallenge.toString("hex").toUpperCase()} V=3 M=Authentication failed`);
    const r3 = await round(s, resp(3, EapType.MsChapV2, [4]), attr(r2.d, Attr.State));
    expect(r3.d).toMatchObject({ result: "reject", reason: "bad_password" });
    expect(eapOf(r3.d).code).toBe(EapCode.Failure);
  });

  it("EAP-MSCHAPv2 for a subscriber with only an scrypt hash: method_not_possible; unknown user: unknown_user (after the same rounds)", async () => {
    for (const [user, reason] of [["hashed", "method_not_possible"], ["nobody", "unknown_user"]] as const) {
      const { s, r2 } = await mschapv2(user, "h");
      expect(eapOf(r2.d).data[0]).toBe(4);
      const r3 = await round(s, resp(3, EapType.MsChapV2, [4]), attr(r2.d, Attr.State));
      expect(r3.d).toMatchObject({ result: "reject", reason });
    }
  });

  it("EAP-Start (an empty EAP-Message) gets EAP-Request/Identity", async () => {
    const s = server();
    const r1 = await round(s, Buffer.alloc(0));
    const e = eapOf(r1.d);
    expect([e.code, e.type]).toEqual([EapCode.Request, EapType.Identity]);
    const r2 = await round(s, resp(e.identifier, EapType.Identity, Buffer.from("alice")), attr(r1.d, Attr.State));
    expect(eapOf(r2.d).type).toBe(EapType.MsChapV2);
  });
});

describe("EAP bad input: dropped or rejected with a named reason", () => {
  it("an unknown State, or another NAS's, gets Access-Reject with EAP-Failure (eap_unknown_state)", async () => {
    const s = server();
    const r0 = await round(s, resp(1, EapType.Md5Challenge, [16, ...Buffer.alloc(16)]), randomBytes(16));
    expect(r0.d).toMatchObject({ result: "reject", reason: "eap_unknown_state" });
    expect(eapOf(r0.d).code).toBe(EapCode.Failure);
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    const r2 = await round(s, resp(2, EapType.Nak, [4]), attr(r1.d, Attr.State), OTHER_NAS);
    expect(r2.d).toMatchObject({ result: "reject", reason: "eap_unknown_state" });
    // A Response other than Identity without State cannot start anything either.
    expect((await round(s, resp(1, EapType.Nak, [4]))).d).toMatchObject({ result: "reject", reason: "eap_unknown_state" });
  });

  it("a Response with the wrong Identifier is dropped (RFC 3748 §4.1) and the conversation goes on", async () => {
    const s = server();
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    const state = attr(r1.d, Attr.State)!;
    expect((await round(s, resp(9, EapType.Nak, [4]), state)).d).toMatchObject({ result: "drop", reason: "eap_id_mismatch" });
    expect(eapOf((await round(s, resp(2, EapType.Nak, [4]), state)).d).type).toBe(EapType.Md5Challenge);
  });

  it("the Response to the previous Request sent again gets the same Request, without running the method again", async () => {
    let calls = 0;
    const counting: EapMethod = { name: "tls", type: EapType.Tls, create: () => ({ start: () => ({ kind: "request", data: Buffer.from([0]) }), process: () => ({ kind: "request", data: Buffer.from([++calls]) }) }) };
    const s = server({ methods: [counting] });
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    const state = attr(r1.d, Attr.State)!;
    const r2 = await round(s, resp(2, EapType.Tls, [7]), state);
    // Its Access-Challenge was lost or late: the NAS sends the same Response in a new Access-Request.
    const again = await round(s, resp(2, EapType.Tls, [7]), state);
    expect(again.d).toEqual(r2.d);
    expect(calls).toBe(1);
    // A different Response with that old Identifier is still discarded.
    expect((await round(s, resp(2, EapType.Tls, [8]), state)).d).toMatchObject({ result: "drop", reason: "eap_id_mismatch" });
    expect(eapOf((await round(s, resp(3, EapType.Tls, [9]), state)).d).data).toEqual(Buffer.from([2]));
  });

  it("malformed EAP, a Request from the peer, a fragment flood: dropped with the codec's reason", async () => {
    const s = server();
    const bad = Buffer.from("0201000901616c696365", "hex");
    expect((await round(s, bad)).d).toMatchObject({ result: "drop", reason: "eap_malformed:EAP_ERR_LENGTH_MISMATCH" });
    expect((await round(s, encodeEap({ code: EapCode.Request, identifier: 1, type: 1 }))).d).toMatchObject({ result: "drop", reason: "eap_not_response" });
    const flood = Array.from({ length: 18 }, () => ({ type: Attr.EapMessage, value: Buffer.from([2]) }));
    expect(await s.handle({ packet: request(null, undefined, "a", flood), client: NAS, deadline: clock + 1000 }, deps())).toMatchObject({ result: "drop", reason: "eap_malformed:EAP_ERR_FRAGMENTS" });
    expect(s.conversations.size).toBe(0);
  });

  it("a Nak of every method ends in eap_no_common_method; a Nak out of turn in eap_method_error", async () => {
    const s = server({ methods: [eapMsChapV2] });
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    expect((await round(s, resp(2, EapType.Nak, [EapType.Tls]), attr(r1.d, Attr.State))).d).toMatchObject({ result: "reject", reason: "eap_no_common_method" });
    const t = server({ methods: [eapMsChapV2, eapMd5] });
    const q1 = await round(t, resp(1, EapType.Identity, Buffer.from("alice")));
    const q2 = await round(t, resp(2, EapType.Nak, [0]), attr(q1.d, Attr.State));
    expect(q2.d).toMatchObject({ result: "reject", reason: "eap_no_common_method" });
    // RFC 3748 §5.3: a Nak answers only a method's first Request.
    const two: EapMethod = { name: "tls", type: EapType.Tls, create: () => ({ start: () => ({ kind: "request", data: Buffer.from([0]) }), process: () => ({ kind: "request", data: Buffer.from([1]) }) }) };
    const u = server({ methods: [two, eapMd5] });
    const p1 = await round(u, resp(1, EapType.Identity, Buffer.from("alice")));
    const p2 = await round(u, resp(2, EapType.Tls, [0]), attr(p1.d, Attr.State));
    expect(p2.d.result).toBe("challenge");
    expect((await round(u, resp(3, EapType.Nak, [4]), attr(p2.d, Attr.State))).d).toMatchObject({ result: "reject", reason: "eap_method_error" });
  });

  it("an abandoned conversation is freed at the timeout (injected clock); its State then gets eap_unknown_state", async () => {
    let disposed = 0;
    const slow: EapMethod = { name: "tls", type: EapType.Tls, create: () => ({ start: () => ({ kind: "request", data: Buffer.from([0x20]) }), process: () => ({ kind: "request", data: Buffer.from([0]) }), dispose: () => void disposed++ }) };
    const s = server({ methods: [slow], timeoutMs: 30_000 });
    clock = 1_000;
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    expect(s.conversations.size).toBe(1);
    clock = 30_999;
    expect(s.sweep()).toBe(0);
    clock = 31_000;
    expect(s.sweep()).toBe(1);
    expect(disposed).toBe(1);
    expect(s.conversations.size).toBe(0);
    expect((await round(s, resp(2, EapType.Tls, [0]), attr(r1.d, Attr.State))).d).toMatchObject({ result: "reject", reason: "eap_unknown_state" });
  });

  it("the store is bounded: a new conversation beyond maxConversations is dropped, those in progress go on", async () => {
    const s = server({ max: 2 });
    const a = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    expect((await round(s, resp(1, EapType.Identity, Buffer.from("alice")))).d).toMatchObject({ result: "drop", reason: "eap_conversations_full" });
    expect(eapOf((await round(s, resp(2, EapType.Nak, [4]), attr(a.d, Attr.State))).d).type).toBe(EapType.Md5Challenge);
  });

  it("a conversation past maxRounds is rejected (eap_too_many_rounds)", async () => {
    const chatty: EapMethod = { name: "tls", type: EapType.Tls, create: () => ({ start: () => ({ kind: "request", data: Buffer.from([0]) }), process: () => ({ kind: "request", data: Buffer.from([0]) }) }) };
    const s = server({ methods: [chatty], maxRounds: 3 });
    let r = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    let id = 2;
    const reasons: string[] = [];
    for (let i = 0; i < 4 && r.d.result === "challenge"; i++) {
      r = await round(s, resp(id++, EapType.Tls, [0]), attr(r.d, Attr.State));
      reasons.push(r.d.result);
    }
    expect(reasons).toEqual(["challenge", "challenge", "reject"]);
    expect(r.d).toMatchObject({ reason: "eap_too_many_rounds" });
  });

  it("a round arriving while the previous one of the same conversation is in progress is dropped (eap_busy)", async () => {
    let release!: (s: MethodStep) => void;
    const slow: EapMethod = { name: "tls", type: EapType.Tls, create: () => ({ start: () => ({ kind: "request", data: Buffer.from([0]) }), process: () => new Promise<MethodStep>((r) => (release = r)) }) };
    const s = server({ methods: [slow] });
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    const state = attr(r1.d, Attr.State)!;
    const first = round(s, resp(2, EapType.Tls, [0]), state);
    await new Promise((r) => setImmediate(r));
    expect((await round(s, resp(2, EapType.Tls, [1]), state)).d).toMatchObject({ result: "drop", reason: "eap_busy" });
    release({ kind: "request", data: Buffer.from([1]) });
    expect((await first).d.result).toBe("challenge");
  });

  it("fuzz: random EAP-Message contents, with or without a live State, never throw", async () => {
    const s = server();
    const live = attr((await round(s, resp(1, EapType.Identity, Buffer.from("alice")))).d, Attr.State)!;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.boolean(), async (bytes, withState) => {
        const { d } = await round(s, Buffer.from(bytes), withState ? live : undefined);
        expect(["accept", "reject", "challenge", "drop"]).toContain(d.result);
        expect(d.result).not.toBe("accept");
      }),
      { numRuns: 300 },
    );
  });
});

describe("keyed methods (the contract TLS-based methods plug into)", () => {
  it("a 64-octet MSK: MS-MPPE-Recv-Key = MSK[0..31], Send-Key = MSK[32..63]; the inner identity is looked up and sent as User-Name", async () => {
    const msk = randomBytes(64);
    const tunnel: EapMethod = {
      name: "peap",
      type: EapType.Peap,
      create: () => ({
        start: () => ({ kind: "request", data: Buffer.from([0x20]) }),
        process: async (_data, ctx): Promise<MethodStep> => {
          const found = await ctx.lookup("inner");
          expect(found.result).toBe("found");
          return { kind: "success", identity: "inner", msk };
        },
      }),
    };
    const s = server({ methods: [tunnel] });
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("anonymous")), undefined, NAS, "anonymous");
    const r2 = await round(s, resp(2, EapType.Peap, [0]), attr(r1.d, Attr.State), NAS, "anonymous");
    expect(r2.d).toMatchObject({ result: "accept", user: "inner" });
    expect(unhideTunnelPassword(vsa(r2.d, 17)!, SECRET, r2.packet.authenticator)).toEqual(msk.subarray(0, 32));
    expect(unhideTunnelPassword(vsa(r2.d, 16)!, SECRET, r2.packet.authenticator)).toEqual(msk.subarray(32, 64));
    expect(attr(r2.d, Attr.UserName)).toEqual(Buffer.from("inner"));
  });

  it("a method that is busy (TLS worker threads backlogged) does not start: eap_tls_busy, no conversation kept; it starts once no longer busy", async () => {
    let busy = true;
    let created = 0;
    const method: EapMethod = {
      name: "tls",
      type: EapType.Tls,
      busy: () => busy,
      create: () => {
        created++;
        return { start: () => ({ kind: "request", data: Buffer.from([0x20]) }), process: () => ({ kind: "failure", reason: "eap_method_error" }) };
      },
    };
    const s = server({ methods: [method] });
    const refused = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    expect(refused.d).toMatchObject({ result: "drop", reason: "eap_tls_busy" });
    expect(s.conversations.size).toBe(0);
    expect(created).toBe(0);
    busy = false;
    const started = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    expect(started.d.result).toBe("challenge");
    expect(s.conversations.size).toBe(1);
    expect(created).toBe(1);
  });

  it("a Nak to a busy method still gets it: a conversation in progress is never dropped for it", async () => {
    const busyTls: EapMethod = {
      name: "tls",
      type: EapType.Tls,
      busy: () => true,
      create: () => ({ start: () => ({ kind: "request", data: Buffer.from([0x20]) }), process: () => ({ kind: "failure", reason: "eap_method_error" }) }),
    };
    const s = server({ methods: [eapMd5, busyTls] });
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    expect(eapOf(r1.d).type).toBe(EapType.Md5Challenge);
    const r2 = await round(s, resp(2, EapType.Nak, [EapType.Tls]), attr(r1.d, Attr.State));
    expect(r2.d.result).toBe("challenge");
    expect(eapOf(r2.d).type).toBe(EapType.Tls);
  });

  it("a method's success for a subscriber the framework finds disabled or unknown is rejected", async () => {
    const ok: EapMethod = { name: "tls", type: EapType.Tls, create: () => ({ start: () => ({ kind: "request", data: Buffer.from([0]) }), process: () => ({ kind: "success", identity: "ghost", msk: Buffer.alloc(64) }) }) };
    const s = server({ methods: [ok] });
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("x")));
    expect((await round(s, resp(2, EapType.Tls, [0]), attr(r1.d, Attr.State))).d).toMatchObject({ result: "reject", reason: "unknown_user" });
  });

  it("the final Response sent again after the conversation ended gets the same answer, its keys encrypted for the new request, without running the method again", async () => {
    const msk = randomBytes(64);
    let processed = 0;
    const method: EapMethod = {
      name: "peap",
      type: EapType.Peap,
      create: () => ({
        start: () => ({ kind: "request", data: Buffer.from([0x20]) }),
        process: (): MethodStep => {
          processed++;
          return { kind: "success", identity: "alice", msk };
        },
      }),
    };
    const s = server({ methods: [method] });
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    const state = attr(r1.d, Attr.State)!;
    const first = await round(s, resp(2, EapType.Peap, [0]), state);
    expect(first.d.result).toBe("accept");
    expect(s.conversations.size).toBe(0);
    // The NAS did not get (or got too late) the Access-Accept: a new Access-Request, same Response.
    const again = await round(s, resp(2, EapType.Peap, [0]), state);
    expect(again.packet.authenticator.equals(first.packet.authenticator)).toBe(false);
    expect(again.d).toMatchObject({ result: "accept", user: "alice" });
    expect([eapOf(again.d).code, eapOf(again.d).identifier]).toEqual([EapCode.Success, 2]);
    expect(unhideTunnelPassword(vsa(again.d, 17)!, SECRET, again.packet.authenticator)).toEqual(msk.subarray(0, 32));
    expect(unhideTunnelPassword(vsa(again.d, 16)!, SECRET, again.packet.authenticator)).toEqual(msk.subarray(32, 64));
    expect(processed).toBe(1);
    // Another Response, or the same from another NAS, does not continue an ended conversation.
    expect((await round(s, resp(2, EapType.Peap, [1]), state)).d).toMatchObject({ result: "reject", reason: "eap_unknown_state" });
    expect((await round(s, resp(2, EapType.Peap, [0]), state, OTHER_NAS)).d).toMatchObject({ result: "reject", reason: "eap_unknown_state" });
    // Kept for the conversation timeout, then forgotten.
    clock += 30_001;
    expect((await round(s, resp(2, EapType.Peap, [0]), state)).d).toMatchObject({ result: "reject", reason: "eap_unknown_state" });
    expect(s.conversations.endedSize).toBe(0);
  });

  it("a final round whose deadline passed before the subscriber check is dropped; the Response sent again is answered", async () => {
    const msk = randomBytes(64);
    const method: EapMethod = { name: "tls", type: EapType.Tls, create: () => ({ start: () => ({ kind: "request", data: Buffer.from([0]) }), process: () => ({ kind: "success", identity: "alice", msk }) }) };
    const s = server({ methods: [method] });
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    const state = attr(r1.d, Attr.State)!;
    const late = await s.handle({ packet: request(resp(2, EapType.Tls, [0]), state), client: NAS, deadline: clock }, deps());
    expect(late).toMatchObject({ result: "drop", reason: "deadline_passed" });
    const again = await round(s, resp(2, EapType.Tls, [0]), state);
    expect(again.d).toMatchObject({ result: "accept", user: "alice" });
    expect(unhideTunnelPassword(vsa(again.d, 17)!, SECRET, again.packet.authenticator)).toEqual(msk.subarray(0, 32));
  });

  it("a failure is answered again the same way", async () => {
    const s = server({ methods: [eapMd5] });
    const r1 = await round(s, resp(1, EapType.Identity, Buffer.from("alice")));
    const state = attr(r1.d, Attr.State)!;
    const wrong = resp(2, EapType.Md5Challenge, Buffer.concat([Buffer.from([16]), Buffer.alloc(16)]));
    expect((await round(s, wrong, state)).d).toMatchObject({ result: "reject", reason: "bad_password" });
    const again = await round(s, wrong, state);
    expect(again.d).toMatchObject({ result: "reject", reason: "bad_password" });
    expect([eapOf(again.d).code, eapOf(again.d).identifier]).toEqual([EapCode.Failure, 2]);
  });

  it("splitMsk refuses an MSK of another length", () => {
    expect(() => splitMsk(Buffer.alloc(48))).toThrow(RangeError);
    expect(splitMsk(Buffer.alloc(32)).recvKey.length).toBe(16);
  });
});
