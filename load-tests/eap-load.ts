// EAP load generator: many concurrent PEAPv0/EAP-MSCHAPv2 or EAP-TLS authentications over
// RADIUS/UDP, each a full TLS handshake (lib/eap-peer.ts). Streams run side by side, each
// either closed-loop (a fixed number of conversations in progress, a new one as soon as one
// ends) or open-loop (Poisson arrivals at a rate, with a cap on those in progress).
//
//   npx tsx load-tests/eap-load.ts --server 127.0.0.1:1812 --ca ca.pem \
//     [--client-cert c.pem --client-key c.key] --streams peap:peap:conc:32:0:10 [--json]
//
// A stream is name:method:conc|rate:N:startS:endS (method peap or tls). The JSON report (last
// line of stdout with --json) has per-stream totals and one compact record per conversation,
// plus the generator's own CPU time and event-loop utilisation, so that a reader can see
// whether the generator was the limit.
import { readFileSync } from "node:fs";
import tls from "node:tls";
import { flag, num, optStr, parse, str } from "./lib/args.js";
import { RadiusEapClient, runConversation, type EapBenchMethod } from "./lib/eap-peer.js";
import { parseHostPort, passwordFor, usernameFor, mulberry32 } from "./lib/radius.js";

const USAGE = `Usage: npx tsx load-tests/eap-load.ts --server HOST:PORT --ca FILE --streams SPEC [options]

  --server HOST:PORT    RADIUS auth server (default 127.0.0.1:1812)
  --secret S            shared secret (default testing123)
  --ca FILE             CA that signed the server certificate (PEM)
  --verify-server       check the server's chain against --ca (default: not checked, which
                        saves the generator ~0.6 ms of CPU a handshake; the MSK is checked)
  --client-cert FILE    client certificate for EAP-TLS (its CN names the subscriber)
  --client-key FILE     its key
  --tls-identity NAME   outer identity of EAP-TLS conversations (default user000001)
  --streams SPEC        comma list of name:method:conc|rate:N:startS:endS, e.g.
                        peap:peap:conc:32:0:10 (32 in progress for 10 s) or
                        storm:peap:rate:800:5:15 (800 new/s from 5 s to 15 s)
  --max-inflight N      open-loop streams: at most N in progress each (default 4096)
  --users N             PEAP users drawn uniformly from user000001.. (default 100000)
  --retransmit MS       as a NAS: send a round again after MS without a reply (default 1000)
  --retries N           retransmissions per round before the conversation fails (default 2)
  --fragment-size N     TLS data per EAP packet the peer sends (default 1020)
  --sockets N           UDP source sockets, 256 Identifiers each (default 16)
  --seed N              user draw and arrival seed (default 1)
  --json                print the JSON report as the last line of stdout
`;

export interface Stream {
  name: string;
  method: EapBenchMethod;
  kind: "conc" | "rate";
  n: number;
  startS: number;
  endS: number;
}

function parseStreams(spec: string): Stream[] {
  return spec.split(",").map((s) => {
    const [name, method, kind, n, start, end] = s.split(":");
    if (!name || (method !== "peap" && method !== "tls") || (kind !== "conc" && kind !== "rate")) throw new Error(`--streams: bad stream ${JSON.stringify(s)}`);
    const st: Stream = { name, method, kind, n: Number(n), startS: Number(start), endS: Number(end) };
    if (!(st.n > 0) || !(st.startS >= 0) || !(st.endS > st.startS)) throw new Error(`--streams: bad numbers in ${JSON.stringify(s)}`);
    return st;
  });
}

/** Outcome names, indexed in the per-conversation records. */
const OUTCOMES: string[] = [];
function outcomeIndex(o: string): number {
  let i = OUTCOMES.indexOf(o);
  if (i < 0) i = OUTCOMES.push(o) - 1;
  return i;
}

export interface EapStreamReport extends Stream {
  started: number;
  /** Open-loop arrivals not started because max-inflight conversations were in progress. */
  skipped: number;
  accepted: number;
  failed: Record<string, number>;
  /** Conversations whose first request got no answer (never admitted by the server). */
  notAdmitted: number;
  /** Accepts per second over the stream's window (those that ended inside it). */
  acceptsPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  roundsMean: number;
}

