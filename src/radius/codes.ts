/** Packet codes (RFC 2865 §3, RFC 2866 §4, RFC 5997, RFC 5176 §2.3) and common attribute numbers. */

export const Code = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
  DisconnectRequest: 40,
  DisconnectACK: 41,
  DisconnectNAK: 42,
  CoARequest: 43,
  CoAACK: 44,
  CoANAK: 45,
} as const;

export type CodeValue = (typeof Code)[keyof typeof Code];

const CODE_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [Code.AccessRequest, "Access-Request"],
  [Code.AccessAccept, "Access-Accept"],
  [Code.AccessReject, "Access-Reject"],
  [Code.AccountingRequest, "Accounting-Request"],
  [Code.AccountingResponse, "Accounting-Response"],
  [Code.AccessChallenge, "Access-Challenge"],
  [Code.StatusServer, "Status-Server"],
  [Code.StatusClient, "Status-Client"],
  [Code.DisconnectRequest, "Disconnect-Request"],
  [Code.DisconnectACK, "Disconnect-ACK"],
  [Code.DisconnectNAK, "Disconnect-NAK"],
  [Code.CoARequest, "CoA-Request"],
  [Code.CoAACK, "CoA-ACK"],
  [Code.CoANAK, "CoA-NAK"],
]);

/** Human-readable name of a packet code; unknown codes become "Code-<n>". */
export function codeName(code: number): string {
  return CODE_NAMES.get(code) ?? `Code-${code}`;
}

/** Codes sent in reply to a request: their authenticator is a Response Authenticator (RFC 2865 §3). */
export function isResponseCode(code: number): boolean {
  return (
    code === Code.AccessAccept ||
    code === Code.AccessReject ||
    code === Code.AccessChallenge ||
    code === Code.AccountingResponse ||
    code === Code.DisconnectACK ||
    code === Code.DisconnectNAK ||
    code === Code.CoAACK ||
    code === Code.CoANAK
  );
}

/**
 * Requests whose authenticator is MD5(packet with 16 zero octets + secret) rather than random:
 * Accounting-Request (RFC 2866 §3), Disconnect-Request and CoA-Request (RFC 5176 §2.3).
 */
export function hasComputedRequestAuthenticator(code: number): boolean {
  return code === Code.AccountingRequest || code === Code.DisconnectRequest || code === Code.CoARequest;
}

export const Attr = {
  UserName: 1,
  UserPassword: 2,
  ChapPassword: 3,
  NasIpAddress: 4,
  NasPort: 5,
  ServiceType: 6,
  FramedProtocol: 7,
  FramedIpAddress: 8,
  FramedIpNetmask: 9,
  FramedRouting: 10,
  FilterId: 11,
  FramedMtu: 12,
  FramedCompression: 13,
  LoginIpHost: 14,
  LoginService: 15,
  ReplyMessage: 18,
  FramedRoute: 22,
  State: 24,
  Class: 25,
  VendorSpecific: 26,
  SessionTimeout: 27,
  IdleTimeout: 28,
  TerminationAction: 29,
  CalledStationId: 30,
  CallingStationId: 31,
  NasIdentifier: 32,
  ProxyState: 33,
  AcctStatusType: 40,
  AcctDelayTime: 41,
  AcctInputOctets: 42,
  AcctOutputOctets: 43,
  AcctSessionId: 44,
  AcctAuthentic: 45,
  AcctSessionTime: 46,
  AcctInputPackets: 47,
  AcctOutputPackets: 48,
  AcctTerminateCause: 49,
  AcctMultiSessionId: 50,
  AcctLinkCount: 51,
  AcctInputGigawords: 52,
  AcctOutputGigawords: 53,
  EventTimestamp: 55,
  ChapChallenge: 60,
  NasPortType: 61,
  PortLimit: 62,
  TunnelType: 64,
  TunnelMediumType: 65,
  TunnelClientEndpoint: 66,
  TunnelServerEndpoint: 67,
  TunnelPassword: 69,
  ConnectInfo: 77,
  EapMessage: 79,
  MessageAuthenticator: 80,
  TunnelPrivateGroupId: 81,
  AcctInterimInterval: 85,
  NasPortId: 87,
  FramedPool: 88,
  ChargeableUserIdentity: 89,
  NasIpv6Address: 95,
  FramedInterfaceId: 96,
  FramedIpv6Prefix: 97,
  ErrorCause: 101,
  DelegatedIpv6Prefix: 123,
  FramedIpv6Address: 168,
} as const;

export type AttrValueNumber = (typeof Attr)[keyof typeof Attr];
