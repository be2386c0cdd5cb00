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
import { backoffDelay } from "../common/backoff.js";
import { RPC } from "../common/jsonrpc-errors.js";
import type { Logger } from "../common/log.js";
import { createMtlsFetch, type MtlsFetch, type TlsIdentity } from "../tls-files/mtls-fetch.js";
import { firstContact } from "./first-contact.js";
import { checkOwnCertificate, diagnose } from "./tls-diagnosis.js";

export interface RetryPolicy {
  /** Reconnection attempts after a dropped connection, with doubling delays from baseMs up to maxMs. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

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

const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 250, maxMs: 4_000 };
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

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** A deadline that does not keep the process alive by itself. */
const deadline = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Resolves when the local client closes stdin; rejects with a one-line ZtmcpError when the host cannot be reached. */
export async function runBridge(options: BridgeOptions): Promise<void> {
  const connections = checkMaxConnections(options.maxConnections);
  checkOwnCertificate(options.tls.cert, options.label);
  const tls = createMtlsFetch(options.tls, { connections });
  try {
    await withRetry(options, () => firstContact(options.url, options.tls));
    await relay(options, tls);
  } finally {
    await tls.close().catch(() => undefined);
  }
}

/**
 * Runs `attempt`, retrying transient connection failures with bounded backoff. Fails with a
 * one-line ZtmcpError; an HTTP answer from the host (StreamableHTTPError) is passed on as is.
 */
async function withRetry<T>(options: BridgeOptions, attempt: () => Promise<T>): Promise<T> {
  const retry = options.retry ?? DEFAULT_RETRY;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      // An HTTP answer, or a refusal firstContact() recognised: no retry helps.
      if (e instanceof StreamableHTTPError || e instanceof ZtmcpError) throw e;
      const diagnosis = diagnose(e, options.url);
      if (!diagnosis.transient || n >= retry.attempts) {
        // A certificate that expired while we ran explains a refusal better than the reset does.
        checkOwnCertificate(options.tls.cert, options.label);
        throw new ZtmcpError(diagnosis.code, diagnosis.message);
      }
      const wait = backoffDelay(n, retry);
      options.log.warn({ event: "bridge.retry", reason: diagnosis.code, attempt: n + 1, retryInMs: wait }, diagnosis.message);
      await delay(wait);
    }
  }
}

function relay(options: BridgeOptions, tls: MtlsFetch): Promise<void> {
  const { url, log } = options;
  const stdin = options.stdin ?? process.stdin;
  const local = new StdioServerTransport(stdin, options.stdout);
  const remote = new StreamableHTTPClientTransport(url, { fetch: tls.fetch });
  const initializeIds = new Set<RequestId>();
  /** Requests sent to the host and not answered yet. */
  const pending = new Set<RequestId>();
  let drained: (() => void) | undefined;
  let initialized: Promise<void> = Promise.resolve();
  let done = false;

  return new Promise<void>((resolve, reject) => {
    const finish = (error?: ZtmcpError): void => {
      if (done) return;
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

    const answerError = (message: JSONRPCMessage, text: string): void => {
      if (isJSONRPCRequest(message)) toLocal({ jsonrpc: "2.0", id: message.id, error: { code: BRIDGE_ERROR, message: text } });
    };

    const forward = async (message: JSONRPCMessage): Promise<void> => {
      if (isJSONRPCRequest(message)) pending.add(message.id);
      try {
        await withRetry(options, () => remote.send(message));
      } catch (e) {
        if (e instanceof StreamableHTTPError) {
          // The host answered: the request arrived and was refused (expired session, limits…).
          const refusal = hostRefusal(e);
          log.warn({ event: "bridge.http_error", status: e.code, rpcCode: refusal?.code }, refusal?.message ?? e.message);
          if (isJSONRPCRequest(message)) toLocal({ jsonrpc: "2.0", id: message.id, error: refusal ?? { code: BRIDGE_ERROR, message: `host answered HTTP ${String(e.code)}: ${e.message}` } });
          if (refusal?.code === RPC.CERTIFICATE_REFUSED) finish(new ZtmcpError("HOST_REFUSED", `${url.host}: the host refused our certificate: ${refusal.message}`));
          return;
        }
        answerError(message, (e as Error).message);
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
