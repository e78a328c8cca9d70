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
  private readonly histograms = new Map<string, Histogram>();
  private readonly gauges = new Map<string, () => Array<{ labels: Labels; value: number }>>();
  private readonly gaugeTypes = new Map<string, "gauge" | "counter">();

  /** The histogram for name+labels, created on first use. */
  histogram(name: string, labels: Labels = {}): Histogram {
    const key = seriesKey(name, labels);
    let h = this.histograms.get(key);
    if (!h) {
      h = new Histogram(name, labels);
      this.histograms.set(key, h);
    }
    return h;
  }

  /**
   * A gauge whose values are read when the metrics are exported. type "counter" exports a value
   * kept elsewhere that only grows (e.g. process CPU seconds) with the counter TYPE line.
   */
  gauge(name: string, help: string, read: () => Array<{ labels: Labels; value: number }>, type: "gauge" | "counter" = "gauge"): void {
    this.help.set(name, help);
    this.gauges.set(name, read);
    this.gaugeTypes.set(name, type);
  }

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

  /** Totals of the series matching `match`, grouped by the value of one label (non-zero only). */
  sumBy(name: string, label: string, match: Labels = {}): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.series.values()) {
      if (s.name !== name || s.value === 0) continue;
      if (!Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue;
      const key = s.labels[label] ?? "";
      out[key] = (out[key] ?? 0) + s.value;
    }
    return out;
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
    const hByName = new Map<string, Histogram[]>();
    for (const h of this.histograms.values()) hByName.set(h.name, [...(hByName.get(h.name) ?? []), h]);
    for (const [name, list] of [...hByName.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const help = this.help.get(name);
      if (help) lines.push(`# HELP ${name} ${help}`);
      lines.push(`# TYPE ${name} histogram`);
      for (const h of list) lines.push(...h.toPrometheus());
    }
    for (const [name, read] of [...this.gauges.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`# HELP ${name} ${this.help.get(name) ?? name}`, `# TYPE ${name} ${this.gaugeTypes.get(name) ?? "gauge"}`);
      for (const { labels, value } of read()) {
        const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
        lines.push(`${name}${l.length ? `{${l.join(",")}}` : ""} ${Number.isFinite(value) ? value : "NaN"}`);
      }
    }
    return lines.join("\n") + "\n";
  }
}

/** Upper bounds (seconds) of the latency buckets: fine below the default 50 ms budget. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1];

/** A Prometheus histogram with fixed buckets; observe() is allocation-free. */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly name: string,
    readonly labels: Labels,
    readonly bounds: readonly number[] = LATENCY_BUCKETS,
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= (b[i] as number)) {
        this.counts[i]!++;
        return;
      }
    }
  }

  /** Value at quantile q from the buckets (upper bound of the bucket holding it). */
  quantile(q: number): number {
    const target = q * this.count;
    let acc = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      acc += this.counts[i] as number;
      if (acc >= target) return this.bounds[i] as number;
    }
    return Infinity;
  }

  toPrometheus(): string[] {
    const base = Object.entries(this.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    const lines: string[] = [];
    let acc = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      acc += this.counts[i] as number;
      lines.push(`${this.name}_bucket{${[...base, `le="${this.bounds[i]}"`].join(",")}} ${acc}`);
    }
    lines.push(`${this.name}_bucket{${[...base, 'le="+Inf"'].join(",")}} ${this.count}`);
    const l = base.length ? `{${base.join(",")}}` : "";
    lines.push(`${this.name}_sum${l} ${this.sum}`, `${this.name}_count${l} ${this.count}`);
    return lines;
  }
}
