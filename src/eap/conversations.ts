// EAP conversations in progress, keyed by the State attribute (RFC 2865 §5.24) that ties the
// rounds together. Bounded in number; a conversation not continued within the timeout is freed
// (its method's dispose runs). Time comes from the injected clock: nothing here runs by itself;
// sweep() is called on every access and by the server's timer.
import type { AttributeInput } from "../radius/encode.js";
import type { EapMethod, EapMethodSession } from "./method.js";

/** Octets of random State: 128 bits, so that a State cannot be guessed to join another conversation. */
export const STATE_LENGTH = 16;

export interface Conversation {
  /** The State value, as hex (the map key). */
  readonly key: string;
  readonly state: Buffer;
  /** Name of the client (NAS) that started it: another client's request cannot continue it. */
  readonly client: string;
  identity: string;
  /** Chosen method; null while the Identity is awaited (after an EAP-Start). */
  method: EapMethod | null;
  session: EapMethodSession | null;
  /** Types the peer refused (Nak) or that were tried: never offered again. */
  readonly tried: Set<number>;
  /** Identifier of the last Request sent: the next Response must carry it (RFC 3748 §4.1). */
  lastId: number;
  /** True while the last Request was a method's first: a Nak is allowed in answer (RFC 3748 §5.3). */
  nakAllowed: boolean;
  rounds: number;
  /**
   * The last round answered with a Request: the digest of the Response it answered and the reply
   * attributes. A Response sent again (its reply was lost or late) gets the same Request again.
   */
  previous: { identifier: number; digest: Buffer; attributes: AttributeInput[] } | null;
  /** A round is being processed (async method or lookup): a concurrent one is dropped. */
  busy: boolean;
  expiresAt: number;
}

/**
 * A conversation that has ended: its last Response and how to answer it. Kept for the timeout so
 * that the Response sent again (the final reply was lost, or computed too late to be sent) gets
 * the same answer instead of Access-Reject for an unknown State.
 */
export interface EndedConversation<A> {
  readonly key: string;
  readonly client: string;
  readonly identifier: number;
  readonly digest: Buffer;
  /** Produces the final answer for one Access-Request carrying that Response. */
  readonly answer: A;
  busy: boolean;
  expiresAt: number;
}

export interface ConversationStoreOptions {
  maxConversations: number;
  timeoutMs: number;
}

export class ConversationStore<A = unknown> {
  // Insertion order is expiry order: every conversation gets the same timeout from its last
  // touch, and a touch moves it to the end. A sweep stops at the first one still live.
  private readonly map = new Map<string, Conversation>();
  // Ended conversations, in the same order; bounded by maxConversations too (oldest first out).
  private readonly endedMap = new Map<string, EndedConversation<A>>();
  private expiredTotal = 0;

  constructor(private readonly o: ConversationStoreOptions) {}

  get size(): number {
    return this.map.size;
  }

  /** Conversations freed at their timeout since start. */
  get expired(): number {
    return this.expiredTotal;
  }

  get timeoutMs(): number {
    return this.o.timeoutMs;
  }

  /** Ended conversations still answerable. */
  get endedSize(): number {
    return this.endedMap.size;
  }

  /** Frees every conversation whose timeout has passed. */
  sweep(now: number): number {
    for (const e of this.endedMap.values()) {
      if (e.expiresAt > now) break;
      if (!e.busy) this.endedMap.delete(e.key);
    }
    let n = 0;
    for (const c of this.map.values()) {
      if (c.expiresAt > now) break;
      if (c.busy) continue;
      this.map.delete(c.key);
      dispose(c);
      n++;
    }
    this.expiredTotal += n;
    return n;
  }

  /** False when the store is full (after freeing what has expired): the caller drops the request. */
  add(c: Conversation, now: number): boolean {
    this.sweep(now);
    if (this.map.size >= this.o.maxConversations) return false;
    c.expiresAt = now + this.o.timeoutMs;
    this.map.set(c.key, c);
    return true;
  }

  /** The live conversation with this State, if any. */
  get(key: string, now: number): Conversation | undefined {
    this.sweep(now);
    const c = this.map.get(key);
    if (c && c.expiresAt <= now) return undefined;
    return c;
  }

  /** Restarts the conversation's timeout (a Request was sent). */
  touch(c: Conversation, now: number): void {
    if (this.map.get(c.key) !== c) return;
    this.map.delete(c.key);
    c.expiresAt = now + this.o.timeoutMs;
    this.map.set(c.key, c);
  }

  /** Ends a conversation whose final Response may come again: frees it, keeps how to answer it. */
  end(c: Conversation, ended: Omit<EndedConversation<A>, "key" | "client" | "busy" | "expiresAt">, now: number): void {
    this.remove(c);
    this.endedMap.delete(c.key);
    if (this.endedMap.size >= this.o.maxConversations) {
      const oldest = this.endedMap.keys().next();
      if (!oldest.done) this.endedMap.delete(oldest.value);
    }
    this.endedMap.set(c.key, { ...ended, key: c.key, client: c.client, busy: false, expiresAt: now + this.o.timeoutMs });
  }

  /** The ended conversation with this State, if still kept. */
  getEnded(key: string, now: number): EndedConversation<A> | undefined {
    this.sweep(now);
    const e = this.endedMap.get(key);
    return e && e.expiresAt > now ? e : undefined;
  }

  /** Ends a conversation (success, failure, error). */
  remove(c: Conversation): void {
    if (this.map.get(c.key) === c) this.map.delete(c.key);
    dispose(c);
  }

  /** Ends every conversation (shutdown). */
  clear(): void {
    for (const c of this.map.values()) dispose(c);
    this.map.clear();
    this.endedMap.clear();
  }
}

function dispose(c: Conversation): void {
  const s = c.session;
  c.session = null;
  try {
    s?.dispose?.();
  } catch {
    // A method's cleanup failing must not take the store down with it.
  }
}
