// What the session transport needs to know about a JSON-RPC message without a schema parse:
// a request's shape, the answer to one the SDK would drop, a reply's shape, its target for the
// log line, and the SDK's doubled error prefix taken off.
import { isJSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import type { JSONRPCMessage, JSONRPCRequest, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { RPC } from "../../common/jsonrpc-errors.js";

/** Has an id and a method: a request, whether or not the SDK's schema will accept it. */
/**
 * Exactly what the SDK's JSONRPCRequestSchema accepts (a strict object: jsonrpc "2.0", a string
 * or safe-integer id, a string method, object params), checked by hand for the common case and by
 * the SDK's own zod parse only when `params._meta` is there to validate. The SDK drops a request
 * that fails its schema unanswered, so this must never be looser; a test compares the two.
 */
export function isSdkRequest(m: JSONRPCMessage): m is JSONRPCRequest {
  const r = m as unknown as Record<string, unknown>;
  for (const key in r) if (key !== "jsonrpc" && key !== "id" && key !== "method" && key !== "params") return false;
  if (r.jsonrpc !== "2.0" || typeof r.method !== "string") return false;
  if (!(typeof r.id === "string" || Number.isSafeInteger(r.id))) return false;
  const params = r.params;
  if (params === undefined) return true;
  if (typeof params !== "object" || params === null || Array.isArray(params)) return false;
  return "_meta" in params ? isJSONRPCRequest(m) : true;
}

export function looksLikeRequest(m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId; method: string; params?: unknown } {
  return "method" in m && "id" in m;
}

/**
 * A request the SDK would drop as an unknown message (it answers nothing then, and the POST
 * would wait for nothing): params that are not an object → invalid params, anything else
 * (an id that is neither a string nor an integer, extra members) → invalid request.
 */
export function malformed(m: { params?: unknown }): { code: number; message: string } {
  const params = m.params;
  if (params !== undefined && (typeof params !== "object" || params === null || Array.isArray(params))) return { code: RPC.INVALID_PARAMS, message: "Invalid params: params must be an object" };
  return { code: RPC.INVALID_REQUEST, message: "Invalid Request: not a valid JSON-RPC 2.0 request" };
}

/** Replies the SDK sends back (its own messages: a structural check, no schema parse). */
export function isReply(m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId } & ({ result: unknown } | { error: { code: number; message: string } }) {
  return "id" in m && ("result" in m || "error" in m);
}

/**
 * An error reply without the "MCP error <code>: " that McpError's constructor put in front of
 * its message: the SDK server sends `error.message` as is and the SDK client prefixes it again
 * ("MCP error -32003: MCP error -32003: forbidden…").
 */
export function withoutSdkPrefix<M extends JSONRPCMessage & { error: { code: number; message: string } }>(reply: M): M {
  const prefix = `MCP error ${String(reply.error.code)}: `;
  let text = reply.error.message;
  if (!text.startsWith(prefix)) return reply;
  while (text.startsWith(prefix)) text = text.slice(prefix.length);
  return { ...reply, error: { ...reply.error, message: text } };
}

export function targetOf(method: string, params: Record<string, unknown> | undefined): string | undefined {
  if (method === "tools/call" || method === "prompts/get") return typeof params?.name === "string" ? params.name : undefined;
  if (method === "resources/read") return typeof params?.uri === "string" ? params.uri : undefined;
  return undefined;
}
