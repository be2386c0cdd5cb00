// The relay between the desktop client (stdio) and the host (Streamable HTTP over mTLS): both are
// the SDK's own transports; we only move JSON-RPC messages between them, route each to the host
// session it belongs to (two while a renewed certificate takes over, handover.ts), and answer
// for the host what it never will. Stdout carries protocol messages and nothing else.
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { ZtmcpError } from "../common/errors.js";
import { RPC } from "../common/jsonrpc-errors.js";
import type { TlsIdentity } from "../tls-files/mtls-fetch.js";
import type { BridgeOptions } from "./bridge.js";
import { firstContact } from "./first-contact.js";
import { startHandover } from "./handover.js";
import { openLink, type HostLink } from "./host-link.js";
import type { IdentityWatch } from "./identity-watch.js";
import { MaybeDelivered, neverReachedHost, withRetry, type RetryContext } from "./retry.js";

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

/** What the client's answer to a host's request must be routed back to. */
interface ServerRequest {
  link: HostLink;
  /** The id the host gave it (the client may see another when two sessions used the same one). */
  id: RequestId;
}

/** Resolves when the client closed stdin and what it asked was answered; rejects when the bridge must stop. */
export function relay(options: BridgeOptions, watch: IdentityWatch, connections: number, ctx: RetryContext): Promise<void> {
  const { url, log } = options;
  const stdin = options.stdin ?? process.stdin;
  const local = new StdioServerTransport(stdin, options.stdout);
  // Past the message limit the host is broken or hostile: the bridge stops (finish is below).
  let tooLarge: (e: ZtmcpError) => void = () => undefined;
  const links = new Set<HostLink>();
  const initializeIds = new Set<RequestId>();
  /** Requests sent to the host and not answered yet, and the link each went to. */
  const pending = new Map<RequestId, HostLink>();
  const serverRequests = new Map<RequestId, ServerRequest>();
  let client: { params: unknown; initialized: boolean } | undefined;
  let drained: (() => void) | undefined;
  let initialized: Promise<void> = Promise.resolve();
  let done = false;

  /** Once the host has answered everything sent on a link that is no longer current: end its session, close its connections. */
  const retireIfIdle = (link: HostLink): void => {
    if (link === current || link.retiring || link.pending.size > 0) return;
    link.retiring = true;
    void link.remote
      .terminateSession()
      .catch(() => undefined)
      .then(() => link.close())
      .then(() => {
        links.delete(link);
        log.debug({ event: "bridge.session", action: "retired", serial: link.serial }, "the session under the previous certificate ended");
      });
  };

  /** The request is answered (or never will be): forget it. True when it was pending. */
  const settle = (id: RequestId): boolean => {
    const link = pending.get(id);
    if (!link) return false;
    pending.delete(id);
    link.pending.delete(id);
    retireIfIdle(link);
    if (pending.size === 0) drained?.();
    return true;
  };

  const toLocal = (message: JSONRPCMessage): void => {
    if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) settle(message.id);
    void local.send(message).catch((e: unknown) => log.warn({ event: "bridge.local_error", err: (e as Error).message }, "could not write to stdout"));
  };

  /** Answers a request the host will not answer, once. */
  const fail = (id: RequestId, text: string): void => {
    if (pending.has(id)) toLocal({ jsonrpc: "2.0", id, error: { code: BRIDGE_ERROR, message: text } });
  };

  const fromHost = (link: HostLink, message: JSONRPCMessage): void => {
    if (link.claim(message)) return;
    if (isJSONRPCResultResponse(message) && initializeIds.delete(message.id)) {
      const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
      if (typeof version === "string") link.remote.setProtocolVersion(version);
    }
    if (isJSONRPCRequest(message)) {
      // Two sessions may both have a request 0 out at the client: the later one gets an id of its own.
      const taken = serverRequests.get(message.id);
      const shown = taken && taken.link !== link ? `ztmcp-bridge-${link.serial}-${String(message.id)}` : message.id;
      serverRequests.set(shown, { link, id: message.id });
      message = { ...message, id: shown };
    }
    toLocal(message);
  };

  const open = (identity: TlsIdentity): HostLink => {
    const link = openLink({ url, identity, connections, onTooLarge: (e) => tooLarge(e) });
    link.remote.onmessage = (m) => fromHost(link, m);
    link.remote.onerror = (e) => log.debug({ event: "bridge.remote_error", serial: link.serial, err: e.message }, "host stream error");
    links.add(link);
    void link.remote.start();
    return link;
  };
  let current = open(options.tls);

  /** Which link a message from the client goes to, and in what form. */
  const route = (message: JSONRPCMessage): { link: HostLink; message: JSONRPCMessage } => {
    if (isJSONRPCRequest(message)) {
      pending.set(message.id, current);
      current.pending.add(message.id);
      return { link: current, message };
    }
    if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) {
      const asked = serverRequests.get(message.id);
      serverRequests.delete(message.id);
      return asked ? { link: asked.link, message: { ...message, id: asked.id } } : { link: current, message };
    }
    if (isJSONRPCNotification(message) && message.method === "notifications/cancelled") {
      const id = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      return { link: (id === undefined ? undefined : pending.get(id)) ?? current, message };
    }
    return { link: current, message };
  };

  return new Promise<void>((resolve, reject) => {
    const handover = startHandover({
      url,
      log,
      open,
      current: () => current,
      setCurrent: (link) => (current = link),
      latest: () => watch.current,
      initialize: () => client,
      ready: () => initialized,
      retire: retireIfIdle,
      closed: () => done,
    });

    const finish = (error?: ZtmcpError): void => {
      if (done) return;
      // Every request still waiting learns why it never will be answered.
      if (error) for (const id of [...pending.keys()]) fail(id, error.message);
      done = true;
      handover.stop();
      watch.stop();
      void local.close().catch(() => undefined);
      void Promise.all([...links].map((l) => l.close())).finally(() => (error ? reject(error) : resolve()));
    };
    tooLarge = finish;

    const forward = async (original: JSONRPCMessage): Promise<void> => {
      const { link, message } = route(original);
      try {
        await withRetry(ctx, () => link.remote.send(message), neverReachedHost);
      } catch (e) {
        if (e instanceof StreamableHTTPError) {
          // The host answered: the request arrived and was refused (expired session, limits…).
          const refusal = hostRefusal(e);
          log.warn({ event: "bridge.http_error", status: e.code, rpcCode: refusal?.code, serial: link.serial }, refusal?.message ?? e.message);
          if (isJSONRPCRequest(message)) toLocal({ jsonrpc: "2.0", id: message.id, error: refusal ?? { code: BRIDGE_ERROR, message: `host answered HTTP ${String(e.code)}: ${e.message}` } });
          // A certificate already replaced may be refused (revoked since): only the current one's refusal ends the bridge.
          if (refusal?.code === RPC.CERTIFICATE_REFUSED && link === current) finish(new ZtmcpError("HOST_REFUSED", `${url.host}: the host refused our certificate: ${refusal.message}`));
          return;
        }
        if (e instanceof MaybeDelivered) {
          // It may have run: say so instead of sending it again, then see whether the host is still there.
          log.warn({ event: "bridge.dropped", reason: e.message }, "connection dropped after a message was sent; not retried");
          if (isJSONRPCRequest(message)) fail(message.id, `${e.message}; the connection dropped after the request was sent, so it was not retried (the host may have run it)`);
          await withRetry(ctx, () => firstContact(url, watch.current)).catch((probe: unknown) => {
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
        client = { params: message.params, initialized: false };
        // Everything after initialize needs the session id its answer carries.
        initialized = forward(message);
        return;
      }
      if (client && isJSONRPCNotification(message) && message.method === "notifications/initialized") client.initialized = true;
      void initialized.then(() => forward(message));
    };
    local.onerror = (e) => log.warn({ event: "bridge.local_error", err: e.message }, "unreadable message on stdin");
    stdin.once("end", () => {
      // Answers to what was already asked still go out (`echo '{…}' | ztmcp connect …`), then the session ends.
      void initialized
        .then(() => (pending.size === 0 ? undefined : Promise.race([new Promise<void>((r) => (drained = r)), deadline(options.drainMs ?? 30_000)])))
        .then(() => current.remote.terminateSession())
        .catch(() => undefined)
        .finally(() => finish());
    });
    void local.start();
    if (options.identityDir !== undefined) watch.start((next) => handover.move(next));
  });
}