export interface EapLoadReport {
  streams: EapStreamReport[];
  outcomes: string[];
  /** [stream, startMs, endMs, ok 0/1, outcome index, rounds, admitted 0/1] per conversation. */
  conversations: number[][];
  wallS: number;
  cpuMs: number;
  eventLoopUtilization: number;
  badReplies: number;
  lateReplies: number;
  retransmissions: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const a = parse(
    {
      server: { type: "string" },
      secret: { type: "string" },
      ca: { type: "string" },
      "client-cert": { type: "string" },
      "client-key": { type: "string" },
      "tls-identity": { type: "string" },
      streams: { type: "string" },
      "max-inflight": { type: "string" },
      users: { type: "string" },
      retransmit: { type: "string" },
      retries: { type: "string" },
      "fragment-size": { type: "string" },
      sockets: { type: "string" },
      seed: { type: "string" },
      json: { type: "boolean" },
      "verify-server": { type: "boolean" },
    },
    USAGE,
  );
  const { host, port } = parseHostPort(str(a, "server", "127.0.0.1:1812"), 1812);
  const caFile = optStr(a, "ca");
  if (!caFile) throw new Error("--ca FILE is required");
  const ca = readFileSync(caFile);
  const streams = parseStreams(str(a, "streams", "peap:peap:conc:16:0:10"));
  const users = num(a, "users", 100000, { min: 1, int: true });
  const retransmitMs = num(a, "retransmit", 1000, { min: 1 });
  const retries = num(a, "retries", 2, { min: 0, int: true });
  const fragmentSize = num(a, "fragment-size", 1020, { min: 64, max: 1400, int: true });
  const maxInflight = num(a, "max-inflight", 4096, { min: 1, int: true });
  const tlsIdentity = str(a, "tls-identity", usernameFor(1));
  const rand = mulberry32(num(a, "seed", 1, { int: true }));

  const verifyServer = flag(a, "verify-server");
  const caOpt = verifyServer ? { ca } : {};
  const contexts: Record<EapBenchMethod, tls.SecureContext | null> = {
    peap: tls.createSecureContext({ ...caOpt, minVersion: "TLSv1.2", maxVersion: "TLSv1.2" }),
    tls: null,
  };
  if (streams.some((s) => s.method === "tls")) {
    const cert = optStr(a, "client-cert");
    const key = optStr(a, "client-key");
    if (!cert || !key) throw new Error("EAP-TLS streams need --client-cert and --client-key");
    contexts.tls = tls.createSecureContext({ ...caOpt, cert: readFileSync(cert), key: readFileSync(key), minVersion: "TLSv1.2", maxVersion: "TLSv1.2" });
  }

  const client = await RadiusEapClient.open(host, port, str(a, "secret", "testing123"), num(a, "sockets", 16, { min: 1, max: 256, int: true }));
  const records: number[][] = [];
  const reports: EapStreamReport[] = streams.map((s) => ({ name: s.name, method: s.method, kind: s.kind, n: s.n, startS: s.startS, endS: s.endS, started: 0, skipped: 0, accepted: 0, failed: {}, notAdmitted: 0, acceptsPerSec: 0, latencyMs: { p50: NaN, p90: NaN, p99: NaN, max: NaN }, roundsMean: NaN }));
  const inflight = streams.map(() => 0);
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  let nasPort = 0;

  const one = async (si: number): Promise<void> => {
    const s = streams[si]!;
    const user = s.method === "peap" ? usernameFor(1 + Math.floor(rand() * users)) : tlsIdentity;
    inflight[si]!++;
    reports[si]!.started++;
    const startMs = performance.now() - t0;
    const r = await runConversation(client, {
      method: s.method,
      context: contexts[s.method]!,
      outerIdentity: s.method === "peap" ? "anonymous" : user,
      user,
      password: passwordFor(user),
      retransmitMs,
      retries,
      verifyServer,
      fragmentSize,
      nasPort: nasPort++,
    });
    inflight[si]!--;
    records.push([si, Math.round(startMs * 10) / 10, Math.round((startMs + r.ms) * 10) / 10, r.ok ? 1 : 0, outcomeIndex(r.outcome), r.rounds, r.admitted ? 1 : 0]);
  };

