// Whole-core overload scenarios in one command (no CPU quota): what happens to carrier-aaa
// (default configuration, and scheduler off; FreeRADIUS 3.2 + rlm_redis with
// --with-freeradius) when something other than a steady rate overloads it:
//  - storm: a reconnect storm (storm-load.c: N subscribers over S s, retransmissions after 3,
//    6, 12 s);
//  - stall: steady PAP (default 30k/s) while Redis is stopped (SIGSTOP) for 0.5 s, then
//    continued (SIGCONT);
//  - slow: steady PAP (default 15k/s) with Redis behind a delaying TCP proxy
//    (lib/delay-proxy.ts) that holds each reply chunk 20-80 ms for a while, in order;
//  - flood: four NASes (127.0.0.2..5, one generator each, own client entries); three at their
//    fair share, one at 5x its share for a while.
// Each runs with a parallel Status-Server generator (200/s) and reports goodput (answers within
// the budget per s), p99, Status-Server answered, and the recovery time: seconds after the
// disturbance ends until every 1-s window has p99 within the budget and goodput >= 95 % of
// what was offered in it (lib/recovery.ts).
//
//   npx tsx load-tests/bench-scenarios.ts [--scenarios storm,stall,slow,flood] [--duration 10]
//        [--with-freeradius] [--skip-carrier-off] ...   (--help for all)
//
// Layout as every benchmark here: server alone on core 0; redis-server, the generators, the
// proxy and this script on core 1. Each scenario gets a fresh server process (warmed up).
// Everything started here is killed on exit or Ctrl-C, and a stopped Redis is continued.


import os from "node:os";
import { flag, num, numList, parse, stringOptions, str } from "./lib/args.js";
import { COMMON_OPTIONS, commonSettings, commonUsage, type RunContext, pinCores, reportFile, runMain, seededRedis, selectSystems, versionOf, writeReport } from "./lib/bench-common.js";
import { buildC } from "./lib/cbuild.js";
import { startDelayProxy, type DelayProxy } from "./lib/delay-proxy.js";
import type { Timeline } from "./lib/overload-report.js";
import { coreBusyMs, installCleanup, loadAvg, runPinned, sleep, tempDir, treeCpuMs, waitQuiet, which } from "./lib/procs.js";
import { recoveryS, sumTimelines, windowRates } from "./lib/recovery.js";
import { runStorm, stormBinary, stormMaxS, type StormReport } from "./lib/storm.js";
import { countersDelta, fmtCounters, fmtNum, generatorArgs, LABEL, REPO, scrapeCounters, SECRET, settle, startSystem, type Nas, type ServerCounters, type Sut, type SystemId } from "./lib/systems.js";
import type { LoadReport } from "./radius-load.js";

type Report = LoadReport & { timeline?: Timeline; bind?: string };
type Scenario = "storm" | "stall" | "slow" | "flood";
const ALL: Scenario[] = ["storm", "stall", "slow", "flood"];

