// A minimal MCP Transport for one session over HTTP POSTs: each POSTed message goes to the
// SDK through onmessage, and the SDK's send() of the matching response completes that POST's
// HTTP reply (keyed by JSON-RPC id). The SDK keeps all MCP semantics; this only moves bytes.
// Measured against the SDK's StreamableHTTPServerTransport in docs/host.md.
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  isJSONRPCRequest,
  isJSONRPCNotification,
  isJSONRPCResultResponse,
  isJSONRPCErrorResponse,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import type { HttpExchange } from "./http-exchange.js";
import { RPC } from "./jsonrpc-errors.js";

/** What the host wants to know about each finished request (for the `mcp.request` event). */
export interface Completed {
  id: RequestId;
  method: string;
  target: string | undefined;
  startedAt: bigint;
  decision: "allow" | "deny";
  reason: string;
  errorCode: number | undefined;
  auth: AuthInfo | undefined;
}

interface Pending {
  exchange: HttpExchange;
  method: string;
  target: string | undefined;
  startedAt: bigint;
  auth: AuthInfo | undefined;
  decision?: { allow: boolean; reason: string };
}

function targetOf(method: string, params: Record<string, unknown> | undefined): string | undefined {
  if (method === "tools/call" || method === "prompts/get") return typeof params?.name === "string" ? params.name : undefined;
  if (method === "resources/read") return typeof params?.uri === "string" ? params.uri : undefined;
  return undefined;
}

export class SessionTransport implements Transport {
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly #pending = new Map<RequestId, Pending>();
  #closed = false;

  constructor(
    readonly sessionId: string,
    private readonly onCompleted: (c: Completed) => void,
  ) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** Hands a POST's messages to the SDK; the exchange completes as the replies come back. */
  deliver(messages: readonly JSONRPCMessage[], exchange: HttpExchange, authInfo: AuthInfo): void {
    const extra: MessageExtraInfo = { authInfo };
    const accepted: JSONRPCMessage[] = [];
    for (const m of messages) {
      if (isJSONRPCRequest(m)) {
        if (this.#pending.has(m.id)) {
          exchange.waiting.add(m.id);
          exchange.complete(m.id, { jsonrpc: "2.0", id: m.id, error: { code: RPC.INVALID_REQUEST, message: "a request with this id is already in progress" } });
          continue;
        }
        exchange.waiting.add(m.id);
        this.#pending.set(m.id, { exchange, method: m.method, target: targetOf(m.method, m.params), startedAt: process.hrtime.bigint(), auth: authInfo });
      }
      accepted.push(m);
    }
    if (exchange.waiting.size > 0) exchange.res.once("close", () => this.#dropExchange(exchange));
    for (const m of accepted) {
      this.onmessage?.(m, extra);
      if (isJSONRPCNotification(m) && m.method === "notifications/cancelled") {
        const id = (m.params as { requestId?: RequestId } | undefined)?.requestId;
        if (id !== undefined) this.#cancelled(id);
      }
    }
    exchange.finish();
  }

  /** Handlers record their authorization decision here, so the request's log line carries it. */
  decide(id: RequestId, decision: { allow: boolean; reason: string }): void {
    const p = this.#pending.get(id);
    if (p) p.decision = decision;
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      const id = message.id;
      const p = id === undefined ? undefined : this.#pending.get(id);
      if (p && id !== undefined) {
        this.#pending.delete(id);
        p.exchange.complete(id, message);
        const errorCode = isJSONRPCErrorResponse(message) ? message.error.code : undefined;
        this.onCompleted({
          id,
          method: p.method,
          target: p.target,
          startedAt: p.startedAt,
          decision: p.decision?.allow === false ? "deny" : "allow",
          reason: p.decision?.reason ?? (errorCode === undefined ? "unrestricted" : "error"),
          errorCode,
          auth: p.auth,
        });
      }
      return Promise.resolve();
    }
    // Progress and server→client requests ride on the stream of the request they belong to;
    // with no such request open there is nowhere to send them (no standalone GET stream).
    const related = options?.relatedRequestId;
    const p = related === undefined ? undefined : this.#pending.get(related);
    p?.exchange.stream(message);
    return Promise.resolve();
  }

  #cancelled(id: RequestId): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    p.exchange.forget(id);
  }

  #dropExchange(exchange: HttpExchange): void {
    for (const id of exchange.waiting) if (this.#pending.get(id)?.exchange === exchange) this.#pending.delete(id);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const [id, p] of this.#pending) p.exchange.abort(404, { jsonrpc: "2.0", id, error: { code: RPC.UNKNOWN_SESSION, message: "session closed" } });
    this.#pending.clear();
    this.onclose?.();
    return Promise.resolve();
  }
}
