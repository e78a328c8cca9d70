// A NAS's Dynamic Authorization server (RFC 5176) on a real UDP socket, for tests: it checks each
// request's Request Authenticator and Message-Authenticator and answers as the test decides.
import dgram from "node:dgram";
import { Attr, Code } from "../../src/radius/codes.js";
import { decodePacket, findAttribute, type RadiusPacket } from "../../src/radius/packet.js";
import { verifyMessageAuthenticator, verifyRequestAuthenticator } from "../../src/radius/authenticator.js";
import { encodeResponse } from "../../src/radius/encode.js";

export type NasAnswer = { kind: "ack" } | { kind: "nak"; errorCause?: number } | { kind: "silent" } | { kind: "forged" };

export interface Seen {
  raw: Buffer;
  packet: RadiusPacket;
  authenticatorOk: boolean;
  messageAuthenticator: string;
}

export class FakeNas {
  readonly socket = dgram.createSocket("udp4");
  readonly seen: Seen[] = [];
  /** Decides the answer to the n-th request (0-based). */
  answer: (req: RadiusPacket, n: number) => NasAnswer = () => ({ kind: "ack" });

  constructor(private readonly secret: Buffer) {
    this.socket.on("message", (msg, rinfo) => {
      const packet = decodePacket(msg);
      const seen: Seen = {
        raw: Buffer.from(msg),
        packet,
        authenticatorOk: verifyRequestAuthenticator(packet, this.secret),
        messageAuthenticator: verifyMessageAuthenticator(packet, this.secret),
      };
      this.seen.push(seen);
      if (!seen.authenticatorOk || seen.messageAuthenticator === "invalid") return;
      const a = this.answer(packet, this.seen.length - 1);
      if (a.kind === "silent") return;
      const isDisconnect = packet.code === Code.DisconnectRequest;
      const code = a.kind === "nak" ? (isDisconnect ? Code.DisconnectNAK : Code.CoANAK) : isDisconnect ? Code.DisconnectACK : Code.CoAACK;
      const attributes = a.kind === "nak" && a.errorCause !== undefined ? [{ type: Attr.ErrorCause, value: u32(a.errorCause) }] : [];
      const reply = encodeResponse({
        code,
        identifier: packet.identifier,
        requestAuthenticator: packet.authenticator,
        secret: a.kind === "forged" ? Buffer.from("not-the-secret") : this.secret,
        attributes,
        messageAuthenticator: true,
      });
      this.socket.send(reply, rinfo.port, rinfo.address);
    });
  }

  async bind(): Promise<number> {
    await new Promise<void>((r) => this.socket.bind(0, "127.0.0.1", r));
    return this.socket.address().port;
  }

  attr(n: number, type: number): Buffer | undefined {
    const s = this.seen[n];
    return s ? findAttribute(s.packet, type)?.value : undefined;
  }

  close(): void {
    this.socket.close();
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
