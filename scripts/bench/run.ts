// `make bench`: every scenario next to a baseline measured in the same run on this machine.
// Ratios are the result (absolute numbers on a shared 2-core machine are noise): above 1, ours is better.
// FULL=1 runs longer loops; BENCH_JSON=FILE also writes the rows as JSON; BENCH_ONLY=a,b picks scenarios.
// The rows also become a bar chart: docs/bench.svg for a full run, BENCH_SVG=FILE for any run.
import "reflect-metadata";
import { loadavg } from "node:os";
import { createBenchCa } from "./bench-ca.js";
import { crlBuild } from "./crl-build.js";
import { issuance } from "./issuance.js";
import { handshakes } from "./handshakes.js";
import { memory } from "./memory.js";
import { mcpCalls } from "./mcp-calls.js";
import { gateway } from "./gateway.js";
import { peers } from "./peers.js";
import { logLine } from "./log-line.js";
import { writeChart } from "./chart.js";
import { FULL } from "./stats.js";
import { profileMcp } from "./profile.js";
import { onlineCaBench } from "./online-ca.js";
import { assertFreshBuild } from "./fresh-build.js";
import { formatTable, writeJson, progress, unavailable, type Row } from "./report.js";
import type { BenchCa } from "./bench-ca.js";

interface Scenario {
  name: string;
  run(ca: BenchCa): Promise<Row[]>;
}

const scenarios: Scenario[] = [
  { name: "crl", run: crlBuild },
  { name: "issuance", run: issuance },
  { name: "handshakes", run: handshakes },
  { name: "mcp", run: mcpCalls },
  { name: "logline", run: logLine },
  { name: "gateway", run: gateway },
  { name: "peers", run: peers },
  { name: "memory", run: memory },
  { name: "profile", run: profileMcp },
  { name: "online-ca", run: onlineCaBench },
];

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(",").filter(Boolean);
  assertFreshBuild();
  const started = Date.now();
  const load = loadavg().map((l) => l.toFixed(1)).join(" ");
  const ca = await createBenchCa();
  const rows: Row[] = [];
  try {
    for (const s of scenarios) {
      if (only && !only.includes(s.name)) continue;
      try {
        rows.push(...(await s.run(ca)));
      } catch (e) {
        // One broken scenario must not hide the others' numbers.
        progress(`${s.name} failed: ${(e as Error).stack ?? String(e)}`);
        rows.push(unavailable(s.name, "-", "-", `failed: ${(e as Error).message.split("\n")[0] ?? ""}`));
        process.exitCode = 1;
      }
    }
  } finally {
    ca.cleanup();
  }
  process.stdout.write(formatTable(rows));
  if (process.env.BENCH_JSON) writeJson(process.env.BENCH_JSON, rows);
  const svg = process.env.BENCH_SVG ?? (only ? undefined : "docs/bench.svg");
  const when = new Date(started).toISOString().slice(0, 16).replace("T", " ");
  if (svg) writeChart(svg, rows, `ztmcp make bench, ${when} UTC, load average at start ${load} (${FULL ? "FULL=1" : "default loops"})`);
  progress(`done in ${Math.round((Date.now() - started) / 1000)} s; load average at start ${load}, at end ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
}

await main();
