// A datagram becomes an event the moment it is read: stamped with its arrival time (monotonic ms,
// from the injected clock) so that every later stage can tell how much of its budget is left.

export interface Remote {
  address: string;
  port: number;
}

export type ListenerName = "auth" | "acct";

/** Where a counted request came from: a UDP listener, or "http" for POST /v1/auth (no datagram). */
export type EntryPoint = ListenerName | "http";

export interface DatagramEvent {
  readonly listener: ListenerName;
  readonly data: Buffer;
  readonly remote: Remote;
  readonly arrivedAt: number;
}

/** Where a reply goes: the transport supplies it; the core never sees a socket. */
export type SendReply = (reply: Buffer, remote: Remote) => void;

/** Every datagram ends in exactly one of these. */
import type { OutcomeReason } from "./outcomes.js";

export type OutcomeKind = "answered" | "dropped" | "shed" | "duplicate";

export interface Outcome {
  kind: OutcomeKind;
  /** accept/reject/status for answered; a named reason otherwise (core/outcomes.ts). */
  reason: OutcomeReason;
}
