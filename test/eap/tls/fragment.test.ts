// EAP-TLS / PEAP / TTLS framing (RFC 5216 §3.1-3.2): decode/encode table, reassembly rules and
// caps, outgoing fragmentation, and fast-check properties (round trip; garbage only ever throws
// EapTlsError).
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { EAP_TLS_ERROR_CODES, EapTlsError, type EapTlsErrorCode } from "../../../src/eap/tls/errors.js";
import {
  DEFAULT_FRAGMENT_SIZE, OutgoingTlsMessage, TlsFlag, TlsReassembler, ackFrame, decodeTlsFrame, encodeTlsFrame,
  fragmentSizeForMtu, fragmentTlsMessage, isAck, startFrame,
} from "../../../src/eap/tls/fragment.js";

function expectCode(fn: () => unknown, code: EapTlsErrorCode): EapTlsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EapTlsError);
    expect((e as EapTlsError).code).toBe(code);
    return e as EapTlsError;
  }
  throw new Error(`expected ${code}`);
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("decodeTlsFrame / encodeTlsFrame", () => {
  it("decodes flags, TLS Message Length and data", () => {
    const f = decodeTlsFrame(hex("c0 00000010 16030100"));
    expect(f).toMatchObject({ lengthIncluded: true, more: true, start: false, version: 0, messageLength: 16 });
    expect(f.data.equals(hex("16030100"))).toBe(true);
    const s = decodeTlsFrame(hex("20"));
    expect(s).toMatchObject({ start: true, lengthIncluded: false, more: false, messageLength: undefined });
    expect(s.data).toHaveLength(0);
  });

  it("EAP-TLS ignores the reserved bits; PEAP/TTLS read them as the version", () => {
    expect(decodeTlsFrame(hex("21")).version).toBe(0);
    expect(decodeTlsFrame(hex("21"), { versioned: true }).version).toBe(1);
    expect(decodeTlsFrame(hex("07"), { versioned: true })).toMatchObject({ version: 7, start: false, more: false });
  });

  it.each([
    ["empty Type-Data", "", "EAPTLS_ERR_TRUNCATED"],
    ["L set, no length", "80", "EAPTLS_ERR_TRUNCATED"],
    ["L set, 3 octets of length", "80 000001", "EAPTLS_ERR_TRUNCATED"],
  ] as const)("%s -> %s", (_n, h, code) => {
    expectCode(() => decodeTlsFrame(hex(h)), code);
  });

  it("encodes the wire forms", () => {
    expect(startFrame().toString("hex")).toBe("20");
    expect(startFrame(0).equals(Buffer.of(TlsFlag.S))).toBe(true);
    expect(ackFrame().toString("hex")).toBe("00");
    expect(encodeTlsFrame({ more: true, messageLength: 3, data: hex("aabbcc"), version: 0 }).toString("hex")).toBe("c000000003aabbcc");
    expect(encodeTlsFrame({ data: hex("01") }).toString("hex")).toBe("0001");
    expectCode(() => encodeTlsFrame({ version: 8 }), "EAPTLS_ERR_BAD_ARGUMENT");
    expectCode(() => encodeTlsFrame({ messageLength: -1 }), "EAPTLS_ERR_BAD_ARGUMENT");
  });

  it("isAck: no data and none of L, M, S", () => {
    expect(isAck(decodeTlsFrame(hex("00")))).toBe(true);
    expect(isAck(decodeTlsFrame(hex("00"), { versioned: true }))).toBe(true);
    expect(isAck(decodeTlsFrame(hex("20")))).toBe(false);
    expect(isAck(decodeTlsFrame(hex("80 00000000")))).toBe(false);
    expect(isAck(decodeTlsFrame(hex("0016")))).toBe(false);
  });
});

