// The kernel steering program: its logic on crafted headers (an interpreter of the same
// instructions), then the real kernel: a socket group on loopback, datagrams from several source
// addresses, and the queue each one actually landed in.
import dgram from "node:dgram";
import { describe, expect, test } from "@jest/globals";
import { loadUdpMmsg, SLOT_META } from "../../src/transport/native/binding.js";
import { exactSources, MAX_EXACT, MAX_FLOWS, STATE_SCAN, steer, steeringPlan } from "../../src/transport/steering.js";
import { itIf } from "../helpers/skip.js";

const ipv4 = (src: string): Uint8Array => {
  const h = new Uint8Array(20);
  h[0] = 0x45;
  src.split(".").forEach((o, i) => (h[12 + i] = Number(o)));
  return h;
};
/** An Access-Request (code 1) whose attributes are [type, value length] pairs, values zero-filled. */
const accessRequest = (attrs: Array<[number, number]>, code = 1): Uint8Array => {
  const len = 20 + attrs.reduce((n, [, v]) => n + 2 + v, 0);
  const b = new Uint8Array(len);
  b[0] = code;
  b[2] = len >> 8;
  b[3] = len & 0xff;
  let o = 20;
  for (const [type, v] of attrs) {
    b[o] = type;
    b[o + 1] = v + 2;
    o += 2 + v;
  }
  return b;
};
/** An IPv4 header followed by a UDP header with this source port. */
const ipv4Udp = (src: string, port: number): Uint8Array => {
  const h = new Uint8Array(28);
  h.set(ipv4(src));
  h[20] = port >> 8;
  h[21] = port & 0xff;
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
    expect(plan.sockets).toBe(10);
    expect(plan.stateQueue).toBe(8);
    expect(plan.statusQueue).toBe(9);
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

  test("an Access-Request carrying State goes to the State queue, wherever it is among the first attributes", () => {
    const src = ipv4("10.9.8.7");
    const flow = steer(plan, accessRequest([[1, 5]]), src);
    expect(flow).toBeLessThan(8);
    for (let at = 0; at < STATE_SCAN; at++) {
      const attrs: Array<[number, number]> = Array.from({ length: at }, (_, i) => [i % 2 ? 31 : 4, i % 5]);
      attrs.push([24, 16], [80, 16]);
      expect(steer(plan, accessRequest(attrs), src)).toBe(plan.stateQueue);
    }
    // A State beyond the scanned attributes: steered as a new request (its source's flow).
    const far: Array<[number, number]> = Array.from({ length: STATE_SCAN }, () => [4, 4]);
    far.push([24, 8]);
    expect(steer(plan, accessRequest(far), src)).toBe(flow);
    // No State, or State in something other than an Access-Request: the source's flow.
    expect(steer(plan, accessRequest([[1, 5], [2, 16], [4, 4], [80, 16]]), src)).toBe(flow);
    expect(steer(plan, accessRequest([[24, 8]], 4), src)).toBe(flow);
    expect(steer(plan, accessRequest([[24, 8]], 12), src)).toBe(plan.statusQueue);
  });

  test("malformed attribute lists never reach past the datagram and fall back to the source's flow", () => {
    const src = ipv4("10.9.8.7");
    const flow = steer(plan, accessRequest([]), src);
    const zeroLength = accessRequest([[1, 4], [24, 4]]);
    zeroLength[21] = 0; // first attribute's length 0: the walk would not advance
    expect(steer(plan, zeroLength, src)).toBe(flow);
    const oneLength = accessRequest([[1, 4], [24, 4]]);
    oneLength[21] = 1;
    expect(steer(plan, oneLength, src)).toBe(flow);
    const overrun = accessRequest([[1, 4], [24, 4]]);
    overrun[21] = 200; // jumps past the end
    expect(steer(plan, overrun, src)).toBe(flow);
    // The type octet is the last octet of the datagram: its length octet is missing.
    const cut = accessRequest([[1, 4]]);
    const truncated = new Uint8Array(cut.length + 1);
    truncated.set(cut);
    truncated[cut.length] = 24;
    expect(steer(plan, truncated, src)).toBe(flow);
    // Shorter than a header: still a flow queue, never State or Status-Server.
    expect(steer(plan, Uint8Array.of(1, 2, 0), src)).toBe(flow);
    for (let n = 0; n < 400; n++) {
      const junk = new Uint8Array(20 + (n % 60));
      for (let i = 0; i < junk.length; i++) junk[i] = (n * 131 + i * 17) & 0xff;
      junk[0] = 1;
      const q = steer(plan, junk, src);
      expect(q === flow || q === plan.stateQueue).toBe(true);
    }
  });

  test("several workers: the source address and port pick the worker, the address alone the flow queue within it", () => {
    const two = steeringPlan(8, 2); // workers 0 and 1, 4 flow queues each
    expect(two.sockets).toBe(11); // 8 flows, a State queue per worker, Status-Server
    for (const src of ["10.0.0.1", "10.0.0.2", "192.0.2.9"]) {
      const workers = new Set<number>();
      const flows = new Set<number>();
      for (let port = 1024; port < 1088; port++) {
        const q = steer(two, Uint8Array.of(1, 1), ipv4Udp(src, port));
        expect(q).toBeLessThan(8);
        expect(steer(two, Uint8Array.of(1, 2), ipv4Udp(src, port))).toBe(q); // a retransmission: same queue
        workers.add(Math.floor(q / 4));
        flows.add(q % 4);
      }
      expect(workers.size).toBe(2); // one NAS address uses both workers
      expect(flows.size).toBe(1); // and one flow queue in each
    }
    // IPv6: the UDP header follows the 40-octet header.
    const v6workers = new Set<number>();
    for (let port = 2000; port < 2040; port++) {
      const h = new Uint8Array(48);
      h.set(ipv6(9));
      h[40] = port >> 8;
      h[41] = port & 0xff;
      v6workers.add(Math.floor(steer(two, Uint8Array.of(1), h) / 4));
    }
    expect(v6workers.size).toBe(2);
    expect(steer(two, Uint8Array.of(12), ipv4Udp("10.0.0.1", 5))).toBe(two.statusQueue);
    expect(() => steeringPlan(8, 3)).toThrow(RangeError);
  });

  test("configured single-host clients get flow queues of their own, in turn; other sources are hashed", () => {
    const nases = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"];
    const exact = exactSources([...nases.map((n, i) => (i % 2 ? `${n}/32` : n)), "10.0.0.0/8", "2001:db8::1", "127.0.0.1", "300.1.1.1"]);
    expect(exact).toEqual([0x7f000001, 0x7f000002, 0x7f000003, 0x7f000004]);
    const plan = steeringPlan(8, 1, exact);
    expect(nases.map((n) => steer(plan, Uint8Array.of(1, 1, 0, 4), ipv4(n)))).toEqual([0, 1, 2, 3]);
    // More exact sources than queues: they wrap around, evenly.
    const many = Array.from({ length: 20 }, (_, i) => `192.0.2.${i + 1}`);
    const wrap = steeringPlan(8, 1, exactSources(many));
    expect(many.map((n) => steer(wrap, Uint8Array.of(1), ipv4(n)))).toEqual(many.map((_, i) => i % 8));
    // Status-Server and State still have their queues; an unlisted source is hashed as before.
    expect(steer(plan, Uint8Array.of(12, 1, 0, 4), ipv4("127.0.0.1"))).toBe(plan.statusQueue);
    expect(steer(plan, accessRequest([[24, 4]]), ipv4("127.0.0.2"))).toBe(plan.stateQueue);
    expect(steer(plan, Uint8Array.of(1), ipv4("10.1.2.3"))).toBe(steer(steeringPlan(8), Uint8Array.of(1), ipv4("10.1.2.3")));
    // The largest table still fits (jumps of at most 255 instructions).
    const full = Array.from({ length: MAX_EXACT }, (_, i) => (0x0a000000 + i) >>> 0);
    const big = steeringPlan(MAX_FLOWS, 1, full);
    expect(steer(big, Uint8Array.of(1), ipv4("10.0.0.63"))).toBe(63 % MAX_FLOWS);
    expect(() => steeringPlan(8, 1, [...full, 1])).toThrow(RangeError);
  });

  test("several workers: an Access-Request carrying State goes to the State queue of the worker its first octet names", () => {
    const three = steeringPlan(6, 3);
    expect([three.stateQueue, three.stateQueues, three.statusQueue, three.sockets]).toEqual([6, 3, 9, 10]);
    /** An Access-Request with `before` attributes, then State (16 octets, first = `tag`), then Message-Authenticator. */
    const withState = (tag: number, before: number, stateLen = 16): Uint8Array => {
      const b = accessRequest([...Array.from({ length: before }, (): [number, number] => [79, 253]), [24, stateLen], [80, 16]]);
      if (stateLen > 0) b[20 + before * 255 + 2] = tag;
      return b;
    };
    for (const src of ["10.0.0.1", "192.0.2.200"]) {
      for (let port = 1000; port < 1010; port++) {
        const ip = ipv4Udp(src, port);
        for (const w of [0, 1, 2]) {
          // Wherever State is among the first STATE_SCAN attributes (e.g. after 15 EAP-Message fragments).
          for (const before of [0, 3, 15, STATE_SCAN - 1]) expect(steer(three, withState(w, before), ip)).toBe(three.stateQueue + w);
        }
        // A State this server did not issue: a State queue chosen by its first octet, never past the group.
        expect(steer(three, withState(7, 2), ip)).toBe(three.stateQueue + (7 % 3));
        expect(steer(three, withState(255, 0), ip)).toBe(three.stateQueue + (255 % 3));
        // An empty State, or one cut off by the datagram's end: a new request, the source's flow queue.
        const flow = steer(three, Uint8Array.of(1, 1, 0, 20), ip);
        expect(flow).toBeLessThan(6);
        expect(steer(three, withState(1, 2, 0), ip)).toBe(flow);
        const cut = withState(2, 0).subarray(0, 22);
        expect(steer(three, cut, ip)).toBe(flow);
        // State beyond the scanned attributes: a new request too.
        expect(steer(three, withState(1, STATE_SCAN), ip)).toBe(flow);
      }
    }
    // A single process keeps one State queue, whatever the first octet.
    const one = steeringPlan(6);
    expect([one.stateQueue, one.stateQueues, one.statusQueue, one.sockets]).toEqual([6, 1, 7, 8]);
    for (const w of [0, 1, 2, 200]) expect(steer(one, withState(w, 4), ipv4("10.0.0.1"))).toBe(one.stateQueue);
    // The group has room for the State queues.
    expect(() => steeringPlan(56, 8)).toThrow(RangeError);
    expect(steeringPlan(48, 8).sockets).toBe(57);
  });

  test("bad flow counts are refused", () => {
    expect(() => steeringPlan(0)).toThrow(RangeError);
    expect(() => steeringPlan(MAX_FLOWS + 1)).toThrow(RangeError);
    expect(steeringPlan(MAX_FLOWS).sockets).toBe(64);
  });
});

