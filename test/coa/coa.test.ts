// Dynamic Authorization (RFC 5176) as a client, against a NAS simulated on a real UDP socket:
// ACK, NAK with Error-Cause, RFC 5080 retransmission (identical datagrams), giving up, forged
// answers ignored; and the RFC 5080 timer schedule itself.
import { afterEach, describe, expect, it } from "@jest/globals";
import { Attr, Code } from "../../src/radius/codes.js";
import { RFC5080_TIMERS, retransmissionSchedule, sendDynamicRequest, sessionIdentification, type RetransmitTimers } from "../../src/coa/client.js";
import type { Session } from "../../src/store/sessions.js";
import { prng } from "../helpers/prng.js";
import { FakeNas } from "../helpers/fake-nas.js";

const SECRET = Buffer.from("coa-secret");
const FAST: RetransmitTimers = { irtMs: 40, mrc: 5, mrtMs: 200, mrdMs: 3000 };
const nases: FakeNas[] = [];

async function nas(): Promise<{ nas: FakeNas; port: number }> {
  const n = new FakeNas(SECRET);
  nases.push(n);
  return { nas: n, port: await n.bind() };
}

afterEach(() => {
  for (const n of nases.splice(0)) n.close();
});

const session: Session = {
  nas: "nas1",
  nasAddress: "127.0.0.1",
  sessionId: "abc-123",
  user: "alice",
  status: "live",
  startedAt: 0,
  updatedAt: 0,
  nasIp: "192.0.2.1",
  nasPort: 42,
  framedIp: "10.0.0.5",
  callingStationId: "00-11-22-33-44-55",
};

