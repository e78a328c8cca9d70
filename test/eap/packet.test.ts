// EAP codec, EAP-Message reassembly and fragmentation, the conversation store; fuzzed with fast-check.
import { describe, it, expect } from "@jest/globals";
import fc from "fast-check";
import { decodeEap, encodeEap, EapCode, EapError, EapType } from "../../src/eap/packet.js";
import { fragmentEap, MAX_EAP_FRAGMENTS, reassembleEap } from "../../src/eap/radius.js";
import { ConversationStore, type Conversation } from "../../src/eap/conversations.js";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket, type RadiusPacket } from "../../src/radius/packet.js";
import { encodeRequest, type AttributeInput } from "../../src/radius/encode.js";

const SECRET = Buffer.from("testing123");

function radius(attributes: AttributeInput[]): RadiusPacket {
  return decodePacket(encodeRequest({ code: Code.AccessRequest, identifier: 1, secret: SECRET, attributes, messageAuthenticator: true }));
}

function eapCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof EapError) return err.code;
    throw err;
  }
  return "ok";
}

describe("EAP codec (RFC 3748 §4)", () => {
  it("round-trips a Response and a Success", () => {
    const r = encodeEap({ code: EapCode.Response, identifier: 7, type: EapType.Identity, data: Buffer.from("alice") });
    expect(r.toString("hex")).toBe("0207000a01616c696365");
    expect(decodeEap(r)).toEqual({ code: 2, identifier: 7, type: 1, data: Buffer.from("alice") });
    const s = encodeEap({ code: EapCode.Success, identifier: 9 });
    expect(s.toString("hex")).toBe("03090004");
    expect(decodeEap(s).code).toBe(EapCode.Success);
  });

  it("refuses each malformed shape with a named code", () => {
    expect(eapCode(() => decodeEap(Buffer.from("0201", "hex")))).toBe("EAP_ERR_TOO_SHORT");
    expect(eapCode(() => decodeEap(Buffer.from("0201000901616c696365", "hex")))).toBe("EAP_ERR_LENGTH_MISMATCH"); // Length 9, 10 octets
    expect(eapCode(() => decodeEap(Buffer.from("0201000b01616c696365", "hex")))).toBe("EAP_ERR_LENGTH_MISMATCH"); // truncated
    expect(eapCode(() => decodeEap(Buffer.from("05010005ff", "hex")))).toBe("EAP_ERR_BAD_CODE");
    expect(eapCode(() => decodeEap(Buffer.from("02010004", "hex")))).toBe("EAP_ERR_NO_TYPE");
    expect(eapCode(() => decodeEap(Buffer.from("0301000500", "hex")))).toBe("EAP_ERR_SUCCESS_FAILURE_LENGTH");
  });

  it("fuzz: any octets decode or fail with EapError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b = Buffer.from(bytes);
        const code = eapCode(() => decodeEap(b));
        if (code === "ok") expect(b.readUInt16BE(2)).toBe(b.length);
      }),
      { numRuns: 2000 },
    );
  });

  it("fuzz: a decoded packet re-encodes to the same octets", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 1500 }), (code, id, type, data) => {
        const b = encodeEap({ code, identifier: id, type, data: Buffer.from(data) });
        const p = decodeEap(b);
        expect(encodeEap(p)).toEqual(b);
      }),
    );
  });
});

