// Ablation floors "fastify-sdk-min" (echo) and "fastify-sdk-min-gateway" (an upstream's tools,
// floor-sdk-gateway.ts): one SDK `Server` per session (floor-sdk-server.ts's) behind the
// thinnest Transport that can carry it: a POSTed message goes to onmessage, the SDK's send() of the
// reply with the same id answers that POST as application/json. No SSE, no GET stream (405), no
// policy, logging or gate: what "keep one SDK Server per session" costs with nothing else on the
// path, below the SDK's own StreamableHTTPServerTransport.
import { randomUUID } from "node:crypto";
import type { ServerOptions } from "node:https";
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { sessionServer, type ToolSet } from "./floor-sdk-server.js";

class PostTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly #waiting = new Map<RequestId, (reply: JSONRPCMessage) => void>();

  constructor(readonly sessionId: string) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Hands a request to the SDK; resolves with its reply. */
  request(message: JSONRPCMessage & { id: RequestId }): Promise<JSONRPCMessage> {
    return new Promise((resolve) => {
      this.#waiting.set(message.id, resolve);
      this.onmessage?.(message);
    });
  }

  notify(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }

  send(message: JSONRPCMessage): Promise<void> {
    // Replies only: a server-initiated message has no stream to go to here, and is dropped.
    const id = "id" in message && !("method" in message) ? message.id : undefined;
    if (id !== undefined) {
      this.#waiting.get(id)?.(message);
      this.#waiting.delete(id);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#waiting.clear();
    this.onclose?.();
    return Promise.resolve();
  }
}

interface Incoming {
  id?: RequestId;
  method?: string;
}

export async function startFastifySdkMinimal(https: ServerOptions, toolSet: ToolSet): Promise<number> {
  const sessions = new Map<string, PostTransport>();
  const app = Fastify({ https, logger: false, keepAliveTimeout: 60_000 });
  app.post("/mcp", async (req, reply) => {
    const m = req.body as JSONRPCMessage & Incoming;
    let transport: PostTransport | undefined;
    if (m.method === "initialize") {
      transport = new PostTransport(randomUUID());
      sessions.set(transport.sessionId, transport);
      await sessionServer(toolSet).connect(transport);
      void reply.header("mcp-session-id", transport.sessionId);
    } else {
      const id = req.headers["mcp-session-id"];
      transport = typeof id === "string" ? sessions.get(id) : undefined;
      if (!transport) return reply.code(404).send({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } });
    }
    if (m.id === undefined) {
      transport.notify(m);
      return reply.code(202).send();
    }
    return transport.request(m as JSONRPCMessage & { id: RequestId });
  });
  app.get("/mcp", (_req, reply) => reply.code(405).header("allow", "POST, DELETE").send());
  app.delete("/mcp", async (req, reply) => {
    const id = req.headers["mcp-session-id"];
    const transport = typeof id === "string" ? sessions.get(id) : undefined;
    if (transport) {
      sessions.delete(transport.sessionId);
      await transport.close();
    }
    return reply.code(200).send();
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return (app.server.address() as AddressInfo).port;
}