describe("RFC 5080 retransmission schedule", () => {
  it("with RAND = 0: 2, 4, 8, 16 s and then MRD (30 s) is used up", () => {
    expect(retransmissionSchedule(RFC5080_TIMERS, () => 0.5)).toEqual([2000, 4000, 8000, 16000]);
  });

  it("stays within the RFC's bounds for any RAND", () => {
    const rand = prng(5080);
    for (let run = 0; run < 500; run++) {
      const w = retransmissionSchedule(RFC5080_TIMERS, rand);
      expect(w.length).toBeGreaterThanOrEqual(1);
      expect(w.length).toBeLessThanOrEqual(RFC5080_TIMERS.mrc);
      expect(w[0]).toBeGreaterThanOrEqual(1800);
      expect(w[0]).toBeLessThanOrEqual(2200);
      for (let i = 1; i < w.length; i++) {
        const prev = w[i - 1]!;
        const cur = w[i]!;
        const total = w.slice(0, i + 1).reduce((a, b) => a + b, 0);
        const doubled = cur >= 1.9 * prev - 1e-9 && cur <= 2.1 * prev + 1e-9;
        const capped = cur >= 0.9 * RFC5080_TIMERS.mrtMs - 1e-9 && cur <= 1.1 * RFC5080_TIMERS.mrtMs + 1e-9;
        const lastCut = i === w.length - 1 && Math.abs(total - RFC5080_TIMERS.mrdMs) < 1e-6;
        expect(doubled || capped || lastCut).toBe(true);
      }
      expect(w.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(RFC5080_TIMERS.mrdMs + 1e-6);
    }
  });
});

describe("Disconnect-Request and CoA-Request to a NAS over UDP", () => {
  it("Disconnect-ACK: the NAS gets a signed request that identifies the session", async () => {
    const { nas: n, port } = await nas();
    const r = await sendDynamicRequest({ kind: "disconnect", host: "127.0.0.1", port, secret: SECRET, attributes: sessionIdentification(session), timers: FAST });
    expect(r).toMatchObject({ outcome: "ack", reply: "Disconnect-ACK", attempts: 1, ignored: 0 });
    const seen = n.seen[0]!;
    expect(seen.packet.code).toBe(Code.DisconnectRequest);
    expect(seen.authenticatorOk).toBe(true);
    expect(seen.messageAuthenticator).toBe("valid");
    expect(n.attr(0, Attr.AcctSessionId)?.toString()).toBe("abc-123");
    expect(n.attr(0, Attr.UserName)?.toString()).toBe("alice");
    expect([...n.attr(0, Attr.NasIpAddress)!]).toEqual([192, 0, 2, 1]);
    expect([...n.attr(0, Attr.FramedIpAddress)!]).toEqual([10, 0, 0, 5]);
    expect(n.attr(0, Attr.NasPort)?.readUInt32BE(0)).toBe(42);
  });

  it("Disconnect-NAK with Error-Cause 503 is reported as such", async () => {
    const { nas: n, port } = await nas();
    n.answer = () => ({ kind: "nak", errorCause: 503 });
    const r = await sendDynamicRequest({ kind: "disconnect", host: "127.0.0.1", port, secret: SECRET, attributes: sessionIdentification(session), timers: FAST });
    expect(r).toMatchObject({ outcome: "nak", reply: "Disconnect-NAK", errorCause: 503, errorCauseName: "Session-Context-Not-Found" });
  });

  it("CoA-Request carries the new attributes; CoA-ACK", async () => {
    const { nas: n, port } = await nas();
    const timeout = Buffer.alloc(4);
    timeout.writeUInt32BE(600);
    const r = await sendDynamicRequest({ kind: "coa", host: "127.0.0.1", port, secret: SECRET, attributes: [...sessionIdentification(session), { type: Attr.SessionTimeout, value: timeout }], timers: FAST });
    expect(r).toMatchObject({ outcome: "ack", reply: "CoA-ACK" });
    expect(n.seen[0]!.packet.code).toBe(Code.CoARequest);
    expect(n.attr(0, Attr.SessionTimeout)?.readUInt32BE(0)).toBe(600);
  });

  it("retransmits the identical datagram until the NAS answers", async () => {
    const { nas: n, port } = await nas();
    n.answer = (_req, i) => (i < 2 ? { kind: "silent" } : { kind: "ack" });
    const r = await sendDynamicRequest({ kind: "disconnect", host: "127.0.0.1", port, secret: SECRET, attributes: sessionIdentification(session), timers: FAST });
    expect(r).toMatchObject({ outcome: "ack", attempts: 3 });
    expect(n.seen).toHaveLength(3);
    expect(n.seen[1]!.raw.equals(n.seen[0]!.raw)).toBe(true);
    expect(n.seen[2]!.raw.equals(n.seen[0]!.raw)).toBe(true);
  });

  it("gives up after MRC transmissions without an answer", async () => {
    const { nas: n, port } = await nas();
    n.answer = () => ({ kind: "silent" });
    const r = await sendDynamicRequest({ kind: "disconnect", host: "127.0.0.1", port, secret: SECRET, attributes: sessionIdentification(session), timers: { ...FAST, mrc: 3 } });
    expect(r).toMatchObject({ outcome: "timeout", attempts: 3 });
    expect(n.seen).toHaveLength(3);
  });

  it("ignores an answer that does not prove the secret, and takes the next valid one", async () => {
    const { nas: n, port } = await nas();
    n.answer = (_req, i) => (i === 0 ? { kind: "forged" } : { kind: "ack" });
    const r = await sendDynamicRequest({ kind: "disconnect", host: "127.0.0.1", port, secret: SECRET, attributes: sessionIdentification(session), timers: FAST });
    expect(r).toMatchObject({ outcome: "ack", attempts: 2, ignored: 1 });
  });

  it("a session id that is not printable goes back to the NAS as the original octets", async () => {
    const { nas: n, port } = await nas();
    await sendDynamicRequest({ kind: "disconnect", host: "127.0.0.1", port, secret: SECRET, attributes: sessionIdentification({ ...session, sessionId: "0x00ff10" }), timers: FAST });
    expect([...n.attr(0, Attr.AcctSessionId)!]).toEqual([0x00, 0xff, 0x10]);
  });
});
