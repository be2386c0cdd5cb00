// A fetch that presents a client certificate: undici's own Agent and fetch (Node's global
// fetch cannot take a per-call TLS identity). Used as the SDK client transport's `fetch`.
import { Agent, fetch as undiciFetch } from "undici";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { TlsIdentity } from "./identity.js";

export { readIdentity, readIdentitySnapshot, type TlsIdentity } from "./identity.js";

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