const USAGE = `Usage: npx tsx load-tests/bench-scenarios.ts [options]

  --scenarios LIST        which: storm,stall,slow,flood (default all four)
  --skip-carrier-default  leave out carrier-aaa with its default configuration
  --skip-carrier-off      leave out carrier-aaa with scheduler: { enabled: false }
  --with-freeradius       also FreeRADIUS 3.2 + rlm_redis (same Redis, proxy and NASes)
  --carrier-config FILE   YAML template for carrier-aaa (\${PORT}, \${REDIS_URL}, \${HTTP_PORT});
                          it must list the clients 127.0.0.1..5 for the flood and Status-Server
  --duration S            length of the stall, slow and flood runs (default 10)
  --disturb-at S          when the disturbance starts, s into the run (default 3)
  --stall-rate R          stall: steady PAP rate (default 30000)
  --stall-ms MS           stall: how long Redis is stopped (default 500)
  --slow-rate R           slow: steady PAP rate (default 15000)
  --slow-delay MIN,MAX    slow: delay of each reply chunk from Redis, ms (default 20,80)
  --slow-seconds S        slow: how long replies are delayed (default 4)
  --flood-share R         flood: each NAS's fair share, requests/s (default 5000)
  --flood-factor F        flood: the flooding NAS sends F times its share (default 5)
  --flood-seconds S       flood: how long it floods (default 4)
  --storm-subscribers N   storm: subscribers (default 100000)
  --storm-spread S        storm: first attempts spread over S s (default 2)
  --retransmit LIST       storm: retransmission waits, ms (default 3000,6000,12000)
  --final-wait MS         storm: wait before abandoning (default 12000)
  --status-rate R         parallel Status-Server rate (default 200; 0: none)
  --users N               subscribers in Redis (default max(100000, --storm-subscribers))
  --timeout MS            generator give-up time (default 1000)
  --budget MS             latency budget (default 50)
  --warmup S              steady PAP before each run, unrecorded (default 3; 0: cold server)
  --warmup-rate R         its rate (default 5000)
  --pause S               minimum pause after the warm-up (default 3; then wait until idle)
  --fr-threads N          FreeRADIUS threads (default 8)
  --wait-quiet S          before each run, wait up to S s for < 0.1 core of other work on the
                          benchmark cores (default 60; 0: don't)
${commonUsage("scenarios")}`;

interface Row {
  scenario: Scenario;
  system: SystemId;
  /** What was disturbed, and for how long (s into the run). */
  disturbance: string;
  offered: number;
  goodput: number;
  /** Goodput during the disturbance (from the timeline); NaN for the storm. */
  goodputDuring: number;
  p99Ms: number | null;
  lost: number;
  sent: number;
  status?: { sent: number; answered: number; withinBudget: number };
  recoveryS: number | null;
  counters?: ServerCounters;
  serverCpuPct: number;
  foreignCores: number;
  detail: string[];
  reports: Report[];
  storm?: StormReport;
}

