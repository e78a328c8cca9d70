// Both UDP listener implementations (node:dgram and the native recvmmsg/sendmmsg addon) against
// one contract: what arrives, from where, when, and that replies reach the sender.
import { describe, expect, test } from "@jest/globals";
import dgram from "node:dgram";
import { performance } from "node:perf_hooks";
import { listenUdp, type UdpIo, type UdpListener } from "../../src/transport/udp.js";
import { loadUdpMmsg } from "../../src/transport/native/binding.js";
import { __test } from "../../src/transport/udp-native.js";
import type { DatagramEvent } from "../../src/core/event.js";
import { itIf } from "../helpers/skip.js";

const native = loadUdpMmsg();
const itNative = itIf(native.binding !== null, "the native UDP addon is not built (CARRIER_AAA_NO_NATIVE=1)");

itIf(process.env.CARRIER_AAA_NO_NATIVE !== "1", "CARRIER_AAA_NO_NATIVE=1 says no C compiler exists")("the native addon is built and loads (set CARRIER_AAA_NO_NATIVE=1 where no C compiler exists)", () => {
  expect(native.error).toBeNull();
  expect(native.binding).not.toBeNull();
});

const ios: Array<Exclude<UdpIo, "auto">> = native.binding ? ["dgram", "native"] : ["dgram"];

interface Echo {
  listener: UdpListener;
  events: DatagramEvent[];
}

/** A listener that answers every datagram with "re:" + its payload (at most 64 octets of it). */
async function echo(io: Exclude<UdpIo, "auto">, host: string): Promise<Echo> {
  const events: DatagramEvent[] = [];
  const listener = await listenUdp({
    name: "auth",
    host,
    port: 0,
    io,
    now: () => performance.now(),
    onEvent: (ev, send) => {
      events.push(ev);
      send(Buffer.concat([Buffer.from("re:"), ev.data.subarray(0, 64)]), ev.remote);
    },
  });
  return { listener, events };
}

function client(type: "udp4" | "udp6", host: string): Promise<dgram.Socket> {
  const s = dgram.createSocket(type);
  return new Promise((resolve) => s.bind(0, host, () => resolve(s)));
}

function collect(s: dgram.Socket, n: number, ms = 5000): Promise<Buffer[]> {
  const got: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`received ${got.length} of ${n} replies`)), ms);
    s.on("message", (m) => {
      got.push(m);
      if (got.length === n) {
        clearTimeout(t);
        resolve(got);
      }
    });
  });
}

