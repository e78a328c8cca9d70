// Core speed during a benchmark: one probe (load-tests/core-speed.c) pinned to each benchmark core
// samples how fast that core runs, ten times a second at 1 % of the core. On a virtual machine the
// host can slow a vCPU down by a third for tens of seconds at a time (docs/overload-benchmark.md,
// "Slowed cores"); a step measured then is measured on a slower machine. The functions below are
// pure (samples in, figures out); CoreSpeedProbes runs the probes.
import { readFileSync } from "node:fs";
import path from "node:path";
import { startPinned, sleep, type Started } from "./procs.js";

export interface SpeedSample {
  /** Unix time (ms) at the end of the sample. */
  t: number;
  /** Loop iterations per CPU millisecond. */
  rate: number;
}

/**
 * The probe's output, one "<unix ms> <best slice rate> [<mean rate>]" per line; the rate is the
 * best slice's (see core-speed.c); other lines are ignored.
 */
export function parseSpeedSamples(text: string): SpeedSample[] {
  const out: SpeedSample[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+) (\d+(?:\.\d+)?)(?: \d+(?:\.\d+)?)?$/.exec(line.trim());
    if (m) out.push({ t: Number(m[1]), rate: Number(m[2]) });
  }
  return out;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/**
 * Full speed: the highest median over any `spanMs` of samples (at least `minSamples` in it). A
 * median, not a single sample: one sample can be fast or slow by chance; the host's slowdowns
 * last seconds. NaN until one span has enough samples.
 */
export function fullSpeed(samples: readonly SpeedSample[], spanMs = 3000, minSamples = 10): number {
  let best = NaN;
  let lo = 0;
  for (let hi = 0; hi < samples.length; hi++) {
    while (samples[hi]!.t - samples[lo]!.t > spanMs) lo++;
    if (hi - lo + 1 < minSamples) continue;
    const m = median(samples.slice(lo, hi + 1).map((s) => s.rate));
    if (!(m <= best)) best = m;
  }
  return best;
}

/**
 * The lower quartile of the rates sampled in [t0, t1], as a share of `full`: the speed the core
 * ran at or above for three quarters of the window. A quartile, not the median: a run with its
 * last third on a slowed core measured a slower machine too. NaN without samples or full speed.
 */
export function speedIn(samples: readonly SpeedSample[], t0: number, t1: number, full: number): number {
  const rates = samples
    .filter((s) => s.t >= t0 && s.t <= t1)
    .map((s) => s.rate)
    .sort((a, b) => a - b);
  return rates.length === 0 || !(full > 0) ? NaN : rates[Math.floor((rates.length - 1) / 4)]! / full;
}

/** One probe per core, each writing its samples to a file in `dir`. */
export class CoreSpeedProbes {
  private readonly procs: Started[] = [];
  private readonly files: string[] = [];

  constructor(
    bin: string,
    readonly cores: readonly number[],
    dir: string,
  ) {
    for (const c of cores) {
      const file = path.join(dir, `core-speed-${c}.txt`);
      this.files.push(file);
      this.procs.push(startPinned(bin, [], { cpu: c, logFile: file }));
    }
  }

  get pids(): number[] {
    return this.procs.map((p) => p.pid);
  }

  samples(): SpeedSample[][] {
    return this.files.map((f) => {
      try {
        return parseSpeedSamples(readFileSync(f, "utf8"));
      } catch {
        return [];
      }
    });
  }

  /** Each core's speed in [t0, t1] (Unix ms; lower quartile) as a share of its full speed so far. */
  speeds(t0: number, t1: number): number[] {
    return this.samples().map((s) => speedIn(s, t0, t1, fullSpeed(s)));
  }

  /**
   * Wait (at most maxS seconds) until every core ran at `threshold` of its full speed or more
   * over the last 2 s. Returns the last speeds seen.
   */
  async waitFull(o: { threshold: number; maxS: number; log?: (s: string) => void }): Promise<number[]> {
    const end = Date.now() + o.maxS * 1000;
    let said = false;
    for (;;) {
      const now = Date.now();
      const sp = this.speeds(now - 2000, now);
      if (sp.every((x) => !(x < o.threshold)) || now >= end) {
        if (sp.some((x) => x < o.threshold)) o.log?.(`cores still slow after ${o.maxS} s (${fmtSpeeds(this.cores, sp)}): running anyway`);
        return sp;
      }
      if (!said) o.log?.(`waiting for the cores to run at full speed again (${fmtSpeeds(this.cores, sp)})...`);
      said = true;
      await sleep(1000);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop()));
  }
}

export function fmtSpeeds(cores: readonly number[], speeds: readonly number[]): string {
  return cores.map((c, i) => `core ${c} ${Number.isFinite(speeds[i]!) ? `${Math.round(100 * speeds[i]!)} %` : "?"}`).join(", ");
}