async function main(): Promise<void> {
  const a = parse(
    {
      ...stringOptions("scenarios", "duration", "disturb-at", "stall-rate", "stall-ms", "slow-rate", "slow-delay", "slow-seconds", "flood-share", "flood-factor", "flood-seconds", "storm-subscribers", "storm-spread", "retransmit", "final-wait", "status-rate", "timeout"),
      "with-freeradius": { type: "boolean" },
      ...COMMON_OPTIONS,
    },
    USAGE,
  );
  installCleanup();
  const scenarios = str(a, "scenarios", ALL.join(","))
    .split(",")
    .map((s) => s.trim()) as Scenario[];
  for (const s of scenarios) if (!ALL.includes(s)) throw new Error(`--scenarios: unknown "${s}" (${ALL.join(", ")})`);
  const duration = num(a, "duration", 10, { min: 2 });
  const disturbAt = num(a, "disturb-at", 3, { min: 1 });
  const stallRate = num(a, "stall-rate", 30000, { min: 1 });
  const stallMs = num(a, "stall-ms", 500, { min: 1 });
  const slowRate = num(a, "slow-rate", 15000, { min: 1 });
  const slowDelay = numList(a, "slow-delay", [20, 80]);
  if (slowDelay.length !== 2 || slowDelay[0]! > slowDelay[1]!) throw new Error("--slow-delay: MIN,MAX in ms, MIN <= MAX");
  const slowSeconds = num(a, "slow-seconds", 4, { min: 0.1 });
  const floodShare = num(a, "flood-share", 5000, { min: 1 });
  const floodFactor = num(a, "flood-factor", 5, { min: 1 });
  const floodSeconds = num(a, "flood-seconds", 4, { min: 0.1 });
  const stormSubscribers = num(a, "storm-subscribers", 100000, { min: 1, int: true });
  const stormSpread = num(a, "storm-spread", 2, { min: 0.01 });
  const retransmit = numList(a, "retransmit", [3000, 6000, 12000]);
  const finalWaitMs = num(a, "final-wait", 12000, { min: 0 });
  const statusRate = num(a, "status-rate", 200, { min: 0 });
  const users = num(a, "users", Math.max(100000, stormSubscribers), { min: stormSubscribers, int: true });
  const timeoutMs = num(a, "timeout", 1000, { min: 1 });
  const { budgetMs, warmupS, warmupRate, pauseS, frThreads, waitQuietS, template, verbose } = commonSettings(a);
  const lengths = [scenarios.includes("stall") ? stallMs / 1000 : 0, scenarios.includes("slow") ? slowSeconds : 0, scenarios.includes("flood") ? floodSeconds : 0];
  if (disturbAt + Math.max(...lengths) > duration - 1)
    throw new Error("--duration must leave at least 1 s after the disturbance (disturb-at + its length)");
  const log = (s: string): void => void process.stderr.write(s + "\n");
  const notes: string[] = [];

  const { serverCpu, auxCpu, cores } = pinCores(a, notes, "");

  const systems = selectSystems(a, flag(a, "with-freeradius") ? "last" : "none", notes);

  const gen = buildC("radius-load");
  if (gen instanceof Error) throw gen;
  if (scenarios.includes("storm")) stormBinary();

  const file = reportFile(a, "scenarios");
  const { started, loadBefore } = file;
  const work = tempDir("aaa-lt-scen-");
  const redis = await seededRedis(work, auxCpu, users, log);
  // A stopped Redis must never outlive this script stopped.
  let redisStopped = false;
  process.on("exit", () => {
    if (redisStopped) {
      try {
        process.kill(redis.pid, "SIGCONT");
      } catch {
        // gone
      }
    }
  });

  // NAS 127.0.0.1 carries Status-Server, the steady load and the storm; 127.0.0.2..5 the flood.
  const nases: Nas[] = [{ name: "bench", ip: "127.0.0.1" }, ...[2, 3, 4, 5].map((i) => ({ name: `nas${i}`, ip: `127.0.0.${i}` }))];
  let seedNo = 0;

  const genArgs = (sut: Sut, extra: string[]): string[] => [
    ...generatorArgs(sut.port, timeoutMs, budgetMs, users),
    "--seed", String(++seedNo),
    ...extra,
  ];
  const runGen = async (sut: Sut, label: string, extra: string[], seconds: number, o: { onLine?: (l: string) => void } = {}): Promise<Report> => {
    const r = await runPinned(gen, genArgs(sut, o.onLine ? extra : [...extra, "--quiet"]), {
      cpu: auxCpu,
      watchdogMs: (seconds + timeoutMs / 1000 + 120) * 1000,
      stderrPrefix: `  ${sut.id} ${label} `,
      quiet: !verbose,
      cwd: REPO,
      ...(o.onLine ? { onStderrLine: o.onLine } : {}),
    });
    if (r.code !== 0) throw new Error(`generator ${label} exited with ${r.code} against ${sut.id}`);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as Report;
  };
  const statusGen = (sut: Sut, seconds: number): Promise<Report> | undefined =>
    statusRate > 0 ? runGen(sut, "status", ["--mode", "status", "--rate", String(statusRate), "--duration", String(seconds)], seconds) : undefined;
  /** Calls `at(ms)` schedules relative to the generator's own start: its "[  1s]" progress line marks t = 1 s. */
  const onSecondOne = (fn: () => void): ((l: string) => void) => {
    let seen = false;
    return (l) => {
      if (!seen && /^\[\s*1s\]/.test(l)) {
        seen = true;
        fn();
      }
    };
  };

  const rows: Row[] = [];
  const systemNotes: Partial<Record<SystemId, string[]>> = {};
  for (const scenario of scenarios) {
    for (const id of systems) {
      let proxy: DelayProxy | undefined;
      if (scenario === "slow") proxy = await startDelayProxy({ targetPort: redis.port });
      const redisUrl = proxy ? `redis://127.0.0.1:${proxy.port}/0` : redis.url;
      const redisPort = proxy ? proxy.port : redis.port;
      const sut = await startSystem({ id, redisUrl, redisPort, nases, serverCpu, template, frThreads, keepLogs: flag(a, "keep-logs"), log });
      systemNotes[id] = sut.notes;
      log(`${scenario}: ${LABEL[id]} pid ${sut.proc.pid} on 127.0.0.1:${sut.port}`);
      const timers: NodeJS.Timeout[] = [];
      try {
        if (warmupS > 0) {
          await runGen(sut, "warm-up", ["--mode", "pap", "--rate", String(warmupRate), "--duration", String(warmupS)], warmupS);
          await settle(sut, pauseS);
        }
        await waitQuiet({ cores, ourPids: [sut.proc.pid, redis.pid], maxS: waitQuietS, log });
        const c0 = await scrapeCounters(sut.metricsUrl);
        const busy0 = coreBusyMs();
        const srv0 = treeCpuMs(sut.proc.pid) ?? 0;
        const red0 = treeCpuMs(redis.pid) ?? 0;
        const self0 = process.cpuUsage();
        const t0 = performance.now();
        let row: Omit<Row, "counters" | "serverCpuPct" | "foreignCores">;
        let genCpuMs = 0;
        const endAt = disturbAt * 1000;
        if (scenario === "storm") {
          const stormS = Math.min(stormMaxS({ spreadS: stormSpread, retransmit, finalWaitMs }), stormSpread + 15);
          const st = statusGen(sut, stormS);
          const storm = await runStorm({
            port: sut.port,
            subscribers: stormSubscribers,
            spreadS: stormSpread,
            retransmit,
            finalWaitMs,
            wrongRatio: 0,
            budgetMs,
            seed: ++seedNo,
            cpu: auxCpu,
            quiet: !verbose,
            label: `${id} storm`,
            timelineMs: 1000,
          });
          const status = st ? await st : undefined;
          genCpuMs = storm.cpuMs + (status?.cpuMs ?? 0);
          row = {
            scenario,
            system: id,
            disturbance: `${stormSubscribers} subscribers over ${stormSpread} s`,
            offered: stormSubscribers / stormSpread,
            goodput: storm.lastAnswerS > 0 ? storm.withinBudget / storm.lastAnswerS : NaN,
            goodputDuring: NaN,
            p99Ms: storm.latencyFromLastSendMs.p99,
            lost: storm.abandoned,
            sent: storm.sent.total,
            ...(status ? { status: { sent: status.sent, answered: status.answered, withinBudget: status.withinBudget } } : {}),
            recoveryS: storm.abandoned === 0 && storm.tS.t100 !== null ? Math.max(0, storm.tS.t100 - stormSpread) : null,
            detail: [
              `t50/t90/t99/t100 ${[storm.tS.t50, storm.tS.t90, storm.tS.t99, storm.tS.t100].map((x) => fmtNum(x, 2)).join(" / ")} s; abandoned ${storm.abandoned}; ` +
                `sent ${storm.sent.first} + ${storm.sent.retransmissions} retransmissions; answered at attempt ${storm.answeredByAttempt.join(" / ")}`,
            ],
            reports: status ? [status] : [],
            storm,
          };
        } else if (scenario === "stall" || scenario === "slow") {
          const rate = scenario === "stall" ? stallRate : slowRate;
          const lenMs = scenario === "stall" ? stallMs : slowSeconds * 1000;
          const st = statusGen(sut, duration);
          const onLine = onSecondOne(() => {
            const startIn = endAt - 1000;
            if (scenario === "stall") {
              timers.push(
                setTimeout(() => {
                  process.kill(redis.pid, "SIGSTOP");
                  redisStopped = true;
                  timers.push(
                    setTimeout(() => {
                      process.kill(redis.pid, "SIGCONT");
                      redisStopped = false;
                    }, lenMs),
                  );
                }, startIn),
              );
            } else {
              timers.push(setTimeout(() => proxy!.setDelay(slowDelay[0]!, slowDelay[1]!), startIn));
              timers.push(setTimeout(() => proxy!.setDelay(0, 0), startIn + lenMs));
            }
          });
          const main = await runGen(sut, `${rate}/s`, ["--mode", "pap", "--rate", String(rate), "--duration", String(duration), "--timeline-ms", "100"], duration, { onLine });
          const status = st ? await st : undefined;
          genCpuMs = main.cpuMs + (status?.cpuMs ?? 0);
          const tl = main.timeline!;
          const during = windowRates(tl, endAt, endAt + lenMs);
          row = {
            scenario,
            system: id,
            disturbance:
              scenario === "stall"
                ? `Redis stopped (SIGSTOP) ${disturbAt}-${fmtNum(disturbAt + lenMs / 1000, 2)} s under ${rate}/s`
                : `Redis replies delayed ${slowDelay[0]}-${slowDelay[1]} ms ${disturbAt}-${fmtNum(disturbAt + lenMs / 1000, 2)} s under ${rate}/s`,
            offered: main.intendedRate,
            goodput: main.goodput,
            goodputDuring: during.goodput,
            p99Ms: main.latencyMs.p99,
            lost: main.timeouts,
            sent: main.sent,
            ...(status ? { status: { sent: status.sent, answered: status.answered, withinBudget: status.withinBudget } } : {}),
            recoveryS: recoveryS(tl, { fromMs: endAt + lenMs }),
            detail: proxy ? [`proxy: ${proxy.stats().delayed} of ${proxy.stats().chunks} reply chunks delayed`] : [],
            reports: status ? [main, status] : [main],
          };
        } else {
          // flood: NAS 2..4 at their share for the whole run, NAS 5 at factor x share for a while.
          const st = statusGen(sut, duration);
          const after = duration - disturbAt - floodSeconds;
          const fair = [2, 3, 4].map((i) =>
            runGen(sut, `nas${i}`, ["--mode", "pap", "--rate", String(floodShare), "--duration", String(duration), "--bind", `127.0.0.${i}`, "--timeline-ms", "100"], duration),
          );
          const flooder = runGen(
            sut,
            "nas5 (flooder)",
            ["--mode", "pap", "--steps", `${floodShare}:${disturbAt},${floodShare * floodFactor}:${floodSeconds},${floodShare}:${after}`, "--bind", "127.0.0.5", "--timeline-ms", "100"],
            duration,
          );
          const fairR = await Promise.all(fair);
          const floodR = await flooder;
          const status = st ? await st : undefined;
          genCpuMs = [...fairR, floodR].reduce((s, r) => s + r.cpuMs, 0) + (status?.cpuMs ?? 0);
          const tl = sumTimelines(fairR.map((r) => r.timeline!));
          const fairSent = fairR.reduce((s, r) => s + r.sent, 0);
          const fairWithin = fairR.reduce((s, r) => s + r.withinBudget, 0);
          const during = windowRates(tl, endAt, endAt + floodSeconds * 1000);
          row = {
            scenario,
            system: id,
            disturbance: `NAS 127.0.0.5 at ${floodFactor}x its share (${floodShare * floodFactor}/s) ${disturbAt}-${disturbAt + floodSeconds} s; 127.0.0.2..4 at ${floodShare}/s each`,
            offered: fairR.reduce((s, r) => s + r.intendedRate, 0),
            goodput: fairR.reduce((s, r) => s + r.goodput, 0),
            goodputDuring: during.goodput,
            p99Ms: Math.max(...fairR.map((r) => r.latencyMs.p99 ?? NaN)),
            lost: fairR.reduce((s, r) => s + r.timeouts, 0),
            sent: fairSent,
            ...(status ? { status: { sent: status.sent, answered: status.answered, withinBudget: status.withinBudget } } : {}),
            recoveryS: recoveryS(tl, { fromMs: endAt + floodSeconds * 1000 }),
            detail: [
              `fair NASes within budget ${fmtNum((100 * fairWithin) / Math.max(1, fairSent), 1)} % (${fairR.map((r) => `${r.bind}: ${fmtNum((100 * r.withinBudget) / Math.max(1, r.sent), 1)} %`).join(", ")}); ` +
                `flooder: sent ${floodR.sent}, within budget ${fmtNum((100 * floodR.withinBudget) / Math.max(1, floodR.sent), 1)} %, goodput ${floodR.goodput}/s`,
            ],
            reports: [...fairR, floodR, ...(status ? [status] : [])],
          };
        }
        const windowS = (performance.now() - t0) / 1000;
        const srvMs = (treeCpuMs(sut.proc.pid) ?? srv0) - srv0;
        const redMs = (treeCpuMs(redis.pid) ?? red0) - red0;
        const busy1 = coreBusyMs();
        const self = process.cpuUsage(self0);
        await sleep(2 * budgetMs);
        const counters = countersDelta(c0, await scrapeCounters(sut.metricsUrl));
        const busyMs = cores.reduce((s, c) => s + ((busy1[c] ?? 0) - (busy0[c] ?? 0)), 0);
        const oursMs = srvMs + redMs + genCpuMs + (self.user + self.system) / 1000;
        const full: Row = {
          ...row,
          ...(counters ? { counters } : {}),
          serverCpuPct: (100 * srvMs) / 1000 / windowS,
          foreignCores: Math.max(0, busyMs - oursMs) / 1000 / windowS,
        };
        rows.push(full);
        log(
          `${scenario} ${id}: goodput ${fmtNum(full.goodput, 0)}/s of ${fmtNum(full.offered, 0)}/s offered (during the disturbance ${fmtNum(full.goodputDuring, 0)}/s), p99 ${fmtNum(full.p99Ms, 1)} ms, ` +
            `lost ${full.lost}, Status-Server ${full.status ? `${fmtNum((100 * full.status.answered) / Math.max(1, full.status.sent), 1)} %` : "-"}, recovery ${full.recoveryS === null ? "not within the run" : `${fmtNum(full.recoveryS, 1)} s`}; ` +
            `${fmtCounters(counters, { skipAnswered: true })}`,
        );
      } finally {
        for (const t of timers) clearTimeout(t);
        if (redisStopped) {
          process.kill(redis.pid, "SIGCONT");
          redisStopped = false;
        }
        await sut.proc.stop();
        await proxy?.close();
      }
    }
  }
  await redis.stop();

  const md = render({ rows, started, loadBefore, loadAfter: loadAvg(), notes, systemNotes, serverCpu, auxCpu, budgetMs, timeoutMs, warmupS, warmupRate, statusRate, argv: process.argv.slice(2) });
  writeReport(file, md, rows, log);
}

