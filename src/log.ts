// The one pino logger: JSON lines on stderr (stdout belongs to command output and, for
// `ztmcp connect`, to the MCP protocol). Events carry a stable `event` field.
// Short-lived commands write each line synchronously; the long-running host switches stderr to
// an asynchronous destination (logAsynchronously), taking the write off every handshake and
// request, and pino flushes it synchronously on exit.
import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

export interface LogOptions {
  level?: string;
  /** Where lines go; defaults to stderr. Tests pass a capturing stream. */
  destination?: DestinationStream;
}

type Stderr = ReturnType<typeof pino.destination>;
let stderrSync: Stderr | undefined;
let stderrAsync: Stderr | undefined;

/** stderr as loggers see it: whichever of the two destinations is current. */
const stderr: DestinationStream & { flush(cb?: (err?: Error) => void): void } = {
  write: (line: string) => (stderrAsync ?? (stderrSync ??= pino.destination({ fd: 2, sync: true }))).write(line),
  flush: (cb) => {
    if (stderrAsync) stderrAsync.flush(cb);
    else cb?.();
  },
};

/** From now on, loggers writing to stderr write asynchronously (lines written on exit all the same). */
export function logAsynchronously(): void {
  stderrAsync ??= pino.destination({ fd: 2, sync: false });
}

/** Writes out what an asynchronous stderr still holds (before a planned exit or a close). */
export function flushLogs(): void {
  try {
    stderrAsync?.flushSync();
  } catch {
    // Already closed, or a write in flight that SonicBoom finishes on its own.
  }
}

export function createLogger(options: LogOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.ZTMCP_LOG_LEVEL ?? "info",
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: even if a caller passes one of these, it never reaches a log line.
      redact: { paths: ["key", "privateKey", "passphrase", "*.key", "*.privateKey", "*.passphrase", "arguments", "params.arguments"], remove: true },
    },
    options.destination ?? stderr,
  );
}
