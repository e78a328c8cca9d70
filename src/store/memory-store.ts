// Embedded store: all subscribers in a Map, backed by JSONL files that are rewritten atomically
// (temp file + fsync + rename) on every write, so an import survives a restart.
//
// Caveats (by design, single process):
// - The files are owned by the running store: a write rewrites the whole file from memory, so
//   comments and hand edits made while it runs are lost. reload() picks up an edited file.
// - Another process writing the same files (e.g. a CLI import while the server runs) is not
//   seen until reload()/restart, and the server's next write would overwrite it.
// - A rewrite costs O(all subscribers) (~15 MB for 100k): fine for admin writes, not meant for
//   per-request updates.
import { randomBytes } from "node:crypto";
import { open, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { MemoryStoreConfig } from "./config.js";
import { StoreError } from "./errors.js";
import { fileErrorText, readJsonlFile, type JsonlError } from "./jsonl.js";
import type { ListOptions, ListPage, StoreStats, SubscriberStore, WriteReport } from "./store.js";
import { groupSchema, isPlausibleUsername, subscriberSchema, type Group, type Subscriber } from "./subscriber.js";
import { cloneGroup, cloneSubscriber, safeErrorMessage, validateAll, type StoreLogger } from "./util.js";

type State = "new" | "started" | "closed";

export interface MemoryStoreOptions {
  /** A missing file counts as empty (the importer, which then creates it); otherwise start() and reload() refuse it. */
  createMissing?: boolean;
}

const MAX_LISTED_ERRORS = 10;

export class MemoryStore implements SubscriberStore {
  readonly kind = "memory" as const;
  private subs = new Map<string, Subscriber>();
  private groups = new Map<string, Group>();
  private state: State = "new";
  // Writes (and reloads) run one at a time: each persists the whole map, so two interleaved
  // writes could otherwise rename an older snapshot over a newer one.
  private queue: Promise<unknown> = Promise.resolve();
  private timeouts = 0;
  /** Identity of each file as last loaded or written (device, inode, size, times), to skip unchanged ones on reload. */
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly config: MemoryStoreConfig,
    private readonly log: StoreLogger,
    private readonly opts: MemoryStoreOptions = {},
  ) {}

  async start(): Promise<void> {
    if (this.state === "started") return;
    if (this.state === "closed") throw new StoreError("STORE_UNAVAILABLE", "memory store is closed");
    await this.load();
    this.state = "started";
    this.log.info(
      { store: "memory", file: this.config.file, subscribers: this.subs.size, groups: this.groups.size },
      "subscriber store loaded",
    );
  }

  /**
   * Re-read the files (e.g. on SIGHUP after an offline edit or import). All or nothing: on any
   * invalid line the current data stays and this rejects STORE_LOAD_FAILED. Files whose identity
   * (inode, size, modification and change times) is the one last loaded or written are not read
   * again: parsing 100k subscribers holds the event loop for most of a second.
   */
  reload(): Promise<void> {
    return this.enqueue(async () => {
      const files = [this.config.file, ...(this.config.groupsFile ? [this.config.groupsFile] : [])];
      const now = await Promise.all(files.map((f) => fileIdentity(f)));
      if (files.every((f, i) => this.seen.get(f) === now[i])) return;
      await this.load();
      this.log.info({ store: "memory", file: this.config.file, subscribers: this.subs.size, groups: this.groups.size }, "subscriber store reloaded");
    });
  }

  private async load(): Promise<void> {
    // Identities are taken before reading: a change made while reading shows at the next reload.
    const subsId = await fileIdentity(this.config.file);
    const groupsId = this.config.groupsFile ? await fileIdentity(this.config.groupsFile) : undefined;
    const subs = await this.loadFile(this.config.file, "subscribers");
    const groups = this.config.groupsFile ? await this.loadFile(this.config.groupsFile, "groups") : new Map<string, Group>();
    this.subs = subs;
    this.groups = groups;
    this.seen.set(this.config.file, subsId);
    if (this.config.groupsFile && groupsId !== undefined) this.seen.set(this.config.groupsFile, groupsId);
  }

  private async loadFile(file: string, kind: "subscribers"): Promise<Map<string, Subscriber>>;
  private async loadFile(file: string, kind: "groups"): Promise<Map<string, Group>>;
  private async loadFile(file: string, kind: "subscribers" | "groups"): Promise<Map<string, Subscriber | Group>> {
    if (!(await exists(file))) {
      // A server never starts on a missing file (a mistyped path would serve no one, silently);
      // an empty file is a deliberate empty store. Only an import may create the file.
      if (this.opts.createMissing) return new Map();
      throw new StoreError(
        "STORE_LOAD_FAILED",
        `${file}: no such file (the ${kind} file of store.memory; for an empty store create it empty and private, e.g. \`install -m 600 /dev/null ${file}\`, or load it with \`carrier-aaa ${kind} import\`)`,
      );
    }
    const parsed =
      kind === "subscribers"
        ? await readJsonlFile(file, subscriberSchema)
        : await readJsonlFile(file, groupSchema);
    if (parsed.errors.length > 0) throw loadError(file, parsed.errors);
    const map = new Map<string, Subscriber | Group>();
    for (const rec of parsed.records) map.set("username" in rec ? rec.username : rec.group, rec);
    return map;
  }

  getSubscriber(username: string, timeoutMs?: number): Promise<Subscriber | null> {
    if (this.state !== "started") {
      return Promise.reject(new StoreError("STORE_UNAVAILABLE", `memory store is ${this.state === "new" ? "not started" : "closed"}`));
    }
    // Same contract as Redis: an already-expired deadline is a timeout, not a lookup.
    if (timeoutMs !== undefined && !(timeoutMs > 0)) {
      this.timeouts++;
      return Promise.reject(new StoreError("STORE_TIMEOUT", `lookup of user ${username}: deadline already expired`));
    }
    if (!isPlausibleUsername(username)) return Promise.resolve(null);
    const sub = this.subs.get(username);
    return Promise.resolve(sub === undefined ? null : cloneSubscriber(sub));
  }

  getGroup(name: string): Group | undefined {
    const g = this.groups.get(name);
    return g === undefined ? undefined : cloneGroup(g);
  }

  listGroups(): Group[] {
    return [...this.groups.values()].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0)).map(cloneGroup);
  }

  async putSubscribers(subs: readonly Subscriber[]): Promise<WriteReport> {
    const valid = validateAll(subs, "subscriber");
    return this.enqueue(() =>
      this.applyAndPersist(this.subs, valid.map((s) => [s.username, s] as const), () => this.persistSubscribers()),
    );
  }

  async putGroups(groups: readonly Group[]): Promise<WriteReport> {
    const valid = validateAll(groups, "group");
    return this.enqueue(async () => {
      if (!this.config.groupsFile) {
        return { written: 0, failed: valid.length, firstError: "memory store has no groupsFile configured; groups cannot be persisted" };
      }
      return this.applyAndPersist(this.groups, valid.map((g) => [g.group, g] as const), () => this.persistGroups());
    });
  }

  deleteSubscriber(username: string): Promise<boolean> {
    return this.enqueue(() => this.deleteAndPersist(this.subs, username, () => this.persistSubscribers()));
  }

  deleteGroup(name: string): Promise<boolean> {
    return this.enqueue(() => this.deleteAndPersist(this.groups, name, () => this.persistGroups()));
  }

  /** Cursor = offset in insertion order (SCAN-like guarantees only). */
  listSubscribers(opts: ListOptions = {}): Promise<ListPage> {
    if (this.state !== "started") return Promise.reject(new StoreError("STORE_UNAVAILABLE", "memory store is not started"));
    const count = Math.max(1, Math.min(opts.count ?? 100, 10_000));
    const offset = opts.cursor === undefined ? 0 : Number(opts.cursor);
    if (opts.cursor !== undefined && !/^\d+$/.test(opts.cursor)) return Promise.reject(new RangeError("invalid listing cursor"));
    const page: Subscriber[] = [];
    let i = 0;
    for (const sub of this.subs.values()) {
      if (i >= offset + count) break;
      if (i >= offset) page.push(cloneSubscriber(sub));
      i++;
    }
    const next = offset + page.length;
    return Promise.resolve({ subscribers: page, corrupt: [], cursor: next < this.subs.size ? String(next) : undefined });
  }

  isAvailable(): boolean {
    return this.state === "started";
  }

  stats(): StoreStats {
    return { inFlight: 0, errors: 0, timeouts: this.timeouts, corrupt: 0 };
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    // Refuse new work first, then let queued writes finish (they do not check the state).
    this.state = "closed";
    await this.queue.catch(() => {});
  }

  private enqueue<R>(fn: () => Promise<R>): Promise<R> {
    if (this.state !== "started") {
      return Promise.reject(new StoreError("STORE_UNAVAILABLE", `memory store is ${this.state === "new" ? "not started" : "closed"}`));
    }
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Apply to memory, persist, and undo the memory change if persisting fails. */
  private async applyAndPersist<V>(
    map: Map<string, V>,
    entries: ReadonlyArray<readonly [string, V]>,
    persist: () => Promise<void>,
  ): Promise<WriteReport> {
    if (entries.length === 0) return { written: 0, failed: 0 };
    const previous = new Map<string, V | undefined>();
    for (const [k, v] of entries) {
      if (!previous.has(k)) previous.set(k, map.get(k));
      map.set(k, v);
    }
    try {
      await persist();
      return { written: entries.length, failed: 0 };
    } catch (err) {
      for (const [k, v] of previous) {
        if (v === undefined) map.delete(k);
        else map.set(k, v);
      }
      const message = `persisting failed: ${safeErrorMessage(err)}`;
      this.log.error({ store: "memory", err: message }, "write failed, nothing written");
      return { written: 0, failed: entries.length, firstError: message };
    }
  }

  private async deleteAndPersist<V>(map: Map<string, V>, key: string, persist: () => Promise<void>): Promise<boolean> {
    const prev = map.get(key);
    if (prev === undefined) return false;
    map.delete(key);
    try {
      await persist();
      return true;
    } catch (err) {
      map.set(key, prev);
      throw new StoreError("STORE_WRITE_FAILED", `deleting ${key}: persisting failed: ${safeErrorMessage(err)}`);
    }
  }

  private async persistSubscribers(): Promise<void> {
    await writeJsonlAtomic(this.config.file, "subscribers", this.subs.values());
    this.seen.set(this.config.file, await fileIdentity(this.config.file));
  }

  private async persistGroups(): Promise<void> {
    const file = this.config.groupsFile;
    if (!file) throw new Error("no groupsFile configured");
    await writeJsonlAtomic(file, "groups", this.groups.values());
    this.seen.set(file, await fileIdentity(file));
  }
}

