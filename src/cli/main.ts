// The carrier-aaa command line. Every command that needs the store or the server takes --config.
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadConfig, ConfigError } from "../config/load.js";
import { createLogger } from "../log.js";
import { startServer, loadDictionary } from "../server.js";
import { waitForStopSignal } from "../process-signals.js";
import { createStore } from "../store/factory.js";
import { StoreError } from "../store/store.js";
import { importFile, type ImportProgress } from "../store/jsonl.js";
import { checkConfigFiles } from "./check-config.js";
import { validateAttributeObject } from "../radius/values.js";
import { hashPassword } from "../handle/password-hash.js";
import { radtest } from "./radtest.js";
import { listSessionsCommand, parseSetAttributes, SessionCommandError, sessionActionCommand } from "./sessions.js";
import { RFC5080_TIMERS } from "../coa/client.js";
import { runPrimary } from "../cluster/primary.js";
import { defaultWorkers, workersProblem, WorkersError } from "../cluster/workers.js";

const USAGE = `usage: carrier-aaa <command> [options]
       carrier-aaa <command> --help          usage of one command
       carrier-aaa --version                 print the version

commands:
  serve --config FILE [--workers N] [--hint]
                                            run the server (--hint prints a radtest line to try);
                                            SIGHUP re-reads the configuration (live reload).
                                            --workers N: N worker processes on shared sockets
                                            (default: one per core with store.redis, 1 with
                                            store.memory; N > 1 needs the native UDP addon);
                                            SIGUSR2 replaces every worker in turn (rolling restart)
  check-config --config FILE                check a configuration and what serve reads with it
                                            (store.memory files, dictionary files); exit 78 on a problem
  subscribers import FILE.jsonl --config FILE
  groups import FILE.jsonl --config FILE    bulk-load into the configured store
  radtest --server HOST:PORT --secret S (--user U --password P [--chap] | --status)
                                            exit 0 Accept, 1 Reject, 2 no answer
  hash-password                             read a password on stdin, print its scrypt PHC string
  sessions list --config FILE [--user U] [--nas N] [--json] [--limit N]
                                            live sessions (Redis store)
  session disconnect --config FILE (--user U | --nas N) [--session-id S] [--all]
  session coa --config FILE (--user U | --nas N) [--session-id S] [--all] --set Name=Value ...
                                            RFC 5176 Disconnect-/CoA-Request to the session's NAS
                                            (--irt MS --mrc N --mrt MS --mrd MS: RFC 5080 timers);
                                            exit 0 ACK, 1 NAK, 2 no answer, 3 no such session
`;

/** `carrier-aaa <command> --help`: printed on stdout, exit 0. */
const COMMAND_USAGE: Record<string, string> = {
  serve: `usage: carrier-aaa serve --config FILE [--workers N] [--hint]

Run the server with the configuration FILE (YAML or JSON). Logs go to stdout, one JSON object
per line. SIGHUP re-reads FILE (live reload); SIGTERM or SIGINT stops gracefully (exit 0).

  --config FILE   the configuration file (required)
  --workers N     N worker processes on shared sockets (default: one per core with store.redis,
                  1 with store.memory; N > 1 needs the native UDP addon); SIGUSR2 replaces every
                  worker in turn
  --hint          print a radtest command line to try once the server answers
`,
  "check-config": `usage: carrier-aaa check-config --config FILE

Check FILE and what serve reads with it, without starting: the keys and their values, tokens
named by http.tokenEnv/authTokenEnv, the dictionary files, the store.memory subscribers and
groups files (present, readable, every line valid, reply attributes known to the dictionary),
and the native UDP addon where io is "native". Redis is not contacted.
Exit 0 when serve would start with it, 78 with each problem on stderr.
`,
  subscribers: `usage: carrier-aaa subscribers import FILE.jsonl --config FILE

Validate every line of FILE.jsonl (JSON, schema, reply attributes against the dictionary), then
write them all into the configured store; an invalid line is reported as FILE:LINE and nothing
is written. Progress goes to stderr every 10000 records. With store.memory the subscribers file
is rewritten (created if missing); a running server sees it after a reload (SIGHUP).
Exit 0 all written, 1 otherwise.
`,
  groups: `usage: carrier-aaa groups import FILE.jsonl --config FILE

As \`subscribers import\`, for group profiles ({"group":"gold","reply":{...}}).
Exit 0 all written, 1 otherwise.
`,
  radtest: `usage: carrier-aaa radtest --server HOST:PORT --secret S (--user U --password P [--chap] | --status)
                         [--timeout MS] [--retries N] [--nas-ip A.B.C.D]

Send one Access-Request (PAP, or CHAP with --chap) or a Status-Server, signed with a
Message-Authenticator, and print the reply once its authenticators check out.
Exit 0 Access-Accept, 1 Access-Reject, 2 no valid answer.
`,
  "hash-password": `usage: carrier-aaa hash-password < password.txt

Read one password on stdin (a trailing newline is dropped) and print its scrypt PHC string, for
a subscriber's "passwordHash". The password is never printed.
`,
  sessions: `usage: carrier-aaa sessions list --config FILE [--user U] [--nas N] [--json] [--limit N]

List live sessions (accounting) from the Redis store: all, one subscriber's, or one NAS's.
`,
  session: `usage: carrier-aaa session disconnect --config FILE (--user U | --nas N) [--session-id S] [--all]
       carrier-aaa session coa --config FILE (--user U | --nas N) [--session-id S] [--all] --set Name=Value ...

Send an RFC 5176 Disconnect-Request or CoA-Request to the NAS of each matching live session
(Redis store). --irt MS --mrc N --mrt MS --mrd MS: RFC 5080 retransmission timers.
Exit 0 ACK, 1 NAK, 2 no answer, 3 no such session.
`,
};

