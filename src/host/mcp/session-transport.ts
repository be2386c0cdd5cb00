// A minimal MCP Transport for one session over HTTP POSTs: each POSTed message goes to the
// SDK through onmessage, and the SDK's send() of the matching response completes that POST's
// HTTP reply (keyed by JSON-RPC id). The SDK keeps all MCP semantics, except for routed calls,
// which `intercept` hands to the host's relay (relayed-call.ts); this only moves bytes.
// Server-initiated messages (list_changed) go to the session's standalone GET stream when one
// is open, and are dropped otherwise, as the spec allows. The connection's certificate is
// re-checked before every write: once it is refused (revoked, expired, stale CRL) the requests
// waiting on it end with -32005 and their handlers are aborted (an upstream call is cancelled).
// Measured against the SDK's StreamableHTTPServerTransport in docs/host.md.
import type { ServerResponse } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  isJSONRPCNotification,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageExtraInfo,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { sseEvent, type HttpExchange, type Verdict } from "../http/http-exchange.js";
import { RPC } from "../../common/jsonrpc-errors.js";
import type { CallSignal } from "../../gateway/catalog.js";
import { RequestEnd } from "./request-end.js";
import { isReply, isSdkRequest, looksLikeRequest, malformed, targetOf, withoutSdkPrefix } from "./jsonrpc-shapes.js";

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

/** The session's standalone GET stream; `verdict` re-checks the certificate before each write. */
interface Standalone {
  res: ServerResponse;
  verdict: Verdict;
}

interface Pending {
  exchange: HttpExchange;
  method: string;
  target: string | undefined;
  startedAt: bigint;
  auth: AuthInfo | undefined;
  decision?: Decided;
  /** Made on demand (signalFor, ownSignal): ended when the host ends the request itself. */
  end?: RequestEnd;
}

export class SessionTransport implements Transport {
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  /**
   * Takes a request before the SDK sees it (routed calls, relayed-call.ts): true when it did,
   * and then answers it through send() as the SDK would.
   */
  intercept?: (request: JSONRPCRequest, authInfo: AuthInfo) => boolean;
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
        // The SDK drops a request that fails its schema, unanswered: check it first (by hand, see isSdkRequest).
        if (!isSdkRequest(m)) {
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
          // Answered with the exchange's other replies: completing it here would end the exchange before the rest of its batch.
          exchange.answer({ jsonrpc: "2.0", id: m.id, error: { code: RPC.INVALID_REQUEST, message: "a request with this id is already in progress" } });
          continue;
        }
        exchange.expect(m.id);
        this.#pending.set(m.id, { exchange, method: m.method, target: targetOf(m.method, m.params), startedAt: process.hrtime.bigint(), auth: authInfo, decision: undefined, end: undefined });
      }
      accepted.push(m);
    }
    // A response closes once: `on`, not `once` (no wrapper per request).
    if (exchange.isWaiting) exchange.res.on("close", () => this.#dropExchange(exchange));
    for (const m of accepted) {
      if (this.intercept && looksLikeRequest(m) && this.intercept(m as JSONRPCRequest, authInfo)) continue;
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
  openStream(res: ServerResponse, verdict: Verdict, onEnd: () => void): boolean {
    if (this.#standalone || this.#closed) return false;
    const stream: Standalone = { res, verdict };
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
    if (!stream || stream.verdict() === undefined) return false;
    this.endStream();
    return true;
  }

  /** Handlers record their authorization decision here, so the request's log line carries it. */
  decide(id: RequestId, decision: Decided): void {
    const p = this.#pending.get(id);
    if (p) p.decision = decision;
  }

  /**
   * The signal a handler's work for request `id` stops on: the SDK's own (client cancelled,
   * session closed) or the host ending the request (certificate refused, client gone).
   */
  signalFor(id: RequestId, sdk: CallSignal): CallSignal {
    const p = this.#pending.get(id);
    if (!p) return sdk;
    return (p.end ??= new RequestEnd(sdk));
  }

  /** The signal of request `id` when the host handles it itself (intercept): aborted as signalFor's is, and when the client cancels it or the session closes. */
  ownSignal(id: RequestId): CallSignal {
    const p = this.#pending.get(id);
    if (!p) return AbortSignal.abort(new Error("no such request in flight"));
    return (p.end ??= new RequestEnd());
  }

  /** Ends the requests whose connection's certificate is refused now (a CRL reload, its expiry); returns how many. */
  endRefusedCalls(): number {
    let ended = 0;
    for (const exchange of new Set([...this.#pending.values()].map((p) => p.exchange))) {
      const verdict = exchange.verdict();
      if (verdict !== undefined) ended += this.#refuse(exchange, verdict);
    }
    return ended;
  }

  /** Answers every request still waiting on `exchange` with -32005, aborts their handlers and closes the connection. */
  #refuse(exchange: HttpExchange, verdict: string): number {
    exchange.closeConnection();
    let ended = 0;
    for (const id of exchange.waiting) {
      const p = this.#pending.get(id);
      if (p?.exchange !== exchange) continue;
      this.#pending.delete(id);
      p.end?.abort(new Error(`client certificate refused: ${verdict}`));
      exchange.complete(id, { jsonrpc: "2.0", id, error: { code: RPC.CERTIFICATE_REFUSED, message: `client certificate refused: ${verdict}` } });
      this.onCompleted({ id, method: p.method, target: p.target, startedAt: p.startedAt, decision: "deny", reason: verdict, errorCode: RPC.CERTIFICATE_REFUSED, auth: p.auth, auditArguments: p.decision?.auditArguments });
      ended++;
    }
    return ended;
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (isReply(message)) {
      const id = message.id;
      const p = this.#pending.get(id);
      const verdict = p?.exchange.verdict();
      if (p && verdict !== undefined) this.#refuse(p.exchange, verdict);
      else if (p) {
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
    if (related === undefined) this.#toStandalone(message);
    else {
      const exchange = this.#pending.get(related)?.exchange;
      const verdict = exchange?.verdict();
      if (exchange && verdict !== undefined) this.#refuse(exchange, verdict);
      else exchange?.stream(message);
    }
    return Promise.resolve();
  }

  #toStandalone(message: JSONRPCMessage): void {
    const stream = this.#standalone;
    if (!stream || stream.res.writableEnded || stream.res.destroyed) return;
    // A certificate revoked or expired since the GET was admitted gets nothing more.
    if (stream.verdict() !== undefined) {
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
    p.end?.abort(new Error("cancelled by the client"));
  }

  /** The client went away: nobody waits for these replies, so their work stops too (an upstream call is cancelled). */
  #dropExchange(exchange: HttpExchange): void {
    for (const id of exchange.waiting) {
      const p = this.#pending.get(id);
      if (p?.exchange !== exchange) continue;
      this.#pending.delete(id);
      p.end?.abort(new Error("client disconnected"));
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const [id, p] of this.#pending) {
      p.exchange.abort(404, { jsonrpc: "2.0", id, error: { code: RPC.UNKNOWN_SESSION, message: "session closed" } });
      p.end?.abort(new Error("session closed"));
    }
    this.#pending.clear();
    this.endStream();
    this.onclose?.();
    return Promise.resolve();
  }
}
