// FreeRADIUS 3.2 baseline for the auth benchmark: writes a minimal configuration of our own
// (nothing copied from the shipped raddb) into a temp dir and runs `freeradius -f`, pinned.
//
// What the configuration does, and why:
//  - one auth listener on 127.0.0.1:<port>; one client 127.0.0.1 with the test secret and
//    require_message_authenticator = yes (same policy as carrier-aaa's bench client);
//  - authorize: ONE Redis round trip per request,
//      update control { &Cleartext-Password := "%{redis:HGET fr:user:%{User-Name} password}" }
//    then pap; Status-Server is answered by "Autz-Type Status-Server { ok }";
//  - max_requests = 262144: the default 16384 also counts requests that wait out
//    cleanup_delay (5 s), so with many source ports it drops at ~9k/s for reasons unrelated
//    to capacity; raised for a fair comparison;
//  - a fixed thread pool (default 8 threads, each with its own Redis connection): rlm_redis is
//    synchronous, so threads overlap Redis round trips; more threads than that only add
//    contention on one core (see docs/benchmarks.md for the sweep);
//  - reject_delay = 0 so a rejected request does not sit in the server for a second.
//
// Standalone use (starts its own redis-server and seeds it, then runs until Ctrl-C or --seconds):
//   npx tsx load-tests/freeradius/run-freeradius.ts --with-redis [--port 18130] [--users 100000]
// then e.g.: echo 'User-Name=user000001,User-Password=pw-user000001,Message-Authenticator=0x00' \
//              | radclient -x 127.0.0.1:18130 auth testing123
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { flag, num, parse, str } from "../lib/args.js";
import { waitUntilAnswering } from "../lib/probe.js";
import { installCleanup, startPinned, startRedis, tail, tempDir, which, keepTempDir, type Started } from "../lib/procs.js";
import { passwordFor, usernameFor } from "../lib/radius.js";
import { seed } from "../seed-redis.js";

export interface FreeradiusOptions {
  port: number;
  redisPort: number;
  secret: string;
  threads: number;
  maxRequests: number;
  frPrefix: string;
  cpu?: number;
  /** -X: full debug output (slow; for checking the configuration only). */
  debug?: boolean;
  /** NASes (name, IPv4 address); default one client "bench" at 127.0.0.1. */
  clients?: { name: string; ipaddr: string }[];
  /** EAP (PEAP/MSCHAPv2 and EAP-TLS) with this certificate; see eapModule(). */
  eap?: FreeradiusEapOptions;
}

export interface FreeradiusEapOptions {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** EAP type proposed first (the peer may Nak to another). Default peap. */
  defaultType?: "peap" | "tls";
  /** ECDHE groups (OpenSSL list), e.g. "X25519:prime256v1". Default prime256v1. */
  ecdhCurve?: string;
}

/**
 * The eap module for the EAP benchmark: one tls-config (certificate, key, CA; TLS 1.2 only, no
 * session cache, so every conversation is a full handshake as in carrier-aaa), EAP-TLS, PEAP
 * with inner EAP-MSCHAPv2 (run in the "inner" virtual server) and the mschap module it calls.
 */
function eapModule(e: FreeradiusEapOptions): string {
  return `	mschap {
	}
	eap {
		default_eap_type = ${e.defaultType ?? "peap"}
		timer_expire = 30
		ignore_unknown_eap_types = no
		max_sessions = 262144
		tls-config tls-common {
			private_key_file = ${e.keyFile}
			certificate_file = ${e.certFile}
			ca_file = ${e.caFile}
			fragment_size = 1024
			include_length = yes
			auto_chain = yes
			cipher_list = "DEFAULT"
			tls_min_version = "1.2"
			tls_max_version = "1.2"
			ecdh_curve = "${e.ecdhCurve ?? "prime256v1"}"
			cache {
				enable = no
			}
			verify {
			}
			ocsp {
				enable = no
			}
		}
		tls {
			tls = tls-common
		}
		peap {
			tls = tls-common
			default_eap_type = mschapv2
			copy_request_to_tunnel = no
			use_tunneled_reply = no
			virtual_server = "inner"
		}
		mschapv2 {
		}
	}
`;
}

