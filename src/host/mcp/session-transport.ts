// A minimal MCP Transport for one session over HTTP POSTs: each POSTed message goes to the
// SDK through onmessage, and the SDK's send() of the matching response completes that POST's
// HTTP reply (keyed by JSON-RPC id). The SDK keeps all MCP semantics; this only moves bytes.
// Server-initiated messages (list_changed) go to the session's standalone GET stream when one
// is open, and are dropped otherwise, as the spec allows. Measured against the SDK's
// StreamableHTTPServerTransport in docs/host.md.
import type { ServerResponse } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  isJSONRPCRequest,
  isJSONRPCNotification,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { sseEvent, type HttpExchange } from "../http/http-exchange.js";
import { RPC } from "../../common/jsonrpc-errors.js";

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
  /** Set for tools/call when the caller's role audits arguments (policy `"audit": "arguments"`). */
  auditArguments: Record<string, unknown> | undefined;
}

/** What a handler records about a request for its log line. */
export interface Decided {
  allow: boolean;
  reason: string;
  auditArguments?: Record<string, unknown> | undefined;
}

/** The session's standalone GET stream; `admits` re-checks the certificate before each write. */
interface Standalone {
  res: ServerResponse;
  admits: () => boolean;
}

interface Pending {
  exchange: HttpExchange;
  method: string;
  target: string | undefined;
  startedAt: bigint;
  auth: AuthInfo | undefined;
  decision?: Decided;
}

/** Has an id and a method: a request, whether or not the SDK's schema will accept it. */
function looksLikeRequest(m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId; method: string; params?: unknown } {
  return "method" in m && "id" in m;
}

/**
 * A request the SDK would drop as an unknown message (it answers nothing then, and the POST
 * would wait for nothing): params that are not an object → invalid params, anything else
 * (an id that is neither a string nor an integer, extra members) → invalid request.
 */
function malformed(m: { params?: unknown }): { code: number; message: string } {
  const params = m.params;
  if (params !== undefined && (typeof params !== "object" || params === null || Array.isArray(params))) return { code: RPC.INVALID_PARAMS, message: "Invalid params: params must be an object" };
  return { code: RPC.INVALID_REQUEST, message: "Invalid Request: not a valid JSON-RPC 2.0 request" };
}

/** Replies the SDK sends back (its own messages: a structural check, no schema parse). */
function isReply(m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId } & ({ result: unknown } | { error: { code: number; message: string } }) {
  return "id" in m && ("result" in m || "error" in m);
}

/**
 * An error reply without the "MCP error <code>: " that McpError's constructor put in front of
 * its message: the SDK server sends `error.message` as is and the SDK client prefixes it again
 * ("MCP error -32003: MCP error -32003: forbidden…").
 */
function withoutSdkPrefix<M extends JSONRPCMessage & { error: { code: number; message: string } }>(reply: M): M {
  const prefix = `MCP error ${String(reply.error.code)}: `;
  let text = reply.error.message;
  if (!text.startsWith(prefix)) return reply;
  while (text.startsWith(prefix)) text = text.slice(prefix.length);
  return { ...reply, error: { ...reply.error, message: text } };
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
  #standalone: Standalone | undefined;
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
      if (looksLikeRequest(m)) {
        // One schema check (a zod parse) per request: the SDK drops what fails it, unanswered.
        if (!isJSONRPCRequest(m)) {
          const raw: unknown = m.id;
          const id = typeof raw === "string" || typeof raw === "number" ? raw : null;
          const error = malformed(m);
          exchange.answer({ jsonrpc: "2.0", id, error } as unknown as JSONRPCMessage);
          // Logged like any answered request, though the SDK never saw it.
          const reason = error.code === RPC.INVALID_PARAMS ? "invalid_params" : "invalid_request";
          this.onCompleted({ id: id ?? "", method: m.method, target: undefined, startedAt: process.hrtime.bigint(), decision: "deny", reason, errorCode: error.code, auth: authInfo, auditArguments: undefined });
          continue;
        }
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
      // The method first: the schema check is a zod parse, needed only for this one notification.
      if ("method" in m && m.method === "notifications/cancelled" && isJSONRPCNotification(m)) {
        const id = (m.params as { requestId?: RequestId } | undefined)?.requestId;
        if (id !== undefined) this.#cancelled(id);
      }
    }
    exchange.finish();
  }

  get hasStream(): boolean {
    return this.#standalone !== undefined;
  }

  /**
   * Adopts a GET response as the session's standalone SSE stream (headers already written).
   * One per session: false when one is open already or the session is closed.
   */
  openStream(res: ServerResponse, admits: () => boolean, onEnd: () => void): boolean {
    if (this.#standalone || this.#closed) return false;
    const stream: Standalone = { res, admits };
    this.#standalone = stream;
    res.once("close", () => {
      if (this.#standalone === stream) this.#standalone = undefined;
      onEnd();
    });
    return true;
  }

  /** Ends the standalone stream, if any (session closed, host stopping, certificate refused). */
  endStream(): void {
    const stream = this.#standalone;
    this.#standalone = undefined;
    if (stream && !stream.res.writableEnded) stream.res.end();
  }

  /** Ends the standalone stream if its certificate is refused now (checked at a CRL reload); true when it did. */
  endStreamIfRefused(): boolean {
    const stream = this.#standalone;
    if (!stream || stream.admits()) return false;
    this.endStream();
    return true;
  }

  /** Handlers record their authorization decision here, so the request's log line carries it. */
  decide(id: RequestId, decision: Decided): void {
    const p = this.#pending.get(id);
    if (p) p.decision = decision;
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (isReply(message)) {
      const id = message.id;
      const p = this.#pending.get(id);
      if (p) {
        this.#pending.delete(id);
        p.exchange.complete(id, "error" in message ? withoutSdkPrefix(message) : message);
        const errorCode = "error" in message ? message.error.code : undefined;
        this.onCompleted({
          id,
          method: p.method,
          target: p.target,
          startedAt: p.startedAt,
          decision: p.decision?.allow === false ? "deny" : "allow",
          reason: p.decision?.reason ?? (errorCode === undefined ? "unrestricted" : "error"),
          errorCode,
          auth: p.auth,
          auditArguments: p.decision?.auditArguments,
        });
      }
      return Promise.resolve();
    }
    // Progress and server→client requests ride on the stream of the request they belong to;
    // messages tied to no request (list_changed) take the standalone stream, or are dropped.
    const related = options?.relatedRequestId;
    if (related !== undefined) this.#pending.get(related)?.exchange.stream(message);
    else this.#toStandalone(message);
    return Promise.resolve();
  }

  #toStandalone(message: JSONRPCMessage): void {
    const stream = this.#standalone;
    if (!stream || stream.res.writableEnded || stream.res.destroyed) return;
    // A certificate revoked or expired since the GET was admitted gets nothing more.
    if (!stream.admits()) {
      this.endStream();
      return;
    }
    stream.res.write(sseEvent(message));
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
    this.endStream();
    this.onclose?.();
    return Promise.resolve();
  }
}