function render(o: RunContext & {
  rows: Row[];
  budgetMs: number;
  timeoutMs: number;
  warmupS: number;
  warmupRate: number;
  statusRate: number;
}): string {
  const b = o.budgetMs;
  const L: string[] = [];
  L.push(`# Whole-core overload scenarios ${o.started.toISOString().slice(0, 16).replace("T", " ")} UTC`, "");
  L.push(`Command: \`npx tsx load-tests/bench-scenarios.ts ${o.argv.join(" ")}\``, "");
  L.push(
    `No CPU quota: the server has a whole core${o.serverCpu !== undefined ? ` (core ${o.serverCpu}; redis-server, generators, the delay proxy and this script on core ${o.auxCpu})` : " (not pinned)"}. ` +
      `PAP + Message-Authenticator, open-loop Poisson arrivals, give-up ${o.timeoutMs} ms, budget ${b} ms; ` +
      `${o.statusRate > 0 ? `Status-Server at ${o.statusRate}/s from 127.0.0.1 alongside every run; ` : ""}` +
      `${o.warmupS > 0 ? `each run on a fresh server warmed up with ${o.warmupS} s at ${o.warmupRate}/s` : "each run on a fresh, cold server"}.`,
  );
  L.push(
    `Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"}, Linux ${os.release()}, Node ${process.version}, ${versionOf("redis-server", ["--version"])}. ` +
      `Load average before ${o.loadBefore}, after ${o.loadAfter}.`,
    "",
  );
  for (const [id, ns] of Object.entries(o.systemNotes)) L.push(`- ${LABEL[id as SystemId]}: ${ns.join("; ")}`);
  for (const n of o.notes) L.push(`- note: ${n}`);
  L.push("");
  L.push(
    `| scenario | system | disturbance | offered/s | goodput/s (≤${b} ms) | goodput/s during | p99 ms | lost | Status-Server answered (within budget) | recovery s | kernel drops | not answered by the server (outcome:reason) | server CPU | other CPU |`,
  );
  L.push("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
  for (const r of o.rows) {
    const st = r.status ? `${fmtNum((100 * r.status.answered) / Math.max(1, r.status.sent), 1)} % (${fmtNum((100 * r.status.withinBudget) / Math.max(1, r.status.sent), 1)} %)` : "-";
    L.push(
      `| ${r.scenario} | ${LABEL[r.system]} | ${r.disturbance} | ${fmtNum(r.offered, 0)} | ${fmtNum(r.goodput, 0)} | ${fmtNum(r.goodputDuring, 0)} | ${fmtNum(r.p99Ms, 1)} | ${r.lost} | ${st} | ` +
        `${r.recoveryS === null ? "not recovered" : fmtNum(r.recoveryS, 1)} | ${r.counters?.kernelDrops ?? r.reports[0]?.serverSocketDrops ?? r.storm?.serverSocketDrops ?? "-"} | ${fmtCounters(r.counters, { skipAnswered: true })} | ` +
        `${fmtNum(r.serverCpuPct, 0)} % | ${fmtNum(r.foreignCores, 2)}${r.foreignCores > 0.1 ? " (disturbed)" : ""} |`,
    );
  }
  L.push("");
  for (const r of o.rows) for (const d of r.detail) L.push(`- ${r.scenario}, ${LABEL[r.system]}: ${d}`);
  // Latency counts from the intended send time, so a lagging generator counts against the server.
  for (const r of o.rows) {
    const lag = r.reports.filter((x) => x.sendLagMs.p99 > 5);
    if (lag.length)
      L.push(
        `- warning: ${r.scenario}, ${LABEL[r.system]}: generator send lag p99 ${lag.map((x) => `${fmtNum(x.sendLagMs.p99, 1)} ms (${x.bind ?? x.mode})`).join(", ")}: ` +
          "latency there includes the generator's delay (busy aux core).",
      );
    if (r.storm && (r.storm.sendLagMs.p99 ?? 0) > 5)
      L.push(`- warning: ${r.scenario}, ${LABEL[r.system]}: the storm generator sent behind its schedule (send lag p99 ${fmtNum(r.storm.sendLagMs.p99, 1)} ms, max ${fmtNum(r.storm.sendLagMs.max, 0)} ms).`);
    if (r.foreignCores > 0.1) L.push(`- warning: ${r.scenario}, ${LABEL[r.system]}: other processes used ${fmtNum(r.foreignCores, 2)} core on the benchmark cores: disturbed, repeat on a quiet machine.`);
  }
  L.push("");
  L.push(
    "Columns: offered = intended rate of the main load (flood: the three fair NASes together; storm: subscribers / spread); goodput = answers within the budget per second over the run " +
      "(flood: the three fair NASes; storm: answers within the budget of their request's last send, per second until the last answer); goodput during = the same over the disturbance only; " +
      "p99 = of answered requests, from the intended send time (flood: the worst of the three fair NASes; storm: from the last send); lost = no valid answer within the give-up time (storm: abandoned " +
      "subscribers); Status-Server = share of the parallel Status-Server requests answered, and answered within the budget; recovery = seconds after the disturbance ends until every 1-s window " +
      "(sliding by 100 ms) has p99 within the budget and goodput ≥ 95 % of what was offered in it (storm: t100 minus the spread, i.e. how long after the last first attempt the last subscriber " +
      "was served; not recovered = abandoned subscribers, or the last window of the run still fails); kernel drops = carrier-aaa's aaa_udp_kernel_drops delta (others: the listening socket's " +
      "drops from /proc/net/udp); not answered by the server = carrier-aaa's aaa_datagrams_total delta other than answered; other CPU = cores' worth of CPU used on the benchmark cores " +
      "by processes outside the benchmark. See docs/storm-benchmark.md.",
    "",
  );
  return L.join("\n");
}

runMain("bench-scenarios", main);
