// A process that logs one `mcp.request` line to its stderr through a buffered destination, then
// ends the way argv[2] says; log.test.ts checks the line is in the file its stderr points at.
// The flush interval is an hour, so only the end-of-process hooks can have written the line.
// Usage: node --import tsx test/helpers/log-child.ts <sigterm|sigterm-handled|exit|throw|reject|interval>
import { setTimeout as sleep } from "node:timers/promises";
import { fstatSync } from "node:fs";
import { bufferedDestination, createLogger } from "../../src/common/log.js";

const mode = process.argv[2];
const destination = bufferedDestination(2, { flushIntervalMs: mode === "interval" ? 20 : 3_600_000 });
const log = createLogger({ level: "info", destination });
log.info({ event: "mcp.request", method: "tools/call", tool: "echo", decision: "allow" }, "mcp request");
// Still in the buffer: the line reached the file only if a hook (or the interval) wrote it.
const pending = fstatSync(2).size === 0;

switch (mode) {
  case "sigterm":
    process.stdout.write(`ready ${pending}\n`);
    setInterval(() => undefined, 1_000); // stays alive until the parent's SIGTERM
    break;
  case "sigterm-handled": {
    // Like `ztmcp serve`: its own handler stops the program; the logger must not kill it first.
    const alive = setInterval(() => undefined, 1_000);
    process.on("SIGTERM", () => {
      log.info({ event: "host.signal", signal: "SIGTERM" }, "stopping");
      clearInterval(alive);
      process.exitCode = 0;
    });
    process.stdout.write(`ready ${pending}\n`);
    break;
  }
  case "exit":
    process.exit(3);
    break;
  case "throw":
    throw new Error("boom");
  case "reject":
    void Promise.reject(new Error("boom"));
    break;
  case "interval":
    // The interval's timer does not keep a process alive; this bounded wait does, meanwhile.
    for (let waited = 0; fstatSync(2).size === 0 && waited < 10_000; waited += 10) await sleep(10);
    process.stdout.write(`written ${pending} ${fstatSync(2).size > 0}\n`);
    process.exit(0);
}
