// A fetch that presents a client certificate: undici's own Agent and fetch (Node's global
// fetch cannot take a per-call TLS identity). Used as the SDK client transport's `fetch`.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { CURRENT_LINK } from "./cert-dir.js";

export interface TlsIdentity {
  /** PEM: the leaf followed by its intermediate. */
  cert: string;
  key: string;
  /** PEM roots to trust for the server. */
  ca: string;
}

/** Reads certs/<name>/{chain.pem,key.pem,ca.pem}; `caFile` overrides the trusted roots. */
export function readIdentity(dir: string, caFile?: string): TlsIdentity {
  return {
    cert: readFileSync(join(dir, "chain.pem"), "utf8"),
    key: readFileSync(join(dir, "key.pem"), "utf8"),
    ca: readFileSync(caFile ?? join(dir, "ca.pem"), "utf8"),
  };
}

/**
 * The same, read through the directory's `..data` link once resolved, so the chain and the key
 * come from the same issuance even when a renewal swaps the link between the two reads. A plain
 * directory (files put there by hand) is read as it is.
 */
export function readIdentitySnapshot(dir: string, caFile?: string): TlsIdentity {
  const link = join(dir, CURRENT_LINK);
  return readIdentity(existsSync(link) ? realpathSync(link) : dir, caFile ?? join(dir, "ca.pem"));
}

export interface MtlsFetch {
  fetch: FetchLike;
  agent: Agent;
  close(): Promise<void>;
}

export function createMtlsFetch(identity: TlsIdentity, options: { connections?: number; servername?: string } = {}): MtlsFetch {
  return createTlsFetch(identity, options);
}

/** The same with any part of the TLS identity optional: `{ ca }` alone trusts a private root without presenting a certificate. */
export function createTlsFetch(tls: Partial<TlsIdentity>, options: { connections?: number; servername?: string } = {}): MtlsFetch {
  const connect = { ...tls, ...(options.servername ? { servername: options.servername } : {}) };
  const agent = new Agent({ connect, connections: options.connections ?? 4 });
  // HTTP/1.1 cannot multiplex: a standalone MCP stream (a GET that stays open) gets connections
  // of its own, so it never holds requests back, whatever `connections` says.
  let streams: Agent | undefined;
  const dispatcherFor = (init: RequestInit | undefined): Agent => {
    const standalone = init?.method === "GET" && (new Headers(init.headers).get("accept") ?? "").includes("text/event-stream");
    return standalone ? (streams ??= new Agent({ connect })) : agent;
  };
  const fetch = ((url: string | URL, init?: RequestInit) =>
    undiciFetch(url, { ...(init as object), dispatcher: dispatcherFor(init) })) as unknown as FetchLike;
  const close = async (): Promise<void> => {
    await Promise.all([agent.close(), streams?.close()]);
  };
  return { fetch, agent, close };
}
