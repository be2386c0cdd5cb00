// The one pino logger: JSON lines on stderr (stdout belongs to command output and, for
// `ztmcp connect`, to the MCP protocol). Events carry a stable `event` field.
//
// Lines are buffered (written once 4 KB are pending, or every 100 ms) instead of one write(2)
// per line: the host writes an `mcp.request` audit line per call. So that buffering never loses
// a line when the process ends, every buffered destination is flushed synchronously on `exit`
// (which also runs after an uncaught exception or an unhandled rejection) and on SIGTERM, SIGINT
// and SIGHUP. Only a SIGKILL or a crash of the runtime itself can lose the last ≤100 ms.
import { pino, type Logger, type DestinationStream } from "pino";
import { LineBatch } from "./line-batch.js";

export type { Logger };

export interface LogOptions {
  level?: string;
  /** Where lines go; defaults to a buffered stderr. Tests pass a capturing stream. */
  destination?: DestinationStream;
}

export interface BufferOptions {
  /** Characters pending before a write (bytes, for the ASCII lines logged); 0 writes every line at once. */
  minBytes?: number;
  /** The longest a line waits in the buffer. */
  flushIntervalMs?: number;
}

const SIGNALS: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];
const buffered = new Set<LineBatch>();
let hooksInstalled = false;

function flushAll(): void {
  for (const d of buffered) {
    try {
      d.flushSync();
    } catch {
      // A destination not open yet or already closed holds nothing to save.
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  flushAll();
  // Another listener (e.g. `ztmcp serve`'s graceful stop) owns what the signal means. Alone, we
  // must not swallow it: restore the default action and deliver it again (the process ends as
  // it would have without us, killed by that signal).
  if (process.listenerCount(signal) > 1) return;
  process.off(signal, onSignal);
  process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", flushAll);
  // Prepended, so it runs before a listener that removes itself (which would make us look alone).
  for (const s of SIGNALS) process.prependListener(s, onSignal);
}

/**
 * A destination writing synchronously in batches (line-batch.ts): one write(2) per `minBytes`
 * (never an asynchronous write left in flight at exit), flushed every `flushIntervalMs` and when
 * the process ends (see the top of this file).
 */
export function bufferedDestination(target: number | string, options: BufferOptions = {}): LineBatch {
  const writer = pino.destination({ ...(typeof target === "number" ? { fd: target } : { dest: target }), sync: true });
  const batch = new LineBatch(writer, options.minBytes ?? 4096);
  // Unref'd: a pending flush never keeps the process alive (the exit hook writes what is left).
  setInterval(() => batch.flush(), options.flushIntervalMs ?? 100).unref();
  buffered.add(batch);
  installHooks();
  return batch;
}

let stderr: LineBatch | undefined;

let timeOfMs = -1;
let timeField = "";
/** pino's isoTime, its field built once a millisecond: the host writes several lines in most. */
function isoTime(): string {
  const now = Date.now();
  if (now !== timeOfMs) {
    timeOfMs = now;
    timeField = `,"time":"${new Date(now).toISOString()}"`;
  }
  return timeField;
}

export function createLogger(options: LogOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.ZTMCP_LOG_LEVEL ?? "info",
      base: { pid: process.pid },
      timestamp: isoTime,
      // `"level":"warn"`, not pino's 40: what jq filters and people read.
      formatters: { level: (label) => ({ level: label }) },
      // Belt and braces: even if a caller passes one of these, it never reaches a log line.
      redact: { paths: ["key", "privateKey", "passphrase", "*.key", "*.privateKey", "*.passphrase", "arguments", "params.arguments"], remove: true },
    },
    // One stderr buffer for every logger of the process, so their lines keep their order.
    options.destination ?? (stderr ??= bufferedDestination(2)),
  );
}
