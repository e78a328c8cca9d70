// MS-CHAPv2 carried in plain RADIUS (RFC 2548 §2.3): the request's MS-CHAP-Challenge and
// MS-CHAP2-Response, and the reply's MS-CHAP2-Success with MPPE keys or MS-CHAP-Error.
import { findVendorAttributes, type RadiusPacket } from "../radius/packet.js";
import type { AttributeInput } from "../radius/encode.js";
import { authenticatorResponse, challengeUserName, serverMppeKeys, CHALLENGE_LENGTH } from "../mschap/mschapv2.js";
import { MICROSOFT_VENDOR_ID, MsAttr, mppeKeyAttributes } from "../reply/mppe.js";

/** The MS-CHAPv2 fields of an Access-Request (RFC 2548 §2.3.2). */
export interface MschapV2Request {
  ident: number;
  authenticatorChallenge: Buffer;
  peerChallenge: Buffer;
  ntResponse: Buffer;
}

export type MschapV2Parse = { kind: "none" } | { kind: "ok"; req: MschapV2Request } | { kind: "malformed" };

/**
 * MS-CHAP2-Response is Ident(1) Flags(1) Peer-Challenge(16) Reserved(8) Response(24) = 50
 * octets (RFC 2548 §2.3.2); MS-CHAP-Challenge is 16 octets for MS-CHAPv2 (RFC 2548 §2.3.1).
 */
export function parseMschapV2(packet: RadiusPacket): MschapV2Parse {
  let response: Buffer | undefined;
  let challenge: Buffer | undefined;
  for (const a of findVendorAttributes(packet, MICROSOFT_VENDOR_ID)) {
    if (a.vendorType === MsAttr.Chap2Response && response === undefined) response = a.value;
    else if (a.vendorType === MsAttr.ChapChallenge && challenge === undefined) challenge = a.value;
  }
  if (response === undefined) return { kind: "none" };
  if (response.length !== 50 || challenge === undefined || challenge.length !== CHALLENGE_LENGTH) return { kind: "malformed" };
  return {
    kind: "ok",
    req: { ident: response[0] as number, authenticatorChallenge: challenge, peerChallenge: response.subarray(2, 18), ntResponse: response.subarray(26, 50) },
  };
}

/**
 * Access-Accept attributes: MS-CHAP2-Success (ident + "S=<authenticator response>", RFC 2548
 * §2.3.3), the 128-bit MPPE keys (RFC 3079 §3.4, hidden per RFC 2548 §2.4.2/§2.4.3), and the
 * MPPE policy (allowed) and types (40- or 128-bit), as FreeRADIUS sends by default.
 */
export function mschapV2AcceptAttributes(req: MschapV2Request, userName: Buffer, ntHash: Buffer, secret: Buffer, requestAuthenticator: Buffer): AttributeInput[] {
  const s = authenticatorResponse(ntHash, req.ntResponse, req.peerChallenge, req.authenticatorChallenge, challengeUserName(userName));
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return [
    { vendorId: MICROSOFT_VENDOR_ID, vendorType: MsAttr.Chap2Success, value: Buffer.concat([Buffer.from([req.ident]), Buffer.from(s, "ascii")]) },
    ...mppeKeyAttributes(serverMppeKeys(ntHash, req.ntResponse), secret, requestAuthenticator),
    { vendorId: MICROSOFT_VENDOR_ID, vendorType: MsAttr.MppeEncryptionPolicy, value: u32(1) },
    { vendorId: MICROSOFT_VENDOR_ID, vendorType: MsAttr.MppeEncryptionTypes, value: u32(6) },
  ];
}

/**
 * Access-Reject attribute MS-CHAP-Error (RFC 2548 §2.1.5): ident + the RFC 2759 §6 failure
 * string. E=691 (authentication failure) whatever the reason, so a reject says nothing about
 * whether the user exists; R=0: no retry; C= the challenge of the request.
 */
export function mschapV2ErrorAttribute(req: MschapV2Request): AttributeInput {
  const text = `E=691 R=0 C=${req.authenticatorChallenge.toString("hex").toUpperCase()} V=3 M=Authentication failed`;
  return { vendorId: MICROSOFT_VENDOR_ID, vendorType: MsAttr.ChapError, value: Buffer.concat([Buffer.from([req.ident]), Buffer.from(text, "ascii")]) };
}