describe.each(ios)("UDP listener, io=%s", (io) => {
  test("IPv4: payload, source address and port, arrival stamp, reply to the sender", async () => {
    const e = await echo(io, "127.0.0.1");
    const c = await client("udp4", "127.0.0.1");
    try {
      expect(e.listener.io).toBe(io);
      expect(e.listener.address.port).toBeGreaterThan(0);
      const replies = collect(c, 1);
      const before = performance.now();
      c.send(Buffer.from("hello"), e.listener.address.port, "127.0.0.1");
      const [reply] = await replies;
      expect(reply!.toString()).toBe("re:hello");
      expect(e.events).toHaveLength(1);
      const ev = e.events[0]!;
      expect(ev.data.toString()).toBe("hello");
      expect(ev.remote).toMatchObject({ address: "127.0.0.1", port: c.address().port });
      expect(ev.listener).toBe("auth");
      // Stamped no earlier than a little before the send (kernel timestamps may precede the
      // callback by the time the datagram waited in the socket) and not in the future.
      expect(ev.arrivedAt).toBeGreaterThan(before - 1000);
      expect(ev.arrivedAt).toBeLessThanOrEqual(performance.now());
    } finally {
      c.close();
      await e.listener.close();
    }
  });

  test("a burst larger than one batch: every datagram arrives once, intact, and is answered", async () => {
    const e = await echo(io, "127.0.0.1");
    const c = await client("udp4", "127.0.0.1");
    try {
      const n = 300;
      const replies = collect(c, n);
      for (let i = 0; i < n; i++) {
        // sizes from 2 to 4096 octets (the RADIUS maximum); the first two octets number them
        const payload = Buffer.alloc(i === 0 ? 4096 : 2 + ((i * 97) % 2000), i & 0xff);
        payload.writeUInt16BE(i, 0);
        c.send(payload, e.listener.address.port, "127.0.0.1");
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 10)); // stay under the socket buffers
      }
      const got = await replies;
      expect(got).toHaveLength(n);
      expect(e.events).toHaveLength(n);
      expect(e.events.map((ev) => ev.data.length)).toContain(4096);
      for (const ev of e.events) expect(ev.data.subarray(2).every((b) => b === (ev.data.readUInt16BE(0) & 0xff))).toBe(true);
      expect(new Set(e.events.map((ev) => ev.data.readUInt16BE(0))).size).toBe(n);
    } finally {
      c.close();
      await e.listener.close();
    }
  });

  test("IPv6 on ::1", async () => {
    const e = await echo(io, "::1");
    const c = await client("udp6", "::1");
    try {
      const replies = collect(c, 1);
      c.send(Buffer.from("v6"), e.listener.address.port, "::1");
      expect((await replies)[0]!.toString()).toBe("re:v6");
      expect(e.events[0]!.remote).toMatchObject({ address: "::1", port: c.address().port });
    } finally {
      c.close();
      await e.listener.close();
    }
  });

  test("dual stack on ::: an IPv4 sender is seen as ::ffff:a.b.c.d and answered", async () => {
    const e = await echo(io, "::");
    const c = await client("udp4", "127.0.0.1");
    try {
      const replies = collect(c, 1);
      c.send(Buffer.from("mapped"), e.listener.address.port, "127.0.0.1");
      expect((await replies)[0]!.toString()).toBe("re:mapped");
      expect(e.events[0]!.remote.address).toBe("::ffff:127.0.0.1");
    } finally {
      c.close();
      await e.listener.close();
    }
  });

  test("a reply to an address given as text (not the received remote) is delivered", async () => {
    const events: DatagramEvent[] = [];
    const listener = await listenUdp({
      name: "auth",
      host: "127.0.0.1",
      port: 0,
      io,
      now: () => performance.now(),
      onEvent: (ev, send) => {
        events.push(ev);
        send(Buffer.from("copy"), { address: String(ev.remote.address), port: ev.remote.port });
      },
    });
    const c = await client("udp4", "127.0.0.1");
    try {
      const replies = collect(c, 1);
      c.send(Buffer.from("x"), listener.address.port, "127.0.0.1");
      expect((await replies)[0]!.toString()).toBe("copy");
    } finally {
      c.close();
      await listener.close();
    }
  });

  test("a handler that throws does not stop the listener; close is idempotent; a taken port is an error", async () => {
    let calls = 0;
    const errors: string[] = [];
    const listener = await listenUdp({
      name: "auth",
      host: "127.0.0.1",
      port: 0,
      io,
      now: () => performance.now(),
      onSendError: (err) => errors.push(err.message),
      onEvent: (ev, send) => {
        calls++;
        if (ev.data.toString() === "boom") throw new Error("boom");
        send(Buffer.from("ok"), ev.remote);
      },
    });
    const c = await client("udp4", "127.0.0.1");
    try {
      await expect(listenUdp({ name: "auth", host: "127.0.0.1", port: listener.address.port, io, now: () => 0, onEvent: () => undefined })).rejects.toThrow();
      const replies = collect(c, 1);
      if (io === "native") c.send(Buffer.from("boom"), listener.address.port, "127.0.0.1");
      c.send(Buffer.from("fine"), listener.address.port, "127.0.0.1");
      expect((await replies)[0]!.toString()).toBe("ok");
      if (io === "native") {
        expect(calls).toBe(2);
        expect(errors.join()).toMatch(/boom/);
      }
    } finally {
      c.close();
      await listener.close();
      await listener.close();
    }
  });
});

test("io=native without the addon is a start-up error naming the key; the address helpers round-trip", async () => {
  if (!native.binding) {
    await expect(listenUdp({ name: "auth", host: "127.0.0.1", port: 0, io: "native", now: () => 0, onEvent: () => undefined })).rejects.toThrow(/radius\.auth\.io/);
  }
  for (const a of ["::1", "2001:db8::1", "fe80::1:2:3:4", "2001:db8:0:0:1:0:0:1", "1:2:3:4:5:6:7:8", "::", "2001:db8::ffff:1.2.3.4", "::ffff:1.2.3.4"]) {
    const canonical = new URL(`http://[${a}]/`).hostname.slice(1, -1);
    const text = __test.ipv6Text(__test.ipv6Bytes(a));
    expect(new URL(`http://[${text}]/`).hostname.slice(1, -1)).toBe(canonical);
  }
  expect(__test.ipv6Text(__test.ipv6Bytes("2001:db8:0:0:1:0:0:1"))).toBe("2001:db8::1:0:0:1");
  expect(__test.parseRemote("::ffff:10.1.2.3")).toEqual({ fam: 4, v4: 0x0a010203, v6: null });
  expect(__test.parseRemote("nope")).toBeNull();
});

