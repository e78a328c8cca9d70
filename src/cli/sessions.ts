// `carrier-aaa sessions list` and `carrier-aaa session disconnect|coa`: live sessions from the
// configured store, and Dynamic Authorization (RFC 5176) towards the NAS that reported them.
import { clientSecret, type Config } from "../config/schema.js";
import { createSessionStore } from "../store/factory.js";
import type { Session, SessionStore } from "../store/sessions.js";
import type { StoreLogger } from "../store/util.js";
import { attributesFromObject } from "../radius/values.js";
import type { Dictionary } from "../radius/dictionary.js";
import type { AttributeInput } from "../radius/encode.js";
import { describeResult, RFC5080_TIMERS, sendDynamicRequest, sessionIdentification, type DynamicKind, type DynamicResult, type RetransmitTimers } from "../coa/client.js";

export class SessionCommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

async function openSessions(config: Config, log: StoreLogger): Promise<SessionStore> {
  if (!("redis" in config.store)) {
    throw new SessionCommandError(
      "with the memory store, sessions live inside the running server process; listing or acting on them from the command line needs the Redis store",
      1,
    );
  }
  const store = createSessionStore(config.store, config.sessions, log);
  await store.start();
  if (!store.isAvailable()) {
    await store.close();
    throw new SessionCommandError("Redis is not reachable", 1);
  }
  return store;
}

const iso = (ms: number | undefined): string => (ms === undefined || !Number.isFinite(ms) ? "-" : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"));

export function formatSessions(sessions: readonly Session[]): string[] {
  const header = ["USER", "NAS", "NAS-ADDRESS", "SESSION-ID", "NAS-PORT", "FRAMED-IP", "STARTED", "UPDATED", "IN-OCTETS", "OUT-OCTETS"];
  const rows = sessions.map((s) => [
    s.user || "-",
    s.nas,
    s.nasAddress,
    s.sessionId,
    s.nasPort === undefined ? "-" : String(s.nasPort),
    s.framedIp ?? "-",
    iso(s.startedAt),
    iso(s.updatedAt),
    String(s.inputOctets ?? 0),
    String(s.outputOctets ?? 0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

export async function listSessionsCommand(config: Config, log: StoreLogger, o: { user?: string | undefined; nas?: string | undefined; json: boolean; limit: number }): Promise<string[]> {
  const store = await openSessions(config, log);
  try {
    const sessions = await store.listSessions({ user: o.user, nas: o.nas, limit: o.limit });
    if (o.json) return sessions.map((s) => JSON.stringify(s));
    return [...formatSessions(sessions), `${sessions.length} live session${sessions.length === 1 ? "" : "s"}`];
  } finally {
    await store.close();
  }
}

/** `--set Name=Value` pairs to attributes; a value that fails as text is retried as a number. */
export function parseSetAttributes(dict: Dictionary, pairs: readonly string[]): AttributeInput[] {
  const out: AttributeInput[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new SessionCommandError(`--set ${pair}: expected Name=Value`, 64);
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    try {
      out.push(...attributesFromObject(dict, { [name]: value }));
    } catch (err) {
      if (!/^\d+$/.test(value)) throw new SessionCommandError(`--set ${name}: ${(err as Error).message}`, 64);
      try {
        out.push(...attributesFromObject(dict, { [name]: Number(value) }));
      } catch (err2) {
        throw new SessionCommandError(`--set ${name}: ${(err2 as Error).message}`, 64);
      }
    }
  }
  return out;
}

export interface SessionActionOptions {
  kind: DynamicKind;
  user?: string | undefined;
  nas?: string | undefined;
  sessionId?: string | undefined;
  all: boolean;
  attributes: AttributeInput[];
  timers?: RetransmitTimers;
}

/** Exit code: 0 every NAS answered ACK, 1 a NAK, 2 no answer, 3 no matching session. */
export async function sessionActionCommand(config: Config, log: StoreLogger, o: SessionActionOptions): Promise<{ code: number; lines: string[] }> {
  if (o.user === undefined && o.nas === undefined) throw new SessionCommandError("--user or --nas (with --session-id) is required", 64);
  if (o.kind === "coa" && o.attributes.length === 0) throw new SessionCommandError("coa needs at least one --set Name=Value", 64);
  const store = await openSessions(config, log);
  let targets: Session[];
  try {
    targets = (await store.listSessions({ user: o.user, nas: o.nas })).filter((s) => o.sessionId === undefined || s.sessionId === o.sessionId);
  } finally {
    await store.close();
  }
  if (targets.length === 0) return { code: 3, lines: ["no matching live session"] };
  if (targets.length > 1 && !o.all) {
    return {
      code: 64,
      lines: [`${targets.length} live sessions match; narrow it down with --nas/--session-id, or give --all:`, ...formatSessions(targets)],
    };
  }
  const lines: string[] = [];
  let code = 0;
  const results = await Promise.all(
    targets.map(async (s): Promise<{ s: Session; r: DynamicResult | null; where: string }> => {
      const client = config.clients.find((c) => c.name === s.nas);
      const port = client?.coa?.port ?? 3799;
      const where = `${s.nasAddress}:${port} (${s.nas}, session ${s.sessionId}${s.user ? `, user ${s.user}` : ""})`;
      if (!client) return { s, r: null, where };
      const secret = Buffer.from(client.coa?.secret ?? clientSecret(client), "utf8");
      const r = await sendDynamicRequest({
        kind: o.kind,
        host: s.nasAddress,
        port,
        secret,
        attributes: [...sessionIdentification(s), ...o.attributes],
        timers: o.timers ?? RFC5080_TIMERS,
      });
      return { s, r, where };
    }),
  );
  for (const { r, where } of results) {
    if (!r) {
      lines.push(`${where}: the client is no longer in the configuration; nothing sent`);
      code = Math.max(code, 1);
      continue;
    }
    lines.push(describeResult(o.kind, r, where));
    code = Math.max(code, r.outcome === "ack" ? 0 : r.outcome === "nak" ? 1 : 2);
  }
  return { code, lines };
}
