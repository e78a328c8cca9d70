// The kernel steering program: its logic on crafted headers (an interpreter of the same
// instructions), then the real kernel: a socket group on loopback, datagrams from several source
// addresses, and the queue each one actually landed in.
import dgram from "node:dgram";
import { describe, expect, test } from "@jest/globals";
import { loadUdpMmsg, SLOT_META } from "../../src/transport/native/binding.js";
import { steer, steeringPlan } from "../../src/transport/steering.js";

const ipv4 = (src: string): Uint8Array => {
  const h = new Uint8Array(20);
  h[0] = 0x45;
  src.split(".").forEach((o, i) => (h[12 + i] = Number(o)));
  return h;
};
const ipv6 = (last: number): Uint8Array => {
  const h = new Uint8Array(40);
  h[0] = 0x60;
  h[8] = 0x20;
  h[9] = 0x01;
  h[23] = last;
  return h;
};

describe("steering program (interpreted)", () => {
  const plan = steeringPlan(8);

  test("Status-Server goes to its own queue whatever the source; a runt goes to flow 0", () => {
    expect(plan.sockets).toBe(9);
    for (const src of ["127.0.0.1", "10.1.2.3", "192.0.2.77"]) expect(steer(plan, Uint8Array.of(12, 1, 0, 20), ipv4(src))).toBe(plan.statusQueue);
    expect(steer(plan, Uint8Array.of(12), ipv6(5))).toBe(plan.statusQueue);
    expect(steer(plan, new Uint8Array(0), ipv4("10.0.0.1"))).toBe(0);
  });

  test("other requests: a fixed flow queue per source address, spread over the flows", () => {
    const seen = new Set<number>();
    for (let i = 1; i <= 200; i++) {
      const src = `10.0.${i >> 8}.${i & 0xff}`;
      const q = steer(plan, Uint8Array.of(1, 7), ipv4(src));
      expect(q).toBeGreaterThanOrEqual(0);
      expect(q).toBeLessThan(8);
      expect(steer(plan, Uint8Array.of(4, 9), ipv4(src))).toBe(q); // same source, same queue
      seen.add(q);
    }
    expect(seen.size).toBe(8);
    const v6 = new Set<number>();
    for (let i = 0; i < 64; i++) v6.add(steer(plan, Uint8Array.of(1), ipv6(i)));
    expect(v6.size).toBeGreaterThan(4);
    expect([...v6].every((q) => q < 8)).toBe(true);
  });

  test("bad flow counts are refused", () => {
    expect(() => steeringPlan(0)).toThrow(RangeError);
    expect(() => steeringPlan(64)).toThrow(RangeError);
  });
});

const native = loadUdpMmsg();
test("in the kernel: Status-Server lands in its queue, each source keeps one flow queue, nothing is lost", async () => {
  if (!native.binding) {
    // Only where no C compiler exists, said explicitly (udp.test.ts checks the same).
    expect(process.env.CARRIER_AAA_NO_NATIVE).toBe("1");
    return;
  }
  const b = native.binding;
  const plan = steeringPlan(4);
  const batch = 16;
  const rbuf = Buffer.alloc(batch * 4096);
  const rmeta = new Int32Array(batch * SLOT_META);
  const got: Array<{ code: number; src: string; queue: number }> = [];
  const handle = b.open(4, "127.0.0.1", 0, 0, 0, batch, 4096, rbuf, rmeta, Buffer.alloc(batch * 4096), new Int32Array(batch * SLOT_META), (n, queue) => {
    for (let i = 0; i < n; i++) {
      const m = i * SLOT_META;
      const a = new Uint8Array(rmeta.buffer, (m + 8) * 4, 4);
      got.push({ code: rbuf[i * 4096]!, src: a.join("."), queue });
    }
  }, plan.sockets, plan.program);
  const port = b.localPort(handle);
  b.start(handle);
  const sources = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"];
  const sockets = await Promise.all(sources.map((src) => new Promise<dgram.Socket>((resolve) => { const s = dgram.createSocket("udp4"); s.bind(0, src, () => resolve(s)); })));
  try {
    for (let round = 0; round < 5; round++) {
      sockets.forEach((s) => s.send(Uint8Array.of(1, round, 0, 4), port, "127.0.0.1"));
      sockets.forEach((s) => s.send(Uint8Array.of(12, round, 0, 4), port, "127.0.0.1"));
    }
    const deadline = Date.now() + 3000;
    while (got.length < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got).toHaveLength(60);
    for (const d of got.filter((d) => d.code === 12)) expect(d.queue).toBe(plan.statusQueue);
    const bySource = new Map<string, Set<number>>();
    for (const d of got.filter((d) => d.code === 1)) {
      expect(d.queue).toBeLessThan(plan.statusQueue);
      bySource.set(d.src, (bySource.get(d.src) ?? new Set()).add(d.queue));
    }
    expect(bySource.size).toBe(sources.length);
    for (const [src, queues] of bySource) {
      expect(queues.size).toBe(1);
      // the kernel chose the queue the program says
      expect([...queues][0]).toBe(steer(plan, Uint8Array.of(1), ipv4(src)));
    }
    expect(b.drops(handle)).toBe(0);
  } finally {
    sockets.forEach((s) => s.close());
    b.close(handle);
  }
});
