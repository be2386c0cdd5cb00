// One MCP session with the host under one certificate: its own undici Agent (so new connections
// present that certificate), its own SDK transport (so its own Mcp-Session-Id: the host binds a
// session to the certificate that opened it), and what is still owed on it. When the identity is
// renewed the bridge opens a second link with the new certificate, repeats the client's
// initialize on it, sends new traffic there, and retires the old link once its calls have been
// answered (DELETE of its session, then its connections closed).
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { isJSONRPCErrorResponse, isJSONRPCResultResponse, type JSONRPCMessage, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import { ZtmcpError } from "../common/errors.js";
import { createMtlsFetch, type MtlsFetch, type TlsIdentity } from "../tls-files/mtls-fetch.js";
import { boundedFetch } from "./bounded-fetch.js";
import { serialOfChain } from "./identity-watch.js";

export interface HostLink {
  readonly identity: TlsIdentity;
  readonly serial: string;
  readonly remote: StreamableHTTPClientTransport;
  /** The client's requests sent on this link and not answered yet. */
  readonly pending: Set<RequestId>;
  /** Set once the link is being closed: nothing new goes to it. */
  retiring: boolean;
  /**
   * Takes the host's answer to a request the bridge sent itself (the repeated initialize), so it
   * never reaches the client; true when `message` was one.
   */
  claim(message: JSONRPCMessage): boolean;
  /** Sends a request of the bridge's own and resolves with the host's answer (or rejects after timeoutMs). */
  ask(id: string, method: string, params: unknown, timeoutMs: number): Promise<JSONRPCMessage>;
  /** Aborts its streams and closes its connections (after the requests still running on them). */
  close(): Promise<void>;
}

export interface LinkOptions {
  url: URL;
  identity: TlsIdentity;
  connections: number;
  onTooLarge: (e: ZtmcpError) => void;
}

export function openLink(o: LinkOptions): HostLink {
  const tls: MtlsFetch = createMtlsFetch(o.identity, { connections: o.connections });
  const remote = new StreamableHTTPClientTransport(o.url, { fetch: boundedFetch(tls.fetch, o.onTooLarge) });
  const own = new Map<RequestId, (m: JSONRPCMessage) => void>();
  let closed: Promise<void> | undefined;
  return {
    identity: o.identity,
    serial: serialOfChain(o.identity.cert),
    remote,
    pending: new Set(),
    retiring: false,
    claim(message) {
      if (!isJSONRPCResultResponse(message) && !isJSONRPCErrorResponse(message)) return false;
      const answer = message.id === undefined ? undefined : own.get(message.id);
      if (!answer) return false;
      own.delete(message.id!);
      answer(message);
      return true;
    },
    ask(id, method, params, timeoutMs) {
      return new Promise<JSONRPCMessage>((resolve, reject) => {
        const timer = setTimeout(() => {
          own.delete(id);
          reject(new ZtmcpError("BRIDGE_FAILED", `the host did not answer ${method} within ${String(timeoutMs / 1000)} s`));
        }, timeoutMs);
        timer.unref();
        own.set(id, (m) => {
          clearTimeout(timer);
          resolve(m);
        });
        remote.send({ jsonrpc: "2.0", id, method, params: params as Record<string, unknown> }).catch((e: unknown) => {
          clearTimeout(timer);
          own.delete(id);
          reject(e instanceof Error ? e : new Error(String(e)));
        });
      });
    },
    close: () =>
      (closed ??= (async () => {
        await remote.close().catch(() => undefined);
        await tls.close().catch(() => undefined);
      })()),
  };
}
