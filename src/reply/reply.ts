// Stage 5, reply: encode the answer. Message-Authenticator goes first in every Access-Accept and
// Access-Reject (BlastRADIUS, CVE-2024-3596); Proxy-State attributes are copied in order
// (RFC 2865 §5.33).
import { Attr, Code } from "../radius/codes.js";
import { encodeResponse, type AttributeInput } from "../radius/encode.js";
import { findAttributes, type RadiusPacket } from "../radius/packet.js";

export function encodeReply(
  request: RadiusPacket,
  secret: Buffer,
  code: typeof Code.AccessAccept | typeof Code.AccessReject | typeof Code.AccessChallenge,
  attributes: readonly AttributeInput[],
): Buffer {
  const proxyState = findAttributes(request, Attr.ProxyState);
  const all: AttributeInput[] = proxyState.length
    ? [...attributes, ...proxyState.map((a) => ({ type: Attr.ProxyState, value: a.value }))]
    : (attributes as AttributeInput[]);
  return encodeResponse({
    code,
    identifier: request.identifier,
    requestAuthenticator: request.authenticator,
    secret,
    attributes: all,
    messageAuthenticator: true,
  });
}

/**
 * Accounting-Response (RFC 2866 §4.2): no attributes of its own, Proxy-State copied; signed with a
 * Message-Authenticator when the request carried one. No RFC says how that one is computed for
 * accounting; FreeRADIUS (radclient) computes and checks it over 16 zero octets in place of the
 * authenticator, as for the request, and that is what NASes are tested against. The answer to a
 * Status-Server (RFC 5997 §3) is signed over the request's authenticator ("request"), as a reply.
 */
export function encodeAccountingResponse(request: RadiusPacket, secret: Buffer, messageAuthenticator: boolean, maAuthenticator: "zero" | "request" = "zero"): Buffer {
  const proxyState = findAttributes(request, Attr.ProxyState).map((a) => ({ type: Attr.ProxyState, value: a.value }));
  return encodeResponse({
    code: Code.AccountingResponse,
    identifier: request.identifier,
    requestAuthenticator: request.authenticator,
    secret,
    attributes: proxyState,
    messageAuthenticator,
    maAuthenticator,
  });
}
