// Properties of the kernel steering program (fast-check), run through the interpreter of its
// instructions: for any plan the program is valid, Status-Server and State land in their queues,
// a source keeps one flow queue, configured hosts get theirs in turn, workers own their range.
import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { MAX_EXACT, MAX_FLOWS, MAX_GROUP, STATE_SCAN, steer, steeringPlan } from "../../src/transport/steering.js";

const BPF_MAXINSNS = 4096;
const STATE = 24;

const ipv4 = (addr: number, port = 1812): Uint8Array => {
  const h = new Uint8Array(28);
  h[0] = 0x45;
  new DataView(h.buffer).setUint32(12, addr >>> 0);
  h[20] = port >> 8;
  h[21] = port & 0xff;
  return h;
};
const ipv6 = (bytes: Uint8Array, port = 1812): Uint8Array => {
  const h = new Uint8Array(48);
  h[0] = 0x60;
  h.set(bytes.subarray(0, 16), 8);
  h[40] = port >> 8;
  h[41] = port & 0xff;
  return h;
};
/** A RADIUS datagram: code, then attributes [type, value length] (values zero) after the 20-octet header. */
const datagram = (code: number, attrs: ReadonlyArray<readonly [number, number]>): Uint8Array => {
  const body = attrs.flatMap(([type, v]) => [type, v + 2, ...new Array<number>(v).fill(0)]);
  const len = 20 + body.length;
  return Uint8Array.from([code, 0, len >> 8, len & 0xff, ...new Array<number>(16).fill(0), ...body]);
};

/** (flows, workers) with workers dividing flows, and room in the group for a State queue per worker. */
const shapeArb = fc
  .integer({ min: 1, max: MAX_FLOWS })
  .chain((flows) => fc.tuple(fc.constant(flows), fc.constantFrom(...Array.from({ length: flows }, (_, i) => i + 1).filter((w) => flows % w === 0 && flows + w + 1 <= MAX_GROUP))));
const addrArb = fc.integer({ min: 0, max: 0xffffffff });
const portArb = fc.integer({ min: 1, max: 65535 });
/** Attributes that are not State, with short values. */
const otherAttrs = fc.array(fc.tuple(fc.integer({ min: 1, max: 255 }).filter((t) => t !== STATE), fc.integer({ min: 0, max: 20 })), { maxLength: 20 });
const notStatus = fc.integer({ min: 0, max: 255 }).filter((c) => c !== 12);

