// Request and response plumbing of the HTTP side: bounded JSON bodies, JSON errors that name the
// field, bearer tokens compared in constant time. Nothing here logs or echoes a request body.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";

/** A client mistake (or a refusal) with its status; `field` names the offending field when there is one. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(text)), "cache-control": "no-store", ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  const error: Record<string, string> = { code: err.code, message: err.message };
  if (err.field !== undefined) error["field"] = err.field;
  sendJson(res, err.status, { error }, err.headers);
}

/**
 * The request body as parsed JSON. 415 unless the content type is JSON, 413 past maxBytes
 * (announced or streamed), 400 for anything that does not parse (V8's parse message is not
 * passed on: it quotes the input, which may hold a password).
 */
export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") {
    req.resume();
    throw new HttpError(415, "unsupported_media_type", "the body must be JSON (content-type: application/json)");
  }
  const announced = Number(req.headers["content-length"] ?? NaN);
  if (announced > maxBytes) {
    req.resume();
    throw tooLarge(maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > maxBytes) {
        req.off("data", onData);
        req.resume();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(c);
    };
    req.on("data", onData);
    req.once("end", () => resolve());
    req.once("error", () => reject(new HttpError(400, "bad_request", "the request body could not be read")));
  });
  if (size === 0) throw new HttpError(400, "invalid_json", "the request body is empty; a JSON object is expected");
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks, size).toString("utf8"));
  } catch {
    throw new HttpError(400, "invalid_json", "the request body is not valid JSON");
  }
  // JSON.parse keeps "__proto__" as an own key, which schema checks do not see as a field; it is
  // refused like any other unknown field, wherever it is in the body.
  const proto = protoKeyPath(value);
  if (proto !== undefined) throw new HttpError(400, "unknown_field", `${proto}: unknown field`, proto);
  return value;
}

/** The path of the first own "__proto__" key in a parsed JSON value, or undefined (iterative: any depth). */
function protoKeyPath(root: unknown): string | undefined {
  const stack: Array<{ v: unknown; at: string }> = [{ v: root, at: "" }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { v, at } = item;
    if (typeof v !== "object" || v === null) continue;
    for (const key of Object.keys(v)) {
      const path = at ? `${at}.${key}` : key;
      if (key === "__proto__") return path;
      stack.push({ v: (v as Record<string, unknown>)[key], at: path });
    }
  }
  return undefined;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "body_too_large", `the request body exceeds ${maxBytes} bytes`, undefined, { connection: "close" });
}

/** Validate with zod; the first problem becomes a 400 naming its field. Zod messages never quote input values. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what = "body"): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw issueError(r.error, what);
}

export function issueError(error: z.ZodError, what = "body"): HttpError {
  const issue = error.issues[0];
  if (!issue) return new HttpError(400, "invalid", `invalid ${what}`);
  const base = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const field = base ? `${base}.${key}` : key;
    return new HttpError(400, "unknown_field", `${field}: unknown field`, field);
  }
  if (base === "") return new HttpError(400, "invalid", `${what}: ${issue.message}`);
  return new HttpError(400, "invalid_field", `${base}: ${issue.message}`, base);
}

const MAX_TOKEN = 256;

/** A token in a fixed-size buffer, so that comparisons take the same time whatever its length. */
function padded(token: string): Buffer {
  const b = Buffer.alloc(MAX_TOKEN);
  b.write(token, 0, MAX_TOKEN, "latin1");
  return b;
}

/**
 * Bearer tokens, compared in constant time: the presented token and each configured one are
 * compared as fixed-size (256-octet) buffers with timingSafeEqual, plus a length check, so the
 * time taken depends neither on the lengths nor on where they differ.
 */
export class TokenCheck {
  private readonly admin: { buf: Buffer; len: number } | undefined;
  private readonly auth: { buf: Buffer; len: number } | undefined;
  private readonly presented = Buffer.alloc(MAX_TOKEN);

  constructor(adminToken: string | undefined, authToken: string | undefined) {
    this.admin = adminToken === undefined ? undefined : { buf: padded(adminToken), len: adminToken.length };
    this.auth = authToken === undefined ? undefined : { buf: padded(authToken), len: authToken.length };
  }

  get enabled(): boolean {
    return this.admin !== undefined || this.auth !== undefined;
  }

  /** "admin", "auth" (POST /v1/auth only), or null for a missing or wrong token. */
  scope(header: string | undefined): "admin" | "auth" | null {
    const h = header ?? "";
    // "Bearer " + 1..256 printable ASCII characters (config tokens are 16..256 of them).
    const wellFormed = h.length > 7 && h.length <= 7 + MAX_TOKEN && h.startsWith("Bearer ") && /^[\x21-\x7e]+$/.test(h.slice(7));
    const len = wellFormed ? h.length - 7 : -1;
    this.presented.fill(0);
    if (wellFormed) this.presented.write(h.slice(7), 0, MAX_TOKEN, "latin1");
    // Both comparisons always run: which token matched is not observable through timing.
    const isAdmin = this.admin !== undefined && timingSafeEqual(this.presented, this.admin.buf) && this.admin.len === len;
    const isAuth = this.auth !== undefined && timingSafeEqual(this.presented, this.auth.buf) && this.auth.len === len;
    return isAdmin ? "admin" : isAuth ? "auth" : null;
  }
}