const help = { help: { type: "boolean", short: "h", default: false } } as const;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}

class UsageError extends Error {}

const PROGRESS_EVERY = 10_000;

function need(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`);
  return value;
}

/** True when the command was asked for its usage (printed on stdout). */
function helpWanted(cmd: string, values: { help?: boolean | undefined }): boolean {
  if (!values.help) return false;
  process.stdout.write(COMMAND_USAGE[cmd] ?? USAGE);
  return true;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "serve":
      return serve(rest);
    case "check-config": {
      const { values } = parseArgs({ args: rest, options: { config: { type: "string" }, ...help } });
      if (helpWanted(cmd, values)) return 0;
      const config = loadConfig(need(values.config, "--config"));
      const { problems, summary } = await checkConfigFiles(config);
      if (problems.length > 0) {
        for (const p of problems) console.error(`carrier-aaa: ${p}`);
        console.error(`carrier-aaa: ${values.config}: serve would not start with this configuration (${problems.length} problem${problems.length === 1 ? "" : "s"})`);
        return 78;
      }
      console.log(`configuration is valid (${summary})`);
      return 0;
    }
    case "subscribers":
    case "groups":
      return importCommand(cmd, rest);
    case "radtest":
      return radtestCommand(rest);
    case "sessions":
      return sessionsCommand(rest);
    case "session":
      return sessionCommand(rest);
    case "hash-password": {
      const { values } = parseArgs({ args: rest, options: { ...help } });
      if (helpWanted(cmd, values)) return 0;
      const input = readFileSync(0, "utf8").replace(/\r?\n$/, "");
      if (!input) throw new UsageError("no password on stdin");
      console.log(hashPassword(input));
      return 0;
    }
    case "--version":
    case "-V":
    case "version":
      console.log(version());
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h": {
      const topic = cmd === "help" ? rest[0] : undefined;
      process.stdout.write(topic !== undefined && COMMAND_USAGE[topic] ? COMMAND_USAGE[topic] : USAGE);
      return cmd === undefined ? 64 : 0;
    }
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: "string" }, hint: { type: "boolean", default: false }, workers: { type: "string" }, ...help } });
  if (helpWanted("serve", values)) return 0;
  const configFile = need(values.config, "--config");
  if (values.workers !== undefined && !/^[1-9][0-9]{0,2}$/.test(values.workers)) throw new UsageError(`--workers must be a whole number from 1 (got "${values.workers}")`);
  const config = loadConfig(configFile);
  const workers = values.workers !== undefined ? Number(values.workers) : defaultWorkers(config);
  const problem = workersProblem(config, workers);
  if (problem) throw new UsageError(problem);
  const log = createLogger(config.log.level);
  if (workers > 1) {
    return runPrimary({
      config,
      configFile,
      workers,
      log,
      onServing: ({ authPort }) => {
        if (values.hint) printHint(config, config.radius.auth.host, authPort);
      },
    });
  }
  const server = await startServer(config, log, { configFile });
  if (values.hint) printHint(config, server.auth.address, server.auth.port);
  // SIGHUP: live reload (the server logs the outcome: what changed, what needs a restart, or why
  // the new file was refused; reloads run one at a time). SIGTERM / SIGINT: graceful stop (intake
  // closed, requests in flight drained within their deadlines, store closed), exit 0. A second
  // signal while draining exits at once (130).
  const signal = await waitForStopSignal({
    log,
    operations: {
      SIGHUP: () => {
        log.info({ signal: "SIGHUP", file: configFile }, "re-reading the configuration");
        void server.reloadFromFile();
      },
    },
    onSecond: (sig) => log.warn({ signal: sig }, "second signal while draining: exiting now"),
  });
  log.info({ signal }, "shutting down: intake closed, draining requests in flight");
  const { abandoned } = await server.close();
  log.info({ abandoned }, "stopped");
  log.flush();
  return 0;
}

/** For `npm start`: one line a new user can paste into another terminal. */
function printHint(config: ReturnType<typeof loadConfig>, address: string, port: number): void {
  const secret = config.clients[0]?.secret ?? "SECRET";
  // The checkout's own bin by its absolute path: works from any directory and never asks a
  // package registry (`npx carrier-aaa` outside the checkout would).
  const bin = fileURLToPath(new URL("../../bin/carrier-aaa.js", import.meta.url));
  process.stderr.write(
    `\ncarrier-aaa is answering on ${address}:${port}. Try, from another terminal:\n` +
      `  ${bin} radtest --server ${address}:${port} --secret ${secret} --user alice --password s3cret\n\n`,
  );
}

async function importCommand(kind: "subscribers" | "groups", args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { config: { type: "string" }, ...help }, allowPositionals: true });
  if (helpWanted(kind, values)) return 0;
  const [sub, file] = positionals;
  if (sub !== "import" || !file || positionals.length !== 2) throw new UsageError(`usage: carrier-aaa ${kind} import FILE.jsonl --config FILE`);
  // Importing never starts the HTTP side nor talks to a NAS: token and secret variables are not needed.
  const config = loadConfig(need(values.config, "--config"), { httpTokens: false, clientSecrets: false });
  const log = createLogger(config.log.level === "info" ? "warn" : config.log.level);
  const dictionary = await loadDictionary(config.dictionary.files);
  // The import is what creates a memory store's file; the server refuses a missing one.
  const store = createStore(config.store, log, { createMissing: true });
  await store.start();
  try {
    // Progress on stderr, one line per 10 000 records (stdout keeps the one-line result).
    const progress = (p: ImportProgress): void => {
      if (p.total >= PROGRESS_EVERY) process.stderr.write(`${kind}: ${p.done} of ${p.total} ${p.phase}\n`);
    };
    const result = await importFile(store, kind, file, {
      validateReply: (reply) => validateAttributeObject(dictionary, reply),
      // Redis: written in chunks so that progress shows; the memory store rewrites its whole
      // file per call, so it gets everything at once.
      ...("redis" in config.store ? { chunkSize: PROGRESS_EVERY } : {}),
      progressEvery: PROGRESS_EVERY,
      onProgress: progress,
    });
    for (const e of result.errors) console.error(`${file}:${e.line}: ${e.message}`);
    if (result.report) {
      const r = result.report;
      console.log(`${kind}: ${r.written} written${r.failed ? `, ${r.failed} NOT written (${r.firstError ?? "write failed"})` : ""}`);
    } else if (!result.ok) {
      console.error(`${kind}: nothing written (${result.errors.length} invalid line${result.errors.length === 1 ? "" : "s"})`);
    }
    return result.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

async function sessionsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { config: { type: "string" }, user: { type: "string" }, nas: { type: "string" }, json: { type: "boolean", default: false }, limit: { type: "string", default: "10000" }, ...help },
  });
  if (helpWanted("sessions", values)) return 0;
  if (positionals[0] !== "list" || positionals.length !== 1) throw new UsageError("usage: carrier-aaa sessions list --config FILE [--user U] [--nas N] [--json]");
  const config = loadConfig(need(values.config, "--config"), { httpTokens: false, clientSecrets: false });
  const log = createLogger(config.log.level === "info" ? "warn" : config.log.level);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit must be a positive integer");
  const lines = await listSessionsCommand(config, log, { user: values.user, nas: values.nas, json: values.json ?? false, limit });
  for (const l of lines) console.log(l);
  return 0;
}

async function sessionCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      user: { type: "string" },
      nas: { type: "string" },
      "session-id": { type: "string" },
      all: { type: "boolean", default: false },
      set: { type: "string", multiple: true },
      irt: { type: "string" },
      mrc: { type: "string" },
      mrt: { type: "string" },
      mrd: { type: "string" },
      ...help,
    },
  });
  if (helpWanted("session", values)) return 0;
  const kind = positionals[0];
  if ((kind !== "disconnect" && kind !== "coa") || positionals.length !== 1) throw new UsageError("usage: carrier-aaa session disconnect|coa --config FILE (--user U | --nas N) ...");
  const num = (v: string | undefined, flag: string, dflt: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer`);
    return n;
  };
  const timers = {
    irtMs: num(values.irt, "--irt", RFC5080_TIMERS.irtMs),
    mrc: num(values.mrc, "--mrc", RFC5080_TIMERS.mrc),
    mrtMs: num(values.mrt, "--mrt", RFC5080_TIMERS.mrtMs),
    mrdMs: num(values.mrd, "--mrd", RFC5080_TIMERS.mrdMs),
  };
  const config = loadConfig(need(values.config, "--config"), { httpTokens: false });
  const log = createLogger(config.log.level === "info" ? "warn" : config.log.level);
  const dictionary = await loadDictionary(config.dictionary.files);
  const r = await sessionActionCommand(config, log, {
    kind,
    user: values.user,
    nas: values.nas,
    sessionId: values["session-id"],
    all: values.all ?? false,
    attributes: parseSetAttributes(dictionary, values.set ?? []),
    timers,
  });
  for (const l of r.lines) (r.code <= 2 ? console.log : console.error)(l);
  return r.code;
}