describe("fragmentTlsMessage", () => {
  it("one frame without L when the message fits, L on request", () => {
    const m = Buffer.alloc(DEFAULT_FRAGMENT_SIZE, 7);
    const [only, ...rest] = fragmentTlsMessage(m);
    expect(rest).toHaveLength(0);
    expect(only?.[0]).toBe(0);
    expect(only?.length).toBe(1 + m.length);
    const [withL] = fragmentTlsMessage(m, { alwaysIncludeLength: true });
    expect(decodeTlsFrame(withL ?? Buffer.alloc(0)).messageLength).toBe(m.length);
  });

  it("L and the total on the first fragment, M on all but the last, version bits on all", () => {
    const m = Buffer.alloc(2500, 1);
    const frames = fragmentTlsMessage(m, { fragmentSize: 1000, version: 0 }).map((f) => decodeTlsFrame(f, { versioned: true }));
    expect(frames.map((f) => [f.lengthIncluded, f.more, f.data.length])).toEqual([[true, true, 1000], [false, true, 1000], [false, false, 500]]);
    expect(frames[0]?.messageLength).toBe(2500);
  });

  it("an empty message is one empty frame (an ACK-shaped Request)", () => {
    expect(fragmentTlsMessage(Buffer.alloc(0)).map((b) => b.toString("hex"))).toEqual(["00"]);
  });

  it("fragmentSizeForMtu keeps the EAP packet within Framed-MTU", () => {
    expect(fragmentSizeForMtu(undefined)).toBe(1020);
    expect(fragmentSizeForMtu(1400)).toBe(1020);
    expect(fragmentSizeForMtu(600)).toBe(590);
    expect(fragmentSizeForMtu(20)).toBe(64);
  });

  it("OutgoingTlsMessage hands out one fragment per ACK", () => {
    const o = new OutgoingTlsMessage(Buffer.alloc(2041), { fragmentSize: 1020 });
    expect(o.total).toBe(3);
    expect(o.next()).toBeDefined();
    expect(o.remaining).toBe(2);
    o.next();
    o.next();
    expect(o.next()).toBeUndefined();
    expect(o.remaining).toBe(0);
  });

  it("refuses a fragment size below 1", () => {
    expectCode(() => fragmentTlsMessage(Buffer.alloc(3), { fragmentSize: 0 }), "EAPTLS_ERR_BAD_ARGUMENT");
  });
});

describe("TlsReassembler", () => {
  it("reassembles fragments and asks for an ACK after each but the last", () => {
    const m = Buffer.from(Array.from({ length: 3000 }, (_, i) => i & 0xff));
    const r = new TlsReassembler();
    const frames = fragmentTlsMessage(m, { fragmentSize: 1020 });
    expect(r.push(frames[0] ?? Buffer.alloc(0))).toEqual({ kind: "fragment", received: 1020, expected: 3000 });
    expect(r.pending).toBe(true);
    expect(r.push(frames[1] ?? Buffer.alloc(0)).kind).toBe("fragment");
    const last = r.push(frames[2] ?? Buffer.alloc(0));
    expect(last.kind).toBe("message");
    if (last.kind === "message") expect(last.message.equals(m)).toBe(true);
    expect(r.pending).toBe(false);
  });

  it("an ACK is a message of length 0", () => {
    const r = new TlsReassembler();
    const a = r.push(ackFrame());
    expect(a.kind === "message" && a.message.length === 0 && isAck(a.frame)).toBe(true);
  });

  it("accepts L repeated with the same value on later fragments", () => {
    const r = new TlsReassembler();
    r.push(hex("c0 00000004 0102"));
    const x = r.push(hex("80 00000004 0304"));
    expect(x.kind === "message" && x.message.toString("hex")).toBe("01020304");
  });

  it("accepts a first fragment without L (lenient), capped by maxMessageLength", () => {
    const r = new TlsReassembler({ maxMessageLength: 4 });
    expect(r.push(hex("40 0102")).kind).toBe("fragment");
    expectCode(() => r.push(hex("40 030405")), "EAPTLS_ERR_TOO_BIG");
  });

  const violations: Array<[string, string[], EapTlsErrorCode, { maxMessageLength?: number; maxFragments?: number; versioned?: boolean; version?: number }]> = [
    ["S in a peer Response", ["20"], "EAPTLS_ERR_BAD_FLAGS", {}],
    ["TLS Message Length over the cap", ["c0 00010001 00"], "EAPTLS_ERR_TOO_BIG", {}],
    ["unfragmented: length differs from data", ["80 00000003 0102"], "EAPTLS_ERR_LENGTH_MISMATCH", {}],
    ["fragments overrun the length", ["c0 00000003 0102", "00 0304"], "EAPTLS_ERR_LENGTH_MISMATCH", {}],
    ["last fragment short of the length", ["c0 00000005 0102", "00 03"], "EAPTLS_ERR_LENGTH_MISMATCH", {}],
    ["L changes between fragments", ["c0 00000005 0102", "c0 00000006 03"], "EAPTLS_ERR_LENGTH_MISMATCH", {}],
    ["late L below the data received", ["40 010203", "c0 00000002 04"], "EAPTLS_ERR_LENGTH_MISMATCH", {}],
    ["fragment flood", ["c0 00001000 00", "40 00", "40 00", "40 00"], "EAPTLS_ERR_TOO_MANY_FRAGMENTS", { maxFragments: 3 }],
    ["empty-fragment flood", ["c0 00001000", "40", "40", "40"], "EAPTLS_ERR_TOO_MANY_FRAGMENTS", { maxFragments: 3 }],
    ["unfragmented data over the cap", ["00 0102030405"], "EAPTLS_ERR_TOO_BIG", { maxMessageLength: 4 }],
    ["PEAP version 1 when 0 was agreed", ["01 16"], "EAPTLS_ERR_VERSION", { versioned: true, version: 0 }],
  ];
  it.each(violations)("%s -> %s", (_n, frames, code, opts) => {
    // (opts is always given: a 4th parameter left undefined would make jest treat it as `done`.)
    const r = new TlsReassembler(opts);
    const all = frames.map(hex);
    const lastFrame = all.pop() ?? Buffer.alloc(0);
    for (const f of all) expect(r.push(f).kind).toBe("fragment");
    expectCode(() => r.push(lastFrame), code);
    // After an error the partial message is dropped; a fresh message goes through.
    expect(r.pending).toBe(false);
    const ok = r.push(hex("00 16"));
    expect(ok.kind).toBe("message");
  });

  it("a peer-side reassembler accepts S", () => {
    const r = new TlsReassembler({ allowStart: true, versioned: true });
    const s = r.push(startFrame(0));
    expect(s.kind === "message" && s.frame.start).toBe(true);
  });

  it("refuses nonsense caps", () => {
    expectCode(() => new TlsReassembler({ maxFragments: 0 }), "EAPTLS_ERR_BAD_ARGUMENT");
    expectCode(() => new TlsReassembler({ maxMessageLength: 1.5 }), "EAPTLS_ERR_BAD_ARGUMENT");
  });
});

