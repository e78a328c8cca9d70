// Pure helpers of the overload benchmark (load-tests/bench-overload.ts): the SVG line charts it
// writes itself (no charting dependency), the recovery time of a step run computed from the C
// generator's per-interval timeline, and small formatting helpers. No I/O here, so the unit
// test (test/load-tests/overload-report.test.ts) can check them on synthetic data.

/** The `timeline` object of the C generator's JSON report (`--timeline-ms`). */
export interface Timeline {
  intervalMs: number;
  /** Per interval of INTENDED send time: requests sent, answered, answered within the budget. */
  sent: number[];
  answered: number[];
  withinBudget: number[];
  /** p99 latency of the interval's answered requests, ms; null when none was answered. */
  p99Ms: (number | null)[];
}

export interface RecoveryOptions {
  /** Step-down instant, ms from the start of the run. */
  fromMs: number;
  /** End of the window looked at (usually the end of the run), ms. */
  toMs: number;
  budgetMs: number;
  /**
   * Also require this share of the interval's requests answered within the budget (e.g. 0.99):
   * p99 of answers alone looks fine when most requests are simply lost. Default: not required.
   */
  minWithinShare?: number;
}

/** Whether interval b meets the target. An interval in which nothing was sent does not count against it. */
export function intervalOk(tl: Timeline, b: number, o: Pick<RecoveryOptions, "budgetMs" | "minWithinShare">): boolean {
  const sent = tl.sent[b] ?? 0;
  if (sent === 0) return true;
  const p99 = tl.p99Ms[b];
  if (p99 === null || p99 === undefined || p99 > o.budgetMs) return false;
  if (o.minWithinShare !== undefined && (tl.withinBudget[b] ?? 0) / sent < o.minWithinShare) return false;
  return true;
}

/**
 * Time from `fromMs` until the target holds "for good": the end of the last failing interval
 * that starts at or after `fromMs` (and ends by `toMs`), minus `fromMs`. 0 when no interval
 * after the step fails; null when the last interval of the window still fails (not recovered
 * within the run).
 */
export function recoveryMs(tl: Timeline, o: RecoveryOptions): number | null {
  const iv = tl.intervalMs;
  const first = Math.ceil(o.fromMs / iv - 1e-9);
  const last = Math.min(tl.sent.length, Math.floor(o.toMs / iv + 1e-9)) - 1;
  if (last < first) return null;
  let lastBad = -1;
  for (let b = first; b <= last; b++) if (!intervalOk(tl, b, o)) lastBad = b;
  if (lastBad === -1) return 0;
  if (lastBad === last) return null;
  return (lastBad + 1) * iv - o.fromMs;
}

// ---------------------------------------------------------------------------------------------
// SVG line charts

export interface Series {
  name: string;
  points: [number, number][];
  color?: string;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Logarithmic y axis (values ≤ 0 are left out). */
  yLog?: boolean;
  /** Horizontal reference lines, e.g. the latency budget. */
  hLines?: { y: number; label: string }[];
  /** Fixed axis ranges; default from the data (y from 0 on a linear axis). */
  xMin?: number;
  xMax?: number;
  yMin?: number;
  yMax?: number;
}

export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];

export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** About five round tick values covering [lo, hi] (1, 2, 5 × 10^k steps). */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + 1e-9 * step; t += step) ticks.push(Number((Math.round(t / step) * step).toPrecision(12)) + 0); // + 0: no -0
  return ticks;
}

/** Compact number for tick labels: 12000 -> "12k", 0.5 -> "0.5". */
export function shortNum(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  if (a >= 1 || a === 0) return `${+v.toFixed(1)}`;
  return `${+v.toPrecision(2)}`;
}

const PANEL_W = 460;
const PANEL_H = 320;
const M = { left: 64, right: 16, top: 34, bottom: 50 };

