// The message-level relay to one upstream: a Transport between the gateway's SDK Client and the
// SDK's real transport (stdio or Streamable HTTP), which frames every message. The Client keeps
// the lifecycle (initialize, lists, list_changed, pings, the upstream's own requests); a call the
// host already allowed goes out under an id of its own ("r<n>": the Client's ids are numbers) and
// its answer and progress come straight back here, neither zod-parsed nor re-serialised by the
// Client's Protocol. The caller's result is the upstream's result object, as it sent it.
// What the Client would do for such a call is done here the same way: a timeout restarted by
// each progress notification, `notifications/cancelled` on abort or timeout, every call failed
// with ConnectionClosed when the transport closes.
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

/** What a relayed call needs: the Client's RequestOptions that the relay honours, and a total bound. */
export interface RelayOptions {
  /** How long the upstream may stay silent: restarted by each progress notification. */
  timeout: number;
  /** How long the call may take in all, however often it reports progress. */
  totalTimeout: number;
  signal?: CallSignal | undefined;
  onprogress?: ((progress: Progress) => void) | undefined;
}

interface Relayed {
  resolve: (result: Result) => void;
  reject: (error: Error) => void;
  onprogress: ((progress: Progress) => void) | undefined;
  restart: () => void;
}

const CLOSED = (): McpError => new McpError(ErrorCode.ConnectionClosed, "Connection closed");

export class RelayTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  readonly #inner: Transport;
  readonly #relayed = new Map<string, Relayed>();
  #next = 0;
  #closed = false;

  constructor(inner: Transport) {
    this.#inner = inner;
    inner.onmessage = (message, extra) => {
      if (!this.#take(message)) this.onmessage?.(message, extra);
    };
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => {
      this.#closed = true;
      for (const call of this.#relayed.values()) call.reject(CLOSED());
      this.#relayed.clear();
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
    const id = `r${String(this.#next++)}`;
    const withToken = options.onprogress ? { ...params, _meta: { ...(params._meta as object | undefined), progressToken: id } } : params;
    const deadline = Date.now() + options.totalTimeout;
    return new Promise<Result>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const end = (): void => {
        this.#relayed.delete(id);
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      // As the SDK's Protocol does: the upstream is told, the caller gets the reason (an McpError as is).
      const cancel = (reason: unknown): void => {
        end();
        this.#inner.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: String(reason) } }).catch((e: unknown) => this.onerror?.(e as Error));
        reject(cancelError(reason));
      };
      const onAbort = (): void => cancel(signal?.reason);
      // One timer for both bounds: the silence allowed, cut short by the total deadline.
      const expire = (): void => {
        if (Date.now() >= deadline) cancel(new McpError(ErrorCode.RequestTimeout, "Request exceeded its total timeout", { totalTimeout: options.totalTimeout }));
        else cancel(new McpError(ErrorCode.RequestTimeout, "Request timed out", { timeout: options.timeout }));
      };
      const restart = (): void => {
        clearTimeout(timer);
        timer = setTimeout(expire, Math.max(0, Math.min(options.timeout, deadline - Date.now())));
      };
      this.#relayed.set(id, {
        resolve: (r) => {
          end();
          resolve(r);
        },
        reject: (e) => {
          end();
          reject(e);
        },
        onprogress: options.onprogress,
        restart,
      });
      signal?.addEventListener("abort", onAbort, { once: true });
      restart();
      this.#inner.send({ jsonrpc: "2.0", id, method, params: withToken }).catch((e: unknown) => {
        end();
        reject(e instanceof Error ? e : new Error(String(e)));
      });
    });
  }

  /** A reply or progress for a relayed call: handled here, never seen by the Client. */
  #take(message: JSONRPCMessage): boolean {
    if ("id" in message && typeof message.id === "string" && !("method" in message)) {
      const call = this.#relayed.get(message.id);
      // A late answer to a call that timed out or was cancelled: nobody waits for it.
      if (!call) return message.id.startsWith("r");
      if ("result" in message) call.resolve(message.result);
      else call.reject(McpError.fromError(message.error.code, message.error.message, message.error.data));
      return true;
    }
    if ("method" in message && message.method === "notifications/progress" && !("id" in message)) {
      const { progressToken, ...progress } = (message.params ?? {}) as { progressToken?: unknown } & Progress;
      if (typeof progressToken !== "string") return false;
      const call = this.#relayed.get(progressToken);
      if (!call) return progressToken.startsWith("r");
      call.restart();
      call.onprogress?.(progress);
      return true;
    }
    return false;
  }
}

function cancelError(reason: unknown): McpError {
  return reason instanceof McpError ? reason : new McpError(ErrorCode.RequestTimeout, String(reason));
}