function loadError(file: string, errors: readonly JsonlError[]): StoreError {
  const shown = errors.slice(0, MAX_LISTED_ERRORS).map((e) => (e.line > 0 ? `${file}:${e.line}: ${e.message}` : `${file}: ${e.message}`));
  const more = errors.length > MAX_LISTED_ERRORS ? `; and ${errors.length - MAX_LISTED_ERRORS} more` : "";
  return new StoreError("STORE_LOAD_FAILED", `${shown.join("; ")}${more}`, errors);
}

/** Device, inode, size and times of a file; "absent" when it does not exist, "unknown" when it cannot be read. */
async function fileIdentity(file: string): Promise<string> {
  try {
    const st = await stat(file, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? "absent" : `unknown:${Math.random()}`;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw new StoreError("STORE_LOAD_FAILED", `${file}: cannot access: ${fileErrorText(err)}`);
  }
}

/**
 * Crash-safe replace: write a temp file in the same directory, fsync it, rename it over the
 * target, fsync the directory. Readers see the old or the new file, never a torn one. The file
 * holds cleartext passwords: a new file is created 0600, an existing file keeps its mode.
 */
async function writeJsonlAtomic(file: string, kind: string, records: Iterable<unknown>): Promise<void> {
  let mode = 0o600;
  try {
    mode = (await stat(file)).mode & 0o777;
  } catch {
    // new file
  }
  const chunks: string[] = [`# carrier-aaa ${kind}, rewritten by the server on every change (comments are not kept)\n`];
  for (const r of records) chunks.push(`${JSON.stringify(r)}\n`);
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.writeFile(chunks.join(""), "utf8");
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  // The rename is durable only once the directory entry is on disk. Best effort: not every
  // platform lets a directory be opened for fsync.
  try {
    const dh = await open(dir, "r");
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // ignore
  }
}