  const runStream = async (si: number): Promise<void> => {
    const s = streams[si]!;
    const startAt = t0 + s.startS * 1000;
    const endAt = t0 + s.endS * 1000;
    const wait = startAt - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (s.kind === "conc") {
      const loops: Promise<void>[] = [];
      for (let i = 0; i < s.n; i++) {
        loops.push(
          (async () => {
            while (performance.now() < endAt) await one(si);
          })(),
        );
      }
      await Promise.all(loops);
      return;
    }
    // Open loop: Poisson arrivals at s.n per second, scheduled against the clock.
    const running: Promise<void>[] = [];
    let next = performance.now();
    while (next < endAt) {
      const d = next - performance.now();
      if (d > 1) await new Promise((r) => setTimeout(r, d));
      const now = performance.now();
      while (next <= now && next < endAt) {
        if (inflight[si]! >= maxInflight) reports[si]!.skipped++;
        else running.push(one(si));
        next += (-Math.log(1 - rand()) * 1000) / s.n;
      }
    }
    await Promise.all(running);
  };

  await Promise.all(streams.map((_, i) => runStream(i)));
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  client.close();

  for (const [si, rep] of reports.entries()) {
    const mine = records.filter((r) => r[0] === si);
    const ok = mine.filter((r) => r[3] === 1);
    rep.accepted = ok.length;
    for (const r of mine) if (r[3] === 0) rep.failed[OUTCOMES[r[4]!]!] = (rep.failed[OUTCOMES[r[4]!]!] ?? 0) + 1;
    rep.notAdmitted = mine.filter((r) => r[6] === 0).length;
    const s = streams[si]!;
    const inWindow = ok.filter((r) => r[2]! <= s.endS * 1000 && r[2]! >= s.startS * 1000).length;
    rep.acceptsPerSec = Math.round((10 * inWindow) / (s.endS - s.startS)) / 10;
    const lat = ok.map((r) => r[2]! - r[1]!).sort((x, y) => x - y);
    rep.latencyMs = { p50: quantile(lat, 0.5), p90: quantile(lat, 0.9), p99: quantile(lat, 0.99), max: lat.length ? lat[lat.length - 1]! : NaN };
    rep.roundsMean = ok.length ? Math.round((10 * ok.reduce((x, r) => x + r[5]!, 0)) / ok.length) / 10 : NaN;
    process.stderr.write(
      `${rep.name} (${rep.method} ${rep.kind} ${rep.n}): started ${rep.started}, accepted ${rep.accepted} (${rep.acceptsPerSec}/s), failed ${JSON.stringify(rep.failed)}, not admitted ${rep.notAdmitted}, skipped ${rep.skipped}, p50 ${rep.latencyMs.p50.toFixed(1)} ms, p99 ${rep.latencyMs.p99.toFixed(1)} ms, rounds ${rep.roundsMean}\n`,
    );
  }
  const report: EapLoadReport = {
    streams: reports,
    outcomes: OUTCOMES,
    conversations: records,
    wallS,
    cpuMs: (cpu.user + cpu.system) / 1000,
    eventLoopUtilization: elu.utilization,
    badReplies: client.badReplies,
    lateReplies: client.lateReplies,
    retransmissions: client.retransmissions,
  };
  process.stderr.write(`generator: ${wallS.toFixed(1)} s, CPU ${((report.cpuMs / 10) / wallS).toFixed(0)} % of a core, event loop ${(100 * elu.utilization).toFixed(0)} % busy, bad replies ${client.badReplies}, late ${client.lateReplies}, retransmissions ${client.retransmissions}\n`);
  if (flag(a, "json")) process.stdout.write(JSON.stringify(report) + "\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`eap-load: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
