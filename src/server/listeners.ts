// The RADIUS UDP listeners of a server (auth, and acct when configured), their metrics, and the
// settings a live reload passes on to them.
import type { Config } from "../config/schema.js";
import { effectiveFlows } from "../config/reload.js";
import { flowHoldBackSettings } from "../admit/flow-holdback.js";
import { kernelQueueSettings } from "../admit/kernel-queue.js";
import type { SchedulerConfig } from "../admit/config.js";
import type { ListenerName } from "../core/event.js";
import { listenUdp, type UdpListener, type UdpListenerOptions } from "../transport/udp.js";
import { exactSources } from "../transport/steering.js";
import type { Metrics } from "../metrics/counters.js";
import { describeBindError } from "../listen-error.js";
import type { Logger } from "../log.js";
import type { ServerCore } from "./core.js";
import type { InheritedSockets } from "./types.js";

export interface Listeners {
  readonly auth: UdpListener;
  readonly acct: UdpListener | undefined;
}

type ListenerConfig = Config["radius"]["auth"];

export async function openListeners(config: Config, parts: ServerCore, log: Logger, inh: InheritedSockets | undefined): Promise<Listeners> {
  const { core, scheduler, now } = parts;
  const open = (name: ListenerName, l: ListenerConfig, own: Pick<UdpListenerOptions, "flows" | "exactSources" | "adopt" | "onFallback">): Promise<UdpListener> =>
    listenUdp({
      name,
      host: l.host,
      port: l.port,
      recvBufferSize: l.recvBufferSize,
      io: l.io,
      flowHoldBack: flowHoldBackSettings(config.scheduler),
      kernelQueue: kernelQueueSettings(config.scheduler),
      cpuBound: () => scheduler.cpuBound,
      deferReading: inh?.deferReading,
      now,
      onEvent: (ev, send) => core.handle(ev, send),
      stale: { isStale: (code, at) => core.isStale(code, at), onStale: (listener, address) => core.countStale(listener, address) },
      onSendError: (err) => log.warn({ err: err.message }, "UDP send failed"),
      ...own,
    }).catch((err: unknown) => {
      throw describeBindError(`radius.${name}`, l.host, l.port, "udp", err);
    });
  const auth = await open("auth", config.radius.auth, {
    flows: effectiveFlows(config),
    // Clients named as single IPv4 hosts get flow queues of their own (set at start: clients
    // added by a reload are hashed until a restart).
    exactSources: exactSources(config.clients.map((c) => c.address)),
    adopt: inh?.auth,
    onFallback: (reason) => log.info({ reason }, "native UDP I/O unavailable, using node:dgram"),
  });
  const acctConfig = config.radius.acct;
  if (!acctConfig) return { auth, acct: undefined };
  try {
    const acct = await open("acct", acctConfig, {
      flows: acctConfig.io === "dgram" ? 0 : (acctConfig.flows ?? 0),
      adopt: inh?.acct,
      onFallback: (reason) => log.info({ reason }, "native UDP I/O unavailable for accounting, using node:dgram"),
    });
    return { auth, acct };
  } catch (err) {
    await auth.close();
    throw err;
  }
}

/** Every open listener with its label. */
export function eachListener(l: Listeners): Array<[ListenerName, UdpListener]> {
  return l.acct ? [["auth", l.auth], ["acct", l.acct]] : [["auth", l.auth]];
}

/** Live reload: the listeners take the new per-flow hold-back and receive-buffer settings. */
export function reconfigureListeners(l: Listeners, scheduler: SchedulerConfig): void {
  for (const [, u] of eachListener(l)) {
    u.setFlowHoldBack?.(flowHoldBackSettings(scheduler));
    u.setKernelQueue?.(kernelQueueSettings(scheduler));
  }
}

/** One UDP gauge: a value per listener, or one per kernel queue (labelled `queue`); undefined: not reported. */
interface UdpGauge {
  name: string;
  help: string;
  read(l: UdpListener): number | readonly number[] | undefined;
}

const UDP_GAUGES: readonly UdpGauge[] = [
  { name: "aaa_udp_kernel_drops", help: "Datagrams the kernel dropped since start because a receive queue of the listener was full (native io; monotonic).", read: (l) => l.kernelDrops() },
  { name: "aaa_udp_flow_holdback_windows", help: "Windows in which a backlogged and a light kernel flow queue were both read (monotonic).", read: (l) => l.flowHoldBackStats?.()?.contendedWindows },
  { name: "aaa_udp_flow_holdback_pressure_windows", help: "Of those, windows whose light datagrams waited in the kernel longer than flowHoldBack.targetWaitMs (monotonic).", read: (l) => l.flowHoldBackStats?.()?.pressureWindows },
  { name: "aaa_udp_flow_holdback_holds", help: "Times a backlogged flow queue was not read for the rest of a window (monotonic).", read: (l) => l.flowHoldBackStats?.()?.holds },
  { name: "aaa_udp_flow_holdback_limited_flows", help: "Flow queues with a read allowance now.", read: (l) => l.flowHoldBackStats?.()?.limitedFlows },
  { name: "aaa_udp_receive_buffer_cuts", help: "Times a backlogged kernel queue's receive buffer was cut because its datagrams waited longer than scheduler.kernelQueue.targetWaitMs (monotonic).", read: (l) => l.kernelQueueStats?.()?.cuts },
  { name: "aaa_udp_receive_buffer_bytes", help: "Receive buffer (SO_RCVBUF as set) of each sized kernel queue.", read: (l) => l.kernelQueueStats?.()?.bytes },
  { name: "aaa_udp_flow_holdback_light_wait_ms", help: "Mean kernel wait of the light flow queues' datagrams in the last contended window (ms).", read: (l) => l.flowHoldBackStats?.()?.lightWaitMs },
];

export function registerUdpMetrics(metrics: Metrics, listeners: Listeners): void {
  for (const g of UDP_GAUGES) {
    metrics.gauge(g.name, g.help, () => {
      const out: Array<{ labels: Record<string, string>; value: number }> = [];
      for (const [listener, l] of eachListener(listeners)) {
        const v = g.read(l);
        if (typeof v === "number") out.push({ labels: { listener }, value: v });
        else v?.forEach((value, queue) => out.push({ labels: { listener, queue: String(queue) }, value }));
      }
      return out;
    });
  }
}
