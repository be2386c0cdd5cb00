// An MCP SDK client over mTLS (Streamable HTTP with undici and a client certificate): one per
// load lane, connected once, calling a tool in a loop.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createMtlsFetch } from "../../src/bridge/mtls-fetch.js";
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
