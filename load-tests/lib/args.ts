// Tiny helpers over node:util parseArgs: every option is read as a string and converted here,
// so a typo such as `--rate 10k` fails loudly instead of running a different benchmark.
import { parseArgs } from "node:util";

export type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(spec: OptionSpec, usage: string, argv: string[] = process.argv.slice(2)): Parsed {
  try {
    const r = parseArgs({ args: argv, options: { ...spec, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    if (r.values["help"]) {
      process.stdout.write(usage);
      process.exit(0);
    }
    return { values: r.values as Parsed["values"], positionals: r.positionals };
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage}`);
    process.exit(64);
  }
}

/** An OptionSpec of string-valued options (each converted later by num/str/numList). */
export function stringOptions(...names: string[]): OptionSpec {
  return Object.fromEntries(names.map((n) => [n, { type: "string" as const }]));
}

export function str(p: Parsed, name: string, def: string): string {
  const v = p.values[name];
  return typeof v === "string" ? v : def;
}

export function optStr(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

export function num(p: Parsed, name: string, def: number, o: { min?: number; max?: number; int?: boolean } = {}): number {
  const v = p.values[name];
  if (v === undefined || typeof v === "boolean") return def;
  const n = Number(v);
  const bad =
    v.trim() === "" || !Number.isFinite(n) || (o.int === true && !Number.isInteger(n)) || (o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max);
  if (bad) {
    process.stderr.write(`--${name}: expected ${o.int ? "an integer" : "a number"}${o.min !== undefined ? ` >= ${o.min}` : ""}${o.max !== undefined ? ` <= ${o.max}` : ""}, got ${JSON.stringify(v)}\n`);
    process.exit(64);
  }
  return n;
}

export function numList(p: Parsed, name: string, def: number[]): number[] {
  const v = p.values[name];
  if (typeof v !== "string") return def;
  const list = v.split(",").map((x) => Number(x.trim()));
  if (list.length === 0 || list.some((x) => !Number.isFinite(x) || x <= 0)) {
    process.stderr.write(`--${name}: expected a comma-separated list of positive numbers, got ${JSON.stringify(v)}\n`);
    process.exit(64);
  }
  return list;
}
