// Load-generator clients for the MCP host. Two kinds:
// - rawMcpCaller: the yardstick's own client (undici, one keep-alive connection) POSTing the bytes
//   an SDK client sends for `tools/call`, on a session an SDK client opened: both servers are then
//   driven by the same client, so the ratio compares servers, not clients.
// - mcpCaller: the SDK's own Client over Streamable HTTP, to show what a real SDK client costs.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { Client as HttpClient } from "undici";
import { createMtlsFetch } from "../../src/tls-files/mtls-fetch.js";
import type { Caller, TlsClientIdentity } from "./call-load.js";

export async function mcpCaller(url: string, tls: TlsClientIdentity, tool = "echo", args: Record<string, unknown> = { text: "hello" }): Promise<Caller> {
  const mtls = createMtlsFetch(tls, { connections: 1, servername: "localhost" });
  const client = new Client({ name: "ztmcp-bench", version: "0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: mtls.fetch }));
  return {
    async call() {
      const result = await client.callTool({ name: tool, arguments: args });
      if (result.isError) throw new Error(`${tool} returned an error`);
    },
    async close() {
      await client.close();
      await mtls.close();
    },
  };
}

/** A session opened by the SDK client (initialize + initialized), handed to a raw caller. */
async function openSession(url: string, tls: TlsClientIdentity): Promise<{ sessionId: string; close: () => Promise<void> }> {
  const mtls = createMtlsFetch(tls, { connections: 1, servername: "localhost" });
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: mtls.fetch });
  const client = new Client({ name: "ztmcp-bench", version: "0" });
  await client.connect(transport);
  const sessionId = transport.sessionId;
  if (!sessionId) throw new Error("the host opened no session");
  // The SDK client stays connected (its GET stream open) while the raw caller uses the session.
  return {
    sessionId,
    async close() {
      await client.close();
      await mtls.close();
    },
  };
}

export async function rawMcpCaller(url: string, tls: TlsClientIdentity, tool = "echo", args: Record<string, unknown> = { text: "hello" }): Promise<Caller> {
  const { origin, pathname } = new URL(url);
  const session = await openSession(url, tls);
  const client = new HttpClient(origin, { connect: { ...tls, servername: "localhost" }, pipelining: 1 });
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-session-id": session.sessionId,
    "mcp-protocol-version": LATEST_PROTOCOL_VERSION,
  };
  return {
    async call(i) {
      const res = await client.request({
        path: pathname,
        method: "POST",
        headers,
        body: JSON.stringify({ jsonrpc: "2.0", id: i, method: "tools/call", params: { name: tool, arguments: args } }),
      });
      const body = (await res.body.json()) as { id?: number; result?: { isError?: boolean; content?: { text?: string }[] } };
      if (res.statusCode !== 200 || body.id !== i || body.result?.isError || !body.result?.content?.[0]?.text) throw new Error(`host answered ${res.statusCode}: ${JSON.stringify(body).slice(0, 200)}`);
    },
    async close() {
      await client.close();
      await session.close();
    },
  };
}
