// Counters for every outcome. Labels are fixed per series at first use; the hot path increments a
// pre-resolved series (no string building per request when the caller keeps the handle).

export type Labels = Readonly<Record<string, string>>;

export interface CounterSeries {
  readonly name: string;
  readonly labels: Labels;
  value: number;
}

function seriesKey(name: string, labels: Labels): string {
  let key = name;
  for (const k of Object.keys(labels).sort()) key += `|${k}=${labels[k]}`;
  return key;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

export class Metrics {
  private readonly series = new Map<string, CounterSeries>();
  private readonly help = new Map<string, string>();

  describe(name: string, help: string): void {
    this.help.set(name, help);
  }

  /** The series for name+labels, created on first use. Keep the handle on hot paths. */
  counter(name: string, labels: Labels = {}): CounterSeries {
    const key = seriesKey(name, labels);
    let s = this.series.get(key);
    if (!s) {
      s = { name, labels: { ...labels }, value: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  inc(name: string, labels: Labels = {}, by = 1): void {
    this.counter(name, labels).value += by;
  }

  /** Current value (0 when the series never happened). */
  get(name: string, labels: Labels = {}): number {
    return this.series.get(seriesKey(name, labels))?.value ?? 0;
  }

  /** Sum over every series of a name whose labels include `match`. */
  sum(name: string, match: Labels = {}): number {
    let total = 0;
    for (const s of this.series.values()) {
      if (s.name !== name) continue;
      if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
    return total;
  }

  snapshot(): Array<{ name: string; labels: Labels; value: number }> {
    return [...this.series.values()].map((s) => ({ name: s.name, labels: s.labels, value: s.value }));
  }

  /** Prometheus text exposition format 0.0.4. */
  toPrometheus(): string {
    const byName = new Map<string, CounterSeries[]>();
    for (const s of this.series.values()) {
      const list = byName.get(s.name) ?? [];
      list.push(s);
      byName.set(s.name, list);
    }
    const lines: string[] = [];
    for (const [name, list] of [...byName.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const help = this.help.get(name);
      if (help) lines.push(`# HELP ${name} ${help}`);
      lines.push(`# TYPE ${name} counter`);
      for (const s of list) {
        const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
        lines.push(`${name}${labels.length ? `{${labels.join(",")}}` : ""} ${s.value}`);
      }
    }
    return lines.join("\n") + "\n";
  }
}
