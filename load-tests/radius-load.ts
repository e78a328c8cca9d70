// Open-loop RADIUS load generator (UDP, loopback benchmarks).
//
// Why it is built this way:
//  - Open loop with Poisson arrivals, latency measured from each request's INTENDED send time:
//    a generator that waits for answers (closed loop) slows down with the server and hides its
//    queueing ("coordinated omission"). Generator lag therefore counts against the server's
//    figures, and is reported on its own line so it can be told apart.
//  - Every packet (Request Authenticator, hidden User-Password, Message-Authenticator) is built
//    before the run; the send loop only calls socket.send, in batches per timer tick scheduled
//    against the timetable. The receive side checks each reply with the server's MD5/HMAC
//    (src/radius/md5.ts), cheaper per call than node:crypto (docs/benchmarks.md).
//  - Packet k goes out on socket k % P with Identifier floor(k / P) % 256, so an Identifier is
//    reused only after P*256 requests; with P*256 > rate * timeout it is never reused while the
//    previous request on it is still awaited.
import dgram from "node:dgram";
import { writeFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import v8 from "node:v8";
import vm from "node:vm";
import { flag, num, optStr, parse, str } from "./lib/args.js";
import { LogHistogram } from "./lib/histogram.js";
import {
  CODE_ACCESS_ACCEPT,
  CODE_ACCESS_CHALLENGE,
  CODE_ACCESS_REJECT,
  CODE_ACCOUNTING_RESPONSE,
  ACCT_KIND_NAMES,
  ReplyVerifier,
  buildAccounting,
  type AcctMeta,
  VERIFY_BAD_AUTHENTICATOR,
  VERIFY_BAD_MESSAGE_AUTHENTICATOR,
  VERIFY_MALFORMED,
  VERIFY_MA_NOT_FIRST,
  VERIFY_NO_MA,
  buildRequests,
  generatedUsers,
  loadUsersFile,
  mulberry32,
  parseHostPort,
  type RequestMode,
  type UserRecord,
} from "./lib/radius.js";
import { counterDelta, dropsOnPorts, listenerDrops, udpCounters, udpSockets, type Counters } from "./lib/udp-stats.js";

const USAGE = `Usage: npx tsx load-tests/radius-load.ts [options]

Open-loop RADIUS load (Poisson arrivals) with latency from the intended send time.

  --server HOST:PORT     target (default 127.0.0.1:1812; IPv6 as [::1]:1812)
  --secret S             shared secret (default testing123)
  --mode pap|status|acct pap: Access-Request with User-Name, User-Password, NAS-IP-Address and
                         Message-Authenticator (default); status: Status-Server (RFC 5997);
                         acct: Accounting-Request (RFC 2866) over a population of sessions, each
                         a Start, Interim-Updates and a Stop (default port 1813)
  --sessions N           acct: concurrent session slots (default 20000)
  --stop-ratio X         acct: chance that a request for a live session is its Stop (default 0.02)
  --prestarted           acct: the sessions are already up when the run starts (mostly
                         Interim-Updates from the first second; default: each begins with Start)
  --session-prefix S     acct: prefix of every Acct-Session-Id (default "s<seed>-")
  --acked FILE           acct: write one line per answered request (Acct-Session-Id, kind,
                         Acct-Session-Time, tab-separated), to check the server's store afterwards
  --rate R               offered requests/s (default 1000)
  --duration S           seconds of offered load (default 10)
  --count N              cap on requests (default: no cap beyond rate x duration)
  --arrivals poisson|uniform   inter-arrival law (default poisson)
  --timeout MS           give-up time per request, from its intended send time (default 1000)
  --budget MS            latency budget; answers later than this count as late (default 50)
  --ports P              source sockets, 256 Identifiers each (default max(256, enough that
                         P*256 covers 1.25 x rate x timeout))
  --users FILE           users file (JSONL from seed-redis.ts --jsonl, or "name [password]" lines)
  --user-prefix S        generated users: S000001.. (default "user"), password "pw-<username>"
  --users-count N        generated users count (default 100000); picked uniformly at random
  --seed N               seed for arrivals and user picks (default 1)
  --rcvbuf BYTES         SO_RCVBUF per socket (default 1048576; capped by net.core.rmem_max)
  --sndbuf BYTES         SO_SNDBUF per socket (default 262144)
  --max-packets N        refuse to precompute more than N packets (default 5000000)
  --json                 print one JSON object on stdout instead of the text report
  --quiet                no per-second progress on stderr
`;

const INFLIGHT = 1;
const ANSWERED = 2;
const TIMEDOUT = 3;
/** Largest batch sent in one go before yielding to the event loop so replies get read. */
const MAX_BATCH = 512;

export interface LoadReport {
  server: string;
  mode: RequestMode;
  arrivals: string;
  offeredRate: number;
  durationS: number;
  ports: number;
  timeoutMs: number;
  budgetMs: number;
  users: number;
  buildMs: number;
  requests: number;
  sent: number;
  intendedRate: number;
  achievedSendRate: number;
  sendLagMs: { p50: number; p99: number; max: number };
  answered: number;
  answeredPerSec: number;
  accept: number;
  reject: number;
  challenge: number;
  otherCode: number;
  /** Accounting-Response replies (acct mode). */
  acctResponse: number;
  /** acct mode: requests of each kind in the run. */
  acctMix?: { start: number; interim: number; stop: number };
  timeouts: number;
  badAuthenticator: number;
  badMessageAuthenticator: number;
  malformed: number;
  late: number;
  withinBudget: number;
  goodput: number;
  answeredAfterTimeout: number;
  duplicates: number;
  strays: number;
  identifierReuseInFlight: number;
  sendErrors: number;
  repliesWithoutMA: number;
  repliesMANotFirst: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** Diagnostic: latency from the ACTUAL send (what a closed-loop tool would show). */
  rttMs: { p50: number; p99: number };
  generatorSocketDrops: number;
  serverSocketDrops: number;
  udp: Counters;
  /** CPU time of the whole generator process (build included), for the bench's noise figure. */
  cpuMs: number;
}

function forceGc(): void {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as (() => void) | undefined;
  if (typeof gc === "function") gc();
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function r3(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x;
}

async function openSocket(type: "udp4" | "udp6", localHost: string, host: string, port: number, rcvbuf: number, sndbuf: number): Promise<dgram.Socket> {
  const sock = dgram.createSocket({ type, recvBufferSize: rcvbuf, sendBufferSize: sndbuf });
  await new Promise<void>((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(0, localHost, () => {
      sock.connect(port, host, () => {
        sock.off("error", reject);
        resolve();
      });
    });
  });
  return sock;
}

async function main(): Promise<void> {
  const args = parse(
    {
      server: { type: "string" },
      secret: { type: "string" },
      mode: { type: "string" },
      rate: { type: "string" },
      duration: { type: "string" },
      count: { type: "string" },
      arrivals: { type: "string" },
      timeout: { type: "string" },
      budget: { type: "string" },
      ports: { type: "string" },
      users: { type: "string" },
      "user-prefix": { type: "string" },
      "users-count": { type: "string" },
      seed: { type: "string" },
      rcvbuf: { type: "string" },
      sndbuf: { type: "string" },
      "max-packets": { type: "string" },
      sessions: { type: "string" },
      "stop-ratio": { type: "string" },
      "session-prefix": { type: "string" },
      prestarted: { type: "boolean" },
      acked: { type: "string" },
      json: { type: "boolean" },
      quiet: { type: "boolean" },
    },
    USAGE,
  );
  const modeArg = str(args, "mode", "pap");
  if (modeArg === "mix") throw new Error("--mode mix is not implemented yet (planned: a class mix for the overload benchmark)");
  if (modeArg !== "pap" && modeArg !== "status" && modeArg !== "acct") throw new Error(`--mode must be pap, status or acct, got ${modeArg}`);
  const defaultPort = modeArg === "acct" ? 1813 : 1812;
  const { host, port } = parseHostPort(str(args, "server", `127.0.0.1:${defaultPort}`), defaultPort);
  const secret = Buffer.from(str(args, "secret", "testing123"), "utf8");
  const mode: RequestMode = modeArg;
  const rate = num(args, "rate", 1000, { min: 0.001 });
  const durationS = num(args, "duration", 10, { min: 0.001 });
  const countCap = num(args, "count", Number.POSITIVE_INFINITY, { min: 1, int: true });
  const arrivals = str(args, "arrivals", "poisson");
  if (arrivals !== "poisson" && arrivals !== "uniform") throw new Error("--arrivals must be poisson or uniform");
  const timeoutMs = num(args, "timeout", 1000, { min: 1 });
  const budgetMs = num(args, "budget", 50, { min: 0 });
  const autoPorts = Math.max(256, Math.ceil((rate * (timeoutMs / 1000) * 1.25) / 256));
  const ports = num(args, "ports", autoPorts, { min: 1, max: 20000, int: true });
  const seed = num(args, "seed", 1, { int: true });
  const rcvbuf = num(args, "rcvbuf", 1 << 20, { min: 4096, int: true });
  const sndbuf = num(args, "sndbuf", 1 << 18, { min: 4096, int: true });
  const maxPackets = num(args, "max-packets", 5_000_000, { min: 1, int: true });
  const json = flag(args, "json");
  const quiet = flag(args, "quiet");
  const sessionsCount = num(args, "sessions", 20000, { min: 1, int: true });
  const stopRatio = num(args, "stop-ratio", 0.02, { min: 0, max: 1 });
  const sessionPrefix = str(args, "session-prefix", `s${seed}-`);
  const ackedFile = optStr(args, "acked");
  const log = (s: string): void => {
    if (!quiet) process.stderr.write(s + "\n");
  };

  const usersFile = optStr(args, "users");
  const users: UserRecord[] = usersFile
    ? loadUsersFile(usersFile)
    : generatedUsers(num(args, "users-count", 100000, { min: 1, int: true }), str(args, "user-prefix", "user"));

  if (ports * 256 < rate * (timeoutMs / 1000)) {
    log(`warning: ${ports} ports x 256 Identifiers < rate x timeout (${Math.ceil(rate * timeoutMs / 1000)}): Identifiers will be reused while in flight`);
  }

  // Timetable of intended send times (ms from the start), and the user of each request.
  const rnd = mulberry32(seed);
  const expected = rate * durationS;
  const cap = Math.min(countCap, Math.ceil(expected + 6 * Math.sqrt(expected) + 16));
  if (cap > maxPackets) throw new Error(`${cap} packets to precompute exceeds --max-packets ${maxPackets}: lower --rate/--duration`);
  const timesBuf = new Float64Array(cap);
  const periodMs = 1000 / rate;
  const durationMs = durationS * 1000;
  let n = 0;
  let t = 0;
  for (;;) {
    t += arrivals === "poisson" ? -Math.log(1 - rnd()) * periodMs : periodMs;
    if (t >= durationMs || n >= cap) break;
    timesBuf[n++] = t;
  }
  const times = timesBuf.subarray(0, n);
  const userRnd = mulberry32(seed ^ 0x5eed);
  const pick = new Uint32Array(n);
  for (let k = 0; k < n; k++) pick[k] = Math.floor(userRnd() * users.length);

  const family = isIPv6(host) ? "udp6" : "udp4";
  const buildStart = performance.now();
  const nasIp = family === "udp4" ? Buffer.from([127, 0, 0, 1]) : null;
  let acctMeta: AcctMeta | null = null;
  let store;
  if (mode === "acct") {
    const built = buildAccounting({ count: n, ports, secret, users, sessions: sessionsCount, stopRatio, seed, sessionPrefix, nasIp, prestarted: flag(args, "prestarted") });
    store = built.store;
    acctMeta = built.meta;
  } else {
    store = buildRequests({ count: n, ports, mode, secret, users, userOf: (k) => pick[k]!, nasIp });
  }
  const buildMs = performance.now() - buildStart;
  log(`built ${n} ${mode} requests in ${buildMs.toFixed(0)} ms (${(store.buf.length / 1048576).toFixed(1)} MiB); opening ${ports} sockets`);

  // Collect the build's garbage (user records, per-user buffers) now rather than in a
  // major GC during the first seconds of the run, where it would show up as send lag.
  forceGc();

  const localHost = family === "udp6" ? "::1" : "127.0.0.1";
  const sockets: dgram.Socket[] = [];
  for (let s = 0; s < ports; s += 64) {
    const batch: Promise<dgram.Socket>[] = [];
    for (let j = s; j < Math.min(ports, s + 64); j++) batch.push(openSocket(family, localHost, host, port, rcvbuf, sndbuf));
    sockets.push(...(await Promise.all(batch)));
  }
  const localPorts = new Set(sockets.map((x) => x.address().port));

  // Run state. Arrays indexed by packet number k; owner maps (socket, Identifier) to the last
  // packet sent on it.
  const state = new Uint8Array(n);
  const owner = new Int32Array(ports * 256).fill(-1);
  const latAns = new Float64Array(n);
  const rttAns = new Float64Array(n);
  const sendLag = new Float32Array(n);
  const verifier = new ReplyVerifier(secret);
  const cycle = ports * 256;
  let nAns = 0;
  let next = 0;
  let expireIdx = 0;
  let inflight = 0;
  let lastSendAt = 0;
  let accept = 0;
  let reject = 0;
  let challenge = 0;
  let otherCode = 0;
  let acctResponse = 0;
  let timeouts = 0;
  let badAuth = 0;
  let badMA = 0;
  let malformed = 0;
  let late = 0;
  let afterTimeout = 0;
  let duplicates = 0;
  let strays = 0;
  let reuseInFlight = 0;
  let sendErrors = 0;
  let noMA = 0;
  let maNotFirst = 0;
  let t0 = 0;
  const winLat = new LogHistogram();
  const winLag = new LogHistogram();

  const onReply = (s: number, msg: Buffer): void => {
    const now = performance.now() - t0;
    if (msg.length < 20) {
      malformed++;
      return;
    }
    const k = owner[s * 256 + msg[1]!]!;
    if (k < 0) {
      strays++;
      return;
    }
    const flags = verifier.verify(msg, store.buf, store.offset[k]! + 4);
    if ((flags & 7) !== 0) {
      // A late answer to the previous request on this Identifier verifies against that one.
      const kp = k - cycle;
      if (kp >= 0 && (verifier.verify(msg, store.buf, store.offset[kp]! + 4) & 7) === 0) {
        if (state[kp] === ANSWERED) duplicates++;
        else afterTimeout++;
        return;
      }
      if (flags & VERIFY_MALFORMED) malformed++;
      if (flags & VERIFY_BAD_AUTHENTICATOR) badAuth++;
      if (flags & VERIFY_BAD_MESSAGE_AUTHENTICATOR) badMA++;
      return; // a NAS discards such a reply: the request stays unanswered
    }
    if (flags & VERIFY_NO_MA) noMA++;
    if (flags & VERIFY_MA_NOT_FIRST) maNotFirst++;
    const st = state[k];
    if (st === INFLIGHT) {
      state[k] = ANSWERED;
      inflight--;
      const lat = now - times[k]!;
      rttAns[nAns] = lat - sendLag[k]!;
      latAns[nAns++] = lat;
      winLat.recordMs(lat);
      if (lat > budgetMs) late++;
      const code = msg[0];
      if (code === CODE_ACCESS_ACCEPT) accept++;
      else if (code === CODE_ACCESS_REJECT) reject++;
      else if (code === CODE_ACCESS_CHALLENGE) challenge++;
      else if (code === CODE_ACCOUNTING_RESPONSE) acctResponse++;
      else otherCode++;
    } else if (st === TIMEDOUT) {
      afterTimeout++;
    } else {
      duplicates++;
    }
  };
  sockets.forEach((sock, s) => {
    sock.on("message", (msg: Buffer) => onReply(s, msg));
    // ECONNREFUSED (nothing listening) and the like arrive here on a connected socket.
    sock.on("error", () => {
      sendErrors++;
    });
  });

  const expire = (now: number): void => {
    const limit = now - timeoutMs;
    while (expireIdx < next && times[expireIdx]! <= limit) {
      if (state[expireIdx] === INFLIGHT) {
        state[expireIdx] = TIMEDOUT;
        inflight--;
        timeouts++;
      }
      expireIdx++;
    }
  };

  const udpBefore = udpCounters();
  const serverDropsBefore = listenerDrops(port);
  const buf = store.buf;
  const offset = store.offset;
  const length = store.length;

  let progressTimer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      let now = performance.now() - t0;
      let batch = 0;
      while (next < n && times[next]! <= now && batch < MAX_BATCH) {
        const k = next++;
        const s = k % ports;
        const slot = s * 256 + ((k / ports) & 0xff);
        const prev = owner[slot]!;
        if (prev >= 0 && state[prev] === INFLIGHT) {
          // Only when P*256 is too small for rate x timeout: give the old one up.
          state[prev] = TIMEDOUT;
          inflight--;
          timeouts++;
          reuseInFlight++;
        }
        owner[slot] = k;
        state[k] = INFLIGHT;
        inflight++;
        sockets[s]!.send(buf, offset[k]!, length[k]!);
        if ((++batch & 15) === 0) now = performance.now() - t0;
        const lag = now - times[k]!;
        sendLag[k] = lag;
        winLag.recordMs(lag);
      }
      if (batch > 0) lastSendAt = now;
      expire(now);
      if (next < n) {
        const wait = times[next]! - (performance.now() - t0);
        // Behind schedule: continue after pending I/O (replies) rather than on the next timer.
        if (wait <= 0) setImmediate(tick);
        else setTimeout(tick, wait);
      } else if (inflight > 0) {
        setTimeout(tick, 5);
      } else {
        resolve();
      }
    };
    let lastSent = 0;
    let lastAns = 0;
    let lastTo = 0;
    let sec = 0;
    progressTimer = setInterval(() => {
      sec++;
      log(
        `[${String(sec).padStart(3)}s] sent ${next - lastSent}/s answered ${nAns - lastAns}/s timeouts ${timeouts - lastTo}` +
          ` inflight ${inflight} bad ${badAuth + badMA + malformed} | p50 ${winLat.percentileMs(0.5).toFixed(2)} p99 ${winLat.percentileMs(0.99).toFixed(2)} ms` +
          ` | send lag p99 ${winLag.percentileMs(0.99).toFixed(2)} ms`,
      );
      winLat.reset();
      winLag.reset();
      lastSent = next;
      lastAns = nAns;
      lastTo = timeouts;
    }, 1000);
    t0 = performance.now() + 20;
    setTimeout(tick, 20);
  });
  clearInterval(progressTimer);

  // Read per-socket drops before the sockets (and their counters) go away.
  const rows = udpSockets();
  const generatorSocketDrops = dropsOnPorts(localPorts, rows);
  const serverSocketDrops = listenerDrops(port, rows) - serverDropsBefore;
  const udp = counterDelta(udpBefore, udpCounters());
  await Promise.all(sockets.map((sk) => new Promise<void>((r) => sk.close(() => r()))));
  if (ackedFile && acctMeta) {
    const lines: string[] = [];
    for (let k = 0; k < n; k++) {
      if (state[k] !== ANSWERED) continue;
      lines.push(`${acctMeta.sessionId(k)}\t${ACCT_KIND_NAMES[acctMeta.kind[k]!]}\t${acctMeta.sessionTime[k]}\t${acctMeta.user(k)}`);
    }
    writeFileSync(ackedFile, lines.join("\n") + (lines.length ? "\n" : ""));
  }
  const kinds = { start: 0, interim: 0, stop: 0 };
  if (acctMeta) for (let k = 0; k < n; k++) kinds[ACCT_KIND_NAMES[acctMeta.kind[k]!] as keyof typeof kinds]++;

  const cpu = process.cpuUsage();
  const sorted = latAns.slice(0, nAns).sort();
  let sum = 0;
  for (let i = 0; i < nAns; i++) sum += sorted[i]!;
  const lags = sendLag.slice(0, next).sort();
  const rtts = rttAns.slice(0, nAns).sort();
  const windowS = n < cap ? durationS : Math.max(times[n - 1]!, 1) / 1000;
  const report: LoadReport = {
    server: `${family === "udp6" ? `[${host}]` : host}:${port}`,
    mode,
    arrivals,
    offeredRate: rate,
    durationS,
    ports,
    timeoutMs,
    budgetMs,
    users: users.length,
    buildMs: Math.round(buildMs),
    requests: n,
    sent: next,
    intendedRate: Math.round(n / windowS),
    achievedSendRate: Math.round(next / (Math.max(lastSendAt, 1) / 1000)),
    sendLagMs: { p50: r3(lags[Math.ceil(0.5 * lags.length) - 1] ?? NaN), p99: r3(lags[Math.ceil(0.99 * lags.length) - 1] ?? NaN), max: r3(lags[lags.length - 1] ?? NaN) },
    answered: nAns,
    answeredPerSec: Math.round(nAns / windowS),
    accept,
    reject,
    challenge,
    otherCode,
    acctResponse,
    ...(acctMeta ? { acctMix: kinds } : {}),
    timeouts,
    badAuthenticator: badAuth,
    badMessageAuthenticator: badMA,
    malformed,
    late,
    withinBudget: nAns - late,
    goodput: Math.round((nAns - late) / windowS),
    answeredAfterTimeout: afterTimeout,
    duplicates,
    strays,
    identifierReuseInFlight: reuseInFlight,
    sendErrors,
    repliesWithoutMA: noMA,
    repliesMANotFirst: maNotFirst,
    latencyMs: {
      p50: r3(percentile(sorted, 0.5)),
      p90: r3(percentile(sorted, 0.9)),
      p99: r3(percentile(sorted, 0.99)),
      p999: r3(percentile(sorted, 0.999)),
      max: r3(sorted[nAns - 1] ?? NaN),
      mean: r3(nAns ? sum / nAns : NaN),
    },
    rttMs: { p50: r3(percentile(rtts, 0.5)), p99: r3(percentile(rtts, 0.99)) },
    generatorSocketDrops,
    serverSocketDrops,
    udp,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  };
  if (json) {
    process.stdout.write(JSON.stringify(report) + "\n");
  } else {
    process.stdout.write(formatReport(report));
  }
}

