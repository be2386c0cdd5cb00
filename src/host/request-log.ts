// The `mcp.request` audit line: one per finished MCP request, with who, what and the decision.
// Tool arguments only for roles whose policy asks for `"audit": "arguments"`.
import type { Logger } from "../common/log.js";
import type { Catalog } from "../gateway/catalog.js";
import type { Completed } from "./mcp/session-transport.js";
import type { HostMetrics } from "./metrics.js";
import type { Identity } from "../policy/identity.js";

export function requestLogger(log: Logger, catalog: Catalog, metrics?: HostMetrics): (session: { id: string }, c: Completed) => void {
  // The logger's redaction (its wildcard paths walk every field: ~4 µs of a ~8 µs line) can only
  // ever match inside `auditArguments`: every other field is one this function names. Lines
  // without arguments go through a child without redaction; lines with them keep it.
  const plain = log.child({}, { redact: [] });
  // Who and where are the same for every request of a session and certificate: pino writes a
  // child's bindings once, so each line only serializes what changed (~5% of a routed call's CPU
  // was the line; docs/performance.md). Keyed by the session, re-made if its certificate changes.
  const bound = new WeakMap<object, { identity: Identity | undefined; log: Logger }>();
  const lineFor = (session: { id: string }, identity: Identity | undefined): Logger => {
    let b = bound.get(session);
    if (b === undefined || b.identity !== identity) {
      b = { identity, log: plain.child({ event: "mcp.request", spiffeId: identity?.spiffeId, serial: identity?.serial, session: session.id.slice(0, 8) }) };
      bound.set(session, b);
    }
    return b.log;
  };
  return (session, c) => {
    const latencyMs = Number(process.hrtime.bigint() - c.startedAt) / 1e6;
    metrics?.request(c.method, c.decision, latencyMs / 1000);
    const identity = c.auth?.extra?.identity as Identity | undefined;
    // The tool (tools/call) or other target, named `tool` or `target`; a field left undefined is not written.
    const isTool = c.method === "tools/call";
    const tool = isTool ? c.target : undefined;
    const target = isTool ? undefined : c.target;
    const upstream = c.target === undefined ? undefined : catalog.upstreamOf?.(c.target, c.method === "resources/read" ? "uri" : "name");
    // Denials are warnings; everything else a client does is ordinary traffic.
    const level = c.decision === "deny" ? "warn" : "info";
    if (c.auditArguments === undefined) {
      // One literal of one shape: a spread in it made V8 define each later field through the
      // runtime in some processes (~10% of a routed call's instructions; docs/performance.md).
      lineFor(session, identity)[level]({ method: c.method, tool, target, upstream, decision: c.decision, reason: c.reason, rpcId: c.id, errorCode: c.errorCode, latencyMs }, "mcp request");
      return;
    }
    // Only for roles with `"audit": "arguments"`: through the logger's redaction, under a key it keeps.
    log[level](
      {
        event: "mcp.request",
        spiffeId: identity?.spiffeId,
        serial: identity?.serial,
        session: session.id.slice(0, 8),
        method: c.method,
        tool,
        target,
        upstream,
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