async function radtestCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      server: { type: "string" },
      secret: { type: "string" },
      user: { type: "string" },
      password: { type: "string" },
      chap: { type: "boolean", default: false },
      status: { type: "boolean", default: false },
      timeout: { type: "string", default: "1000" },
      retries: { type: "string", default: "2" },
      "nas-ip": { type: "string" },
      ...help,
    },
  });
  if (helpWanted("radtest", values)) return 0;
  const result = await radtest({
    server: need(values.server, "--server"),
    secret: need(values.secret, "--secret"),
    user: values.user,
    password: values.password,
    chap: values.chap ?? false,
    status: values.status ?? false,
    timeoutMs: Number(values.timeout),
    retries: Number(values.retries),
    nasIp: values["nas-ip"],
  });
  for (const l of result.lines) console.log(l);
  return result.code === "accept" ? 0 : result.code === "reject" ? 1 : 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || String((err as { code?: unknown })?.code ?? "").startsWith("ERR_PARSE_ARGS_")) {
      console.error(`carrier-aaa: ${(err as Error).message}\n\n${USAGE}`);
      process.exitCode = 64;
    } else if (err instanceof WorkersError) {
      console.error(`carrier-aaa: ${err.message}`);
      process.exitCode = 1;
    } else if (err instanceof SessionCommandError) {
      console.error(`carrier-aaa: ${err.message}`);
      process.exitCode = err.exitCode;
    } else if (err instanceof ConfigError || (err instanceof StoreError && err.code === "STORE_LOAD_FAILED")) {
      // A configuration, or a file it names (store.memory), that serve cannot start with.
      console.error(`carrier-aaa: ${err.message}`);
      process.exitCode = 78;
    } else {
      console.error(`carrier-aaa: ${(err as Error)?.message ?? String(err)}`);
      process.exitCode = 1;
    }
  },
);
