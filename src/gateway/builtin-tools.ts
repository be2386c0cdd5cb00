// The host's own tools: enough to see identity and RBAC at work without any upstream.
// whoami and echo are for every reader; wait shows progress and cancellation; ztmcp_sessions
// is admin-only in the default policy, so the permission split is visible. No built-in name
// holds `__`: that shape belongs to upstream tools (`<upstream>__<tool>`), which the default
// operator role reaches with `*__*` without reaching ztmcp_sessions.
import { ErrorCode, McpError, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { CallContext, CallSignal, Catalog } from "./catalog.js";
import { unknownItem } from "./names.js";

const MAX_WAIT_MS = 30_000;

const TOOLS: Tool[] = [
  {
    name: "whoami",
    description: "The caller's identity as the host sees it: SPIFFE ID, certificate serial and effective roles.",
    inputSchema: { type: "object", properties: {}, additionalProperties: false },
    annotations: { readOnlyHint: true },
  },
  {
    name: "echo",
    description: "Returns its text argument.",
    inputSchema: { type: "object", properties: { text: { type: "string", maxLength: 65536 } }, required: ["text"], additionalProperties: false },
    annotations: { readOnlyHint: true },
  },
  {
    name: "wait",
    description: "Waits ms milliseconds (at most 30000), reporting progress in steps; stops when cancelled.",
    inputSchema: {
      type: "object",
      properties: { ms: { type: "integer", minimum: 0, maximum: MAX_WAIT_MS }, steps: { type: "integer", minimum: 1, maximum: 100 } },
      required: ["ms"],
      additionalProperties: false,
    },
  },
  {
    name: "ztmcp_sessions",
    description: "Live MCP sessions on this host (id prefix, identity, idle time) and the revocation state.",
    inputSchema: { type: "object", properties: {}, additionalProperties: false },
    annotations: { readOnlyHint: true },
  },
];

const text = (value: unknown): CallToolResult => ({
  content: [{ type: "text", text: typeof value === "string" ? value : JSON.stringify(value) }],
  ...(typeof value === "object" && value !== null ? { structuredContent: value as Record<string, unknown> } : {}),
});

function integerArg(args: Record<string, unknown> | undefined, name: string, max: number, fallback?: number): number {
  const v = args?.[name] ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) throw new McpError(ErrorCode.InvalidParams, `${name} must be an integer from 0 to ${max}`);
  return v;
}

function sleep(ms: number, signal: CallSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = new McpError(ErrorCode.ConnectionClosed, "cancelled");
    if (signal.aborted) {
      reject(cancelled);
      return;
    }
    const abort = (): void => {
      clearTimeout(timer);
      reject(cancelled);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal.addEventListener("abort", abort, { once: true });
  });
}

async function wait(args: Record<string, unknown> | undefined, ctx: CallContext): Promise<CallToolResult> {
  const ms = integerArg(args, "ms", MAX_WAIT_MS);
  const steps = integerArg(args, "steps", 100, 1) || 1;
  for (let i = 1; i <= steps; i++) {
    await sleep(ms / steps, ctx.signal);
    ctx.onProgress?.({ progress: i, total: steps });
  }
  return text(`waited ${ms} ms`);
}

const HANDLERS: Record<string, (args: Record<string, unknown> | undefined, ctx: CallContext) => CallToolResult | Promise<CallToolResult>> = {
  whoami: (_args, { identity }) =>
    text({ spiffeId: identity.spiffeId, commonName: identity.commonName, serial: identity.serial, fingerprint: identity.fingerprint, roles: identity.roles, notAfter: identity.notAfter.toISOString() }),
  echo: (args) => {
    const t = args?.text;
    if (typeof t !== "string") throw new McpError(ErrorCode.InvalidParams, "text must be a string");
    return { content: [{ type: "text", text: t }] };
  },
  wait,
  ztmcp_sessions: (_args, { host }) => text({ sessions: host?.sessions() ?? [], revocation: host?.revocation() }),
};

export function builtinCatalog(): Catalog {
  return {
    listTools: () => Promise.resolve(TOOLS),
    callTool: async (name, args, ctx) => {
      const handler = Object.hasOwn(HANDLERS, name) ? HANDLERS[name] : undefined;
      if (!handler) throw unknownItem("tool", name);
      return handler(args, ctx);
    },
    listPrompts: () => Promise.resolve([]),
    getPrompt: (name) => Promise.reject(unknownItem("prompt", name)),
    listResources: () => Promise.resolve([]),
    listResourceTemplates: () => Promise.resolve([]),
    readResource: (uri) => Promise.reject(unknownItem("resource", uri)),
    onListChanged: () => () => undefined,
    close: () => Promise.resolve(),
  };
}
