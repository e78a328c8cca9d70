// Which sockets each worker of `serve --workers N` reads. The primary binds one SO_REUSEPORT
// group per listener: W x F flow sockets plus one State and one Status-Server socket, steered by
// the classic BPF program of steering.ts (a hash of the source address picks the flow socket).
// Worker w reads flow sockets w*F .. w*F+F-1 and the shared State and Status-Server sockets
// (an Access-Request carrying State may then reach any worker: it is a new request, with its own
// Identifier and authenticator, not a retransmission), so a source address
// always reaches the same worker: RFC 5080 §2.2.2 retransmissions (same source address and port)
// land where the cached reply is.
import { MAX_FLOWS, steeringPlan, type SteeringPlan } from "../transport/steering.js";

/** SO_ATTACH_REUSEPORT_CBPF groups here hold at most 64 sockets: 62 flows + State + Status-Server. */
export const MAX_FLOW_SOCKETS = MAX_FLOWS;

export interface GroupLayout {
  workers: number;
  /** Flow sockets per worker. */
  flowsPerWorker: number;
  /** Set when the configured flows were lowered to fit workers x flows <= 62. */
  reducedFrom: number | null;
  plan: SteeringPlan;
}

/** The layout for `workers` workers wanting `flows` flow queues each (0 counts as 1). */
export function groupLayout(workers: number, flows: number): GroupLayout {
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_FLOW_SOCKETS) throw new RangeError(`workers must be 1..${MAX_FLOW_SOCKETS} (got ${workers})`);
  const wanted = Math.max(1, flows);
  const flowsPerWorker = Math.min(wanted, Math.floor(MAX_FLOW_SOCKETS / workers));
  return { workers, flowsPerWorker, reducedFrom: flowsPerWorker < wanted ? wanted : null, plan: steeringPlan(workers * flowsPerWorker, workers) };
}

/** Indices, in the group, of the sockets worker `w` reads; the State and Status-Server sockets are last. */
export function workerSocketIndices(layout: GroupLayout, w: number): number[] {
  if (!Number.isInteger(w) || w < 0 || w >= layout.workers) throw new RangeError(`worker ${w} is not in 0..${layout.workers - 1}`);
  const F = layout.flowsPerWorker;
  const out: number[] = [];
  for (let k = 0; k < F; k++) out.push(w * F + k);
  out.push(layout.plan.stateQueue, layout.plan.statusQueue);
  return out;
}

/** The worker that reads flow queue `queue` (what steer() returned), or null for the shared State and Status-Server queues. */
export function workerOfQueue(layout: GroupLayout, queue: number): number | null {
  if (queue === layout.plan.statusQueue || queue === layout.plan.stateQueue) return null;
  return Math.floor(queue / layout.flowsPerWorker);
}
