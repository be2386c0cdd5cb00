// A stdio upstream: a child process speaking MCP on stdin/stdout, started through the SDK's
// transport. Its stderr is read line by line into debug logs (an unread pipe would block it).
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Logger } from "../common/log.js";
import type { StdioUpstreamSpec } from "./config.js";
import type { UpstreamConnection } from "./upstream.js";

const MAX_STDERR_LINE = 500;

export function stdioConnector(spec: StdioUpstreamSpec, log: Logger): () => UpstreamConnection {
  return () => {
    const transport = new StdioClientTransport({
      command: spec.command,
      args: [...spec.args],
      ...(spec.env ? { env: { ...spec.env } } : {}),
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
      stderr: "pipe",
    });
    const stderr = transport.stderr;
    if (stderr instanceof Readable) {
      createInterface({ input: stderr }).on("line", (line) => {
        log.debug({ event: "upstream.stderr", upstream: spec.name, line: line.slice(0, MAX_STDERR_LINE) }, "upstream stderr");
      });
    }
    const connection: UpstreamConnection = {
      transport,
      get pid() {
        return transport.pid ?? undefined;
      },
      kill: () => {
        const pid = transport.pid;
        if (pid !== null) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
      },
    };
    return connection;
  };
}
