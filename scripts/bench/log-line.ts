// The `mcp.request` audit line on its own: the host's own line function (src/host/request-log.ts)
// with the production logger (level info, redaction), to a file, buffered as `ztmcp serve` writes
// it vs one write(2) per line. CPU of this process per line, interleaved rounds. In the host the
// difference drowns in the noise of a 200 µs call (the mcp scenario's "log writes" rows); here it
// is measured alone.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { bufferedDestination, createLogger, type Logger } from "../../src/common/log.js";
import { requestLogger } from "../../src/host/request-log.js";
import { builtinCatalog } from "../../src/gateway/builtin-tools.js";
import type { Completed } from "../../src/host/mcp/session-transport.js";
import type { BenchCa } from "./bench-ca.js";
import { interleave, medianOf } from "./rounds.js";
import { FULL } from "./stats.js";
import { row, progress, type Row } from "./report.js";

const LINES = FULL ? 200_000 : 50_000;
const ROUNDS = FULL ? 7 : 5;

/** `audited`: with (empty) audited arguments, the line goes through the logger's redaction, as
 * every line did before request-log.ts skipped it for lines without arguments. */
function completed(i: number, audited: boolean): Completed {
  return {
    id: i,
    method: "tools/call",
    target: "echo",
    startedAt: process.hrtime.bigint(),
    decision: "allow",
    reason: "role reader allows echo",
    errorCode: undefined,
    auth: { token: "", clientId: "spiffe://mesh.local/agent/bench", scopes: ["reader"], extra: { identity: { spiffeId: "spiffe://mesh.local/agent/bench", serial: "4f2a9c01d3e5b7a8" } } },
    auditArguments: audited ? {} : undefined,
  };
}

/** µs of this process's CPU per line. */
function measure(log: Logger, audited: boolean): number {
  const line = requestLogger(log, builtinCatalog());
  const session = { id: "0123456789abcdef" };
  const before = process.cpuUsage();
  for (let i = 0; i < LINES; i++) line(session, completed(i, audited));
  (log as unknown as { flush?: () => void }).flush?.();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / LINES;
}

export async function logLine(_ca: BenchCa): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-bench-log-"));
  try {
    progress(`log line: ${LINES} mcp.request lines to a file, buffered vs a write(2) each`);
    const sync = (file: string): Logger => createLogger({ level: "info", destination: pino.destination({ dest: join(dir, file), sync: true }) });
    const loggers = new Map<string, [Logger, boolean]>([
      ["buffered", [createLogger({ level: "info", destination: bufferedDestination(join(dir, "buffered.log")) }), false]],
      ["sync", [sync("sync.log"), false]],
      ["before", [sync("before.log"), true]],
    ]);
    for (const [log, audited] of loggers.values()) measure(log, audited); // warm-up
    const results = await interleave([...loggers.keys()], ROUNDS, (name) => {
      const us = measure(...loggers.get(name)!);
      progress(`    ${name}: ${us.toFixed(2)} µs CPU per line`);
      return Promise.resolve(us);
    });
    const us = (name: string): number => medianOf(results.get(name)!, (x) => x);
    return [
      row("mcp.request line", "CPU per line (this process)", "µs", "lower", us("buffered"), us("sync"), "a write(2) per line"),
      row("mcp.request line", "CPU per line (this process)", "µs", "lower", us("buffered"), us("before"), "redacted, a write(2) per line (before)"),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
