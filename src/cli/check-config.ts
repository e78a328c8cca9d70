// `carrier-aaa check-config`: everything `serve` reads before it binds a socket, read the same
// way, so that a file that passes here does not stop or degrade the server at start: the
// configuration (keys, cross-field rules, tokens from the environment), the dictionary files,
// the memory store's subscribers and groups files (through the store's own loader), the reply
// attributes of their records against the dictionary, and the native UDP addon where io is
// "native". Redis is not contacted: a server starts while Redis is down and recovers by itself.
import type { Config } from "../config/schema.js";
import { loadDictionary } from "../server.js";
import { MemoryStore } from "../store/memory-store.js";
import { readJsonlFile } from "../store/jsonl.js";
import { groupSchema, subscriberSchema, type Group, type Subscriber } from "../store/subscriber.js";
import { validateAttributeObject } from "../radius/values.js";
import { loadUdpMmsg } from "../transport/native/binding.js";
import type { Dictionary } from "../radius/dictionary.js";

const MAX_REPLY_PROBLEMS = 20;

const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

export interface CheckResult {
  problems: string[];
  /** One line on what was read, for the success message. */
  summary: string;
}

export async function checkConfigFiles(config: Config): Promise<CheckResult> {
  const problems: string[] = [];
  let dictionary: Dictionary | null = null;
  try {
    dictionary = await loadDictionary(config.dictionary.files);
  } catch (err) {
    problems.push(`dictionary.files: ${(err as Error).message}`);
  }
  for (const [name, l] of [["auth", config.radius.auth], ["acct", config.radius.acct]] as const) {
    if (l?.io !== "native") continue;
    const { binding, error } = loadUdpMmsg();
    if (!binding) problems.push(`radius.${name}.io is "native" but ${error}`);
  }
  let summary = `${config.clients.length} client${config.clients.length === 1 ? "" : "s"}`;
  if ("memory" in config.store) {
    const m = config.store.memory;
    const store = new MemoryStore(m, silent);
    try {
      await store.start();
      const groups = store.listGroups().length;
      let subscribers = 0;
      let cursor: string | undefined;
      do {
        const page = await store.listSubscribers({ count: 10_000, cursor });
        subscribers += page.subscribers.length;
        cursor = page.cursor;
      } while (cursor !== undefined);
      summary += `, store.memory: ${subscribers} subscriber${subscribers === 1 ? "" : "s"}${m.groupsFile ? `, ${groups} group${groups === 1 ? "" : "s"}` : ""}`;
    } catch (err) {
      problems.push(`store.memory: ${(err as Error).message}`);
    } finally {
      await store.close();
    }
    // Reply attributes are encoded per request: one the dictionary cannot encode would fail
    // that subscriber's every Access-Request. Checked with line numbers, as the importer does.
    if (dictionary && problems.length === 0) {
      const dict = dictionary;
      const replyProblems: string[] = [];
      const check = async (file: string, kind: "subscribers" | "groups"): Promise<void> => {
        const parsed = kind === "subscribers" ? await readJsonlFile<Subscriber | Group>(file, subscriberSchema) : await readJsonlFile<Subscriber | Group>(file, groupSchema);
        parsed.records.forEach((rec, i) => {
          for (const p of validateAttributeObject(dict, rec.reply)) replyProblems.push(`${file}:${parsed.lines[i] ?? 0}: reply: ${p}`);
        });
      };
      await check(m.file, "subscribers");
      if (m.groupsFile) await check(m.groupsFile, "groups");
      problems.push(...replyProblems.slice(0, MAX_REPLY_PROBLEMS));
      if (replyProblems.length > MAX_REPLY_PROBLEMS) problems.push(`and ${replyProblems.length - MAX_REPLY_PROBLEMS} more reply problems`);
    }
  } else {
    summary += ", store.redis (not contacted)";
  }
  return { problems, summary };
}
