// The message-level relay to one upstream: a Transport between the gateway's SDK Client and the
// SDK's real transport (stdio or Streamable HTTP), which frames every message. The Client keeps
// the lifecycle (initialize, lists, list_changed, pings, the upstream's own requests); a call the
// host already allowed goes out under an id of its own ("r<slot>.<seq>", call-slots.ts: the
// Client's ids are numbers) and its answer and progress come straight back here, neither
// zod-parsed nor re-serialised by the Client's Protocol. The caller's result is the upstream's
// result object, as it sent it.
// What the Client would do for such a call is done here the same way: a timeout restarted by
// each progress notification, `notifications/cancelled` on abort or timeout, every call failed
// with ConnectionClosed when the transport closes. A failure reads as the upstream explains it
// (`Explain`, once per connection: no closure per call), except when the caller ended the call.
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  ErrorCode,
  McpError,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type Progress,
  type Result,
} from "@modelcontextprotocol/sdk/types.js";
import type { CallSignal } from "./catalog.js";
import { CallSlots } from "./call-slots.js";

/** What a relayed call needs: the Client's RequestOptions that the relay honours, and a total bound. */
export interface RelayOptions {
  /** How long the upstream may stay silent: restarted by each progress notification. */
  timeout: number;
  /** How long the call may take in all, however often it reports progress. */
  totalTimeout: number;
  signal?: CallSignal | undefined;
  onprogress?: ((progress: Progress) => void) | undefined;
}

/** How an McpError a call fails with reads to its caller (which upstream, what happens next). */
export type Explain = (error: McpError, method: string) => McpError;

/** One relayed call in flight: how it ends, and when it expires. */
class Relayed {
  /** The upstream may stay silent until then: moved on by each progress notification. */
  silentUntil: number;
  /** Cancels the call when the caller's request ends: added to its signal, removed when settled. */
  readonly onAbort: () => void;

  constructor(
    readonly id: string,
    readonly method: string,
    readonly resolve: (result: Result) => void,
    readonly reject: (error: Error) => void,
    readonly options: RelayOptions,
    readonly deadline: number,
    cancel: (call: Relayed, reason: unknown) => void,
  ) {
    this.silentUntil = Date.now() + options.timeout;
    this.onAbort = () => cancel(this, options.signal?.reason);
  }

  get expiresAt(): number {
    return Math.min(this.silentUntil, this.deadline);
  }
}

const CLOSED = (): McpError => new McpError(ErrorCode.ConnectionClosed, "Connection closed");

