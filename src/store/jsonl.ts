// JSONL parsing and importing, shared by the memory store loader and the CLI importer.
// Format: one JSON object per line; blank lines and lines starting with "#" are ignored;
// UTF-8 (a leading BOM is tolerated), LF or CRLF line ends.
import { readFile } from "node:fs/promises";
import type { z } from "zod";
import type { StoreErrorDetail } from "./errors.js";
import type { SubscriberStore, WriteReport } from "./store.js";
import { groupSchema, subscriberSchema, summarizeIssues, type Group, type Reply, type Subscriber } from "./subscriber.js";
import { safeErrorMessage } from "./util.js";

export type JsonlError = StoreErrorDetail;

export interface JsonlResult<T> {
  records: T[];
  /** lines[i] is the 1-based line number of records[i]. */
  lines: number[];
  /** Sorted by line. Empty when every line is valid. */
  errors: JsonlError[];
}

export interface ParseJsonlOptions<T> {
  /**
   * Identity of a record for duplicate detection. Default: its `username`, else its `group`
   * (so subscribers and groups work without options); return undefined to skip the check.
   */
  key?: (record: T) => string | undefined;
  /** Word used in the duplicate message. Default: "username" / "group" / "key". */
  keyName?: string;
}

function defaultKey(record: unknown): string | undefined {
  if (typeof record !== "object" || record === null) return undefined;
  const r = record as { username?: unknown; group?: unknown };
  if (typeof r.username === "string") return r.username;
  if (typeof r.group === "string") return r.group;
  return undefined;
}

function defaultKeyName(record: unknown): string {
  if (typeof record === "object" && record !== null) {
    if ("username" in record) return "username";
    if ("group" in record) return "group";
  }
  return "key";
}

/**
 * V8's JSON.parse messages quote a slice of the input ("Unexpected token 'x', "{"password":..."),
 * which could be a password: keep only the position, never the text.
 */
function jsonErrorMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : "";
  const pos = /at position (\d+)/.exec(msg);
  return pos ? `invalid JSON (at column ${Number(pos[1]) + 1})` : "invalid JSON";
}

/** Validate every line and collect ALL problems (not only the first), each with its line number. */
export function parseJsonl<T>(text: string, schema: z.ZodType<T>, opts: ParseJsonlOptions<T> = {}): JsonlResult<T> {
  const records: T[] = [];
  const lines: number[] = [];
  const errors: JsonlError[] = [];
  const firstLineOf = new Map<string, number>();
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rawLines = src.split("\n");
  for (let i = 0; i < rawLines.length; i++) {
    const lineNo = i + 1;
    const line = (rawLines[i] ?? "").trim(); // also strips the \r of CRLF
    if (line === "" || line.startsWith("#")) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      errors.push({ line: lineNo, message: jsonErrorMessage(err) });
      continue;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      errors.push({ line: lineNo, message: summarizeIssues(parsed.error) });
      continue;
    }
    const key = opts.key ? opts.key(parsed.data) : defaultKey(parsed.data);
    if (key !== undefined) {
      const first = firstLineOf.get(key);
      if (first !== undefined) {
        const what = opts.keyName ?? defaultKeyName(parsed.data);
        errors.push({ line: lineNo, message: `duplicate ${what} "${key}" (lines ${first} and ${lineNo})` });
        continue;
      }
      firstLineOf.set(key, lineNo);
    }
    records.push(parsed.data);
    lines.push(lineNo);
  }
  return { records, lines, errors };
}

/**
 * Decode strictly: a file that is not UTF-8 (e.g. Latin-1 exported from a legacy system) would
 * otherwise be loaded with U+FFFD in usernames and passwords, silently. Names the first bad line.
 */
export function decodeUtf8(buf: Buffer): { text: string } | { error: JsonlError } {
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(buf) };
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= buf.length; i++) {
      if (i === buf.length || buf[i] === 0x0a) {
        try {
          new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(start, i));
        } catch {
          return { error: { line, message: "not valid UTF-8" } };
        }
        line++;
        start = i + 1;
      }
    }
    return { error: { line: 0, message: "not valid UTF-8" } };
  }
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory, not a file",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "too many symbolic links",
  EMFILE: "too many open files",
};

