// A real Node TLS client talking to TlsServerSession through the EAP-TLS framing: every TLS
// message either way is cut into fragments (fragment.ts), each fragment ACKed, and reassembled
// on the far side, as the EAP layer and a supplicant would do.
import tls from "node:tls";
import { createDuplexPair, settle } from "../../../src/eap/tls/duplex.js";
import {
  OutgoingTlsMessage, TlsReassembler, ackFrame, decodeTlsFrame, fragmentTlsMessage, isAck, startFrame,
} from "../../../src/eap/tls/fragment.js";
import { TlsServerSession, type TlsMethod } from "../../../src/eap/tls/session.js";

export interface Client {
  socket: tls.TLSSocket;
  takeOutput(): Buffer;
  inner: Buffer[];
  error: Error | null;
  secure: boolean;
  settle(): Promise<void>;
}

export function startClient(opts: tls.ConnectionOptions): Client {
  const [side, wire] = createDuplexPair();
  let activity = 0;
  let out: Buffer[] = [];
  const c: Client = {
    socket: tls.connect({ ...opts, socket: side }),
    takeOutput() {
      const b = Buffer.concat(out);
      out = [];
      return b;
    },
    inner: [],
    error: null,
    secure: false,
    settle: () => settle(() => activity),
  };
  wire.on("data", (d: Buffer) => { out.push(d); activity++; });
  wire.on("error", () => undefined);
  side.on("error", () => undefined);
  c.socket.on("data", (d: Buffer) => { c.inner.push(d); activity++; });
  c.socket.on("error", (e: Error) => { c.error = e; activity++; });
  c.socket.on("secureConnect", () => { c.secure = true; activity++; });
  // Lets the test write to `wire` (the server's bytes towards the client).
  (c as Client & { wire: typeof wire }).wire = wire;
  return c;
}

export interface RunResult {
  rounds: number;
  fragmentsToServer: number;
  fragmentsToClient: number;
  serverError: unknown;
}

/**
 * Runs EAP rounds until the handshake is over (the client has nothing more to say after the
 * server's last flight) or one side fails. Server and client fragment at the given sizes.
 */
export async function runHandshake(session: TlsServerSession, client: Client, method: TlsMethod, sizes: { server: number; client: number }): Promise<RunResult> {
  const versioned = method !== "tls";
  const serverRx = new TlsReassembler({ versioned, version: 0 });
  const clientRx = new TlsReassembler({ versioned, allowStart: true });
  const wire = (client as Client & { wire: { write(b: Buffer): void } }).wire;
  const res: RunResult = { rounds: 0, fragmentsToServer: 0, fragmentsToClient: 0, serverError: null };
  // EAP-Request/TLS-Start (RFC 5216 §3.1): the client (already connecting) answers with its hello.
  const start = clientRx.push(startFrame(0));
  if (start.kind !== "message" || !start.frame.start) throw new Error("start frame not recognised");
  await client.settle();
  for (let round = 0; round < 40; round++) {
    res.rounds++;
    const fromClient = client.takeOutput();
    if (fromClient.length === 0) {
      // The client has nothing to send: an ACK ends the exchange (RFC 5216 §2.1.1).
      const r = serverRx.push(ackFrame(0));
      if (r.kind !== "message" || !isAck(r.frame)) throw new Error("ACK not recognised");
      return res;
    }
    // Client to server, fragment by fragment; the server ACKs all but the last.
    const frames = fragmentTlsMessage(fromClient, { fragmentSize: sizes.client, version: 0 });
    let message: Buffer | undefined;
    for (const f of frames) {
      res.fragmentsToServer++;
      const r = serverRx.push(f);
      if (r.kind === "fragment") {
        const ack = decodeTlsFrame(ackFrame(0), { versioned });
        if (!isAck(ack)) throw new Error("server ACK malformed");
      } else message = r.message;
    }
    if (!message) throw new Error("server did not reassemble the client's message");
    try {
      await session.feed(message);
    } catch (e) {
      res.serverError = e;
      // Deliver what TLS wrote (an alert) so the client sees the failure too.
      const alert = session.takeOutput();
      if (alert.length > 0) wire.write(alert);
      await client.settle();
      return res;
    }
    const fromServer = session.takeOutput();
    if (fromServer.length === 0) return res;
    const outgoing = new OutgoingTlsMessage(fromServer, { fragmentSize: sizes.server, version: 0 });
    let delivered: Buffer | undefined;
    for (let f = outgoing.next(); f !== undefined; f = outgoing.next()) {
      res.fragmentsToClient++;
      const r = clientRx.push(f);
      if (r.kind === "fragment") {
        // The client ACKs; the server takes it as an ACK and sends the next fragment.
        const a = serverRx.push(ackFrame(0));
        if (a.kind !== "message" || !isAck(a.frame)) throw new Error("client ACK not recognised");
      } else delivered = r.message;
    }
    if (!delivered) throw new Error("client did not reassemble the server's message");
    wire.write(delivered);
    await client.settle();
    if (client.error) {
      // The client gave up: its alert (if any) goes to the server as the last message.
      const alert = client.takeOutput();
      if (alert.length > 0) {
        try {
          await session.feed(alert);
        } catch (e) {
          res.serverError = e;
        }
      }
      return res;
    }
  }
  throw new Error("handshake did not finish in 40 rounds");
}
