// Runs the reconnect-storm generator (load-tests/storm-load.c) and reads its JSON report.
import { buildC } from "./cbuild.js";
import { runPinned } from "./procs.js";
import { REPO, SECRET } from "./systems.js";

/** The JSON report of storm-load (see storm-load.c). */
export interface StormReport {
  subscribers: number;
  spreadS: number;
  retransmitMs: number[];
  finalWaitMs: number;
  wrongRatio: number;
  sockets: number;
  budgetMs: number;
  sent: { first: number; retransmissions: number; total: number };
  sendErrors: number;
  answered: number;
  accept: number;
  reject: number;
  abandoned: number;
  unfinished: number;
  rejectForRightPassword: number;
  acceptForWrongPassword: number;
  /** Seconds from the storm's start until that share of all subscribers had its answer; null: never. */
  tS: { t50: number | null; t90: number | null; t99: number | null; t100: number | null };
  /** Answers by the number of attempts sent when they came (index 0: the first attempt). */
  answeredByAttempt: number[];
  latencyFromLastSendMs: { p50: number | null; p99: number | null; max: number | null };
  /** How far behind its schedule each datagram went out: a starved generator shows here. */
  sendLagMs: { p50: number | null; p99: number | null; max: number | null };
  withinBudget: number;
  bad: { authenticator: number; messageAuthenticator: number; malformed: number; otherCode: number; strays: number };
  duplicates: number;
  answeredAfterAbandon: number;
  lastAnswerS: number;
  endS: number;
  serverSocketDrops: number;
  generatorSocketDrops: number;
  udpRcvbufErrors: number;
  cpuMs: number;
  timeline: { intervalMs: number; first: number[]; retransmissions: number[]; answered: number[]; withinBudget: number[] };
}

export interface StormOptions {
  port: number;
  subscribers: number;
  spreadS: number;
  retransmit: number[];
  finalWaitMs: number;
  wrongRatio: number;
  budgetMs: number;
  seed: number;
  cpu?: number;
  quiet: boolean;
  label: string;
  timelineMs?: number;
}

export function stormBinary(): string {
  const bin = buildC("storm-load");
  if (bin instanceof Error) throw bin;
  return bin;
}

export function stormArgs(o: StormOptions): string[] {
  return [
    "--server", `127.0.0.1:${o.port}`,
    "--secret", SECRET,
    "--subscribers", String(o.subscribers),
    "--spread", String(o.spreadS),
    "--retransmit", o.retransmit.join(","),
    "--final-wait", String(o.finalWaitMs),
    "--wrong-ratio", String(o.wrongRatio),
    "--budget", String(o.budgetMs),
    "--seed", String(o.seed),
    "--timeline-ms", String(o.timelineMs ?? 1000),
    "--json",
  ];
}

/** The longest a storm can take: spread + every wait + the final wait (+ margin for the watchdog). */
export function stormMaxS(o: Pick<StormOptions, "spreadS" | "retransmit" | "finalWaitMs">): number {
  return o.spreadS + (o.retransmit.reduce((s, w) => s + w, 0) + o.finalWaitMs) / 1000;
}

export async function runStorm(o: StormOptions): Promise<StormReport> {
  const r = await runPinned(stormBinary(), stormArgs(o), {
    cpu: o.cpu,
    watchdogMs: (stormMaxS(o) + 120) * 1000,
    stderrPrefix: `  ${o.label} `,
    quiet: o.quiet,
    cwd: REPO,
  });
  if (r.code !== 0) throw new Error(`storm-load exited with ${r.code} (${o.label})`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as StormReport;
}