describe("EAP-Message reassembly and fragmentation (RFC 3579 §3.1)", () => {
  it("cuts into attributes of at most 253 octets and joins them back", () => {
    const eap = encodeEap({ code: EapCode.Request, identifier: 1, type: EapType.Tls, data: Buffer.alloc(1000, 0xab) });
    const parts = fragmentEap(eap);
    expect(parts.map((p) => p.value.length)).toEqual([253, 253, 253, 246]);
    expect(reassembleEap(radius(parts))).toEqual(eap);
  });

  it("finds no EAP without EAP-Message, the EAP-Start in one empty attribute", () => {
    expect(reassembleEap(radius([{ type: Attr.UserName, value: Buffer.from("a") }]))).toBeNull();
    expect(reassembleEap(radius([{ type: Attr.EapMessage, value: Buffer.alloc(0) }]))).toEqual(Buffer.alloc(0));
  });

  it("refuses a fragment flood and an empty fragment among others", () => {
    const flood = Array.from({ length: MAX_EAP_FRAGMENTS + 1 }, () => ({ type: Attr.EapMessage, value: Buffer.from([1]) }));
    expect(eapCode(() => reassembleEap(radius(flood)))).toBe("EAP_ERR_FRAGMENTS");
    expect(eapCode(() => reassembleEap(radius([{ type: Attr.EapMessage, value: Buffer.from([2, 1]) }, { type: Attr.EapMessage, value: Buffer.alloc(0) }])))).toBe("EAP_ERR_FRAGMENTS");
  });

  it("fuzz: fragmentation then reassembly is the identity, split anywhere", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 5, maxLength: 3500 }), (data) => {
        const eap = encodeEap({ code: EapCode.Response, identifier: 3, type: EapType.Tls, data: Buffer.from(data) });
        expect(reassembleEap(radius(fragmentEap(eap)))).toEqual(eap);
      }),
      { numRuns: 200 },
    );
  });

  it("fuzz: random EAP-Message attributes reassemble and decode, or fail with EapError", () => {
    const attr = fc.uint8Array({ maxLength: 253 }).map((v) => ({ type: Attr.EapMessage, value: Buffer.from(v) }));
    fc.assert(
      fc.property(fc.array(attr, { minLength: 1, maxLength: 15 }), (attrs) => {
        const p = radius(attrs);
        const code = eapCode(() => {
          const raw = reassembleEap(p);
          if (raw && raw.length > 0) decodeEap(raw);
        });
        expect(typeof code).toBe("string");
      }),
      { numRuns: 500 },
    );
  });
});

describe("conversation store", () => {
  const conv = (key: string, disposed: string[] = []): Conversation => ({
    key,
    state: Buffer.from(key.padEnd(32, "0"), "hex"),
    client: "nas",
    identity: "",
    method: null,
    session: { start: () => ({ kind: "failure", reason: "eap_method_error" }), process: () => ({ kind: "failure", reason: "eap_method_error" }), dispose: () => disposed.push(key) },
    tried: new Set(),
    lastId: 0,
    nakAllowed: false,
    rounds: 0,
    previous: null,
    busy: false,
    expiresAt: 0,
  });

  it("frees a conversation at its timeout, by the injected clock, and disposes its method state", () => {
    const disposed: string[] = [];
    const s = new ConversationStore({ maxConversations: 10, timeoutMs: 30_000 });
    s.add(conv("aa", disposed), 0);
    s.add(conv("bb", disposed), 10_000);
    expect(s.get("aa", 29_999)).toBeDefined();
    expect(s.sweep(29_999)).toBe(0);
    expect(s.sweep(30_000)).toBe(1);
    expect(disposed).toEqual(["aa"]);
    expect(s.get("aa", 30_000)).toBeUndefined();
    expect(s.size).toBe(1);
    expect(s.expired).toBe(1);
  });

  it("a touch restarts the timeout and keeps the expiry order", () => {
    const s = new ConversationStore({ maxConversations: 10, timeoutMs: 1000 });
    const a = conv("aa");
    s.add(a, 0);
    s.add(conv("bb"), 500);
    s.touch(a, 900);
    expect(s.sweep(1500)).toBe(1); // bb went, aa lives to 1900
    expect(s.get("aa", 1899)).toBe(a);
    expect(s.get("aa", 1900)).toBeUndefined();
  });

  it("is bounded: a new conversation is refused when full, until one expires", () => {
    const s = new ConversationStore({ maxConversations: 2, timeoutMs: 1000 });
    expect(s.add(conv("aa"), 0)).toBe(true);
    expect(s.add(conv("bb"), 0)).toBe(true);
    expect(s.add(conv("cc"), 10)).toBe(false);
    expect(s.add(conv("cc"), 1000)).toBe(true);
    expect(s.size).toBe(1);
  });

  it("does not free a conversation while a round of it is being processed", () => {
    const s = new ConversationStore({ maxConversations: 2, timeoutMs: 1000 });
    const a = conv("aa");
    s.add(a, 0);
    a.busy = true;
    expect(s.sweep(5000)).toBe(0);
    a.busy = false;
    expect(s.sweep(5000)).toBe(1);
  });
});
