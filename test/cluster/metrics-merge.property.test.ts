// Properties of the merge of the workers' Prometheus texts (fast-check): every sample comes out
// once, labelled with its worker, under its family's one HELP and TYPE; the primary's own text
// follows as is.
import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { mergePrometheus } from "../../src/cluster/metrics-merge.js";

interface Fam {
  name: string;
  type: "counter" | "gauge" | "histogram";
  help: string;
}

const famArb: fc.Arbitrary<Fam> = fc.record({
  // A fixed suffix keeps one family's name from being a prefix of another's.
  name: fc.stringMatching(/^[a-z]{1,6}$/).map((w) => `aaa_${w}_m`),
  type: fc.constantFrom("counter" as const, "gauge" as const, "histogram" as const),
  help: fc.stringMatching(/^[A-Za-z][A-Za-z ,.()]{0,30}$/),
});
const labelsArb = fc.array(fc.tuple(fc.constantFrom("class", "reason", "le", "client"), fc.stringMatching(/^[a-z0-9 ."\\-]{0,6}$/)), { maxLength: 2 });
const valueArb = fc.oneof(fc.integer({ min: 0, max: 1e6 }).map(String), fc.double({ min: 0, max: 1e3, noNaN: true }).map(String));

const labelText = (labels: ReadonlyArray<readonly [string, string]>): string =>
  labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;

/** One worker's exposition: for each family it has, HELP, TYPE and its samples. */
const workerArb = (fams: Fam[]) =>
  fc.array(fc.tuple(fc.nat({ max: fams.length - 1 }), fc.array(fc.tuple(labelsArb, valueArb, fc.constantFrom("", "_bucket", "_sum", "_count")), { minLength: 1, maxLength: 4 })), { maxLength: 6 }).map((entries) => {
    const seen = new Set<number>();
    const lines: string[] = [];
    const samples: { family: string; line: string }[] = [];
    for (const [i, ss] of entries) {
      if (seen.has(i)) continue;
      seen.add(i);
      const f = fams[i]!;
      lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      for (const [labels, value, suffix] of ss) {
        const line = `${f.name}${f.type === "histogram" ? suffix : ""}${labelText(labels)} ${value}`;
        lines.push(line);
        samples.push({ family: f.name, line });
      }
    }
    return { text: lines.join("\n") + "\n", samples };
  });

const inputArb = fc.uniqueArray(famArb, { minLength: 1, maxLength: 5, selector: (f) => f.name }).chain((fams) =>
  fc.tuple(fc.constant(fams), fc.array(workerArb(fams), { minLength: 1, maxLength: 4 }), fc.constantFrom("", "# TYPE aaa_cluster_workers gauge\naaa_cluster_workers 2\n")),
);

/** Removes the worker label the merge added, giving back the worker's own line. */
function unlabel(line: string): { worker: string; line: string } | null {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{worker="((?:[^"\\]|\\.)*)"(,?)(.*)$/.exec(line);
  if (!m) return null;
  const [, name, worker, comma, rest] = m as unknown as [string, string, string, string, string];
  const orig = comma === "," ? `${name}{${rest}` : rest.startsWith("}") ? `${name}${rest.slice(1)}` : null;
  return orig === null ? null : { worker: worker.replace(/\\"/g, '"').replace(/\\\\/g, "\\"), line: orig };
}

describe("mergePrometheus (fast-check)", () => {
  test("every sample once, with its worker label, grouped under its family's single HELP and TYPE", () => {
    fc.assert(
      fc.property(inputArb, fc.constantFrom(["0", "1", "2", "3"], ['w"0', "w\\1", "2", "3"]), ([fams, workers, extra], names) => {
        const parts = workers.map((w, i) => ({ worker: names[i]!, text: w.text }));
        const out = mergePrometheus(parts, extra);
        expect(out.endsWith("\n" + extra)).toBe(true);
        const lines = out.slice(0, out.length - extra.length).split("\n").filter((l) => l !== "");
        const got: { worker: string; family: string; line: string }[] = [];
        const headers = new Map<string, string[]>();
        let family: string | undefined;
        for (const line of lines) {
          const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
          if (meta) {
            const [, kind, name, rest] = meta as unknown as [string, string, string, string];
            if (family !== name) expect(headers.has(name)).toBe(false); // a family's lines are together
            family = name;
            headers.set(name, [...(headers.get(name) ?? []), `${kind} ${rest}`]);
            continue;
          }
          const u = unlabel(line);
          expect(u).not.toBeNull();
          expect(family !== undefined && line.startsWith(family)).toBe(true);
          got.push({ worker: u!.worker, family: family!, line: u!.line });
        }
        const want = workers.flatMap((w, i) => w.samples.map((s) => ({ worker: names[i]!, family: s.family, line: s.line })));
        const key = (x: { worker: string; family: string; line: string }) => `${x.family}\u0000${x.worker}\u0000${x.line}`;
        expect(got.map(key).sort()).toEqual(want.map(key).sort());
        // Within a family, the workers' samples keep the order they were given in.
        for (const f of fams) expect(got.filter((g) => g.family === f.name).map(key)).toEqual(want.filter((w) => w.family === f.name).map(key));
        // HELP and TYPE once per family that appeared, as the workers gave them.
        for (const [name, hs] of headers) {
          const f = fams.find((x) => x.name === name)!;
          expect(hs).toEqual([`HELP ${f.help}`, `TYPE ${f.type}`]);
        }
        expect([...headers.keys()].sort()).toEqual([...new Set(want.map((w) => w.family))].sort());
      }),
      { seed: 18, numRuns: 300 },
    );
  });

  test("merging is the identity on samples for one worker, apart from the label", () => {
    fc.assert(
      fc.property(inputArb, ([, workers]) => {
        const w = workers[0]!;
        const out = mergePrometheus([{ worker: "7", text: w.text }]);
        const samples = out.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => unlabel(l)?.line);
        expect(samples.sort()).toEqual(w.samples.map((s) => s.line).sort());
      }),
      { seed: 18, numRuns: 200 },
    );
  });
});
