// Calibrates the load generators themselves: how much can each offer, and verify, from one
// core? The C echo responder (echo-responder.c, the fastest trivial responder we have) runs
// alone on one core, the generator on the other, at increasing rates, in two scenarios:
//   all     the responder answers every request: the generator sends AND reads + verifies
//           (one MD5 + one HMAC-MD5) every reply;
//   capped  the responder answers at most --cap/s and drops the rest, as a server at capacity
//           does during an overload run: the generator mostly sends.
// A rate passes when the generator sent >= 99 % of the timetable with send-lag p50 <= 1 ms and
// p99 <= 10 ms, every answered reply verified, and (scenario all) nothing timed out.
//
//   npx tsx load-tests/bench-generator.ts [--generators node,c] [--duration 5]
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { num, numList, optStr, parse, str, flag } from "./lib/args.js";
import { buildC, LOAD_TESTS_DIR } from "./lib/cbuild.js";
import { freeUdpPort, installCleanup, loadAvg, runPinned, sleep, startPinned, tempDir, coreBusyMs, cpuMs, waitQuiet } from "./lib/procs.js";
import type { LoadReport } from "./radius-load.js";

const USAGE = `Usage: npx tsx load-tests/bench-generator.ts [options]

  --generators LIST    node,c (default both)
  --node-rates LIST    default 10000,15000,20000,25000,30000,40000,50000,60000,80000
  --c-rates LIST       default 20000,40000,60000,80000,100000,120000
  --scenarios LIST     all,capped (default both)
  --cap R              answers/s in the capped scenario (default 15000)
  --duration S         seconds per run (default 5)
  --wait-quiet S       wait up to S s for other jobs to quiet down before each run (default 60)
  --out FILE           markdown (default load-tests/results/generator-<date>.md)
  --quiet              no per-second progress
`;

interface Row {
  generator: string;
  scenario: string;
  rate: number;
  r: LoadReport;
  responderCpuPct: number;
  foreignCores: number;
  pass: boolean;
  why: string;
}

