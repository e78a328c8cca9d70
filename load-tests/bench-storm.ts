// The reconnect-storm benchmark in one command: N subscribers each authenticate once, first
// attempts spread evenly over S seconds, unanswered requests retransmitted unchanged after 3,
// 6 and 12 s, then abandoned (load-tests/storm-load.c). Against FreeRADIUS 3.2 + rlm_redis,
// carrier-aaa with its default configuration, and carrier-aaa with the scheduler off, in the
// same run, on the same seeded Redis.
//
//   npx tsx load-tests/bench-storm.ts [--subscribers 100000] [--spread 2,1] [--compete 30]
//        [--skip-freeradius] [--skip-carrier-off] [--carrier-config FILE] [--warmup 3] ...
//
// Layout (docs/benchmarks.md): the server alone on core 0; redis-server, the generators and
// this script on core 1. Every storm gets a fresh server process: start, probe, warm-up
// (radius-load, PAP, --warmup-rate for --warmup s; 0: a cold server), wait until idle, then the
// storm, with an optional competing process pinned to the server's core (--compete PCT).
// carrier-aaa's /metrics (kernel drops, aaa_datagrams_total by outcome and reason) are read
// before and after each storm. Everything started here is killed on exit or Ctrl-C.


import os from "node:os";
import { flag, num, numList, parse, stringOptions } from "./lib/args.js";
import { COMMON_OPTIONS, commonSettings, commonUsage, type RunContext, pinCores, reportFile, runMain, seededRedis, selectSystems, versionOf, writeReport } from "./lib/bench-common.js";
import { buildC } from "./lib/cbuild.js";
import { coreBusyMs, installCleanup, loadAvg, runPinned, sleep, tempDir, treeCpuMs, waitQuiet, which } from "./lib/procs.js";
import { runStorm, stormBinary, stormMaxS, type StormReport } from "./lib/storm.js";
import { countersDelta, fmtCounters, fmtNum, LABEL, REPO, scrapeCounters, SECRET, settle, startCompetitor, startSystem, sumCounters, type ServerCounters, type SystemId } from "./lib/systems.js";

const USAGE = `Usage: npx tsx load-tests/bench-storm.ts [options]

  --subscribers N         subscribers in the storm, user000001..N (default 100000)
  --spread LIST           seconds over which first attempts are spread, one storm per value
                          (default 2,1: 100k subscribers at 50k/s, then at 100k/s)
  --retransmit LIST       waits before each retransmission, ms (default 3000,6000,12000)
  --final-wait MS         wait after the last retransmission before abandoning (default 12000)
  --wrong-ratio X         share of subscribers with a wrong password (default 0)
  --compete PCT           a competing process pinned to the server's core takes PCT % of it
                          during each storm (spin PCT/10 ms, sleep the rest of every 10 ms;
                          default 0: none)
  --skip-freeradius       leave out FreeRADIUS
  --skip-carrier-default leave out carrier-aaa with its default configuration
  --skip-carrier-off      leave out carrier-aaa with scheduler: { enabled: false }
  --carrier-config FILE   YAML template for carrier-aaa; \${PORT}, \${REDIS_URL}, \${HTTP_PORT}
                          substituted (default: generated: one client, Redis store, HTTP side
                          on a free port for /metrics); the scheduler-off run adds
                          scheduler.enabled: false to it
  --warmup S              steady PAP load before each storm so V8 is warm (default 3; 0: cold)
  --warmup-rate R         its rate, requests/s (default 5000)
  --pause S               minimum pause after the warm-up (default 3; then wait until idle)
  --users N               subscribers seeded in Redis (default max(100000, --subscribers))
  --budget MS             an answer within MS of the request's last send counts as within
                          budget (default 50)
  --fr-threads N          FreeRADIUS threads = Redis connections (default 8)
  --wait-quiet S          before each storm, wait up to S s until processes outside the
                          benchmark use < 0.1 core on the benchmark cores (default 60; 0: don't)
${commonUsage("storm")}`;

interface Row {
  system: SystemId;
  spreadS: number;
  report: StormReport;
  counters?: ServerCounters;
  serverCpuPct: number;
  competitorPct: number | null;
  foreignCores: number;
  windowS: number;
  notes: string[];
}

