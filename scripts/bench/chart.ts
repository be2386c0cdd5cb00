// The bench table as a picture (docs/bench.svg): one bar per row, from the same rows as the table
// and the JSON. Ratios on a log scale around parity (1×, bars to the right: ours is better), each
// row's target as a black tick; then the rows whose target is an absolute budget (ms, MB), each
// on its own linear scale with the budget as the tick. Green: target met, red: not met, grey: no
// target (an informative baseline). Written as a string: no charting dependency.
import { writeFileSync } from "node:fs";
import { meets, targetText, type Row } from "./report.js";

const WIDTH = 1140;
const LABEL = 580; // left column: what the row measures
const PLOT = 330; // the bars
const ROW = 20;
const MIN = 0.05;
const MAX = 20;

const esc = (t: string): string => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const color = (r: Row): string => ({ true: "#2e7d32", false: "#c62828", null: "#9e9e9e" })[String(meets(r)) as "true" | "false" | "null"];
const short = (t: string, n: number): string => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

/** x of a ratio on the log axis. */
function xRatio(v: number): number {
  const c = Math.min(MAX, Math.max(MIN, v));
  return LABEL + (PLOT * (Math.log10(c) - Math.log10(MIN))) / (Math.log10(MAX) - Math.log10(MIN));
}

function text(x: number, y: number, t: string, attrs = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(t)}</text>`;
}

function tick(x: number, y: number): string {
  return `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${y - 2}" y2="${y + ROW - 2}" stroke="#000" stroke-width="2"/>`;
}

function ratioSection(rows: Row[], top: number): { svg: string[]; bottom: number } {
  const svg = [text(10, top, "Ratio to the baseline of the same run (log scale; right of 1× = ours better)", 'font-weight="bold"')];
  let y = top + 12;
  for (const v of [0.1, 0.5, 1, 2, 5, 10]) {
    svg.push(`<line x1="${xRatio(v).toFixed(1)}" x2="${xRatio(v).toFixed(1)}" y1="${y}" y2="${y + rows.length * ROW}" stroke="${v === 1 ? "#555" : "#ddd"}"/>`);
    svg.push(text(xRatio(v) - 8, y + rows.length * ROW + 12, `${v}×`, 'fill="#555"'));
  }
  for (const r of rows) {
    const ratio = r.ratio!;
    const [a, b] = [xRatio(1), xRatio(ratio)].sort((p, q) => p - q) as [number, number];
    svg.push(text(10, y + 13, short(`${r.scenario}: ${r.metric} vs ${r.baselineName}`, 96)));
    svg.push(`<rect x="${a.toFixed(1)}" y="${y + 2}" width="${Math.max(1, b - a).toFixed(1)}" height="${ROW - 6}" fill="${color(r)}"/>`);
    if (r.target) svg.push(tick(xRatio(r.target.value), y));
    svg.push(text(LABEL + PLOT + 10, y + 13, `${ratio}×${r.target ? `  (target ${targetText(r.target, r.unit)})` : ""}`));
    y += ROW;
  }
  return { svg, bottom: y + 30 };
}

function budgetSection(rows: Row[], top: number): { svg: string[]; bottom: number } {
  const svg = [text(10, top, "Absolute budgets (each on its own linear scale; the tick is the budget)", 'font-weight="bold"')];
  let y = top + 12;
  for (const r of rows) {
    const limit = r.target!.value;
    const ours = r.ours!;
    const scale = PLOT / Math.max(limit * 2, ours * 1.1);
    svg.push(text(10, y + 13, short(`${r.scenario}: ${r.metric}`, 96)));
    svg.push(`<line x1="${LABEL}" x2="${LABEL}" y1="${y}" y2="${y + ROW}" stroke="#555"/>`);
    svg.push(`<rect x="${LABEL}" y="${y + 2}" width="${Math.max(1, ours * scale).toFixed(1)}" height="${ROW - 6}" fill="${color(r)}"/>`);
    svg.push(tick(LABEL + limit * scale, y));
    svg.push(text(LABEL + PLOT + 10, y + 13, `${ours} ${r.unit}  (target ${targetText(r.target!, r.unit)})`));
    y += ROW;
  }
  return { svg, bottom: y + 10 };
}

export function chartSvg(rows: readonly Row[], title: string): string {
  const ratios = rows.filter((r) => r.ratio !== null && r.target?.on !== "ours");
  const budgets = rows.filter((r) => r.target?.on === "ours" && r.ours !== null);
  const a = ratioSection(ratios, 62);
  const b = budgets.length > 0 ? budgetSection(budgets, a.bottom) : { svg: [], bottom: a.bottom };
  const legend = [
    ["#2e7d32", "target met"],
    ["#c62828", "target not met"],
    ["#9e9e9e", "no target (informative)"],
  ].map(([c, t], i) => `<rect x="${10 + i * 180}" y="28" width="12" height="12" fill="${c}"/>${text(26 + i * 180, 38, t!)}`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${b.bottom}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    text(10, 18, title, 'font-size="14" font-weight="bold"'),
    ...legend,
    ...a.svg,
    ...b.svg,
    "</svg>",
    "",
  ].join("\n");
}

export function writeChart(file: string, rows: readonly Row[], title: string): void {
  writeFileSync(file, chartSvg(rows, title));
}
