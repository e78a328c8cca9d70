// The admin API under /v1: subscribers and groups CRUD, and POST /v1/auth (a JSON PAP
// authentication through the same core as RADIUS). Bodies are validated with the store's own
// schemas; reply attributes also against the RADIUS dictionary, as the import command does.
// Responses never contain a password or a password hash.
import { z } from "zod";
import type { Dictionary } from "../radius/dictionary.js";
import { validateAttributeObject } from "../radius/values.js";
import { StoreError, type SubscriberStore, type WriteReport } from "../store/store.js";
import { groupNameSchema, groupSchema, subscriberSchema, usernameSchema, utf8Length, type Group, type Subscriber } from "../store/subscriber.js";
import type { JsonAuthOutcome, JsonAuthRequest } from "../pipeline/pipeline.js";
import { HttpError, readJson, sendJson, validate } from "./io.js";
import { pathParam, type RouteContext, type Router } from "./router.js";

export interface AdminDeps {
  store: SubscriberStore;
  dictionary: Dictionary;
  maxBodyBytes: number;
  /** The core's entry point for POST /v1/auth. */
  authenticate: (req: JsonAuthRequest) => Promise<JsonAuthOutcome>;
  /** The core's clock (arrival stamps). */
  now: () => number;
  /** Scheduler client of POST /v1/auth. */
  authClient: string;
  /** POST /v1/auth answers the real reject reason (else a uniform `rejected`, against user enumeration). */
  revealRejectReason?: boolean;
  /**
   * Live reload of the configuration file (POST /v1/admin/reload): the same operation as SIGHUP.
   * Resolves with the server's ReloadResult; absent: the endpoint answers 404.
   */
  reload?: () => Promise<{ ok: boolean } & Record<string, unknown>>;
  /**
   * Rolling restart of every worker (POST /v1/admin/restart, serve --workers N > 1): resolves
   * once the restart was accepted (202) or refused (409: one is running, or the configuration
   * file is invalid); absent: the endpoint answers 404.
   */
  restart?: () => Promise<{ accepted: boolean } & Record<string, unknown>>;
  /** One line per successful change (what and which name, never a body). */
  audit?: (change: { action: "put" | "patch" | "delete"; kind: "subscriber" | "group"; name: string; created?: boolean }) => void;
}

/** Largest page of GET /v1/subscribers. */
export const MAX_PAGE = 1000;

/** Timeout of a single admin lookup (not on a request deadline). */
const ADMIN_LOOKUP_MS = 2000;

// ---------------------------------------------------------------- bodies

export const authBodySchema = z.strictObject({
  username: usernameSchema,
  password: z
    .string({ error: "password must be a string" })
    .min(1, { error: "password must not be empty" })
    .max(128, { error: "password must be at most 128 octets" })
    .refine((s) => utf8Length(s) <= 128, { error: "password must be at most 128 octets (UTF-8)" }),
});

/** {username, password} when exactly that and clearly valid (ASCII-only lengths), else undefined. */
function plainAuthBody(v: unknown): { username: string; password: string } | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const { username, password } = o;
  let keys = 0;
  for (const _ in o) keys++;
  if (keys !== 2 || typeof username !== "string" || typeof password !== "string") return undefined;
  if (!/^[\x20-\x7e]{1,253}$/.test(username) || !/^[\x20-\x7e]{1,128}$/.test(password)) return undefined;
  return { username, password };
}

const SUBSCRIBER_FIELDS = ["username", "password", "passwordHash", "ntHash", "enabled", "expiresAt", "groups", "reply", "maxSessions"] as const;
/** Fields a PATCH may remove with null. */
const REMOVABLE = new Set(["expiresAt", "maxSessions"]);
const patchSchema = z.strictObject(Object.fromEntries(SUBSCRIBER_FIELDS.map((f) => [f, z.unknown().optional()])) as Record<(typeof SUBSCRIBER_FIELDS)[number], z.ZodOptional<z.ZodUnknown>>);
const objectBody = z.record(z.string(), z.unknown(), { error: "the body must be a JSON object" });

const listQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,5}$/, { error: `limit must be an integer from 1 to ${MAX_PAGE}` })
    .transform(Number)
    .pipe(z.number().min(1, { error: `limit must be an integer from 1 to ${MAX_PAGE}` }).max(MAX_PAGE, { error: `limit must be an integer from 1 to ${MAX_PAGE}` }))
    .optional(),
  // A Redis SCAN cursor is an unsigned 64-bit integer: anything larger is a client error, not a
  // store failure.
  cursor: z
    .string()
    .regex(/^\d{1,20}$/, { error: "cursor must be the opaque `next` value of the previous page" })
    .refine((s) => !/^\d{1,20}$/.test(s) || BigInt(s) <= 0xffffffffffffffffn, { error: "cursor must be the opaque `next` value of the previous page" })
    .optional(),
});

// ---------------------------------------------------------------- views

/** A subscriber as the API shows it: no password, no hash; `credential` says which one is set. */
export function publicSubscriber(s: Subscriber): Record<string, unknown> {
  const { password, passwordHash, ntHash, ...rest } = s;
  return { ...rest, credential: password !== undefined ? "password" : passwordHash !== undefined ? "passwordHash" : ntHash !== undefined ? "ntHash" : "none" };
}

// ---------------------------------------------------------------- helpers

function username(ctx: RouteContext): string {
  const name = pathParam(ctx.params, "username");
  const r = usernameSchema.safeParse(name);
  if (!r.success) throw new HttpError(400, "invalid_field", `username: ${r.error.issues[0]?.message ?? "invalid"}`, "username");
  return name;
}

function groupName(ctx: RouteContext): string {
  const name = pathParam(ctx.params, "group");
  const r = groupNameSchema.safeParse(name);
  if (!r.success) throw new HttpError(400, "invalid_field", `group: ${r.error.issues[0]?.message ?? "invalid"}`, "group");
  return name;
}

function checkReply(dictionary: Dictionary, reply: Record<string, unknown>): void {
  const problems = validateAttributeObject(dictionary, reply);
  if (problems.length > 0) throw new HttpError(400, "invalid_field", `reply: ${problems[0]}`, "reply");
}

function noQuery(ctx: RouteContext): void {
  for (const key of ctx.query.keys()) throw new HttpError(400, "unknown_field", `${key}: unknown query parameter`, key);
}

/** Store failures are the server's side: 503 with Retry-After when it is down, never a 500 for a client. */
function storeFailure(err: unknown): never {
  if (err instanceof HttpError) throw err;
  if (err instanceof StoreError) {
    if (err.code === "STORE_INVALID_RECORD") throw new HttpError(400, "invalid", err.message);
    if (err.code === "STORE_CORRUPT_RECORD") throw new HttpError(409, "corrupt_record", `${err.message}; replace it with PUT or remove it with DELETE`);
    throw new HttpError(503, "store_unavailable", err.message, undefined, { "retry-after": "1" });
  }
  if (err instanceof RangeError) throw new HttpError(400, "invalid_field", err.message, "cursor");
  throw err;
}

function writeFailure(report: WriteReport): never {
  throw new HttpError(503, "store_write_failed", `nothing written: ${report.firstError ?? "the store refused the write"}`, undefined, { "retry-after": "1" });
}

async function lookup(store: SubscriberStore, name: string): Promise<Subscriber | null> {
  try {
    return await store.getSubscriber(name, ADMIN_LOOKUP_MS);
  } catch (err) {
    return storeFailure(err);
  }
}

async function put(store: SubscriberStore, sub: Subscriber): Promise<void> {
  let report: WriteReport;
  try {
    report = await store.putSubscribers([sub]);
  } catch (err) {
    return storeFailure(err);
  }
  if (report.written !== 1) writeFailure(report);
}

// ---------------------------------------------------------------- routes