async function main(): Promise<void> {
  const a = parse(
    {
      ...stringOptions("subscribers", "spread", "retransmit", "final-wait", "wrong-ratio", "compete"),
      "skip-freeradius": { type: "boolean" },
      ...COMMON_OPTIONS,
    },
    USAGE,
  );
  installCleanup();
  const subscribers = num(a, "subscribers", 100000, { min: 1, max: 5_000_000, int: true });
  const spreads = numList(a, "spread", [2, 1]);
  const retransmit = numList(a, "retransmit", [3000, 6000, 12000]);
  const finalWaitMs = num(a, "final-wait", 12000, { min: 0 });
  const wrongRatio = num(a, "wrong-ratio", 0, { min: 0, max: 1 });
  const compete = num(a, "compete", 0, { min: 0, max: 90 });
  const { budgetMs, warmupS, warmupRate, pauseS, frThreads, waitQuietS, template, verbose } = commonSettings(a);
  const users = num(a, "users", Math.max(100000, subscribers), { min: subscribers, int: true });
  const log = (s: string): void => void process.stderr.write(s + "\n");
  const notes: string[] = [];

  const { serverCpu, auxCpu, cores } = pinCores(a, notes, ": server, Redis and generator share CPUs");

  const systems = selectSystems(a, flag(a, "skip-freeradius") ? "none" : "first", notes);
  if (compete > 0 && serverCpu === undefined) throw new Error("--compete needs CPU pinning (taskset and 2 cores)");

  const gen = buildC("radius-load");
  if (gen instanceof Error) throw gen;
  stormBinary(); // build it now: a compiler error should not wait for the first storm

  const file = reportFile(a, "storm");
  const { started, loadBefore } = file;

  const work = tempDir("aaa-lt-storm-");
  const redis = await seededRedis(work, auxCpu, users, log);

  const rows: Row[] = [];
  const systemNotes: Partial<Record<SystemId, string[]>> = {};
  let seedNo = 0;
  for (const spreadS of spreads) {
    for (const id of systems) {
      const sut = await startSystem({ id, redisUrl: redis.url, redisPort: redis.port, nases: [{ name: "bench", ip: "127.0.0.1" }], serverCpu, template, frThreads, keepLogs: flag(a, "keep-logs"), log });
      systemNotes[id] = sut.notes;
      log(`${LABEL[id]}: pid ${sut.proc.pid} on 127.0.0.1:${sut.port}`);
      try {
        if (warmupS > 0) {
          log(`${id}: warm-up ${warmupS} s at ${warmupRate}/s`);
          const w = await runPinned(
            gen,
            ["--server", `127.0.0.1:${sut.port}`, "--secret", SECRET, "--mode", "pap", "--rate", String(warmupRate), "--duration", String(warmupS), "--users-count", String(users), "--seed", "999", "--json", "--quiet"],
            { cpu: auxCpu, watchdogMs: (warmupS + 60) * 1000, quiet: true, cwd: REPO },
          );
          if (w.code !== 0) throw new Error(`warm-up generator exited with ${w.code}`);
          await settle(sut, pauseS);
        }
        await waitQuiet({ cores, ourPids: [sut.proc.pid, redis.pid], maxS: waitQuietS, log });
        const competitor = compete > 0 ? startCompetitor(compete, serverCpu, work) : undefined;
        if (competitor) await sleep(200);
        const c0 = await scrapeCounters(sut.metricsUrl);
        const busy0 = coreBusyMs();
        const srv0 = treeCpuMs(sut.proc.pid) ?? 0;
        const self0 = process.cpuUsage();
        const redis0 = treeCpuMs(redis.pid) ?? 0;
        const t0 = performance.now();
        log(`${id}: storm of ${subscribers} subscribers over ${spreadS} s${competitor ? `, competing process at ${compete} %` : ""} (at most ${fmtNum(stormMaxS({ spreadS, retransmit, finalWaitMs }), 0)} s)`);
        const report = await runStorm({ port: sut.port, subscribers, spreadS, retransmit, finalWaitMs, wrongRatio, budgetMs, seed: ++seedNo, cpu: auxCpu, quiet: !verbose, label: id });
        const windowS = (performance.now() - t0) / 1000;
        const srvMs = (treeCpuMs(sut.proc.pid) ?? srv0) - srv0;
        const redisMs = (treeCpuMs(redis.pid) ?? redis0) - redis0;
        const compMs = competitor?.cpuMs() ?? 0;
        await competitor?.stop();
        const busy1 = coreBusyMs();
        const self = process.cpuUsage(self0);
        await sleep(2 * budgetMs);
        const counters = countersDelta(c0, await scrapeCounters(sut.metricsUrl));
        const busyMs = cores.reduce((s, c) => s + ((busy1[c] ?? 0) - (busy0[c] ?? 0)), 0);
        const oursMs = srvMs + redisMs + compMs + report.cpuMs + (self.user + self.system) / 1000;
        const row: Row = {
          system: id,
          spreadS,
          report,
          ...(counters ? { counters } : {}),
          serverCpuPct: (100 * srvMs) / 1000 / windowS,
          competitorPct: competitor ? (100 * compMs) / 1000 / windowS : null,
          foreignCores: Math.max(0, busyMs - oursMs) / 1000 / windowS,
          windowS,
          notes: [],
        };
        rows.push(row);
        const r = report;
        log(
          `${id} over ${spreadS} s: answered ${r.answered}/${r.subscribers}, abandoned ${r.abandoned}, t50 ${fmtNum(r.tS.t50, 2)} t90 ${fmtNum(r.tS.t90, 2)} t99 ${fmtNum(r.tS.t99, 2)} t100 ${fmtNum(r.tS.t100, 2)} s, ` +
            `sent ${r.sent.first} + ${r.sent.retransmissions} retransmissions; server counters: ${fmtCounters(counters)}; kernel drops ${counters?.kernelDrops ?? r.serverSocketDrops}`,
        );
      } finally {
        await sut.proc.stop();
      }
    }
  }
  await redis.stop();

  const md = render({ rows, subscribers, spreads, retransmit, finalWaitMs, wrongRatio, compete, warmupS, warmupRate, budgetMs, users, started, loadBefore, loadAfter: loadAvg(), notes, systemNotes, serverCpu, auxCpu, argv: process.argv.slice(2) });
  writeReport(file, md, rows, log);
}

