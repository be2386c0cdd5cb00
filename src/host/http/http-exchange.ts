// One HTTP POST to /mcp and the JSON-RPC replies it waits for. Replies go out as one JSON body
// when everything is ready, or as an SSE stream as soon as the server sends something before
// the reply (progress, a request to the client).
import type { ServerResponse } from "node:http";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";

/** One JSON-RPC message as a Server-Sent Event, as Streamable HTTP frames it. */
export const sseEvent = (message: JSONRPCMessage): string => `event: message\ndata: ${JSON.stringify(message)}\n\n`;

/** Why the connection's certificate is refused now (revoked, expired, stale CRL), or undefined while it is good. */
export type Verdict = () => string | undefined;

export class HttpExchange {
  /** The request this exchange waits on; a second one moves both to #many (a batch): most POSTs make no Set. */
  #one: RequestId | undefined;
  #many: Set<RequestId> | undefined;
  readonly #replies: JSONRPCMessage[] = [];
  #sse = false;

  constructor(
    readonly res: ServerResponse,
    private readonly batch: boolean,
    private readonly headers: Record<string, string>,
    /** Checked before every write of a reply or an event on this exchange. */
    readonly verdict: Verdict,
  ) {}

  get done(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  /** This exchange answers request `id`: it is not finished until that reply comes (or is forgotten). */
  expect(id: RequestId): void {
    if (this.#one === undefined && this.#many === undefined) this.#one = id;
    else {
      this.#many ??= new Set(this.#one === undefined ? [] : [this.#one]);
      this.#one = undefined;
      this.#many.add(id);
    }
  }

  /** The requests still waiting for their reply (a copy). */
  get waiting(): RequestId[] {
    if (this.#many) return [...this.#many];
    return this.#one === undefined ? [] : [this.#one];
  }

  get isWaiting(): boolean {
    return this.#one !== undefined || (this.#many !== undefined && this.#many.size > 0);
  }

  #settle(id: RequestId): boolean {
    if (this.#one === id) {
      this.#one = undefined;
      return true;
    }
    return this.#many?.delete(id) ?? false;
  }

  /** A reply to one of this exchange's requests. */
  complete(id: RequestId, message: JSONRPCMessage): void {
    if (!this.#settle(id)) return;
    if (this.#sse) this.#event(message);
    else this.#replies.push(message);
    this.#finishIfDone();
  }

  /** A reply the host makes itself, tied to no request the SDK sees (a malformed one, or one whose id is in flight); sent with the others. */
  answer(message: JSONRPCMessage): void {
    if (this.#sse) this.#event(message);
    else this.#replies.push(message);
  }

  /** A reply that never comes (the request was cancelled). */
  forget(id: RequestId): void {
    if (this.#settle(id)) this.#finishIfDone();
  }

  /** A server message tied to one of this exchange's requests: switch to SSE to deliver it now. */
  stream(message: JSONRPCMessage): void {
    if (this.done) return;
    if (!this.#sse) {
      this.#sse = true;
      this.res.writeHead(200, { ...this.headers, "content-type": "text/event-stream", "cache-control": "no-cache" });
      for (const reply of this.#replies.splice(0)) this.#event(reply);
    }
    this.#event(message);
  }

  #event(message: JSONRPCMessage): void {
    if (!this.done) this.res.write(sseEvent(message));
  }

  #finishIfDone(): void {
    if (this.isWaiting || this.done) return;
    if (this.#sse) {
      this.res.end();
      return;
    }
    if (this.#replies.length === 0) {
      this.res.writeHead(202, this.headers).end();
      return;
    }
    const body = JSON.stringify(this.batch ? this.#replies : this.#replies[0]);
    // This exchange's own headers, finished in place (no copy a call): nothing is written after.
    const headers = this.headers;
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(body));
    this.res.writeHead(200, headers).end(body);
  }

  /** The connection goes once this exchange is answered (its certificate was refused meanwhile). */
  closeConnection(): void {
    if (!this.res.headersSent) this.headers.connection = "close";
    this.res.once("finish", () => this.res.socket?.destroy());
  }

  /** Sends what is ready now; used when the exchange holds no request at all. */
  finish(): void {
    this.#finishIfDone();
  }

  /** The session went away under this exchange. */
  abort(status: number, body: unknown): void {
    if (this.done) return;
    if (this.#sse) this.res.end();
    else this.res.writeHead(status, { ...this.headers, "content-type": "application/json" }).end(JSON.stringify(body));
  }
}
