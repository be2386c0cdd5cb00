// Load-generator clients for the MCP host. Two kinds:
// - rawMcpCaller: the yardstick's own client (undici, one keep-alive connection) POSTing the bytes
//   an SDK client sends for `tools/call`, on a session an SDK client opened: both servers are then
//   driven by the same client, so the ratio compares servers, not clients. Without `tls` it speaks
//   plain HTTP (the npm gateways have no mTLS), and it reads a JSON or an SSE answer alike.
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
async function openSession(url: string, tls: TlsClientIdentity | undefined): Promise<{ sessionId: string; close: () => Promise<void> }> {
  const mtls = tls ? createMtlsFetch(tls, { connections: 1, servername: "localhost" }) : { fetch: undefined, close: () => Promise.resolve() };
  const transport = new StreamableHTTPClientTransport(new URL(url), mtls.fetch ? { fetch: mtls.fetch } : {});
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

interface CallAnswer {
  id?: number;
  result?: { isError?: boolean; content?: { text?: string }[] };
}

/** The answer to request `id`: the JSON body, or the matching `data:` line of an SSE stream. */
function answerOf(contentType: string, text: string, id: number): CallAnswer | undefined {
  if (!contentType.startsWith("text/event-stream")) return JSON.parse(text) as CallAnswer;
  for (const line of text.split("\n")) {
    if (!line.startsWith("data:")) continue;
    const message = JSON.parse(line.slice(5)) as CallAnswer;
    if (message.id === id) return message;
  }
  return undefined;
}

export async function rawMcpCaller(url: string, tls: TlsClientIdentity | undefined, tool = "echo", args: Record<string, unknown> = { text: "hello" }): Promise<Caller> {
  const { origin, pathname } = new URL(url);
  const session = await openSession(url, tls);
  const client = new HttpClient(origin, { ...(tls ? { connect: { ...tls, servername: "localhost" } } : {}), pipelining: 1 });
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
      const text = await res.body.text();
      const body = answerOf(String(res.headers["content-type"] ?? ""), text, i);
      if (res.statusCode !== 200 || body?.id !== i || body.result?.isError || !body.result?.content?.[0]?.text) throw new Error(`server answered ${res.statusCode}: ${text.slice(0, 200)}`);
    },
    async close() {
      await client.close();
      await session.close();
    },
  };
}
