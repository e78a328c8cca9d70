// MS-MPPE-Send-Key and MS-MPPE-Recv-Key (RFC 2548 §2.4.2, §2.4.3): each key is hidden with the
// shared secret, the Request Authenticator and a salt, the scheme of Tunnel-Password.
import { randomBytes } from "node:crypto";
import { hideTunnelPassword } from "../radius/authenticator.js";
import type { AttributeInput } from "../radius/encode.js";

export const MICROSOFT_VENDOR_ID = 311;
export const MsAttr = {
  ChapError: 2,
  MppeEncryptionPolicy: 7,
  MppeEncryptionTypes: 8,
  ChapChallenge: 11,
  MppeSendKey: 16,
  MppeRecvKey: 17,
  Chap2Response: 25,
  Chap2Success: 26,
} as const;

/** Two salts with the high bit set (RFC 2548 §2.4.2) that differ: unique within the packet. */
function twoSalts(random: (n: number) => Buffer): [Buffer, Buffer] {
  const a = random(2);
  a[0] = (a[0] as number) | 0x80;
  let b = random(2);
  b[0] = (b[0] as number) | 0x80;
  // RFC 2548 §2.4.2: "each salt value ... MUST be unique" within the packet.
  while (b.equals(a)) {
    b = random(2);
    b[0] = (b[0] as number) | 0x80;
  }
  return [a, b];
}

/**
 * The two key attributes of an Access-Accept. `requestAuthenticator` is that of the Access-Request
 * being answered. The plaintext (key length octet, key, zero padding to 16) is built by
 * hideTunnelPassword, which is the same construction.
 */
export function mppeKeyAttributes(
  keys: { sendKey: Buffer; recvKey: Buffer },
  secret: Buffer,
  requestAuthenticator: Buffer,
  random: (n: number) => Buffer = randomBytes,
): AttributeInput[] {
  const [s1, s2] = twoSalts(random);
  return [
    { vendorId: MICROSOFT_VENDOR_ID, vendorType: MsAttr.MppeRecvKey, value: hideTunnelPassword(keys.recvKey, secret, requestAuthenticator, s1) },
    { vendorId: MICROSOFT_VENDOR_ID, vendorType: MsAttr.MppeSendKey, value: hideTunnelPassword(keys.sendKey, secret, requestAuthenticator, s2) },
  ];
}
