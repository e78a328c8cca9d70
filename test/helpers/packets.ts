// Request builders for tests, on top of the project's codec.
import { createHash, randomBytes } from "node:crypto";
import { Attr, Code } from "../../src/radius/codes.js";
import { encodeRequest, type AttributeInput } from "../../src/radius/encode.js";
import { expect } from "@jest/globals";
import { hidePassword, verifyMessageAuthenticator, verifyResponseAuthenticator } from "../../src/radius/authenticator.js";
import { decodePacket, type RadiusPacket } from "../../src/radius/packet.js";

export interface AccessRequestSpec {
  user?: string;
  password?: string;
  chap?: boolean;
  secret?: string;
  identifier?: number;
  messageAuthenticator?: boolean;
  proxyState?: Buffer[];
  extra?: AttributeInput[];
  authenticator?: Buffer;
}

export function accessRequest(spec: AccessRequestSpec): { packet: Buffer; authenticator: Buffer } {
  const secret = Buffer.from(spec.secret ?? "testing123");
  const authenticator = spec.authenticator ?? randomBytes(16);
  const attributes: AttributeInput[] = [];
  if (spec.user !== undefined) attributes.push({ type: Attr.UserName, value: Buffer.from(spec.user) });
  if (spec.password !== undefined) {
    const pw = Buffer.from(spec.password);
    if (spec.chap) {
      const ident = Buffer.from([42]);
      attributes.push({ type: Attr.ChapPassword, value: Buffer.concat([ident, createHash("md5").update(ident).update(pw).update(authenticator).digest()]) });
    } else {
      attributes.push({ type: Attr.UserPassword, value: hidePassword(pw, secret, authenticator) });
    }
  }
  attributes.push({ type: Attr.NasIpAddress, value: Buffer.from([127, 0, 0, 1]) });
  for (const ps of spec.proxyState ?? []) attributes.push({ type: Attr.ProxyState, value: ps });
  attributes.push(...(spec.extra ?? []));
  const packet = encodeRequest({
    code: Code.AccessRequest,
    identifier: spec.identifier ?? randomBytes(1)[0]!,
    secret,
    attributes,
    messageAuthenticator: spec.messageAuthenticator ?? true,
    authenticator,
  });
  return { packet, authenticator };
}

export function statusServer(opts: { secret?: string; messageAuthenticator?: boolean; identifier?: number } = {}): { packet: Buffer; authenticator: Buffer } {
  const authenticator = randomBytes(16);
  if (opts.messageAuthenticator === false) {
    // The codec refuses to build this (RFC 5997 §3), so write the bare header by hand.
    const packet = Buffer.alloc(20);
    packet[0] = Code.StatusServer;
    packet[1] = opts.identifier ?? 1;
    packet.writeUInt16BE(20, 2);
    authenticator.copy(packet, 4);
    return { packet, authenticator };
  }
  const packet = encodeRequest({
    code: Code.StatusServer,
    identifier: opts.identifier ?? randomBytes(1)[0]!,
    secret: Buffer.from(opts.secret ?? "testing123"),
    attributes: [],
    messageAuthenticator: opts.messageAuthenticator ?? true,
    authenticator,
  });
  return { packet, authenticator };
}

export interface AccountingSpec {
  status?: number;
  sessionId?: string;
  user?: string;
  secret?: string;
  identifier?: number;
  messageAuthenticator?: boolean;
  delay?: number;
  sessionTime?: number;
  inputOctets?: number;
  inputGigawords?: number;
  extra?: AttributeInput[];
}

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** An Accounting-Request with a correct Request Authenticator (RFC 2866 §3). */
export function accountingRequest(spec: AccountingSpec): Buffer {
  const attributes: AttributeInput[] = [];
  if (spec.status !== undefined) attributes.push({ type: Attr.AcctStatusType, value: u32(spec.status) });
  if (spec.sessionId !== undefined) attributes.push({ type: Attr.AcctSessionId, value: Buffer.from(spec.sessionId) });
  if (spec.user !== undefined) attributes.push({ type: Attr.UserName, value: Buffer.from(spec.user) });
  attributes.push({ type: Attr.NasIpAddress, value: Buffer.from([127, 0, 0, 1]) });
  if (spec.delay !== undefined) attributes.push({ type: Attr.AcctDelayTime, value: u32(spec.delay) });
  if (spec.sessionTime !== undefined) attributes.push({ type: Attr.AcctSessionTime, value: u32(spec.sessionTime) });
  if (spec.inputOctets !== undefined) attributes.push({ type: Attr.AcctInputOctets, value: u32(spec.inputOctets) });
  if (spec.inputGigawords !== undefined) attributes.push({ type: Attr.AcctInputGigawords, value: u32(spec.inputGigawords) });
  attributes.push(...(spec.extra ?? []));
  return encodeRequest({
    code: Code.AccountingRequest,
    identifier: spec.identifier ?? randomBytes(1)[0]!,
    secret: Buffer.from(spec.secret ?? "testing123"),
    attributes,
    messageAuthenticator: spec.messageAuthenticator ?? false,
  });
}

export const ACCT = { start: 1, stop: 2, interim: 3, on: 7, off: 8 } as const;
export { u32 };

/**
 * A reply that arrived, decoded, with a valid Response Authenticator and Message-Authenticator
 * for `requestAuthenticator`, the Message-Authenticator first (RFC 3579 §3.2, BlastRADIUS).
 */
export function verifiedReply(raw: Buffer | null, requestAuthenticator: Buffer, secret: Buffer): RadiusPacket {
  expect(raw).not.toBeNull();
  const p = decodePacket(raw!);
  expect(verifyResponseAuthenticator(p, requestAuthenticator, secret)).toBe(true);
  expect(verifyMessageAuthenticator(p, secret, requestAuthenticator)).toBe("valid");
  expect(p.attributes[0]?.type).toBe(Attr.MessageAuthenticator);
  return p;
}