describe("steeringPlan (fast-check)", () => {
  test("any valid plan: the group's layout, a program within the kernel's size limit, exact sources only for one worker", () => {
    fc.assert(
      fc.property(shapeArb, fc.uniqueArray(addrArb, { maxLength: MAX_EXACT }), ([flows, workers], exact) => {
        const plan = steeringPlan(flows, workers, exact);
        // Flows, then one State queue (one per worker with several), then Status-Server.
        expect(plan.stateQueues).toBe(workers);
        expect(plan.sockets).toBe(flows + workers + 1);
        expect(plan.stateQueue).toBe(flows);
        expect(plan.statusQueue).toBe(flows + workers);
        expect(plan.program.length % 2).toBe(0);
        expect(plan.program.length / 2).toBeLessThanOrEqual(BPF_MAXINSNS);
        if (workers > 1) expect(plan.program).toEqual(steeringPlan(flows, workers).program);
      }),
      { seed: 18, numRuns: 200 },
    );
  });

  test("Status-Server goes to its queue from any source; nothing else does", () => {
    fc.assert(
      fc.property(shapeArb, addrArb, portArb, notStatus, otherAttrs, ([flows, workers], addr, port, code, attrs) => {
        const plan = steeringPlan(flows, workers);
        expect(steer(plan, datagram(12, attrs), ipv4(addr, port))).toBe(plan.statusQueue);
        expect(steer(plan, Uint8Array.of(12), ipv4(addr, port))).toBe(plan.statusQueue);
        expect(steer(plan, datagram(code, attrs), ipv4(addr, port))).toBeLessThan(plan.statusQueue);
      }),
      { seed: 18, numRuns: 300 },
    );
  });

  test("an Access-Request with State among the first STATE_SCAN attributes goes to the State queue (of the worker its first octet names); later, or in another code, to a flow queue", () => {
    fc.assert(
      fc.property(shapeArb, addrArb, portArb, fc.array(fc.tuple(fc.integer({ min: 1, max: 255 }).filter((t) => t !== STATE), fc.integer({ min: 0, max: 20 })), { maxLength: STATE_SCAN + 8 }), fc.nat(), notStatus, fc.integer({ min: 0, max: 255 }), ([flows, workers], addr, port, attrs, at, code, first) => {
        const plan = steeringPlan(flows, workers);
        const pos = at % (attrs.length + 1);
        const withState = [...attrs.slice(0, pos), [STATE, 4] as const, ...attrs.slice(pos)];
        const bytes = datagram(1, withState);
        bytes[20 + attrs.slice(0, pos).reduce((n, [, v]) => n + 2 + v, 0) + 2] = first;
        const q = steer(plan, bytes, ipv4(addr, port));
        if (pos < STATE_SCAN) expect(q).toBe(plan.stateQueue + (workers > 1 ? first % workers : 0));
        else expect(q).toBeLessThan(flows);
        if (code !== 1) expect(steer(plan, datagram(code, withState), ipv4(addr, port))).toBeLessThan(flows);
        expect(steer(plan, datagram(1, attrs), ipv4(addr, port))).toBeLessThan(flows);
      }),
      { seed: 18, numRuns: 300 },
    );
  });

  test("one source keeps one flow queue, whatever it sends (IPv4 and IPv6)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_FLOWS }),
        addrArb,
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.array(fc.tuple(notStatus, otherAttrs), { minLength: 2, maxLength: 5 }),
        (flows, addr, v6, sends) => {
          const plan = steeringPlan(flows);
          const v4Queues = new Set(sends.map(([code, attrs]) => steer(plan, datagram(code, attrs), ipv4(addr))));
          const v6Queues = new Set(sends.map(([code, attrs]) => steer(plan, datagram(code, attrs), ipv6(v6))));
          expect(v4Queues.size).toBe(1);
          expect(v6Queues.size).toBe(1);
          for (const q of [...v4Queues, ...v6Queues]) expect(q).toBeLessThan(flows);
        },
      ),
      { seed: 18, numRuns: 200 },
    );
  });

  test("configured single hosts get the flow queues in turn: the i-th listed gets queue i mod flows", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_FLOWS }), fc.uniqueArray(addrArb, { minLength: 1, maxLength: MAX_EXACT }), (flows, exact) => {
        const plan = steeringPlan(flows, 1, exact);
        const wrong = exact.filter((addr, i) => steer(plan, datagram(1, []), ipv4(addr)) !== i % flows);
        expect(wrong).toEqual([]);
      }),
      { seed: 18, numRuns: 200 },
    );
  });

  test("several workers: a source's address and port pick a worker's range, the address alone the queue within it", () => {
    fc.assert(
      fc.property(shapeArb.filter(([, w]) => w > 1), addrArb, fc.uniqueArray(portArb, { minLength: 2, maxLength: 6 }), ([flows, workers], addr, ports) => {
        const plan = steeringPlan(flows, workers);
        const per = flows / workers;
        const queues = ports.map((port) => steer(plan, datagram(1, []), ipv4(addr, port)));
        for (const q of queues) expect(q).toBeLessThan(flows);
        // The same queue index within whichever worker the port picked.
        expect(new Set(queues.map((q) => q % per)).size).toBe(1);
        // A retransmission (same address and port) reaches the same queue.
        ports.forEach((port, i) => expect(steer(plan, datagram(4, [[40, 4]]), ipv4(addr, port))).toBe(queues[i]));
      }),
      { seed: 18, numRuns: 200 },
    );
  });

  test("any bytes, however short or malformed, land in a queue of the group", () => {
    fc.assert(
      fc.property(shapeArb, fc.uint8Array({ maxLength: 120 }), fc.uint8Array({ minLength: 0, maxLength: 48 }), ([flows, workers], payload, header) => {
        const plan = steeringPlan(flows, workers);
        const q = steer(plan, payload, header);
        expect(Number.isInteger(q) && q >= 0 && q < plan.sockets).toBe(true);
      }),
      { seed: 18, numRuns: 500 },
    );
  });
});
