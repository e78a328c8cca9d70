// Request classes of the scheduler, highest priority first (RFC 5080 §2.2.3, RFC 5997).

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

// Codes and values kept local so that the scheduler depends on nothing else in the tree.
const ACCESS_REQUEST = 1; // RFC 2865 §4.1
const ACCOUNTING_REQUEST = 4; // RFC 2866 §4.1
const STATUS_SERVER = 12; // RFC 5997
const ACCT_STATUS_STOP = 2; // Acct-Status-Type = Stop, RFC 2866 §5.1

/**
 * The class of a request from its packet code, whether it carries a State attribute (an
 * Access-Request continuing a conversation, typically EAP) and, for accounting, its
 * Acct-Status-Type. Anything else (an unknown code, Accounting-On/Off, Interim-Update, an
 * Accounting-Request without Acct-Status-Type) gets the lowest class.
 */
export function classify(code: number, hasState: boolean, acctStatusType?: number): RequestClass {
  switch (code) {
    case STATUS_SERVER:
      return "status";
    case ACCESS_REQUEST:
      return hasState ? "access-state" : "access";
    case ACCOUNTING_REQUEST:
      return acctStatusType === ACCT_STATUS_STOP ? "acct-stop" : "acct";
    default:
      return "acct";
  }
}
