// CPU used during a benchmark by processes outside it (not this process nor its descendants,
// kernel threads left out), sampled from /proc: on a shared machine it tells a loss caused by
// other work from one caused by the server.
import { readdirSync, readFileSync } from "node:fs";
import { cpuMs } from "./procs.js";

interface ProcInfo {
  ppid: number;
  /** Kernel threads (children of kthreadd, pid 2) do the network work of every process. */
  kernel: boolean;
}

function procInfo(pid: number): ProcInfo | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(f[1]);
    return { ppid, kernel: pid === 2 || ppid === 2 };
  } catch {
    return null;
  }
}

export interface ForeignCpu {
  /** Stops sampling; CPU seconds used by others over the window, and the busiest second (cores). */
  stop(): { cpuS: number; peakCores: number; top: string[] };
}

/** Samples every `everyMs` the CPU time of every process that is not ours. */
export function sampleForeignCpu(everyMs = 1000): ForeignCpu {
  const self = process.pid;
  let last = new Map<number, number>();
  let total = 0;
  let peak = 0;
  const byName = new Map<string, number>();
  const snapshot = (): Map<number, number> => {
    const infos = new Map<number, ProcInfo>();
    for (const d of readdirSync("/proc")) {
      const pid = Number(d);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      const i = procInfo(pid);
      if (i) infos.set(pid, i);
    }
    const ours = (pid: number): boolean => {
      for (let p = pid, n = 0; p > 1 && n < 64; n++) {
        if (p === self) return true;
        p = infos.get(p)?.ppid ?? 0;
      }
      return false;
    };
    const out = new Map<number, number>();
    for (const [pid, i] of infos) {
      if (i.kernel || ours(pid)) continue;
      const c = cpuMs(pid);
      if (c !== null) out.set(pid, c);
    }
    return out;
  };
  const name = (pid: number): string => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).slice(0, 3).join(" ").slice(0, 80);
    } catch {
      return String(pid);
    }
  };
  last = snapshot();
  let t = performance.now();
  const timer = setInterval(() => {
    const now = snapshot();
    const t1 = performance.now();
    let used = 0;
    for (const [pid, c] of now) {
      const d = c - (last.get(pid) ?? 0); // a new process: all of its CPU is from this interval
      if (d > 0) {
        used += d;
        const k = name(pid);
        byName.set(k, (byName.get(k) ?? 0) + d);
      }
    }
    total += used;
    peak = Math.max(peak, used / (t1 - t));
    last = now;
    t = t1;
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      const top = [...byName.entries()]
        .sort((x, y) => y[1] - x[1])
        .slice(0, 3)
        .filter(([, ms]) => ms >= 200)
        .map(([k, ms]) => `${k} (${(ms / 1000).toFixed(1)} s)`);
      return { cpuS: total / 1000, peakCores: peak, top };
    },
  };
}