const native = loadUdpMmsg();
const itNative = itIf(native.binding !== null, "the native UDP addon is not built (CARRIER_AAA_NO_NATIVE=1)");
itNative("in the kernel: Status-Server and State land in their queues, each source keeps one flow queue, nothing is lost", async () => {
  const b = native.binding!;
  const plan = steeringPlan(4);
  const batch = 16;
  const rbuf = Buffer.alloc(batch * 4096);
  const rmeta = new Int32Array(batch * SLOT_META);
  const got: Array<{ code: number; src: string; queue: number; data: Uint8Array }> = [];
  const handle = b.open(4, "127.0.0.1", 0, 0, 0, batch, 4096, rbuf, rmeta, Buffer.alloc(batch * 4096), new Int32Array(batch * SLOT_META), (n, queue) => {
    for (let i = 0; i < n; i++) {
      const m = i * SLOT_META;
      const a = new Uint8Array(rmeta.buffer, (m + 8) * 4, 4);
      got.push({ code: rbuf[i * 4096]!, src: a.join("."), queue, data: Uint8Array.from(rbuf.subarray(i * 4096, i * 4096 + rmeta[m]!)) });
    }
  }, plan.sockets, plan.program);
  const port = b.localPort(handle);
  b.start(handle);
  const sources = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"];
  const sockets = await Promise.all(sources.map((src) => new Promise<dgram.Socket>((resolve) => { const s = dgram.createSocket("udp4"); s.bind(0, src, () => resolve(s)); })));
  try {
    // Per source and round: a plain request, a Status-Server, an Access-Request with State, and
    // one with a malformed attribute list.
    const withState = accessRequest([[1, 8], [4, 4], [24, 16], [80, 16]]);
    const malformed = accessRequest([[1, 8], [24, 4]]);
    malformed[21] = 0;
    for (let round = 0; round < 5; round++) {
      sockets.forEach((s) => s.send(Uint8Array.of(1, round, 0, 4), port, "127.0.0.1"));
      sockets.forEach((s) => s.send(Uint8Array.of(12, round, 0, 4), port, "127.0.0.1"));
      sockets.forEach((s) => s.send(withState, port, "127.0.0.1"));
      sockets.forEach((s) => s.send(malformed, port, "127.0.0.1"));
    }
    const deadline = Date.now() + 3000;
    while (got.length < 120 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got).toHaveLength(120);
    for (const d of got.filter((d) => d.code === 12)) expect(d.queue).toBe(plan.statusQueue);
    // The kernel ran the program the interpreter runs, on every datagram.
    for (const d of got) expect(d.queue).toBe(steer(plan, d.data, ipv4(d.src)));
    expect(got.filter((d) => d.queue === plan.stateQueue)).toHaveLength(30);
    const bySource = new Map<string, Set<number>>();
    for (const d of got.filter((d) => d.code === 1 && d.queue !== plan.stateQueue)) {
      expect(d.queue).toBeLessThan(plan.stateQueue);
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

itNative("in the kernel, with two workers: one source address over many ports reaches both workers' queues, as the interpreter says", async () => {
  const b = native.binding!;
  const plan = steeringPlan(4, 2);
  const batch = 16;
  const rbuf = Buffer.alloc(batch * 4096);
  const rmeta = new Int32Array(batch * SLOT_META);
  const got: Array<{ port: number; queue: number }> = [];
  const handle = b.open(4, "127.0.0.1", 0, 0, 0, batch, 4096, rbuf, rmeta, Buffer.alloc(batch * 4096), new Int32Array(batch * SLOT_META), (n, queue) => {
    for (let i = 0; i < n; i++) got.push({ port: rmeta[i * SLOT_META + 1]!, queue });
  }, plan.sockets, plan.program);
  const port = b.localPort(handle);
  b.start(handle);
  const sockets = await Promise.all(Array.from({ length: 24 }, () => new Promise<dgram.Socket>((resolve) => { const s = dgram.createSocket("udp4"); s.bind(0, "127.0.0.1", () => resolve(s)); })));
  try {
    sockets.forEach((s) => s.send(Uint8Array.of(1, 1, 0, 4), port, "127.0.0.1"));
    const deadline = Date.now() + 3000;
    while (got.length < sockets.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got).toHaveLength(sockets.length);
    for (const d of got) expect(d.queue).toBe(steer(plan, Uint8Array.of(1, 1, 0, 4), ipv4Udp("127.0.0.1", d.port)));
    expect(new Set(got.map((d) => Math.floor(d.queue / 2))).size).toBe(2);
    // State naming worker 0 or 1 (first octet), from every port: that worker's State queue.
    got.length = 0;
    sockets.forEach((s, i) => {
      const st = accessRequest([[1, 8], [79, 40], [24, 16], [80, 16]]);
      st[20 + 10 + 42 + 2] = i % 2;
      s.send(st, port, "127.0.0.1");
    });
    const until = Date.now() + 3000;
    while (got.length < sockets.length && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(got).toHaveLength(sockets.length);
    expect(got.filter((d) => d.queue === plan.stateQueue)).toHaveLength(sockets.length / 2);
    expect(got.filter((d) => d.queue === plan.stateQueue + 1)).toHaveLength(sockets.length / 2);
  } finally {
    sockets.forEach((s) => s.close());
    b.close(handle);
  }
});

itNative("in the kernel: exact sources land in their own queues", async () => {
  const b = native.binding!;
  const sources = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"];
  const plan = steeringPlan(4, 1, exactSources(sources));
  const batch = 16;
  const rbuf = Buffer.alloc(batch * 4096);
  const rmeta = new Int32Array(batch * SLOT_META);
  const got: Array<{ src: string; queue: number }> = [];
  const handle = b.open(4, "127.0.0.1", 0, 0, 0, batch, 4096, rbuf, rmeta, Buffer.alloc(batch * 4096), new Int32Array(batch * SLOT_META), (n, queue) => {
    for (let i = 0; i < n; i++) got.push({ src: new Uint8Array(rmeta.buffer, (i * SLOT_META + 8) * 4, 4).join("."), queue });
  }, plan.sockets, plan.program);
  const port = b.localPort(handle);
  b.start(handle);
  const sockets = await Promise.all(sources.map((src) => new Promise<dgram.Socket>((resolve) => { const s = dgram.createSocket("udp4"); s.bind(0, src, () => resolve(s)); })));
  try {
    for (let round = 0; round < 3; round++) sockets.forEach((s) => s.send(Uint8Array.of(1, round, 0, 4), port, "127.0.0.1"));
    const deadline = Date.now() + 3000;
    while (got.length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got).toHaveLength(12);
    for (const d of got) expect(d.queue).toBe(sources.indexOf(d.src));
  } finally {
    sockets.forEach((s) => s.close());
    b.close(handle);
  }
});
