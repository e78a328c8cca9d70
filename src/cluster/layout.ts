// Which sockets each worker of `serve --workers N` reads. The primary binds one SO_REUSEPORT
// group per listener: W x F flow sockets, then one State socket per worker, then one
// Status-Server socket, steered by the classic BPF program of steering.ts (a hash of the source
// address and port picks the flow socket; the first octet of State picks the State socket).
// Worker w reads flow sockets w*F .. w*F+F-1, State socket W*F+w and the shared Status-Server
// socket. So RFC 5080 §2.2.2 retransmissions (same source address and port) land where the
// cached reply is, and every round of an EAP conversation reaches the worker that issued its
// State (eap/handler.ts puts the worker's index in its first octet) and holds its TLS state.
// A replacement (rolling restart, or after a death) inherits the same indices as its slot.
import { MAX_GROUP, steeringPlan, type SteeringPlan } from "../transport/steering.js";

/** Most workers: each needs at least one flow socket and a State socket, plus the shared Status-Server socket. */
export const MAX_WORKERS = Math.floor((MAX_GROUP - 1) / 2);

export interface GroupLayout {
  workers: number;
  /** Flow sockets per worker. */
  flowsPerWorker: number;
  /** Set when the configured flows were lowered to fit the group's 64 sockets. */
  reducedFrom: number | null;
  plan: SteeringPlan;
}

/** The layout for `workers` workers wanting `flows` flow queues each (0 counts as 1). */
export function groupLayout(workers: number, flows: number): GroupLayout {
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) throw new RangeError(`workers must be 1..${MAX_WORKERS} (got ${workers})`);
  const wanted = Math.max(1, flows);
  // W x F flow sockets + W State sockets + 1 Status-Server socket <= 64.
  const flowsPerWorker = Math.min(wanted, Math.floor((MAX_GROUP - 1 - workers) / workers));
  return { workers, flowsPerWorker, reducedFrom: flowsPerWorker < wanted ? wanted : null, plan: steeringPlan(workers * flowsPerWorker, workers) };
}

/** Indices, in the group, of the sockets worker `w` reads; its State socket and the Status-Server socket are last. */
export function workerSocketIndices(layout: GroupLayout, w: number): number[] {
  if (!Number.isInteger(w) || w < 0 || w >= layout.workers) throw new RangeError(`worker ${w} is not in 0..${layout.workers - 1}`);
  const F = layout.flowsPerWorker;
  const out: number[] = [];
  for (let k = 0; k < F; k++) out.push(w * F + k);
  out.push(layout.plan.stateQueue + (layout.plan.stateQueues > 1 ? w : 0), layout.plan.statusQueue);
  return out;
}

/** The worker that reads queue `queue` (what steer() returned), or null for the shared Status-Server queue (and a single shared State queue). */
export function workerOfQueue(layout: GroupLayout, queue: number): number | null {
  const { stateQueue, stateQueues, statusQueue } = layout.plan;
  if (queue === statusQueue) return null;
  if (queue >= stateQueue) return stateQueues > 1 ? queue - stateQueue : null;
  return Math.floor(queue / layout.flowsPerWorker);
}
