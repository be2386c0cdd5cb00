// Ablation floor "fastify-relay": the cheapest HTTPS gateway this stack allows in front of a stdio
// upstream. fastify over the bench's mTLS options; POST /mcp answers `initialize` itself (a session
// id, a valid InitializeResult), notifications with 202, and relays every other request to ONE
// shared upstream through the SDK's StdioClientTransport (its framing: send()/onmessage), with the
// ids mapped and `<prefix>__<tool>` renamed for tools/call; the upstream's JSON-RPC answer goes back
// as application/json. No SDK Server, no session object beyond its id, no policy, no logging.
import { randomUUID } from "node:crypto";
import type { ServerOptions } from "node:https";
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { UpstreamCommand } from "./floor-sdk-gateway.js";

interface Incoming {
  jsonrpc?: string;
  id?: RequestId;
  method?: string;
  params?: Record<string, unknown>;
}

type Answer = Extract<JSONRPCMessage, { result: unknown }> | Extract<JSONRPCMessage, { error: unknown }>;

/** One stdio connection to the upstream, initialized; `request` resolves with the upstream's answer. */
async function connectUpstream(upstream: UpstreamCommand): Promise<(method: string, params: unknown) => Promise<Answer>> {
  const transport = new StdioClientTransport({ ...upstream, stderr: "ignore" });
  const waiting = new Map<RequestId, (answer: Answer) => void>();
  let nextId = 0;
  transport.onmessage = (m) => {
    const id = "id" in m ? m.id : undefined;
    if (id === undefined) return; // notifications (server-everything's simulated logging): no session to go to
    if (!("method" in m)) {
      waiting.get(id)?.(m);
      waiting.delete(id);
    } else {
      // A request from the upstream (none expected: the relay declares no client capability).
      void transport.send({ jsonrpc: "2.0", id, error: { code: -32601, message: "Method not found" } });
    }
  };
  await transport.start();
  const request = (method: string, params: unknown): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, resolve);
      transport.send({ jsonrpc: "2.0", id, method, params } as JSONRPCMessage).catch(reject);
    });
  const init = await request("initialize", { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "fastify-relay-floor", version: "0" } });
  if ("error" in init) throw new Error(`upstream initialize failed: ${init.error.message}`);
  await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  return request;
}

export async function startFastifyRelay(https: ServerOptions, upstream: UpstreamCommand, prefix = "everything"): Promise<number> {
  const request = await connectUpstream(upstream);
  const sessions = new Set<string>();
  const head = `${prefix}__`;
  const app = Fastify({ https, logger: false, keepAliveTimeout: 60_000 });
  app.post("/mcp", async (req, reply) => {
    const m = req.body as Incoming;
    if (m.method === "initialize") {
      const sessionId = randomUUID();
      sessions.add(sessionId);
      const asked = m.params?.protocolVersion;
      const protocolVersion = typeof asked === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(asked) ? asked : LATEST_PROTOCOL_VERSION;
      return reply.header("mcp-session-id", sessionId).send({ jsonrpc: "2.0", id: m.id, result: { protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "fastify-relay-floor", version: "0" } } });
    }
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId !== "string" || !sessions.has(sessionId)) return reply.code(404).send({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } });
    if (m.id === undefined || m.method === undefined) return reply.code(202).send();
    const name = m.params?.name;
    const params = m.method === "tools/call" && typeof name === "string" && name.startsWith(head) ? { ...m.params, name: name.slice(head.length) } : m.params;
    const answer = await request(m.method, params);
    return { ...answer, id: m.id };
  });
  app.get("/mcp", (_req, reply) => reply.code(405).header("allow", "POST, DELETE").send());
  app.delete("/mcp", (req, reply) => {
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") sessions.delete(sessionId);
    return reply.code(200).send();
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return (app.server.address() as AddressInfo).port;
}