export interface RunningFreeradius extends Started {
  dir: string;
  port: number;
}

export function freeradiusConfig(o: FreeradiusOptions, dir: string): string {
  const t = o.threads;
  return `# Written by load-tests/freeradius/run-freeradius.ts for benchmarking; not a production config.
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${dir}/log
raddbdir = ${dir}
radacctdir = ${dir}/radacct
name = radiusd
confdir = ${dir}
modconfdir = ${dir}/mods-config
run_dir = ${dir}/run
db_dir = ${dir}
libdir = /usr/lib/freeradius
pidfile = ${dir}/run/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = ${o.maxRequests}
hostname_lookups = no

log {
	destination = stdout
	colourise = no
	stripped_names = no
	auth = no
	auth_badpass = no
	auth_goodpass = no
}

security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = yes
}

thread pool {
	start_servers = ${t}
	max_servers = ${t}
	min_spare_servers = 1
	max_spare_servers = ${t}
	max_queue_size = 65536
	max_requests_per_server = 0
	auto_limit_acct = no
}

${o.eap ? EAP_NOTE : ""}${(o.clients ?? [{ name: "bench", ipaddr: "127.0.0.1" }])
  .map((c) => `client ${c.name} {\n\tipaddr = ${c.ipaddr}\n\tsecret = ${o.secret}\n\trequire_message_authenticator = yes\n\tshortname = ${c.name}\n}\n`)
  .join("")}
modules {
	pap {
		normalise = no
	}
	always ok {
		rcode = ok
	}
${o.eap ? eapModule(o.eap) : ""}	redis {
		server = 127.0.0.1
		port = ${o.redisPort}
		query_timeout = 5
		pool {
			start = ${t}
			min = ${t}
			max = ${t}
			spare = 0
			uses = 0
			retry_delay = 1
			lifetime = 0
			idle_timeout = 0
		}
	}
}

instantiate {
}

server bench {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = ${o.port}
	}
	authorize {
${o.eap ? `		if (&EAP-Message) {
			eap {
				ok = return
			}
		}
` : ""}		update control {
			&Cleartext-Password := "%{redis:HGET ${o.frPrefix}%{User-Name} password}"
		}
		pap
		Autz-Type Status-Server {
			ok
		}
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
${o.eap ? `		Auth-Type eap {
			eap
		}
` : ""}	}
}
${o.eap ? innerServer(o.frPrefix) : ""}`;
}

const EAP_NOTE = `# EAP: the outer server hands EAP-Message to the eap module; PEAP's inner EAP-MSCHAPv2 runs in
# server "inner", which reads the subscriber's cleartext password from Redis (one HGET per inner
# round) for the mschap module.
`;

function innerServer(frPrefix: string): string {
  return `
server inner {
	authorize {
		update control {
			&Cleartext-Password := "%{redis:HGET ${frPrefix}%{User-Name} password}"
		}
		eap {
			ok = return
		}
	}
	authenticate {
		Auth-Type eap {
			eap
		}
		Auth-Type MS-CHAP {
			mschap
		}
	}
}
`;
}

