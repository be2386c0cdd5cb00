// The JSON-RPC error codes the host answers with, declared once (docs/host.md lists them).
// Codes the SDK already uses keep the SDK's meaning; ours sit in the implementation-defined
// server-error range (-32000…-32099).
export const RPC = {
  /** Transport-level refusal (wrong Accept, bad batch, not initialized…), as the SDK uses it. */
  TRANSPORT: -32000,
  /** Unknown MCP session (or one opened by another certificate), as the SDK uses it. */
  UNKNOWN_SESSION: -32001,
  /** The caller's roles do not permit this tool, prompt or resource. */
  FORBIDDEN: -32003,
  /** The caller's role rate limit is exhausted; `data.retryAfterSeconds` says when to retry. */
  RATE_LIMITED: -32004,
  /** The client certificate was revoked or expired while its connection was open, or the CRL is stale. */
  CERTIFICATE_REFUSED: -32005,
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
} as const;

export interface RpcErrorBody {
  jsonrpc: "2.0";
  id: null;
  error: { code: number; message: string; data?: Record<string, unknown> };
}

/** Body of an HTTP-level refusal, where no single JSON-RPC id applies. */
export function rpcErrorBody(code: number, message: string, data?: Record<string, unknown>): RpcErrorBody {
  return { jsonrpc: "2.0", id: null, error: { code, message, ...(data ? { data } : {}) } };
}
