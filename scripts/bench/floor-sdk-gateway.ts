// The tools of the SDK gateway floors ("fastify-sdk-gateway", "fastify-sdk-min-gateway"): the
// simplest gateway the SDK makes, one shared upstream reached through one SDK `Client` over stdio
// (`client.callTool`), its tools exposed as `<prefix>__<tool>` as ztmcp names them. The upstream
// is a child of the server process, so the tree CPU counts it.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ErrorCode, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ToolSet } from "./floor-sdk-server.js";

export interface UpstreamCommand {
  command: string;
  args: string[];
}

export async function upstreamTools(upstream: UpstreamCommand, prefix = "everything"): Promise<ToolSet> {
  const client = new Client({ name: "fastify-sdk-gateway-floor", version: "0" });
  await client.connect(new StdioClientTransport({ ...upstream, stderr: "ignore" }));
  const { tools } = await client.listTools();
  const head = `${prefix}__`;
  return {
    tools: tools.map((t) => ({ ...t, name: head + t.name })),
    async call(name, args) {
      if (!name.startsWith(head)) throw new McpError(ErrorCode.InvalidParams, `unknown tool ${name}`);
      return (await client.callTool({ name: name.slice(head.length), ...(args ? { arguments: args } : {}) })) as CallToolResult;
    },
  };
}
