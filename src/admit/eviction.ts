// Who leaves a full queue when a request arrives: a request of lower standing, or the newcomer.
import type { ClassQueue, ClientQueue, QueuedEntry } from "./queues.js";

export type Eviction<E> = { readonly victim: E; readonly reason: "class_priority" | "fair_share" | "queue_full" } | "room" | "none";

/**
 * A request of class `rank` from `client` (weight `weight` unless it has a queue) finds the queue
 * full. Evict the oldest request of the longest client queue of a lower class (class_priority),
 * else of a client of the same class with a longer weighted queue (fair_share), else, when the
 * client's own queue is in overload mode (served newest first), its own oldest (queue_full).
 * "none": nothing to evict, the newcomer is shed; "room": no queued class holds anything.
 * `queues` is indexed by rank; rank 0 (Status-Server) never queues.
 */
export function chooseEviction<E extends QueuedEntry>(
  queues: readonly ClassQueue<E>[],
  rank: number,
  client: string,
  weight: number,
  overloadMode: (cq: ClientQueue<E>) => boolean,
): Eviction<E> {
  let lowest = -1;
  for (let r = queues.length - 1; r >= 1; r--) {
    if ((queues[r] as ClassQueue<E>).live > 0) {
      lowest = r;
      break;
    }
  }
  if (lowest < 0) return "room";
  const q = queues[lowest] as ClassQueue<E>;
  if (lowest > rank) {
    const victim = q.longest()?.front();
    return victim ? { victim, reason: "class_priority" } : "none";
  }
  if (lowest < rank) return "none";
  const cq = q.longest();
  const own = q.clients.get(client);
  const ownLoad = ((own?.live ?? 0) + 1) / (own?.weight ?? weight);
  const victim = cq && cq.client !== client && cq.live / cq.weight > ownLoad ? cq.front() : undefined;
  if (victim) return { victim, reason: "fair_share" };
  // Serving newest first, the client's own oldest request is worth less than this one.
  const oldest = own && overloadMode(own) ? own.front() : undefined;
  return oldest ? { victim: oldest, reason: "queue_full" } : "none";
}