export class RelayTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  readonly #inner: Transport;
  /** Not a Map: a Map's replaced tables kept every call alive until a full GC (call-slots.ts). */
  readonly #relayed = new CallSlots<Relayed>();
  #closed = false;
  /** One timer for every call's expiry, armed for the earliest (a timer per call cost each ~0.3 KB). */
  #expiry: NodeJS.Timeout | undefined;
  #expiryAt = Infinity;

  readonly #explain: Explain | undefined;

  constructor(inner: Transport, explain?: Explain) {
    this.#inner = inner;
    this.#explain = explain;
    inner.onmessage = (message, extra) => {
      if (!this.#take(message)) this.onmessage?.(message, extra);
    };
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => {
      this.#closed = true;
      for (const call of this.#relayed.values()) this.#fail(this.#settle(call), CLOSED());
      this.onclose?.();
    };
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.#inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    return this.#inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.#inner.send(message, options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  get inFlight(): number {
    return this.#relayed.size;
  }

  /**
   * Sends one request the host has allowed and resolves with the upstream's result object (or
   * rejects with its error as an McpError). `params` go out as given, plus a progress token
   * (this call's id) when `onprogress` is set.
   */
  relay(method: string, params: Record<string, unknown>, options: RelayOptions): Promise<Result> {
    const signal = options.signal;
    if (this.#closed) return Promise.reject(CLOSED());
    if (signal?.aborted) return Promise.reject(cancelError(signal.reason));
    return new Promise<Result>((resolve, reject) => {
      const call = this.#relayed.add((id) => new Relayed(id, method, resolve, reject, options, Date.now() + options.totalTimeout, (c, reason) => this.#cancel(c, reason)));
      const id = call.id;
      const withToken = options.onprogress ? { ...params, _meta: { ...(params._meta as object | undefined), progressToken: id } } : params;
      signal?.addEventListener("abort", call.onAbort, { once: true });
      this.#armExpiry(call.expiresAt);
      this.#inner.send({ jsonrpc: "2.0", id, method, params: withToken }).catch((e: unknown) => {
        if (this.#relayed.get(id) === call) this.#fail(this.#settle(call), e instanceof Error ? e : new Error(String(e)));
      });
    });
  }

  /** Takes a call out of flight; returns it, for its promise to be settled. */
  #settle(call: Relayed): Relayed {
    this.#relayed.delete(call);
    call.options.signal?.removeEventListener("abort", call.onAbort);
    if (this.#relayed.size === 0) this.#disarmExpiry();
    return call;
  }

  /** Rejects a call: an McpError explained, unless the caller itself ended the call. */
  #fail(call: Relayed, error: Error): void {
    const explain = this.#explain;
    call.reject(explain && error instanceof McpError && call.options.signal?.aborted !== true ? explain(error, call.method) : error);
  }

  /** As the SDK's Protocol does: the upstream is told, the caller gets the reason (an McpError as is). */
  #cancel(call: Relayed, reason: unknown): void {
    if (this.#relayed.get(call.id) !== call) return;
    this.#settle(call);
    this.#inner.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: call.id, reason: String(reason) } }).catch((e: unknown) => this.onerror?.(e as Error));
    this.#fail(call, cancelError(reason));
  }

  #armExpiry(at: number): void {
    if (at >= this.#expiryAt) return;
    clearTimeout(this.#expiry);
    this.#expiryAt = at;
    this.#expiry = setTimeout(() => this.#expire(), Math.max(0, at - Date.now()));
  }

  #disarmExpiry(): void {
    clearTimeout(this.#expiry);
    this.#expiry = undefined;
    this.#expiryAt = Infinity;
  }

  /** Cancels every call past its silence or total bound, then re-arms for the earliest left. */
  #expire(): void {
    this.#disarmExpiry();
    const now = Date.now();
    let next = Infinity;
    for (const call of this.#relayed.values()) {
      if (now >= call.deadline) this.#cancel(call, new McpError(ErrorCode.RequestTimeout, "Request exceeded its total timeout", { totalTimeout: call.options.totalTimeout }));
      else if (now >= call.silentUntil) this.#cancel(call, new McpError(ErrorCode.RequestTimeout, "Request timed out", { timeout: call.options.timeout }));
      else next = Math.min(next, call.expiresAt);
    }
    if (next < Infinity) this.#armExpiry(next);
  }

  /** A reply or progress for a relayed call: handled here, never seen by the Client. */
  #take(message: JSONRPCMessage): boolean {
    if ("id" in message && typeof message.id === "string" && !("method" in message)) {
      const call = this.#relayed.get(message.id);
      // A late answer to a call that timed out or was cancelled: nobody waits for it.
      if (!call) return message.id.startsWith("r");
      this.#settle(call);
      if ("result" in message) call.resolve(message.result);
      else this.#fail(call, McpError.fromError(message.error.code, message.error.message, message.error.data));
      return true;
    }
    if ("method" in message && message.method === "notifications/progress" && !("id" in message)) {
      const { progressToken, ...progress } = (message.params ?? {}) as { progressToken?: unknown } & Progress;
      if (typeof progressToken !== "string") return false;
      const call = this.#relayed.get(progressToken);
      if (!call) return progressToken.startsWith("r");
      // Only later: the armed expiry may fire early, finds nothing due and re-arms.
      call.silentUntil = Date.now() + call.options.timeout;
      call.options.onprogress?.(progress);
      return true;
    }
    return false;
  }
}

function cancelError(reason: unknown): McpError {
  return reason instanceof McpError ? reason : new McpError(ErrorCode.RequestTimeout, String(reason));
}
