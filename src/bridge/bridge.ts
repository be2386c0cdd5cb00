// The stdio ↔ mTLS bridge behind `ztmcp connect`: a desktop MCP client speaks stdio to us, we
// speak Streamable HTTP over mTLS to the host (relay.ts). The identity's directory is watched, so
// a renewal (`ztmcp renew --daemon`) reaches new connections without a restart.
import type { Readable, Writable } from "node:stream";
import { ZtmcpError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { TlsIdentity } from "../tls-files/mtls-fetch.js";
import { firstContact } from "./first-contact.js";
import { IdentityWatch } from "./identity-watch.js";
import { relay } from "./relay.js";
import { withRetry, type RetryContext, type RetryPolicy } from "./retry.js";
import { checkOwnCertificate } from "./tls-diagnosis.js";

export type { RetryPolicy } from "./retry.js";
export { BRIDGE_ERROR } from "./relay.js";

export interface BridgeOptions {
  url: URL;
  tls: TlsIdentity;
  /** Names the identity in messages (e.g. `certs/alice`). */
  label: string;
  /**
   * The identity's directory (certs/<name>), watched: when a renewal swaps it, new connections
   * present the new certificate (a new MCP session under it, the old one retired once its calls
   * are answered). Absent: `tls` for the bridge's whole life.
   */
  identityDir?: string | undefined;
  /** --ca: the roots file `tls.ca` came from, when not <identityDir>/ca.pem (watched too). */
  caFile?: string | undefined;
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

/** Resolves when the local client closes stdin; rejects with a one-line ZtmcpError when the host cannot be reached. */
export async function runBridge(options: BridgeOptions): Promise<void> {
  const connections = checkMaxConnections(options.maxConnections);
  checkOwnCertificate(options.tls.cert, options.label);
  const watch = new IdentityWatch({ dir: options.identityDir ?? options.label, caFile: options.caFile, initial: options.tls, log: options.log });
  await withRetry(ctxOf(options, watch), () => firstContact(options.url, options.tls));
  await relay(options, watch, connections, ctxOf(options, watch));
}

const ctxOf = (o: BridgeOptions, watch: IdentityWatch): RetryContext => ({
  url: o.url,
  get tls() {
    return watch.current;
  },
  label: o.label,
  log: o.log,
  retry: o.retry,
});

