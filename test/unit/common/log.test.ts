// Buffered log lines are never lost when the process ends: SIGTERM (with and without a handler of
// the program's own), process.exit, an uncaught exception, an unhandled rejection. Each case runs
// test/helpers/log-child.ts with its stderr pointed at a file and reads the file afterwards.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "../../helpers/cli.js";

const CHILD = fileURLToPath(new URL("../../helpers/log-child.ts", import.meta.url));

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  events: Record<string, unknown>[];
}

/** Runs the child in `mode`; `onReady` gets it once it printed its first stdout line. */
async function runChild(mode: string, onReady?: (child: ChildProcess, line: string) => void): Promise<Ended> {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-log-"));
  const file = join(dir, "stderr.log");
  const fd = openSync(file, "w");
  try {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, mode], { cwd: ROOT, stdio: ["ignore", "pipe", fd] });
    let stdout = "";
    child.stdout!.on("data", (d: Buffer) => {
      const first = stdout === "";
      stdout += d.toString();
      if (first) onReady?.(child, stdout);
    });
    const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
    const events = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { code, signal, stdout, events };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

const audit = (e: Record<string, unknown>): boolean => e.event === "mcp.request" && e.tool === "echo";

test("a buffered mcp.request line is in the file after a SIGTERM, and the process still dies of it", async () => {
  const r = await runChild("sigterm", (child) => child.kill("SIGTERM"));
  assert.equal(r.stdout.trim(), "ready true", "the line was still buffered when the signal came");
  assert.equal(r.signal, "SIGTERM");
  assert.ok(r.events.some(audit), "the mcp.request line was lost");
});

test("with a SIGTERM handler of the program's own, the line is kept and the program decides how it ends", async () => {
  const r = await runChild("sigterm-handled", (child) => child.kill("SIGTERM"));
  assert.equal(r.signal, null);
  assert.equal(r.code, 0);
  assert.ok(r.events.some(audit), "the mcp.request line was lost");
  assert.ok(r.events.some((e) => e.event === "host.signal"), "the handler's own line was lost");
});

for (const [mode, code] of [["exit", 3], ["throw", 1], ["reject", 1]] as const) {
  test(`a buffered mcp.request line is in the file after ${mode === "exit" ? "process.exit" : mode === "throw" ? "an uncaught exception" : "an unhandled rejection"}`, async () => {
    const r = await runChild(mode);
    assert.equal(r.code, code);
    assert.ok(r.events.some(audit), "the mcp.request line was lost");
  });
}

test("lines wait in the buffer, and the flush interval writes them while the process runs", async () => {
  const r = await runChild("interval");
  assert.equal(r.stdout.trim(), "written true true");
  assert.ok(r.events.some(audit));
});
