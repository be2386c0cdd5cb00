// The `mcp.request` audit line: one per finished MCP request, with who, what and the decision.
// Tool arguments only for roles whose policy asks for `"audit": "arguments"`.
import type { Logger } from "../common/log.js";
import type { Catalog } from "../gateway/catalog.js";
import type { Completed } from "./mcp/session-transport.js";
import type { HostMetrics } from "./metrics.js";

export function requestLogger(log: Logger, catalog: Catalog, metrics?: HostMetrics): (session: { id: string }, c: Completed) => void {
  // The logger's redaction (its wildcard paths walk every field: ~4 µs of a ~8 µs line) can only
  // ever match inside `auditArguments`: every other field is one this function names. Lines
  // without arguments go through a child without redaction; lines with them keep it.
  const plain = log.child({}, { redact: [] });
  return (session, c) => {
    const latencyMs = Number(process.hrtime.bigint() - c.startedAt) / 1e6;
    metrics?.request(c.method, c.decision, latencyMs / 1000);
    const identity = c.auth?.extra?.identity as { spiffeId?: string; serial?: string } | undefined;
    // Denials are warnings; everything else a client does is ordinary traffic.
    const line = c.auditArguments === undefined ? plain : log;
    line[c.decision === "deny" ? "warn" : "info"](
      {
        event: "mcp.request",
        spiffeId: identity?.spiffeId,
        serial: identity?.serial,
        session: session.id.slice(0, 8),
        method: c.method,
        ...(c.method === "tools/call" ? { tool: c.target } : c.target !== undefined ? { target: c.target } : {}),
        upstream: c.target === undefined ? undefined : catalog.upstreamOf?.(c.target, c.method === "resources/read" ? "uri" : "name"),
        // Only for roles with `"audit": "arguments"`; under a key the logger's redaction keeps.
        auditArguments: c.auditArguments,
        decision: c.decision,
        reason: c.reason,
        rpcId: c.id,
        errorCode: c.errorCode,
        latencyMs,
      },
      "mcp request",
    );
  };
}
