// The one pino logger: JSON lines on stderr (stdout belongs to command output and, for
// `ztmcp connect`, to the MCP protocol). Events carry a stable `event` field.
import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

export interface LogOptions {
  level?: string;
  /** Where lines go; defaults to stderr. Tests pass a capturing stream. */
  destination?: DestinationStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.ZTMCP_LOG_LEVEL ?? "info",
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // `"level":"warn"`, not pino's 40: what jq filters and people read.
      formatters: { level: (label) => ({ level: label }) },
      // Belt and braces: even if a caller passes one of these, it never reaches a log line.
      redact: { paths: ["key", "privateKey", "passphrase", "*.key", "*.privateKey", "*.passphrase", "arguments", "params.arguments"], remove: true },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}