function render(o: RunContext & {
  rows: Row[];
  subscribers: number;
  spreads: number[];
  retransmit: number[];
  finalWaitMs: number;
  wrongRatio: number;
  compete: number;
  warmupS: number;
  warmupRate: number;
  budgetMs: number;
  users: number;
}): string {
  const L: string[] = [];
  L.push(`# Reconnect-storm benchmark ${o.started.toISOString().slice(0, 16).replace("T", " ")} UTC`, "");
  L.push(`Command: \`npx tsx load-tests/bench-storm.ts ${o.argv.join(" ")}\``, "");
  L.push(
    `${o.subscribers} subscribers each send one PAP Access-Request (Message-Authenticator first, NAS-IP-Address${o.wrongRatio > 0 ? `, ${o.wrongRatio * 100} % with a wrong password` : ""}); ` +
      `first attempts spread evenly over the storm's spread; an unanswered request is retransmitted unchanged after ${o.retransmit.map((w) => `${w / 1000} s`).join(", then ")}, ` +
      `then abandoned ${o.finalWaitMs / 1000} s later. ${o.users} subscribers in Redis. ` +
      `${o.warmupS > 0 ? `Each storm hits a fresh server warmed up with ${o.warmupS} s of PAP at ${o.warmupRate}/s.` : "Each storm hits a fresh, cold server (no warm-up)."} ` +
      `${o.compete > 0 ? `A competing process on the server's core takes ${o.compete} % of it during each storm.` : "No competing process."} ` +
      (o.serverCpu !== undefined ? `Server on core ${o.serverCpu}; redis-server, generators and this script on core ${o.auxCpu}.` : "Not pinned."),
  );
  L.push(
    `Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"}, Linux ${os.release()}, Node ${process.version}, ${versionOf("redis-server", ["--version"])}, ` +
      `${versionOf("freeradius", ["-v"]).replace(/^radiusd: /, "")}. Load average before ${o.loadBefore}, after ${o.loadAfter}.`,
    "",
  );
  for (const [id, ns] of Object.entries(o.systemNotes)) L.push(`- ${LABEL[id as SystemId]}: ${ns.join("; ")}`);
  for (const n of o.notes) L.push(`- note: ${n}`);
  L.push("");
  L.push(
    "| system | spread s | answered | abandoned | t50 s | t90 s | t99 s | t100 s | answered at attempt 1/2/3/4 | sent first + retransmissions | accept / reject | bad replies | kernel drops (server's /metrics; listener socket) | deadline / stale sheds | STORE_TIMEOUT | late_reply | server CPU | competitor CPU | other CPU | generator send lag p99 ms |",
  );
  L.push("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const row of o.rows) {
    const r = row.report;
    const c = row.counters;
    const bad = r.bad.authenticator + r.bad.messageAuthenticator + r.bad.malformed + r.bad.otherCode;
    const sheds = sumCounters(c, (k) => /deadline|stale/.test(k));
    const storeTimeout = sumCounters(c, (k) => k.includes("STORE_TIMEOUT"));
    const late = sumCounters(c, (k) => k.includes("late_reply"));
    L.push(
      `| ${LABEL[row.system]} | ${row.spreadS} | ${r.answered} (${fmtNum((100 * r.answered) / r.subscribers, 1)} %) | ${r.abandoned} | ${fmtNum(r.tS.t50, 2)} | ${fmtNum(r.tS.t90, 2)} | ${fmtNum(r.tS.t99, 2)} | ${fmtNum(r.tS.t100, 2)} | ` +
        `${r.answeredByAttempt.join(" / ")} | ${r.sent.first} + ${r.sent.retransmissions} | ${r.accept} / ${r.reject} | ${bad} | ${c?.kernelDrops ?? "-"}; ${r.serverSocketDrops} | ` +
        `${sheds ?? "-"} | ${storeTimeout ?? "-"} | ${late ?? "-"} | ${fmtNum(row.serverCpuPct, 0)} % | ${row.competitorPct === null ? "-" : `${fmtNum(row.competitorPct, 0)} %`} | ${fmtNum(row.foreignCores, 2)}${row.foreignCores > 0.1 ? " (disturbed)" : ""} | ${fmtNum(r.sendLagMs.p99, 1)} |`,
    );
  }
  L.push("");
  L.push("Server counters during each storm (carrier-aaa's aaa_datagrams_total by outcome:reason, delta over the storm; answered included):", "");
  for (const row of o.rows) if (row.counters) L.push(`- ${LABEL[row.system]}, spread ${row.spreadS} s: ${fmtCounters(row.counters)}; aaa_udp_kernel_drops ${row.counters.kernelDrops ?? "-"}`);
  for (const row of o.rows)
    if ((row.report.sendLagMs.p99 ?? 0) > 5)
      L.push(
        `- warning: ${LABEL[row.system]}, spread ${row.spreadS} s: the generator sent behind its schedule (send lag p99 ${fmtNum(row.report.sendLagMs.p99, 1)} ms, max ${fmtNum(row.report.sendLagMs.max, 0)} ms): ` +
          "the storm it offered was slower than asked and its times include its own delay (busy aux core).",
      );
  for (const row of o.rows) if (row.foreignCores > 0.1) L.push(`- warning: ${LABEL[row.system]}, spread ${row.spreadS} s: other processes used ${fmtNum(row.foreignCores, 2)} core on the benchmark cores: disturbed, repeat on a quiet machine.`);
  const odd = o.rows.filter((r) => r.report.rejectForRightPassword > 0 || r.report.acceptForWrongPassword > 0 || r.report.sendErrors > 0 || r.report.generatorSocketDrops > 0);
  for (const row of odd)
    L.push(
      `- warning: ${LABEL[row.system]}, spread ${row.spreadS} s: ${row.report.rejectForRightPassword} rejects for a right password, ${row.report.acceptForWrongPassword} accepts for a wrong one, ` +
        `${row.report.sendErrors} send errors, ${row.report.generatorSocketDrops} drops on the generator's sockets`,
    );
  L.push("");
  L.push(
    "Columns: answered = subscribers with a valid Access-Accept or Access-Reject before giving up; abandoned = without one after every retransmission and the final wait; " +
      "tNN = seconds from the storm's start until NN % of ALL subscribers had their answer (- : never reached); answered at attempt k = answers that came while k attempts had been sent " +
      "(the datagrams are identical, so an answer to an earlier copy counts at the later attempt); sent = datagrams, first attempts + retransmissions; bad replies = failing the Response " +
      "Authenticator or Message-Authenticator check, malformed, or another code; kernel drops = the server's own aaa_udp_kernel_drops delta (carrier-aaa), then the drops on the listening " +
      "socket(s) in /proc/net/udp (any server); deadline / stale sheds, STORE_TIMEOUT, late_reply = carrier-aaa's aaa_datagrams_total whose reason contains deadline or stale, " +
      "STORE_TIMEOUT, late_reply; server / competitor CPU = share of one core over the storm; other CPU = cores' worth used on the benchmark cores by processes outside the benchmark; generator send lag = how far behind its schedule the storm generator sent (> 5 ms: it offered a slower storm than asked). " +
      "See docs/storm-benchmark.md.",
    "",
  );
  return L.join("\n");
}

runMain("bench-storm", main);
