// Before the listeners read their first datagram, the hot path of a request (decode, verify the
// Message-Authenticator, recover a User-Password, read a subscriber record, encode and sign the
// reply) runs on synthetic packets for a short while, so that a server started into a peak does
// not meet it with unoptimised code. Pure: synthetic data only, no socket, no store.
import { randomBytes } from "node:crypto";
import { Attr, Code } from "../radius/codes.js";
import { encodeRequest } from "../radius/encode.js";
import { findAttribute, decodePacket } from "../radius/packet.js";
import { hidePassword, unhidePassword, verifyMessageAuthenticator } from "../radius/authenticator.js";
import { encodeReply } from "../reply/reply.js";
import { quickSubscriber } from "../store/fast-check-record.js";

export interface WarmUpResult {
  rounds: number;
  ms: number;
}

/** Runs the request path's pure steps on synthetic requests for about `budgetMs` (or `maxRounds`). */
export function warmUp(now: () => number, budgetMs = 300, maxRounds = 30_000): WarmUpResult {
  const secret = randomBytes(16);
  const password = Buffer.from("warm-up-password");
  const packets: Buffer[] = [];
  for (let i = 0; i < 64; i++) {
    const authenticator = randomBytes(16);
    packets.push(
      encodeRequest({
        code: i % 16 === 0 ? Code.StatusServer : Code.AccessRequest,
        identifier: i,
        secret,
        authenticator,
        messageAuthenticator: true,
        attributes:
          i % 16 === 0
            ? []
            : [
                { type: Attr.UserName, value: Buffer.from(`warm-up-${i}`) },
                { type: Attr.UserPassword, value: hidePassword(password, secret, authenticator) },
                { type: Attr.NasIpAddress, value: Buffer.from([127, 0, 0, 1]) },
              ],
      }),
    );
  }
  const record = JSON.stringify({ username: "warm-up", password: "warm-up-password", enabled: true, groups: [], reply: { "Session-Timeout": 3600 } });
  const reply = [{ type: Attr.SessionTimeout, value: Buffer.from([0, 0, 14, 16]) }];
  const t0 = now();
  let rounds = 0;
  let sink = 0;
  while (rounds < maxRounds && (rounds & 255 || now() - t0 < budgetMs)) {
    const p = decodePacket(packets[rounds & 63]!);
    if (verifyMessageAuthenticator(p, secret) !== "valid") throw new Error("warm-up: a synthetic packet failed verification");
    const pw = findAttribute(p, Attr.UserPassword);
    if (pw) sink += unhidePassword(pw.value, secret, p.authenticator).length;
    sink += quickSubscriber(JSON.parse(record)) ? 1 : 0;
    sink += encodeReply(p, secret, p.code === Code.StatusServer ? Code.AccessAccept : Code.AccessReject, p.code === Code.StatusServer ? [] : reply).length;
    rounds++;
  }
  if (sink === 0) throw new Error("warm-up: nothing ran");
  return { rounds, ms: now() - t0 };
}