/** A file system error in words, with its code ("permission denied (EACCES)"); never a path or content. */
export function fileErrorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === undefined) return safeErrorMessage(err);
  const text = FILE_ERRORS[code];
  return text ? `${text} (${code})` : code;
}

/** Read and parse a JSONL file; file-level problems (unreadable, not UTF-8) come back as errors. */
export async function readJsonlFile<T>(
  path: string,
  schema: z.ZodType<T>,
  opts?: ParseJsonlOptions<T>,
): Promise<JsonlResult<T>> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    return { records: [], lines: [], errors: [{ line: 0, message: `cannot read file: ${fileErrorText(err)}` }] };
  }
  const decoded = decodeUtf8(buf);
  if ("error" in decoded) return { records: [], lines: [], errors: [decoded.error] };
  return parseJsonl(decoded.text, schema, opts);
}

export interface ImportOptions {
  /**
   * Checks a record's reply against the RADIUS dictionary (names known, values of the right
   * type). Returns the problems; each is reported with the record's line number.
   */
  validateReply?: (reply: Reply) => string[];
  /**
   * Write in calls of this many records, in file order, stopping at the first call that does
   * not write all of its records (default: one call with everything). With it, onProgress
   * hears of each written chunk.
   */
  chunkSize?: number;
  /** Progress: records checked (every `progressEvery` and at the end), then records written. */
  onProgress?: (p: ImportProgress) => void;
  /** Records between two "checked" reports (default 10 000). */
  progressEvery?: number;
}

export interface ImportProgress {
  phase: "checked" | "written";
  done: number;
  total: number;
}

export interface ImportResult {
  /** True when the file was valid and everything was written. */
  ok: boolean;
  /** Problems by line (line 0: the file as a whole). When non-empty, nothing was written. */
  errors: JsonlError[];
  /** Present when a write was attempted: exactly what was written. */
  report?: WriteReport;
}

/**
 * Validate the WHOLE file (schema, duplicates, validateReply) first; on any problem write
 * nothing and return every problem with its line number. Otherwise write everything in one
 * put* call, whose report states exactly what was written.
 */
export async function importFile(
  store: Pick<SubscriberStore, "putSubscribers" | "putGroups">,
  kind: "subscribers" | "groups",
  path: string,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const parsed: JsonlResult<Subscriber | Group> =
    kind === "subscribers" ? await readJsonlFile(path, subscriberSchema) : await readJsonlFile(path, groupSchema);
  const errors = parsed.errors.slice();
  const total = parsed.records.length;
  const every = opts.progressEvery ?? 10_000;
  if (opts.validateReply) {
    for (let i = 0; i < parsed.records.length; i++) {
      if (i > 0 && i % every === 0) opts.onProgress?.({ phase: "checked", done: i, total });
      const rec = parsed.records[i];
      const line = parsed.lines[i] ?? 0;
      if (rec === undefined) continue;
      let problems: string[];
      try {
        problems = opts.validateReply(rec.reply);
      } catch (err) {
        problems = [`reply check failed: ${safeErrorMessage(err)}`];
      }
      for (const p of problems) errors.push({ line, message: `reply: ${p}` });
    }
    errors.sort((a, b) => a.line - b.line);
  }
  if (errors.length > 0) return { ok: false, errors };
  opts.onProgress?.({ phase: "checked", done: total, total });
  const put = (records: Array<Subscriber | Group>): Promise<WriteReport> =>
    kind === "subscribers" ? store.putSubscribers(records as Subscriber[]) : store.putGroups(records as Group[]);
  const chunk = opts.chunkSize !== undefined && opts.chunkSize > 0 ? opts.chunkSize : Math.max(1, total);
  let written = 0;
  let firstError: string | undefined;
  let uncertain: number | undefined;
  for (let i = 0; i < total; i += chunk) {
    const part = parsed.records.slice(i, i + chunk);
    const r = await put(part);
    written += r.written;
    if (r.failed > 0 || r.written < part.length) {
      firstError = r.firstError;
      uncertain = r.uncertain;
      break;
    }
    if (opts.chunkSize !== undefined) opts.onProgress?.({ phase: "written", done: written, total });
  }
  const report: WriteReport = {
    written,
    failed: total - written,
    ...(uncertain !== undefined ? { uncertain } : {}),
    ...(firstError !== undefined ? { firstError } : {}),
  };
  return { ok: report.failed === 0, errors: [], report };
}