itNative("native: holdBack stops reading new requests (the State and Status-Server queues are still read), and resuming delivers what waited", async () => {
  const events: DatagramEvent[] = [];
  const listener = await listenUdp({ name: "auth", host: "127.0.0.1", port: 0, io: "native", flows: 2, now: () => performance.now(), onEvent: (ev) => void events.push(ev) });
  const c = await client("udp4", "127.0.0.1");
  const settle = () => new Promise((r) => setTimeout(r, 100));
  try {
    expect(listener.queues).toBe(4);
    listener.holdBack(true);
    // Identifier 1: a new Access-Request; 2: Status-Server; 3: an Access-Request carrying State.
    const withState = Uint8Array.of(1, 3, 0, 30, ...new Array<number>(16).fill(0), 24, 10, ...new Array<number>(8).fill(7));
    c.send(Uint8Array.of(1, 1, 0, 4), listener.address.port, "127.0.0.1");
    c.send(Uint8Array.of(12, 2, 0, 4), listener.address.port, "127.0.0.1");
    c.send(withState, listener.address.port, "127.0.0.1");
    await settle();
    expect(events.map((e) => e.data[1]).sort()).toEqual([2, 3]);
    listener.holdBack(false);
    await settle();
    expect(events.map((e) => e.data[1])).toHaveLength(3);
    expect(events[2]!.data[1]).toBe(1);
    expect(listener.kernelDrops()).toBe(0);
  } finally {
    c.close();
    await listener.close();
  }
});

itNative("native: a flooding source's flow queue is held back and its receive buffer cut while a light source's datagrams all arrive", async () => {
  let light = 0;
  let heavy = 0;
  const max = 65_536;
  const listener = await listenUdp({
    name: "auth",
    host: "127.0.0.1",
    port: 0,
    io: "native",
    flows: 2,
    // 127.0.0.1 reads flow queue 0, 127.0.0.2 flow queue 1.
    exactSources: [0x7f000001, 0x7f000002],
    recvBufferSize: max,
    flowHoldBack: { enabled: true, targetWaitMs: 1, windowMs: 5 },
    kernelQueue: { enabled: true, targetWaitMs: 2, minBytes: 4096 },
    now: () => performance.now(),
    onEvent: (ev) => {
      // Each datagram costs the loop 0.2 ms: a flood of them keeps it busy.
      const until = performance.now() + 0.2;
      while (performance.now() < until);
      if (ev.remote.address === "127.0.0.1") light++;
      else heavy++;
    },
  });
  const quiet = await client("udp4", "127.0.0.1");
  const flood = await client("udp4", "127.0.0.2");
  const port = listener.address.port;
  try {
    const sent = new Promise<void>((resolve) => {
      let n = 0;
      const t = setInterval(() => {
        quiet.send(Uint8Array.of(1, n & 0xff, 0, 4), port, "127.0.0.1");
        if (++n === 100) {
          clearInterval(t);
          resolve();
        }
      }, 5);
    });
    const burst = Uint8Array.of(1, 0, 0, 4);
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 500; i++) flood.send(burst, port, "127.0.0.1");
      await new Promise((r) => setTimeout(r, 20));
    }
    await sent;
    for (let i = 0; i < 200 && light < 100; i++) await new Promise((r) => setTimeout(r, 25));
    expect(light).toBe(100);
    expect(heavy).toBeGreaterThan(0);
    expect(heavy).toBeLessThan(5000);
    expect(listener.kernelDrops()).toBeGreaterThan(0);
    const hb = listener.flowHoldBackStats?.();
    expect(hb?.holds).toBeGreaterThan(0);
    const kq = listener.kernelQueueStats?.();
    expect(kq?.cuts).toBeGreaterThan(0);
    // The light source's queue never overflowed: never cut.
    expect(kq?.bytes[0]).toBe(max);
  } finally {
    quiet.close();
    flood.close();
    await listener.close();
  }
});
