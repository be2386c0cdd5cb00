// Moving the bridge's MCP session to a renewed certificate. The host binds a session to the
// certificate that opened it, so the renewed one needs a session of its own: the bridge opens a
// link with it, repeats the client's initialize (and initialized) there, and from then on sends
// new requests on it; the old link keeps what is in flight until it is answered, then is retired.
// The desktop client sees one session throughout. Per-session state the client set on the host
// (a log level, resource subscriptions) is not repeated: tools, prompts and resources are.
// If the new session cannot be opened (host down, the new certificate refused), the old link
// stays and the move is retried with backoff.
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { isJSONRPCErrorResponse, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { backoffDelay } from "../common/backoff.js";
import { ZtmcpError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { TlsIdentity } from "../tls-files/mtls-fetch.js";
import type { HostLink } from "./host-link.js";
import { diagnose } from "./tls-diagnosis.js";

export interface HandoverDeps {
  url: URL;
  log: Logger;
  open(identity: TlsIdentity): HostLink;
  current(): HostLink;
  setCurrent(link: HostLink): void;
  /** The identity to move to when a failed move is retried (the latest one seen). */
  latest(): TlsIdentity;
  /** The client's initialize params once it sent them, and whether it sent `notifications/initialized` since. */
  initialize(): { params: unknown; initialized: boolean } | undefined;
  /** Resolves once the client's own initialize went through (or failed). */
  ready(): Promise<void>;
  retire(link: HostLink): void;
  closed(): boolean;
}

const INITIALIZE_TIMEOUT_MS = 15_000;
const RETRY = { baseMs: 1_000, maxMs: 30_000 };

const sameIdentity = (a: TlsIdentity, b: TlsIdentity): boolean => a.cert === b.cert && a.key === b.key && a.ca === b.ca;

function versionOf(answer: JSONRPCMessage): string | undefined {
  if (isJSONRPCErrorResponse(answer)) throw new Error(`the host refused initialize: ${answer.error.message}`);
  const version = ((answer as { result?: { protocolVersion?: unknown } }).result ?? {}).protocolVersion;
  return typeof version === "string" ? version : undefined;
}

export function startHandover(d: HandoverDeps): { move(identity: TlsIdentity): void; stop(): void } {
  let queue = Promise.resolve();
  let failures = 0;
  let moves = 0;
  let retry: NodeJS.Timeout | undefined;

  const move = (identity: TlsIdentity): void => {
    clearTimeout(retry);
    queue = queue.then(() => attempt(identity));
  };

  const attempt = async (identity: TlsIdentity): Promise<void> => {
    if (d.closed() || sameIdentity(identity, d.current().identity)) return;
    await d.ready();
    if (d.closed()) return;
    const next = d.open(identity);
    try {
      const init = d.initialize();
      if (init !== undefined) {
        const version = versionOf(await next.ask(`ztmcp-bridge-handover-${String(++moves)}`, "initialize", init.params, INITIALIZE_TIMEOUT_MS));
        if (version !== undefined) next.remote.setProtocolVersion(version);
        if (d.initialize()?.initialized) await next.remote.send({ jsonrpc: "2.0", method: "notifications/initialized" });
      }
    } catch (e) {
      await next.close();
      const wait = backoffDelay(failures++, RETRY, Math.random);
      const err = e instanceof StreamableHTTPError || e instanceof ZtmcpError ? e.message : diagnose(e, d.url).message;
      d.log.warn({ event: "bridge.session", action: "move_failed", serial: next.serial, err, retryInMs: wait }, "could not open a session under the renewed certificate; the current one stays");
      retry = setTimeout(() => move(d.latest()), wait);
      retry.unref();
      return;
    }
    if (d.closed()) {
      await next.close();
      return;
    }
    failures = 0;
    const old = d.current();
    d.setCurrent(next);
    d.log.info({ event: "bridge.session", action: "moved", serial: next.serial, previousSerial: old.serial }, "new requests go to a session under the renewed certificate");
    d.retire(old);
  };

  return {
    move,
    stop: () => clearTimeout(retry),
  };
}