describe("properties (fast-check)", () => {
  it("fragment then reassemble gives the message back, for any size and fragment size", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6000 }), fc.integer({ min: 1, max: 1400 }), fc.boolean(), (bytes, size, versioned) => {
        const m = Buffer.from(bytes);
        const r = new TlsReassembler({ versioned, version: 0, maxFragments: 10_000 });
        const frames = fragmentTlsMessage(m, { fragmentSize: size });
        let out: Buffer | undefined;
        frames.forEach((f, i) => {
          const res = r.push(f);
          if (i < frames.length - 1) expect(res.kind).toBe("fragment");
          else if (res.kind === "message") out = res.message;
        });
        expect(out?.equals(m)).toBe(true);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 10_000 },
    );
  });

  it("garbage frames never throw anything but EapTlsError, and memory stays under the cap", () => {
    const codes = new Set<string>(EAP_TLS_ERROR_CODES);
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 40 }), fc.boolean(), (frames, versioned) => {
        const r = new TlsReassembler({ versioned, version: 0, maxMessageLength: 4096, maxFragments: 16 });
        for (const f of frames) {
          try {
            const res = r.push(Buffer.from(f));
            if (res.kind === "fragment") expect(res.received).toBeLessThanOrEqual(4096);
            else expect(res.message.length).toBeLessThanOrEqual(4096);
          } catch (e) {
            expect(e).toBeInstanceOf(EapTlsError);
            expect(codes.has((e as EapTlsError).code)).toBe(true);
          }
        }
      }),
      { numRuns: 2000, interruptAfterTimeLimit: 10_000 },
    );
  });

  it("decodeTlsFrame on any bytes returns or throws EapTlsError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), (b) => {
        try {
          const f = decodeTlsFrame(Buffer.from(b), { versioned: true });
          expect(f.data.length).toBeLessThanOrEqual(b.length);
        } catch (e) {
          expect(e).toBeInstanceOf(EapTlsError);
        }
      }),
      { numRuns: 2000, interruptAfterTimeLimit: 10_000 },
    );
  });
});
