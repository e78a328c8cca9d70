// Stage 1, receive: a UDP socket per listener. Each datagram is stamped on arrival and handed to
// the core as an event; the core answers through the send function it is given.
//
// Two implementations with one contract: node:dgram, and the native addon (udp-native.ts:
// recvmmsg/sendmmsg, one call into JavaScript per batch of datagrams), which costs about half the
// CPU per datagram on the machines measured (docs/benchmarks.md). `io: auto` takes the addon when
// it was built and loads, node:dgram otherwise.
import dgram from "node:dgram";
import { isIP } from "node:net";
import type { Remote } from "../core/event.js";
import type { UdpListener, UdpListenerOptions } from "./listener.js";
import { loadUdpMmsg } from "./native/binding.js";
import { listenUdpNative } from "./udp-native.js";

export type { UdpIo, UdpListener, UdpListenerOptions } from "./listener.js";

export async function listenUdp(o: UdpListenerOptions): Promise<UdpListener> {
  const io = o.io ?? "auto";
  if (o.flows && io === "dgram") throw new Error(`radius.${o.name}: kernel flow queues need io "native" or "auto"`);
  if (o.adopt) {
    // Inherited sockets: only the addon can read them (serve --workers N checked this already).
    const { binding, error } = loadUdpMmsg();
    if (!binding) throw new Error(`radius.${o.name}: inherited sockets need the native UDP addon, but ${error}`);
    return listenUdpNative(o, binding);
  }
  if (io !== "dgram") {
    const { binding, error } = loadUdpMmsg();
    if (binding) return listenUdpNative(o, binding);
    if (io === "native") throw new Error(`radius.${o.name}.io is "native" but ${error}`);
    o.onFallback?.(error ?? "addon unavailable");
  }
  return listenDgram(o);
}

async function listenDgram(o: UdpListenerOptions): Promise<UdpListener> {
  const type = isIP(o.host) === 6 ? "udp6" : "udp4";
  const socket = dgram.createSocket({ type, ...(o.recvBufferSize ? { recvBufferSize: o.recvBufferSize } : {}) });
  const send = (reply: Buffer, remote: Remote): void => {
    socket.send(reply, remote.port, remote.address, (err) => {
      if (err) o.onSendError?.(err);
    });
  };
  socket.on("message", (data, rinfo) => {
    o.onEvent({ listener: o.name, data, remote: { address: rinfo.address, port: rinfo.port }, arrivedAt: o.now() }, send);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(o.port, o.host, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  // After bind, a socket error (rare for UDP) must not crash the process.
  socket.on("error", (err) => o.onSendError?.(err));
  return {
    io: "dgram",
    queues: 1,
    kernelDrops: () => undefined,
    holdBack: () => undefined,
    address: socket.address(),
    stopReceiving: (onDiscard) => {
      socket.removeAllListeners("message");
      socket.on("message", onDiscard);
    },
    startReading: () => undefined,
    retire: () => {
      throw new Error("a node:dgram listener cannot hand its socket over (serve --workers N needs io native)");
    },
    close: () => (closing ??= new Promise<void>((resolve) => socket.close(() => resolve()))),
  };
}
