// The rows every scenario produces, and how they are shown: a table on stdout, the same rows
// as JSON when BENCH_JSON=FILE, and progress lines on stderr while the run goes on.
import { writeFileSync } from "node:fs";

export interface Row {
  scenario: string;
  metric: string;
  ours: number | null;
  baseline: number | null;
  baselineName: string;
  /** How many times better ours is than the baseline, whatever the unit; null when not measured. */
  ratio: number | null;
  unit: string;
  /** Why a row has no numbers ("n/a (…)"), or a caveat worth printing. */
  note?: string;
  /** The goal this row is measured against (issue 14), when it has one. */
  target?: Target;
}

/**
 * `ratio`: met when the ratio is at least `value` (how many times the baseline);
 * `ours`: met when the measured figure itself is at most `value` (an absolute budget, in `unit`).
 */
export interface Target {
  on: "ratio" | "ours";
  value: number;
  /** Where the goal comes from, e.g. "issue 14 #1". */
  source: string;
}

export function withTarget(r: Row, on: Target["on"], value: number, source: string): Row {
  return { ...r, target: { on, value, source } };
}

/** Whether a row meets its target; null without a target or a measurement. */
export function meets(r: Row): boolean | null {
  if (!r.target) return null;
  const v = r.target.on === "ratio" ? r.ratio : r.ours;
  if (v === null) return null;
  return r.target.on === "ratio" ? v >= r.target.value : v <= r.target.value;
}

export function targetText(t: Target, unit: string): string {
  return t.on === "ratio" ? `>= ${t.value}x` : `<= ${t.value} ${unit}`;
}

type Better = "higher" | "lower";

/** A row where `better` says which direction wins: rates are higher-better, times and bytes lower-better. */
export function row(scenario: string, metric: string, unit: string, better: Better, ours: number, baseline: number, baselineName: string): Row {
  const ratio = better === "higher" ? ours / baseline : baseline / ours;
  return { scenario, metric, ours: round(ours), baseline: round(baseline), baselineName, ratio: Number.isFinite(ratio) ? round(ratio) : null, unit };
}

/** A measured figure with no baseline (e.g. a size). */
export function soloRow(scenario: string, metric: string, unit: string, ours: number, note?: string): Row {
  return { scenario, metric, ours: round(ours), baseline: null, baselineName: "-", ratio: null, unit, ...(note ? { note } : {}) };
}

export function unavailable(scenario: string, metric: string, unit: string, reason: string): Row {
  return { scenario, metric, ours: null, baseline: null, baselineName: "-", ratio: null, unit, note: `n/a (${reason})` };
}

function round(n: number): number {
  if (n === 0 || !Number.isFinite(n)) return n;
  const digits = Math.max(0, 3 - Math.floor(Math.log10(Math.abs(n))));
  return Number(n.toFixed(Math.min(digits, 6)));
}

export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const show = (n: number | null): string => (n === null ? "-" : String(n));

export function formatTable(rows: readonly Row[]): string {
  const header = ["scenario", "metric", "ours", "baseline", "vs", "ratio", "unit", "target", "met"];
  const cells = rows.map((r) => {
    const met = meets(r);
    return [
      r.scenario,
      r.metric,
      r.note?.startsWith("n/a") ? r.note : show(r.ours),
      show(r.baseline),
      r.baselineName,
      r.ratio === null ? "-" : `${r.ratio}x`,
      r.unit,
      r.target ? targetText(r.target, r.unit) : "",
      met === null ? "" : met ? "yes" : "NO",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
  const notes = rows.filter((r) => r.note && !r.note.startsWith("n/a")).map((r) => `note: ${r.scenario} ${r.metric}: ${r.note!}`);
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line), ...notes].join("\n") + "\n";
}

export function writeJson(file: string, rows: readonly Row[]): void {
  writeFileSync(file, JSON.stringify(rows, null, 2) + "\n");
}