function formatReport(r: LoadReport): string {
  const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : "-");
  const udp = Object.entries(r.udp)
    .map(([k, v]) => `${k} ${v >= 0 ? "+" : ""}${v}`)
    .join(", ");
  return [
    `radius-load: ${r.mode} to ${r.server}, ${r.offeredRate}/s ${r.arrivals} for ${r.durationS} s, ${r.ports} ports, timeout ${r.timeoutMs} ms, budget ${r.budgetMs} ms, ${r.users} users`,
    `sent              ${r.sent} of ${r.requests} (achieved ${r.achievedSendRate}/s, intended ${r.intendedRate}/s; send lag p50 ${ms(r.sendLagMs.p50)} p99 ${ms(r.sendLagMs.p99)} max ${ms(r.sendLagMs.max)} ms)`,
    `answered          ${r.answered} (${r.answeredPerSec}/s)`,
    `  accept          ${r.accept}`,
    `  reject          ${r.reject}`,
    `  challenge/other ${r.challenge}/${r.otherCode}`,
    ...(r.acctMix ? [`  acct-response   ${r.acctResponse} (offered: ${r.acctMix.start} Start, ${r.acctMix.interim} Interim-Update, ${r.acctMix.stop} Stop)`] : []),
    `timeouts          ${r.timeouts} (no valid answer within ${r.timeoutMs} ms)`,
    `bad authenticator ${r.badAuthenticator}   bad message-authenticator ${r.badMessageAuthenticator}   malformed ${r.malformed}`,
    `late              ${r.late} (answered after ${r.budgetMs} ms)`,
    `goodput           ${r.goodput}/s (answered within ${r.budgetMs} ms)`,
    `latency (ms)      p50 ${ms(r.latencyMs.p50)}  p90 ${ms(r.latencyMs.p90)}  p99 ${ms(r.latencyMs.p99)}  p99.9 ${ms(r.latencyMs.p999)}  max ${ms(r.latencyMs.max)}  mean ${ms(r.latencyMs.mean)}`,
    `from actual send  p50 ${ms(r.rttMs.p50)}  p99 ${ms(r.rttMs.p99)} (diagnostic only: hides generator lag)`,
    `after timeout     ${r.answeredAfterTimeout}   duplicates ${r.duplicates}   strays ${r.strays}   send errors ${r.sendErrors}   Identifier reuse in flight ${r.identifierReuseInFlight}`,
    `replies w/o MA    ${r.repliesWithoutMA}   MA not first ${r.repliesMANotFirst}`,
    `udp drops         generator sockets ${r.generatorSocketDrops}, server socket ${r.serverSocketDrops}; nstat delta: ${udp}`,
    `build             ${r.buildMs} ms`,
    "",
  ].join("\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`radius-load: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
