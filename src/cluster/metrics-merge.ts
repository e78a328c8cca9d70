// GET /metrics of `serve --workers N`: every worker's Prometheus text merged into one exposition.
// Each family's HELP and TYPE once, every sample with a `worker="i"` label added (i = the
// worker's slot, kept by its replacements, so a series continues across a rolling restart with
// a counter reset, which Prometheus's rate() handles). Pure: text in, text out.

interface Family {
  help: string | null;
  type: string | null;
  samples: string[];
}

/** Merges the expositions of the workers, in the order given; `extra` (the primary's own) is appended as is. */
export function mergePrometheus(parts: ReadonlyArray<{ worker: string; text: string }>, extra = ""): string {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      f = { help: null, type: null, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const { worker, text } of parts) {
    let current: string | null = null;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
      if (meta) {
        const [, kind, name, rest] = meta as unknown as [string, string, string, string];
        const f = family(name);
        if (kind === "HELP") f.help ??= rest;
        else f.type ??= rest;
        current = name;
        continue;
      }
      if (line.startsWith("#")) continue;
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
      if (!name) continue;
      // A sample belongs to the family announced before it (histogram _bucket/_sum/_count too).
      const owner = current !== null && name.startsWith(current) ? current : name;
      family(owner).samples.push(withLabel(line, name.length, "worker", worker));
    }
  }
  const out: string[] = [];
  for (const [name, f] of families) {
    if (f.help !== null) out.push(`# HELP ${name} ${f.help}`);
    if (f.type !== null) out.push(`# TYPE ${name} ${f.type}`);
    out.push(...f.samples);
  }
  return out.join("\n") + "\n" + extra;
}

function withLabel(line: string, nameEnd: number, key: string, value: string): string {
  const label = `${key}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  if (line[nameEnd] === "{") return line[nameEnd + 1] === "}" ? `${line.slice(0, nameEnd)}{${label}}${line.slice(nameEnd + 2)}` : `${line.slice(0, nameEnd)}{${label},${line.slice(nameEnd + 1)}`;
  return `${line.slice(0, nameEnd)}{${label}}${line.slice(nameEnd)}`;
}