/** Write the config, start FreeRADIUS and wait until it answers a PAP request for user000001. */
export async function startFreeradius(o: FreeradiusOptions): Promise<RunningFreeradius> {
  const bin = which("freeradius") ?? which("radiusd");
  if (!bin) throw new Error("FreeRADIUS is not installed (apt-get install freeradius freeradius-redis)");
  const dir = tempDir("aaa-lt-freeradius-");
  for (const d of ["log", "run", "radacct", "mods-config"]) mkdirSync(path.join(dir, d), { recursive: true });
  writeFileSync(path.join(dir, "radiusd.conf"), freeradiusConfig(o, dir), { mode: 0o640 });
  const logFile = path.join(dir, "freeradius.log");
  const p = startPinned(bin, ["-f", "-d", dir, "-l", "stdout", ...(o.debug ? ["-X"] : [])], { cpu: o.cpu, logFile, ownProcessGroup: true });
  const user = usernameFor(1);
  try {
    await waitUntilAnswering({
      host: "127.0.0.1",
      port: o.port,
      secret: o.secret,
      mode: "pap",
      user: { username: user, password: passwordFor(user) },
      timeoutMs: 15000,
      expectCode: 2,
      alive: () => p.child.exitCode === null,
    });
  } catch (err) {
    keepTempDir(dir);
    await p.stop();
    throw new Error(`${(err as Error).message}\n--- ${logFile} (kept) ---\n${tail(logFile)}`);
  }
  return { ...p, dir, port: o.port };
}

const USAGE = `Usage: npx tsx load-tests/freeradius/run-freeradius.ts [options]

Runs FreeRADIUS with the benchmark configuration until Ctrl-C or --seconds.

  --port N            auth port (default 18130)
  --redis-port N      Redis holding fr:user:<name> hashes (required unless --with-redis)
  --with-redis        start a private redis-server (core 1) and seed it with --users users
  --users N           users to seed with --with-redis (default 100000)
  --threads N         thread pool size = Redis connections (default 8)
  --max-requests N    max_requests (default 262144)
  --cpu N             pin FreeRADIUS to this core (default 0; -1: no pinning)
  --secret S          client secret (default testing123)
  --seconds N         stop after N seconds (default 1800)
  -X                  debug output (slow)
`;

async function main(): Promise<void> {
  const a = parse(
    {
      port: { type: "string" },
      "redis-port": { type: "string" },
      "with-redis": { type: "boolean" },
      users: { type: "string" },
      threads: { type: "string" },
      "max-requests": { type: "string" },
      cpu: { type: "string" },
      secret: { type: "string" },
      seconds: { type: "string" },
      X: { type: "boolean", short: "X" },
    },
    USAGE,
  );
  installCleanup();
  let redisPort = num(a, "redis-port", 0, { min: 0, max: 65535, int: true });
  if (flag(a, "with-redis")) {
    const r = await startRedis({ cpu: 1, dir: tempDir("aaa-lt-redis-") });
    const s = await seed({ url: r.url, users: num(a, "users", 100000, { min: 1, int: true }), userPrefix: "user", keyPrefix: "aaa:", frPrefix: "fr:user:", layouts: new Set(["fr"]), sessionTimeout: 3600 });
    process.stderr.write(`redis-server on ${r.url} (core 1), ${s.users} users seeded in ${s.ms} ms\n`);
    redisPort = r.port;
  }
  if (!redisPort) throw new Error("give --redis-port N or --with-redis");
  const cpu = num(a, "cpu", 0, { int: true });
  const fr = await startFreeradius({
    port: num(a, "port", 18130, { min: 1, max: 65535, int: true }),
    redisPort,
    secret: str(a, "secret", "testing123"),
    threads: num(a, "threads", 8, { min: 1, max: 256, int: true }),
    maxRequests: num(a, "max-requests", 262144, { min: 256, int: true }),
    frPrefix: "fr:user:",
    cpu: cpu < 0 ? undefined : cpu,
    debug: flag(a, "X"),
  });
  process.stderr.write(`FreeRADIUS pid ${fr.pid} answering on 127.0.0.1:${fr.port}; config ${fr.dir}/radiusd.conf; log ${fr.logFile}\n`);
  const seconds = num(a, "seconds", 1800, { min: 1 });
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, seconds * 1000);
    fr.child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
  });
  await fr.stop();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`run-freeradius: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
