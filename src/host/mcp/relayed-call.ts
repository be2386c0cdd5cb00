// A `tools/call` routed to an upstream, answered without the session's SDK Server: the request
// is checked with the SDK's own schema (its common shapes by hand first: call-shapes.ts),
// authorized by the same policy check, relayed by the gateway, and its result checked and
// answered as the SDK's Server would (same result parse, same error shape, nothing answered once
// cancelled). Issue 14 allows a gateway this: the SDK's Protocol costs a routed call three schema
// guards, an AbortController, a closure-laden `extra` and four promise hops, ~10–20% of the
// host's CPU for it (docs/performance.md). Everything else (lifecycle, lists, built-in tools,
// task-augmented calls, requests the schema refuses) still goes to the SDK Server, as before.
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  ErrorCode,
  McpError,
  type CallToolRequest,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type RequestId,
  type Result,
} from "@modelcontextprotocol/sdk/types.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { CallContext, CallSignal, Catalog } from "../../gateway/catalog.js";
import type { Identity } from "../../policy/identity.js";
import type { SessionTransport } from "./session-transport.js";
import { isPlainCallParams, isPlainTextResult } from "./call-shapes.js";

/** What the session server's handlers get from the SDK (and a relayed call from us), as far as the policy check and the call context use it. */
export interface RequestExtra {
  authInfo?: AuthInfo | undefined;
  requestId: RequestId;
  signal: CallSignal;
  _meta?: { progressToken?: string | number | undefined } | undefined;
  sendNotification: (n: { method: "notifications/progress"; params: { progressToken: string | number; progress: number; total?: number; message?: string } }) => Promise<void>;
}

export interface RelayedCallDeps {
  /** The session's view of the catalog. */
  catalog: Catalog;
  transport: SessionTransport;
  /** The session server's policy check: records the decision for the audit line, throws when denied. */
  authorize: (extra: RequestExtra, name: string, args: Record<string, unknown>) => Identity;
  context: (extra: RequestExtra, identity: Identity, signal: CallSignal) => CallContext;
}

/** The session transport's `intercept`: takes the routed tools/call it can answer, leaves the rest to the SDK. */
export function relayedCalls(deps: RelayedCallDeps): (request: JSONRPCRequest, authInfo: AuthInfo) => boolean {
  return (request, authInfo) => {
    if (request.method !== "tools/call") return false;
    const params = request.params as { name?: unknown; task?: unknown } | undefined;
    if (typeof params?.name !== "string" || params.task !== undefined) return false;
    if (deps.catalog.upstreamOf?.(params.name, "name") === undefined) return false;
    if (isPlainCallParams(request.params)) {
      void answer(deps, { method: "tools/call", params: request.params }, request.id, authInfo);
      return true;
    }
    const parsed = CallToolRequestSchema.safeParse(request);
    if (!parsed.success) return false;
    void answer(deps, parsed.data, request.id, authInfo);
    return true;
  };
}

async function answer(deps: RelayedCallDeps, request: CallToolRequest, id: RequestId, authInfo: AuthInfo): Promise<void> {
  const { transport } = deps;
  const signal = transport.ownSignal(id);
  const extra: RequestExtra = {
    authInfo,
    requestId: id,
    signal,
    _meta: request.params._meta,
    sendNotification: (n) => (signal.aborted ? Promise.resolve() : transport.send({ jsonrpc: "2.0", ...n }, { relatedRequestId: id })),
  };
  let reply: JSONRPCMessage;
  try {
    const { name, arguments: args } = request.params;
    const identity = deps.authorize(extra, name, args ?? {});
    const result = await deps.catalog.callTool(name, args, deps.context(extra, identity, signal));
    reply = { result: isPlainTextResult(result) ? result : checkedResult(result), jsonrpc: "2.0", id };
  } catch (e) {
    reply = { jsonrpc: "2.0", id, error: errorOf(e) };
  }
  // Cancelled, or ended by the host (certificate refused, client gone, session closed): as the SDK, nothing more is sent.
  // The session transport's send is synchronous: nothing to wait for.
  if (!signal.aborted) void transport.send(reply);
}

/** The result as the SDK's Server returns it: parsed by CallToolResultSchema, or its error. */
function checkedResult(result: unknown): Result {
  const checked = CallToolResultSchema.safeParse(result);
  if (!checked.success) throw new McpError(ErrorCode.InvalidParams, `Invalid tools/call result: ${checked.error.message}`);
  return checked.data;
}

/** The JSON-RPC error the SDK's Protocol makes of a thrown handler error. */
function errorOf(e: unknown): { code: number; message: string; data?: unknown } {
  const error = e as { code?: unknown; message?: unknown; data?: unknown };
  return {
    code: typeof error.code === "number" && Number.isSafeInteger(error.code) ? error.code : ErrorCode.InternalError,
    message: typeof error.message === "string" ? error.message : "Internal error",
    ...(error.data !== undefined && { data: error.data }),
  };
}