function renderPanel(p: Panel, ox: number, oy: number): string {
  const w = PANEL_W - M.left - M.right;
  const h = PANEL_H - M.top - M.bottom;
  const pts = p.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!p.yLog || y > 0));
  const xs = pts.map(([x]) => x);
  const ys = [...pts.map(([, y]) => y), ...(p.hLines ?? []).map((l) => l.y)];
  const xMin = p.xMin ?? (xs.length ? Math.min(...xs) : 0);
  const xMax = p.xMax ?? (xs.length ? Math.max(...xs) : 1);
  let yMin: number;
  let yMax: number;
  if (p.yLog) {
    yMin = p.yMin ?? Math.pow(10, Math.floor(Math.log10(ys.length ? Math.max(1e-3, Math.min(...ys)) : 0.1)));
    yMax = p.yMax ?? Math.pow(10, Math.ceil(Math.log10(ys.length ? Math.max(...ys) : 10)));
    if (yMax <= yMin) yMax = yMin * 10;
  } else {
    yMin = p.yMin ?? 0;
    yMax = p.yMax ?? (ys.length ? Math.max(...ys) * 1.08 : 1);
    if (yMax <= yMin) yMax = yMin + 1;
  }
  const xSpan = xMax > xMin ? xMax - xMin : 1;
  const sx = (x: number): number => ox + M.left + ((x - xMin) / xSpan) * w;
  const sy = (y: number): number =>
    oy + M.top + h - (p.yLog ? (Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : (y - yMin) / (yMax - yMin)) * h;
  const out: string[] = [];
  out.push(`<text x="${ox + M.left + w / 2}" y="${oy + 20}" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(p.title)}</text>`);
  out.push(`<rect x="${ox + M.left}" y="${oy + M.top}" width="${w}" height="${h}" fill="none" stroke="#444"/>`);
  // Ticks and grid.
  for (const t of niceTicks(xMin, xMax)) {
    const x = sx(t);
    out.push(`<line x1="${x}" y1="${oy + M.top}" x2="${x}" y2="${oy + M.top + h}" stroke="#ddd"/>`);
    out.push(`<text x="${x}" y="${oy + M.top + h + 16}" text-anchor="middle" font-size="11">${shortNum(t)}</text>`);
  }
  const yTicks = p.yLog
    ? Array.from({ length: Math.round(Math.log10(yMax / yMin)) + 1 }, (_, i) => yMin * Math.pow(10, i))
    : niceTicks(yMin, yMax);
  for (const t of yTicks) {
    const y = sy(t);
    out.push(`<line x1="${ox + M.left}" y1="${y}" x2="${ox + M.left + w}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${ox + M.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${shortNum(t)}</text>`);
  }
  out.push(`<text x="${ox + M.left + w / 2}" y="${oy + PANEL_H - 14}" text-anchor="middle" font-size="12">${escapeXml(p.xLabel)}</text>`);
  const ly = oy + M.top + h / 2;
  out.push(`<text x="${ox + 16}" y="${ly}" text-anchor="middle" font-size="12" transform="rotate(-90 ${ox + 16} ${ly})">${escapeXml(p.yLabel)}</text>`);
  for (const l of p.hLines ?? []) {
    if (l.y < yMin || l.y > yMax) continue;
    const y = sy(l.y);
    out.push(`<line x1="${ox + M.left}" y1="${y}" x2="${ox + M.left + w}" y2="${y}" stroke="#888" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${ox + M.left + w - 4}" y="${y - 4}" text-anchor="end" font-size="11" fill="#555">${escapeXml(l.label)}</text>`);
  }
  // Lines: points outside the axis range (or non-finite) break the line.
  p.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    let d = "";
    let pen = false;
    const dots: string[] = [];
    for (const [x, y] of s.points) {
      const ok = Number.isFinite(y) && Number.isFinite(x) && (!p.yLog || y > 0) && y >= yMin && y <= yMax;
      if (!ok) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)} `;
      pen = true;
      if (s.points.length <= 40) dots.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${color}"/>`);
    }
    if (d) out.push(`<path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ""}/>`);
    out.push(...dots);
  });
  return out.join("\n");
}

/** Panels side by side, with one legend (series names of the first panel) below them. */
export function svgChart(panels: Panel[], caption?: string): string {
  const names: { name: string; color: string; dashed: boolean }[] = [];
  for (const p of panels)
    p.series.forEach((s, i) => {
      if (!names.some((n) => n.name === s.name)) names.push({ name: s.name, color: s.color ?? PALETTE[i % PALETTE.length]!, dashed: s.dashed === true });
    });
  const width = PANEL_W * panels.length;
  const legendH = 22 * Math.ceil(names.length / 3) + (caption ? 20 : 0) + 8;
  const height = PANEL_H + legendH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  panels.forEach((p, i) => parts.push(renderPanel(p, i * PANEL_W, 0)));
  names.forEach((n, i) => {
    const x = 70 + (i % 3) * 280;
    const y = PANEL_H + 14 + Math.floor(i / 3) * 22;
    parts.push(`<line x1="${x}" y1="${y}" x2="${x + 28}" y2="${y}" stroke="${n.color}" stroke-width="3"${n.dashed ? ' stroke-dasharray="5 3"' : ""}/>`);
    parts.push(`<text x="${x + 34}" y="${y + 4}" font-size="12">${escapeXml(n.name)}</text>`);
  });
  if (caption) parts.push(`<text x="10" y="${height - 8}" font-size="11" fill="#555">${escapeXml(caption)}</text>`);
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// Formatting

export function fmt(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits);
}

export function pct(part: number, whole: number, digits = 1): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(digits)} %` : "-";
}

/** A markdown table from a header and rows of cells (numbers right-aligned). */
export function mdTable(header: string[], rows: (string | number)[][], rightFrom = 1): string {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i >= rightFrom ? "---:" : "---")).join("|")}|`];
  for (const r of rows) lines.push(`| ${r.map(String).join(" | ")} |`);
  return lines.join("\n");
}
