// Ablation floors "fastify-sdk" (echo) and "fastify-sdk-gateway" (an upstream's tools,
// floor-sdk-gateway.ts): the chosen stack with no ztmcp code. fastify over the bench's mTLS
// options, the SDK's StreamableHTTPServerTransport used as the SDK's stateful JSON example uses it
// (session id generator, a sessions map, POST/GET/DELETE /mcp handed to handleRequest), and one
// low-level SDK `Server` per session with tools/list and tools/call handlers. No policy, no
// logging, no gate. `enableJsonResponse: true`: the host answers a call with no progress as one
// application/json body (src/host/http/http-exchange.ts), so the floor does the same.
import { randomUUID } from "node:crypto";
import type { ServerOptions } from "node:https";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { CallToolRequestSchema, ErrorCode, isInitializeRequest, ListToolsRequestSchema, McpError, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";

export interface ToolSet {
  tools: Tool[];
  call(name: string, args: Record<string, unknown> | undefined): Promise<CallToolResult>;
}

/** The host's built-in `echo`, same input and result shape (src/gateway/builtin-tools.ts). */
export const echoTools: ToolSet = {
  tools: [{ name: "echo", description: "Returns its text argument.", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } }],
  call(name, args) {
    const text = args?.text;
    if (name !== "echo") return Promise.reject(new McpError(ErrorCode.InvalidParams, `unknown tool ${name}`));
    if (typeof text !== "string") return Promise.reject(new McpError(ErrorCode.InvalidParams, "text must be a string"));
    return Promise.resolve({ content: [{ type: "text", text }] });
  },
};

// One validator for every Server, made at the first session, as the host does (an idle floor holds none).
let validator: AjvJsonSchemaValidator | undefined;

// The low-level Server (deprecated for ordinary servers in favour of McpServer) is the one the host uses.
// eslint-disable-next-line @typescript-eslint/no-deprecated
export function sessionServer(toolSet: ToolSet): Server {
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const server = new Server({ name: "fastify-sdk-floor", version: "0" }, { capabilities: { tools: {} }, jsonSchemaValidator: (validator ??= new AjvJsonSchemaValidator()) });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolSet.tools }));
  server.setRequestHandler(CallToolRequestSchema, (req) => toolSet.call(req.params.name, req.params.arguments));
  return server;
}

const rpcError = (code: number, message: string): object => ({ jsonrpc: "2.0", error: { code, message }, id: null });

/** Listens on 127.0.0.1 (a free port) and returns the port. */
export async function startFastifySdk(https: ServerOptions, toolSet: ToolSet): Promise<number> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const app = Fastify({ https, logger: false, keepAliveTimeout: 60_000 });
  const existing = (req: FastifyRequest): StreamableHTTPServerTransport | undefined => {
    const id = req.headers["mcp-session-id"];
    return typeof id === "string" ? sessions.get(id) : undefined;
  };
  /** Hands the request to the transport, which writes the raw response itself. */
  const handOver = async (transport: StreamableHTTPServerTransport, req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.hijack();
    await transport.handleRequest(req.raw, reply.raw, req.body);
  };
  app.post("/mcp", async (req, reply) => {
    const known = existing(req);
    if (known) return handOver(known, req, reply);
    if (req.headers["mcp-session-id"] !== undefined) return reply.code(404).send(rpcError(-32001, "Session not found"));
    if (!isInitializeRequest(req.body)) return reply.code(400).send(rpcError(-32000, "Bad Request: No valid session ID provided"));
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await sessionServer(toolSet).connect(transport);
    return handOver(transport, req, reply);
  });
  // GET opens the session's standalone SSE stream, DELETE ends the session: both the transport's.
  const other = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const known = existing(req);
    if (!known) return reply.code(400).send(rpcError(-32000, "Invalid or missing session ID"));
    return handOver(known, req, reply);
  };
  app.get("/mcp", other);
  app.delete("/mcp", other);
  await app.listen({ port: 0, host: "127.0.0.1" });
  return (app.server.address() as AddressInfo).port;
}
