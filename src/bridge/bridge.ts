// The stdio ↔ mTLS bridge behind `ztmcp connect`: a desktop MCP client speaks stdio to us, we
// speak Streamable HTTP over mTLS to the host. Both sides are the SDK's own transports; we only
// move JSON-RPC messages between them. Stdout carries protocol messages and nothing else.
import type { Readable, Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { ZtmcpError } from "../common/errors.js";
import { RPC } from "../common/jsonrpc-errors.js";
import type { Logger } from "../common/log.js";
import { createMtlsFetch, type MtlsFetch, type TlsIdentity } from "../tls-files/mtls-fetch.js";
import { boundedFetch } from "./bounded-fetch.js";
import { firstContact } from "./first-contact.js";
import { MaybeDelivered, neverReachedHost, withRetry, type RetryPolicy } from "./retry.js";
import { checkOwnCertificate } from "./tls-diagnosis.js";

export type { RetryPolicy } from "./retry.js";

export interface BridgeOptions {
  url: URL;
  tls: TlsIdentity;
  /** Names the identity in messages (e.g. `certs/alice`). */
  label: string;
  log: Logger;
  stdin?: Readable;
  stdout?: Writable;
  retry?: RetryPolicy;
  /** How long answers to requests already sent may take once stdin has closed. */
  drainMs?: number;
  /**
   * HTTP/1.1 connections to the host for requests, so how many calls can be in flight at once
   * (a request holds its connection until its answer has streamed in); default 4, at most 64.
   */
  maxConnections?: number | undefined;
}

export const MAX_CONNECTIONS = { default: 4, min: 1, max: 64 } as const;

/** The connection limit to use: the default, or the given one if it is an integer in range (BAD_MAX_CONNECTIONS). */
export function checkMaxConnections(n: number | undefined): number {
  if (n === undefined) return MAX_CONNECTIONS.default;
  if (!Number.isInteger(n) || n < MAX_CONNECTIONS.min || n > MAX_CONNECTIONS.max) {
    throw new ZtmcpError("BAD_MAX_CONNECTIONS", `--max-connections takes a whole number from ${MAX_CONNECTIONS.min} to ${MAX_CONNECTIONS.max}, not ${Number.isNaN(n) ? "something else" : String(n)}`);
  }
  return n;
}

/** JSON-RPC error code for "the bridge could not deliver this request". */
export const BRIDGE_ERROR = RPC.TRANSPORT;

/** The JSON-RPC error the host put in the body of an HTTP refusal, when there is one. */
function hostRefusal(e: StreamableHTTPError): { code: number; message: string; data?: unknown } | undefined {
  const at = e.message.indexOf("{");
  if (at < 0) return undefined;
  try {
    const body = JSON.parse(e.message.slice(at)) as { error?: { code?: unknown; message?: unknown; data?: unknown } };
    const { code, message, data } = body.error ?? {};
    if (typeof code !== "number" || typeof message !== "string") return undefined;
    return { code, message, ...(data === undefined ? {} : { data }) };
  } catch {
    return undefined;
  }
}

/** A deadline that does not keep the process alive by itself. */
const deadline = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

const ctxOf = (o: BridgeOptions) => ({ url: o.url, tls: o.tls, label: o.label, log: o.log, retry: o.retry });

/** Resolves when the local client closes stdin; rejects with a one-line ZtmcpError when the host cannot be reached. */
export async function runBridge(options: BridgeOptions): Promise<void> {
  const connections = checkMaxConnections(options.maxConnections);
  checkOwnCertificate(options.tls.cert, options.label);
  const tls = createMtlsFetch(options.tls, { connections });
  try {
    await withRetry(ctxOf(options), () => firstContact(options.url, options.tls));
    await relay(options, tls);
  } finally {
    await tls.close().catch(() => undefined);
  }
}

function relay(options: BridgeOptions, tls: MtlsFetch): Promise<void> {
  const { url, log } = options;
  const stdin = options.stdin ?? process.stdin;
  const local = new StdioServerTransport(stdin, options.stdout);
  // Past the message limit the host is broken or hostile: the bridge stops (finish is below).
  let tooLarge: (e: ZtmcpError) => void = () => undefined;
  const remote = new StreamableHTTPClientTransport(url, { fetch: boundedFetch(tls.fetch, (e) => tooLarge(e)) });
  const initializeIds = new Set<RequestId>();
  /** Requests sent to the host and not answered yet. */
  const pending = new Set<RequestId>();
  let drained: (() => void) | undefined;
  let initialized: Promise<void> = Promise.resolve();
  let done = false;

  return new Promise<void>((resolve, reject) => {
    const finish = (error?: ZtmcpError): void => {
      if (done) return;
      // Every request still waiting learns why it never will be answered.
      if (error) for (const id of [...pending]) fail(id, error.message);
      done = true;
      void remote.close().catch(() => undefined);
      void local.close().catch(() => undefined);
      if (error) reject(error);
      else resolve();
    };

    const toLocal = (message: JSONRPCMessage): void => {
      if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined && pending.delete(message.id) && pending.size === 0) drained?.();
      void local.send(message).catch((e: unknown) => log.warn({ event: "bridge.local_error", err: (e as Error).message }, "could not write to stdout"));
    };

    /** Answers a request the host will not answer, once. */
    const fail = (id: RequestId, text: string): void => {
      if (pending.has(id)) toLocal({ jsonrpc: "2.0", id, error: { code: BRIDGE_ERROR, message: text } });
    };
    tooLarge = finish;

    const forward = async (message: JSONRPCMessage): Promise<void> => {
      if (isJSONRPCRequest(message)) pending.add(message.id);
      try {
        await withRetry(ctxOf(options), () => remote.send(message), neverReachedHost);
      } catch (e) {
        if (e instanceof StreamableHTTPError) {
          // The host answered: the request arrived and was refused (expired session, limits…).
          const refusal = hostRefusal(e);
          log.warn({ event: "bridge.http_error", status: e.code, rpcCode: refusal?.code }, refusal?.message ?? e.message);
          if (isJSONRPCRequest(message)) toLocal({ jsonrpc: "2.0", id: message.id, error: refusal ?? { code: BRIDGE_ERROR, message: `host answered HTTP ${String(e.code)}: ${e.message}` } });
          if (refusal?.code === RPC.CERTIFICATE_REFUSED) finish(new ZtmcpError("HOST_REFUSED", `${url.host}: the host refused our certificate: ${refusal.message}`));
          return;
        }
        if (e instanceof MaybeDelivered) {
          // It may have run: say so instead of sending it again, then see whether the host is still there.
          log.warn({ event: "bridge.dropped", reason: e.message }, "connection dropped after a message was sent; not retried");
          if (isJSONRPCRequest(message)) fail(message.id, `${e.message}; the connection dropped after the request was sent, so it was not retried (the host may have run it)`);
          await withRetry(ctxOf(options), () => firstContact(url, options.tls)).catch((probe: unknown) => {
            finish(probe instanceof ZtmcpError ? probe : new ZtmcpError("BRIDGE_FAILED", (probe as Error).message));
          });
          return;
        }
        if (isJSONRPCRequest(message)) fail(message.id, (e as Error).message);
        finish(e instanceof ZtmcpError ? e : new ZtmcpError("BRIDGE_FAILED", (e as Error).message));
      }
    };

    local.onmessage = (message) => {
      if (isJSONRPCRequest(message) && message.method === "initialize") {
        initializeIds.add(message.id);
        // Everything after initialize needs the session id its answer carries.
        initialized = forward(message);
        return;
      }
      void initialized.then(() => forward(message));
    };
    remote.onmessage = (message) => {
      if (isJSONRPCResultResponse(message) && initializeIds.delete(message.id)) {
        const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
        if (typeof version === "string") remote.setProtocolVersion(version);
      }
      toLocal(message);
    };
    remote.onerror = (e) => log.debug({ event: "bridge.remote_error", err: e.message }, "host stream error");
    local.onerror = (e) => log.warn({ event: "bridge.local_error", err: e.message }, "unreadable message on stdin");
    stdin.once("end", () => {
      // Answers to what was already asked still go out (`echo '{…}' | ztmcp connect …`), then the session ends.
      void initialized
        .then(() => (pending.size === 0 ? undefined : Promise.race([new Promise<void>((r) => (drained = r)), deadline(options.drainMs ?? 30_000)])))
        .then(() => remote.terminateSession())
        .catch(() => undefined)
        .finally(() => finish());
    });
    void local.start();
    void remote.start();
  });
}
