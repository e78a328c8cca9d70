// The listening sockets of `serve --workers N`, bound once by the primary for its whole life:
// per UDP listener one SO_REUSEPORT group (layout.ts), and the HTTP side's TCP socket. Workers
// inherit them as file descriptors: a worker's flow sockets, its own State socket, the Status-Server one.
import { isIP } from "node:net";
import { effectiveFlows } from "../config/reload.js";
import type { Config } from "../config/schema.js";
import type { Logger } from "../log.js";
import { describeBindError } from "../listen-error.js";
import type { UdpMmsgBinding } from "../transport/native/binding.js";
import type { InheritedListener } from "../server/types.js";
import { groupLayout, workerSocketIndices, type GroupLayout } from "./layout.js";
import type { WorkerSpec } from "./protocol.js";

export interface BoundGroup {
  layout: GroupLayout;
  fds: number[];
}

export interface PrimarySockets {
  auth: BoundGroup;
  acct: BoundGroup | null;
  httpFd: number | null;
  /** Ports as bound (the kernel's choice for port 0). */
  ports: { auth: number; acct: number | null; http: number | null };
  /** The radius section every worker serves: the configured one with the bound ports. */
  radius: Config["radius"];
  /** Every descriptor held, for closing. */
  held: number[];
}

function bindGroup(binding: UdpMmsgBinding, workers: number, name: "auth" | "acct", l: NonNullable<Config["radius"]["acct"]>, flows: number, log: Logger): BoundGroup {
  const layout = groupLayout(workers, flows);
  if (layout.reducedFrom !== null) {
    log.warn({ listener: name, workers, flows: layout.reducedFrom, flowsPerWorker: layout.flowsPerWorker }, `radius.${name}: flows per worker reduced so that workers x (flows + 1) + 1 sockets fit a group of 64`);
  }
  try {
    const fds = binding.bindGroup(isIP(l.host) === 6 ? 6 : 4, l.host, l.port, l.recvBufferSize, 0, layout.plan.sockets, layout.plan.program);
    return { layout, fds };
  } catch (err) {
    throw describeBindError(`radius.${name}`, l.host, l.port, "udp", err);
  }
}

/** Binds every socket of the configuration; on failure closes what was bound and throws. */
export function bindPrimarySockets(binding: UdpMmsgBinding, config: Config, workers: number, log: Logger): PrimarySockets {
  const held: number[] = [];
  let auth: BoundGroup;
  let acct: BoundGroup | null = null;
  let httpFd: number | null = null;
  try {
    auth = bindGroup(binding, workers, "auth", config.radius.auth, effectiveFlows(config), log);
    held.push(...auth.fds);
    if (config.radius.acct) {
      acct = bindGroup(binding, workers, "acct", config.radius.acct, config.radius.acct.flows ?? 0, log);
      held.push(...acct.fds);
    }
    if (config.http) {
      const h = config.http;
      try {
        httpFd = binding.listenTcp(isIP(h.host) === 6 ? 6 : 4, h.host, h.port, 511);
      } catch (err) {
        throw describeBindError("http", h.host, h.port, "tcp", err);
      }
      held.push(httpFd);
    }
  } catch (err) {
    if (held.length > 0) binding.closeFds(held);
    throw err;
  }
  const ports = {
    auth: binding.socketPort(auth.fds[0]!),
    acct: acct ? binding.socketPort(acct.fds[0]!) : null,
    http: httpFd !== null ? binding.socketPort(httpFd) : null,
  };
  // Ports chosen by the kernel (port 0) are what every worker serves: the radius section they get.
  const radius: Config["radius"] = {
    ...config.radius,
    auth: { ...config.radius.auth, port: ports.auth },
    ...(config.radius.acct && ports.acct !== null ? { acct: { ...config.radius.acct, port: ports.acct } } : {}),
  };
  return { auth, acct, httpFd, ports, radius, held };
}

function listenerSpec(g: BoundGroup, slot: number, firstFd: number): { stdio: number[]; inherited: InheritedListener } {
  const idx = workerSocketIndices(g.layout, slot);
  return { stdio: idx.map((i) => g.fds[i]!), inherited: { fds: idx.map((_, k) => firstFd + k), keepFrom: idx.length - 2 } };
}

/**
 * What worker `slot` inherits: the descriptors to pass after "ipc" in its stdio (fds 4, 5, ...
 * in the child) and its spec, which names them by their numbers in the child.
 */
export function workerSockets(s: PrimarySockets, slot: number, configFile: string): { stdio: number[]; spec: WorkerSpec } {
  const a = listenerSpec(s.auth, slot, 4);
  const b = s.acct ? listenerSpec(s.acct, slot, 4 + a.stdio.length) : null;
  const httpChildFd = s.httpFd !== null ? 4 + a.stdio.length + (b?.stdio.length ?? 0) : null;
  return {
    stdio: [...a.stdio, ...(b?.stdio ?? []), ...(s.httpFd !== null ? [s.httpFd] : [])],
    spec: { index: slot, configFile, radius: s.radius, auth: a.inherited, acct: b?.inherited ?? null, httpFd: httpChildFd },
  };
}
