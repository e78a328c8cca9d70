// Request classes of the scheduler, highest priority first (RFC 5080 §2.2.3, RFC 5997), and the
// one mapping from a packet's code (and State, Acct-Status-Type) to its class.
import { Code } from "../radius/codes.js";

/** Every class, in priority order: index 0 is served first. */
export const REQUEST_CLASSES = ["status", "access-state", "access", "acct-stop", "acct"] as const;

export type RequestClass = (typeof REQUEST_CLASSES)[number];

/** Priority rank of a class: 0 = highest (Status-Server) … 4 = lowest (Accounting Start/Interim). */
export function classRank(cls: RequestClass): number {
  return RANK[cls];
}

const RANK: Readonly<Record<RequestClass, number>> = {
  status: 0,
  "access-state": 1,
  access: 2,
  "acct-stop": 3,
  acct: 4,
};

export function isRequestClass(value: string): value is RequestClass {
  return Object.prototype.hasOwnProperty.call(RANK, value);
}

const ACCT_STATUS_STOP = 2; // Acct-Status-Type = Stop, RFC 2866 §5.1

/**
 * The class of a request from its packet code, whether it carries a State attribute (an
 * Access-Request continuing a conversation, typically EAP) and, for accounting, its
 * Acct-Status-Type. Anything else (an unknown code, Accounting-On/Off, Interim-Update, an
 * Accounting-Request without Acct-Status-Type) gets the lowest class.
 */
export function classify(code: number, hasState: boolean, acctStatusType?: number): RequestClass {
  switch (code) {
    case Code.StatusServer:
      return "status";
    case Code.AccessRequest:
      return hasState ? "access-state" : "access";
    case Code.AccountingRequest:
      return acctStatusType === ACCT_STATUS_STOP ? "acct-stop" : "acct";
    default:
      return "acct";
  }
}

/** Ranks `classify` can give each code 0..255 (the first octet), highest priority first. */
const RANKS_BY_CODE: readonly (readonly number[])[] = Array.from({ length: 256 }, (_, code) => possibleRanks(code));

function possibleRanks(code: number): readonly number[] {
  const ranks = new Set<number>();
  for (const hasState of [false, true]) for (const status of [undefined, ACCT_STATUS_STOP]) ranks.add(classRank(classify(code, hasState, status)));
  return [...ranks].sort((a, b) => a - b);
}

/**
 * The ranks a request with this packet code can have, before its attributes are read (whether
 * it carries State, its Acct-Status-Type), highest priority first.
 */
export function ranksOfCode(code: number): readonly number[] {
  return RANKS_BY_CODE[code] ?? possibleRanks(code);
}