export function adminRoutes(router: Router, d: AdminDeps): void {
  // ---- authentication (admin token or the auth-only token; see server.ts)
  router.on("POST", "/v1/auth", async (ctx) => {
    noQuery(ctx);
    const raw = await readJson(ctx.req, d.maxBodyBytes);
    // The common, valid case without zod; anything else gets zod's field-naming messages.
    const body = plainAuthBody(raw) ?? validate(authBodySchema, raw);
    const out = await d.authenticate({
      username: body.username,
      password: Buffer.from(body.password, "utf8"),
      arrivedAt: d.now(),
      client: d.authClient,
      remote: { address: ctx.req.socket.remoteAddress ?? "", port: ctx.req.socket.remotePort ?? 0 },
    });
    if (out.kind === "answered") {
      // Unless configured otherwise, one reason for every reject: telling unknown_user from
      // bad_password would let a caller enumerate the subscribers.
      const reason = out.result === "reject" ? (d.revealRejectReason ? out.reason : "rejected") : undefined;
      sendJson(ctx.res, 200, out.result === "accept" ? { result: "accept", reply: out.reply } : { result: "reject", reason });
    } else if (out.kind === "shed") {
      throw new HttpError(503, "shed", `not admitted by the scheduler (${out.reason}); retry later`, undefined, { "retry-after": "1" });
    } else if (out.reason === "internal_error") {
      throw new HttpError(500, "internal_error", "the request failed; see the server log");
    } else {
      throw new HttpError(503, "unavailable", `no decision (${out.reason}); retry later`, undefined, { "retry-after": "1" });
    }
  });

  // ---- configuration
  router.on("POST", "/v1/admin/reload", async (ctx) => {
    noQuery(ctx);
    if (!d.reload) throw new HttpError(404, "not_found", "reload is not available on this server");
    const result = await d.reload();
    // 200: applied (see needsRestart); 422: the new configuration was refused, the old one runs.
    sendJson(ctx.res, result.ok ? 200 : 422, result);
  });
  router.on("POST", "/v1/admin/restart", async (ctx) => {
    noQuery(ctx);
    if (!d.restart) throw new HttpError(404, "not_found", "rolling restart needs `serve --workers N` with N > 1; a single process is restarted by its supervisor");
    const result = await d.restart();
    // 202: the restart runs now, one worker after the other (the log and aaa_cluster_* metrics
    // say when it is done); 409: refused, nothing changed.
    sendJson(ctx.res, result.accepted ? 202 : 409, result);
  });

  // ---- subscribers
  router.on("GET", "/v1/subscribers", async (ctx) => {
    const q = validate(listQuerySchema, Object.fromEntries(ctx.query), "query");
    try {
      const page = await d.store.listSubscribers({ count: q.limit ?? 100, ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) });
      sendJson(ctx.res, 200, { subscribers: page.subscribers.map(publicSubscriber), corrupt: page.corrupt, next: page.cursor ?? null });
    } catch (err) {
      storeFailure(err);
    }
  });

  router.on("GET", "/v1/subscribers/:username", async (ctx) => {
    noQuery(ctx);
    const name = username(ctx);
    const sub = await lookup(d.store, name);
    if (!sub) throw new HttpError(404, "not_found", `no subscriber "${name}"`);
    sendJson(ctx.res, 200, publicSubscriber(sub));
  });

  router.on("PUT", "/v1/subscribers/:username", async (ctx) => {
    noQuery(ctx);
    const name = username(ctx);
    const body = validate(objectBody, await readJson(ctx.req, d.maxBodyBytes));
    if (body["username"] !== undefined && body["username"] !== name) throw new HttpError(400, "invalid_field", "username: differs from the name in the path", "username");
    const sub = validate(subscriberSchema, { ...body, username: name });
    checkReply(d.dictionary, sub.reply);
    const existed = (await lookup(d.store, name)) !== null;
    await put(d.store, sub);
    d.audit?.({ action: "put", kind: "subscriber", name, created: !existed });
    sendJson(ctx.res, existed ? 200 : 201, publicSubscriber(sub));
  });

  router.on("PATCH", "/v1/subscribers/:username", async (ctx) => {
    noQuery(ctx);
    const name = username(ctx);
    const patch = validate(patchSchema, validate(objectBody, await readJson(ctx.req, d.maxBodyBytes)));
    if (patch.username !== undefined && patch.username !== name) throw new HttpError(400, "invalid_field", "username: cannot be changed (create the new name with PUT, then DELETE the old one)", "username");
    const current = await lookup(d.store, name);
    if (!current) throw new HttpError(404, "not_found", `no subscriber "${name}"`);
    // Merge: a field given replaces the stored one; null removes an optional field; setting one
    // of password / passwordHash / ntHash removes the others. Not atomic against a concurrent writer of the
    // same subscriber (last write wins).
    const merged: Record<string, unknown> = { ...current };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      if (v === null && REMOVABLE.has(k)) delete merged[k];
      else merged[k] = v;
    }
    const credentials = ["password", "passwordHash", "ntHash"] as const;
    const given = credentials.filter((k) => patch[k] !== undefined && patch[k] !== null);
    if (given.length === 1) for (const k of credentials) if (k !== given[0]) delete merged[k];
    const sub = validate(subscriberSchema, merged);
    checkReply(d.dictionary, sub.reply);
    await put(d.store, sub);
    d.audit?.({ action: "patch", kind: "subscriber", name });
    sendJson(ctx.res, 200, publicSubscriber(sub));
  });

  router.on("DELETE", "/v1/subscribers/:username", async (ctx) => {
    noQuery(ctx);
    const name = username(ctx);
    let existed: boolean;
    try {
      existed = await d.store.deleteSubscriber(name);
    } catch (err) {
      return storeFailure(err);
    }
    if (!existed) throw new HttpError(404, "not_found", `no subscriber "${name}"`);
    d.audit?.({ action: "delete", kind: "subscriber", name });
    ctx.res.writeHead(204).end();
  });

  // ---- groups
  router.on("GET", "/v1/groups", (ctx) => {
    noQuery(ctx);
    sendJson(ctx.res, 200, { groups: d.store.listGroups() });
  });

  router.on("GET", "/v1/groups/:group", (ctx) => {
    noQuery(ctx);
    const name = groupName(ctx);
    const g = d.store.getGroup(name);
    if (!g) throw new HttpError(404, "not_found", `no group "${name}"`);
    sendJson(ctx.res, 200, g);
  });

  router.on("PUT", "/v1/groups/:group", async (ctx) => {
    noQuery(ctx);
    const name = groupName(ctx);
    const body = validate(objectBody, await readJson(ctx.req, d.maxBodyBytes));
    if (body["group"] !== undefined && body["group"] !== name) throw new HttpError(400, "invalid_field", "group: differs from the name in the path", "group");
    const group: Group = validate(groupSchema, { ...body, group: name });
    checkReply(d.dictionary, group.reply);
    const existed = d.store.getGroup(name) !== undefined;
    let report: WriteReport;
    try {
      report = await d.store.putGroups([group]);
    } catch (err) {
      return storeFailure(err);
    }
    if (report.written !== 1) writeFailure(report);
    d.audit?.({ action: "put", kind: "group", name, created: !existed });
    sendJson(ctx.res, existed ? 200 : 201, group);
  });

  router.on("DELETE", "/v1/groups/:group", async (ctx) => {
    noQuery(ctx);
    const name = groupName(ctx);
    let existed: boolean;
    try {
      existed = await d.store.deleteGroup(name);
    } catch (err) {
      return storeFailure(err);
    }
    if (!existed) throw new HttpError(404, "not_found", `no group "${name}"`);
    d.audit?.({ action: "delete", kind: "group", name });
    ctx.res.writeHead(204).end();
  });

  // Sessions (list, disconnect, CoA) belong here once accounting exists: /v1/sessions.
}