async function main(): Promise<void> {
  const a = parse(
    {
      generators: { type: "string" },
      "node-rates": { type: "string" },
      "c-rates": { type: "string" },
      scenarios: { type: "string" },
      cap: { type: "string" },
      duration: { type: "string" },
      out: { type: "string" },
      "wait-quiet": { type: "string" },
      quiet: { type: "boolean" },
    },
    USAGE,
  );
  installCleanup();
  const gens = str(a, "generators", "node,c").split(",");
  const scenarios = str(a, "scenarios", "all,capped").split(",");
  const cap = num(a, "cap", 15000, { min: 1 });
  const duration = num(a, "duration", 5, { min: 1 });
  const responder = buildC("echo-responder");
  if (responder instanceof Error) throw responder;
  const cgen = gens.includes("c") ? buildC("radius-load") : null;
  if (cgen instanceof Error) throw cgen;
  const dir = tempDir("aaa-lt-gencal-");
  const rows: Row[] = [];
  const started = new Date();
  const loadBefore = loadAvg();

  for (const scenario of scenarios) {
    if (scenario !== "all" && scenario !== "capped") throw new Error(`unknown scenario ${scenario}`);
    const port = await freeUdpPort();
    const resp = startPinned(responder, ["--listen", `127.0.0.1:${port}`, "--max-seconds", "3600", "--quiet", ...(scenario === "capped" ? ["--max-rate", String(cap)] : [])], {
      cpu: 0,
      logFile: path.join(dir, `responder-${scenario}.log`),
    });
    await sleep(300);
    for (const g of gens) {
      const rates = g === "node" ? numList(a, "node-rates", [10000, 15000, 20000, 25000, 30000, 40000, 50000, 60000, 80000]) : numList(a, "c-rates", [20000, 40000, 60000, 80000, 100000, 120000]);
      const cmd = g === "node" ? [process.execPath, "--import", "tsx", path.join(LOAD_TESTS_DIR, "radius-load.ts")] : [cgen as string];
      for (const rate of rates) {
        await waitQuiet({ cores: [0, 1], ourPids: [resp.pid], maxS: num(a, "wait-quiet", 60, { min: 0 }), log: (m) => process.stderr.write(m + "\n") });
        const b0 = coreBusyMs();
        const c0 = cpuMs(resp.pid) ?? 0;
        const t0 = performance.now();
        const out = await runPinned(cmd[0]!, [...cmd.slice(1), "--server", `127.0.0.1:${port}`, "--rate", String(rate), "--duration", String(duration), "--timeout", "500", "--json"], {
          cpu: 1,
          watchdogMs: (duration + 90) * 1000,
          stderrPrefix: `  ${g} ${scenario} ${rate}/s `,
          quiet: flag(a, "quiet"),
        });
        if (out.code !== 0) throw new Error(`${g} generator failed at ${rate}/s`);
        const w = (performance.now() - t0) / 1000;
        const r = JSON.parse(out.stdout.trim().split("\n").pop()!) as LoadReport;
        const b1 = coreBusyMs();
        const respMs = (cpuMs(resp.pid) ?? c0) - c0;
        const busy = (b1[0] ?? 0) - (b0[0] ?? 0) + (b1[1] ?? 0) - (b0[1] ?? 0);
        const foreign = Math.max(0, busy - respMs - r.cpuMs) / 1000 / w;
        const why: string[] = [];
        if (r.achievedSendRate < 0.99 * r.intendedRate) why.push(`sent ${r.achievedSendRate}/s`);
        if (r.sendLagMs.p50 > 1) why.push(`lag p50 ${r.sendLagMs.p50} ms`);
        if (r.sendLagMs.p99 > 10) why.push(`lag p99 ${r.sendLagMs.p99} ms`);
        if (r.badAuthenticator + r.badMessageAuthenticator + r.malformed > 0) why.push("bad replies");
        if (scenario === "all" && r.timeouts > 0.001 * r.sent) why.push(`${r.timeouts} timeouts${r.serverSocketDrops > 0 ? ` (responder dropped ${r.serverSocketDrops})` : ""}`);
        rows.push({ generator: g, scenario, rate, r, responderCpuPct: (100 * respMs) / 1000 / w, foreignCores: foreign, pass: why.length === 0, why: why.join(", ") });
        process.stderr.write(`${g} ${scenario} ${rate}/s: ${why.length ? `FAIL ${why.join(", ")}` : "ok"}\n`);
        await sleep(1000);
      }
    }
    await resp.stop();
  }

  const lines: string[] = [];
  lines.push(`# Generator calibration ${started.toISOString().slice(0, 16).replace("T", " ")} UTC`, "");
  lines.push(`Command: \`npx tsx load-tests/bench-generator.ts ${process.argv.slice(2).join(" ")}\``, "");
  lines.push(
    `C echo responder alone on core 0, generator on core 1; PAP + Message-Authenticator; ${duration} s per rate; give-up 500 ms. ` +
      `Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}. Load average before ${loadBefore}, after ${loadAvg()}.`,
    "",
  );
  lines.push("| generator | scenario | offered/s | sent/s | send lag p50/p99 ms | answered/s | timeouts | bad | p99 ms | generator CPU | responder CPU | other CPU | result |");
  lines.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const x of rows) {
    const r = x.r;
    lines.push(
      `| ${x.generator} | ${x.scenario} | ${x.rate} | ${r.achievedSendRate} | ${r.sendLagMs.p50}/${r.sendLagMs.p99} | ${r.answeredPerSec} | ${r.timeouts} | ${r.badAuthenticator + r.badMessageAuthenticator + r.malformed} | ${r.latencyMs.p99 ?? "-"} | ` +
        `${Math.round(r.cpuMs / 10 / (r.durationS + 1))} % | ${x.responderCpuPct.toFixed(0)} % | ${x.foreignCores.toFixed(2)} | ${x.pass ? "ok" : x.why} |`,
    );
  }
  lines.push("");
  for (const g of gens) {
    for (const sc of scenarios) {
      const ok = rows.filter((x) => x.generator === g && x.scenario === sc && x.pass).map((x) => x.rate);
      lines.push(`- ${g}, ${sc}: ceiling ${ok.length ? `≥ ${Math.max(...ok)}/s` : "below the lowest rate tried"}`);
    }
  }
  lines.push("", "generator CPU is approximate (process CPU, build included, over duration + 1 s). other CPU = cores' worth used by processes outside the calibration (noise).", "");
  const md = lines.join("\n");
  const outFile = optStr(a, "out") ?? path.join(LOAD_TESTS_DIR, "results", `generator-${started.toISOString().slice(0, 16).replace(":", "")}.md`);
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, md);
  process.stdout.write(md);
  process.stderr.write(`\nwritten: ${path.relative(process.cwd(), outFile)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-generator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
