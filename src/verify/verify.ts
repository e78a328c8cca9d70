// Stage 2, verify: who sent it (client table), is it well formed (strict codec), is it authentic
// (Message-Authenticator over the bytes received). Everything that fails is dropped with a named
// reason; nothing here answers.
import { Attr, Code } from "../radius/codes.js";
import { RadiusError } from "../radius/errors.js";
import { decodePacket, findAttribute, type RadiusPacket } from "../radius/packet.js";
import { verifyMessageAuthenticator, verifyRequestAuthenticator } from "../radius/authenticator.js";
import type { Client, ClientTable } from "./clients.js";
import type { DatagramEvent } from "../core/event.js";
import type { DropReason } from "../core/outcomes.js";

export type Verified = { ok: true; client: Client; packet: RadiusPacket } | { ok: false; reason: DropReason; client: Client | null };

/** Packet codes each listener takes; anything else is dropped (RFC 2865 §3: unknown codes are silently discarded). */
const ACCEPTED_CODES: Record<DatagramEvent["listener"], ReadonlySet<number>> = {
  auth: new Set([Code.AccessRequest, Code.StatusServer]),
  acct: new Set([Code.AccountingRequest, Code.StatusServer]),
};

export function verifyDatagram(ev: DatagramEvent, clients: ClientTable): Verified {
  const client = clients.lookup(ev.remote.address);
  if (!client) return { ok: false, reason: "unknown_client", client: null };

  let packet: RadiusPacket;
  try {
    packet = decodePacket(ev.data);
  } catch (err) {
    if (err instanceof RadiusError) return { ok: false, reason: `malformed:${err.code}`, client };
    throw err;
  }

  if (!ACCEPTED_CODES[ev.listener].has(packet.code)) return { ok: false, reason: "unexpected_code", client };

  // RFC 2866 §3: an Accounting-Request's authenticator is MD5 over the packet and the secret.
  if (packet.code === Code.AccountingRequest && !verifyRequestAuthenticator(packet, client.secret)) {
    return { ok: false, reason: "bad_request_authenticator", client };
  }

  const ma = verifyMessageAuthenticator(packet, client.secret);
  if (ma === "invalid") return { ok: false, reason: "bad_message_authenticator", client };
  if (ma === "malformed") return { ok: false, reason: "malformed_message_authenticator", client };
  if (ma === "absent") {
    // RFC 5997 §3: Status-Server without a Message-Authenticator is silently discarded.
    if (packet.code === Code.StatusServer) return { ok: false, reason: "status_without_message_authenticator", client };
    // BlastRADIUS (CVE-2024-3596): per client, an Access-Request must carry a valid one.
    if (client.requireMessageAuthenticator && packet.code === Code.AccessRequest) return { ok: false, reason: "missing_message_authenticator", client };
    // RFC 3579 §3.2: EAP-Message always needs a Message-Authenticator.
    if (findAttribute(packet, Attr.EapMessage)) return { ok: false, reason: "missing_message_authenticator", client };
  }
  return { ok: true, client, packet };
}
