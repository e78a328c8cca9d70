// Stage 1, receive: a UDP socket per listener. Each datagram is stamped on arrival and handed to
// the core as an event; the core answers through the send function it is given.
import dgram from "node:dgram";
import { isIP } from "node:net";
import type { DatagramEvent, ListenerName, Remote } from "../pipeline/event.js";

export interface UdpListenerOptions {
  name: ListenerName;
  host: string;
  port: number;
  recvBufferSize?: number | undefined;
  now: () => number;
  onEvent: (ev: DatagramEvent, send: (reply: Buffer, remote: Remote) => void) => void;
  onSendError?: (err: Error) => void;
}

export interface UdpListener {
  readonly address: { address: string; port: number; family: string };
  /**
   * Graceful shutdown, step 1: datagrams received from now on go to `onDiscard` instead of the
   * core, while replies to requests already in flight can still be sent from this socket.
   */
  stopReceiving(onDiscard: () => void): void;
  close(): Promise<void>;
}

export async function listenUdp(o: UdpListenerOptions): Promise<UdpListener> {
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
  // After bind, a socket error (rare for UDP) must not crash the process.
  socket.on("error", (err) => o.onSendError?.(err));
  return {
    address: socket.address(),
    stopReceiving: (onDiscard) => {
      socket.removeAllListeners("message");
      socket.on("message", onDiscard);
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
