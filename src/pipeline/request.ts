// One request on its way through the stages, from its arrival to its one counted outcome. The
// pipeline creates it once and hands it from stage to stage instead of loose values.
import { Attr } from "../radius/codes.js";
import { RadiusError } from "../radius/errors.js";
import { findAttribute, type RadiusPacket } from "../radius/packet.js";
import type { AttributeInput } from "../radius/encode.js";
import { StoreError } from "../store/errors.js";
import type { ClientTable, Client } from "../verify/clients.js";
import type { PendingEntry } from "../verify/duplicates/cache.js";
import type { CompletionReport, RequestClass } from "../admit/scheduler.js";
import type { Handler } from "../core/handler.js";
import type { EntryPoint, Remote, SendReply } from "../core/event.js";
import type { DropReason } from "../core/outcomes.js";
import type { Decision } from "../handle/decision.js";
import type { createAccessRequestHandler } from "../handle/access-request.js";
import { WorkerPoolError } from "./worker-pool.js";

export type AccessRequestHandler = Handler<Parameters<ReturnType<typeof createAccessRequestHandler>>[0], Decision>;

/**
 * One configuration version. A request takes the current version when it arrives and keeps it to
 * the end: the client (and so the secret) it was verified with signs its reply, whatever a reload
 * did meanwhile.
 */
export interface Version {
  readonly id: number;
  readonly clients: ClientTable;
  readonly accessRequest: AccessRequestHandler;
  readonly rejectAttrs: AttributeInput[];
}

/** What the stages know of a request so far (its outcome's labels and log fields). */
export interface Request {
  readonly listener: EntryPoint;
  readonly remote: Remote;
  readonly arrivedAt: number;
  readonly version: Version;
  client: Client | null;
  /** Packet code; 0 until the datagram is verified. */
  code: number;
  cls: RequestClass | "none";
  user?: string | undefined;
  /** The verified request (Calling-Station-Id of its log lines). */
  packet?: RadiusPacket | undefined;
  /** Its duplicate-cache entry, forgotten when it ends without a reply (datagrams only). */
  entry?: PendingEntry | undefined;
}

/** A verified datagram the scheduler admitted: everything its handler and its reply need. */
export interface Admitted extends Request {
  client: Client;
  packet: RadiusPacket;
  entry: PendingEntry;
  /** Where its reply goes. */
  readonly send: SendReply;
  /** Set by the scheduler when it starts the request. */
  deadline: number;
}

export const SAMPLE: CompletionReport = { sample: true };
export const NO_SAMPLE: CompletionReport = { sample: false };

/**
 * Whether a failed request's service time says something about the load: a store timeout does;
 * a store that is down answers fast, which says nothing.
 */
export function sampleOfFailure(err: unknown): CompletionReport {
  return err instanceof StoreError && err.code === "STORE_TIMEOUT" ? SAMPLE : NO_SAMPLE;
}

/** The counted reason of a handler that threw. */
export function failureReason(err: unknown): DropReason {
  if (err instanceof StoreError) return `store:${err.code}`;
  if (err instanceof WorkerPoolError) return `worker:${err.code}`;
  if (err instanceof RadiusError) return `radius:${err.code}`;
  return "internal_error";
}

/** Failures that are counted but not logged as errors (the store or the pool said no). */
export function isExpected(err: unknown): boolean {
  return err instanceof StoreError || err instanceof WorkerPoolError;
}

/** Calling-Station-Id as text, when present (log lines). */
export function callingStationId(packet: RadiusPacket): string | undefined {
  const a = findAttribute(packet, Attr.CallingStationId);
  return a === undefined ? undefined : a.value.toString("utf8");
}

/** Acct-Status-Type, when present and well formed (for the scheduler's class). */
export function acctStatusType(packet: RadiusPacket): number | undefined {
  const a = findAttribute(packet, Attr.AcctStatusType);
  return a !== undefined && a.value.length === 4 ? a.value.readUInt32BE(0) : undefined;
}

export function rejectAttributes(message: string | undefined): AttributeInput[] {
  return message ? [{ type: Attr.ReplyMessage, value: Buffer.from(message, "utf8") }] : [];
}
