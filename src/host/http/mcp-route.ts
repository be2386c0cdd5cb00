// MCP Streamable HTTP at /mcp: POST carries JSON-RPC (a session is opened by `initialize`),
// DELETE ends a session, GET opens the session's standalone SSE stream for server-initiated
// notifications (list_changed). Everything here runs after the request guard.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isInitializeRequest, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../common/log.js";
import { HttpExchange } from "./http-exchange.js";
import { BodyError } from "./json-body.js";
import { RPC } from "../../common/jsonrpc-errors.js";
import { refuse, type AuthedRequest, type Caller, type Refusal, type RequestGuard } from "./request-guard.js";
import type { Session, SessionRegistry } from "../mcp/sessions.js";

export interface RouteDeps {
  guard: RequestGuard;
  sessions: SessionRegistry;
  log: Logger;
  maxBatch: number;
  bodyLimit: number;
  /** True once the host is shutting down: replies ask the client to close the connection. */
  closing: () => boolean;
}

function isMessage(m: unknown): m is JSONRPCMessage {
  if (typeof m !== "object" || m === null || Array.isArray(m)) return false;
  const o = m as Record<string, unknown>;
  return o.jsonrpc === "2.0" && (typeof o.method === "string" || "result" in o || "error" in o);
}

const isRequest = (m: unknown): boolean => typeof m === "object" && m !== null && "method" in m && "id" in m;

/** True when two requests in the batch carry the same id ("1" and 1 are two ids, as JSON-RPC compares them). */
function sharesAnId(messages: readonly JSONRPCMessage[]): boolean {
  const ids = new Set<unknown>();
  for (const m of messages) {
    if (!("method" in m && "id" in m)) continue;
    if (ids.has(m.id)) return true;
    ids.add(m.id);
  }
  return false;
}

const transportError = (status: number, reason: string, message: string): Refusal => ({ status, code: RPC.TRANSPORT, reason, message });

function acceptsBoth(req: FastifyRequest): boolean {
  const accept = (req.headers.accept ?? "").toLowerCase();
  return (accept.includes("application/json") || accept.includes("*/*")) && (accept.includes("text/event-stream") || accept.includes("*/*"));
}

export function installMcpRoutes(app: FastifyInstance, d: RouteDeps): void {
  app.addHook("onRequest", (req, reply, done) => {
    const refusal = d.guard.check(req);
    if (refusal) refuse(d.log, req, reply, refusal);
    else done();
  });

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    // A body that does not parse still cost the host its parse: one token (the refusal stands).
    if (req.method === "POST") d.guard.charge(req, 1);
    if (err instanceof BodyError) return refuse(d.log, req, reply, { status: 400, code: err.code === "parse_error" ? RPC.PARSE_ERROR : RPC.INVALID_REQUEST, reason: err.code, message: err.message });
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") return refuse(d.log, req, reply, { status: 413, code: RPC.INVALID_REQUEST, reason: "body_too_large", message: `body larger than ${d.bodyLimit} bytes` });
    if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || err.code === "FST_ERR_CTP_INVALID_CONTENT_LENGTH")
      return refuse(d.log, req, reply, { ...transportError(415, "bad_content_type", "Unsupported Media Type: Content-Type must be application/json") });
    if (err.statusCode !== undefined && err.statusCode < 500) return refuse(d.log, req, reply, transportError(err.statusCode, "bad_request", err.message));
    d.log.error({ event: "http.error", err: err.message, code: err.code }, "request failed");
    return refuse(d.log, req, reply, { status: 500, code: RPC.INTERNAL, reason: "internal_error", message: "internal error" });
  });

  app.setNotFoundHandler((req, reply) => refuse(d.log, req, reply, transportError(404, "not_found", "Not Found: MCP is served at /mcp")));

  // Liveness for callers inside the mesh: behind the same gate and per-request certificate check
  // as /mcp, no session, no log line (a probe every few seconds would drown the request log).
  app.get("/healthz", (_req, reply) => reply.code(204).send());
  app.post("/mcp", (req, reply) => post(d, req, reply));
  app.get("/mcp", (req, reply) => openStream(d, req, reply));
  app.delete("/mcp", async (req, reply) => {
    const found = lookup(d, req, reply);
    if (!found) return reply;
    await d.sessions.close(found.id, "deleted");
    return reply.code(200).send();
  });
}

/** The session named by the request's Mcp-Session-Id, or undefined after refusing the request. */
function lookup(d: RouteDeps, req: FastifyRequest, reply: FastifyReply): Session | undefined {
  const caller = (req.raw as AuthedRequest).caller!;
  const id = req.headers["mcp-session-id"];
  if (typeof id !== "string") {
    // Also what a client's first contact looks like (the bridge's probe): no warning.
    refuse(d.log, req, reply, { ...transportError(400, "no_session", "Bad Request: Mcp-Session-Id header is required"), level: "info" });
    return undefined;
  }
  const found = d.sessions.lookup(id, caller.identity);
  if ("session" in found) return found.session;
  // A session this certificate had and lost (DELETE, eviction) is its client's normal lifecycle
  // (an SDK client's GET stream reconnects after its DELETE); an id never issued to it is not.
  const lifecycle = found.refused === "session_closed";
  d.log[lifecycle ? "debug" : "warn"]({ event: "mcp.session", action: "refused", reason: found.refused, session: id.slice(0, 8), spiffeId: caller.identity.spiffeId, serial: caller.identity.serial }, "unknown session");
  refuse(d.log, req, reply, { status: 404, code: RPC.UNKNOWN_SESSION, reason: found.refused, message: "Session not found", level: lifecycle ? "info" : "warn" });
  return undefined;
}

/** GET /mcp: the session's one standalone SSE stream, bound like the session to its certificate. */
function openStream(d: RouteDeps, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!(req.headers.accept ?? "").toLowerCase().includes("text/event-stream")) {
    return refuse(d.log, req, reply, transportError(406, "not_acceptable", "Not Acceptable: Client must accept text/event-stream"));
  }
  if (d.closing()) return refuse(d.log, req, reply, transportError(503, "closing", "Service Unavailable: the host is stopping"));
  const session = lookup(d, req, reply);
  if (!session) return reply;
  if (session.transport.hasStream) return refuse(d.log, req, reply, transportError(409, "stream_open", "Conflict: Only one SSE stream is allowed per session"));
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "mcp-session-id": session.id });
  res.flushHeaders();
  const caller = (req.raw as AuthedRequest).caller!;
  const logged = { session: session.id.slice(0, 8), spiffeId: caller.identity.spiffeId, serial: caller.identity.serial };
  session.transport.openStream(res, () => d.guard.refusalOn(req.raw.socket), () => d.log.info({ event: "mcp.stream", action: "close", ...logged }, "standalone stream closed"));
  d.log.info({ event: "mcp.stream", action: "open", ...logged }, "standalone stream opened");
  return reply;
}

/** Requests in a POST: what it costs in rate-limit tokens (at least one). */
function requestsIn(messages: readonly unknown[]): number {
  let n = 0;
  for (const m of messages) if (isRequest(m)) n++;
  return Math.max(1, n);
}

// The method first: isInitializeRequest is a zod parse, worth paying only for `initialize`.
const isInitialize = (m: JSONRPCMessage): boolean => "method" in m && m.method === "initialize" && isInitializeRequest(m);

/**
 * POST /mcp. Synchronous but for `initialize` (opening a session may wait): fastify then has no
 * promise to follow for every call. Returns nothing once the reply is sent or handed over.
 */
function post(d: RouteDeps, req: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
  const body = req.body;
  const batch = Array.isArray(body);
  const messages: unknown[] = batch ? body : [body];
  // Before anything else: one token per JSON-RPC request, so a batch of calls pays for each;
  // a POST of only notifications or responses (or of junk) costs one.
  const refusal = d.guard.charge(req, requestsIn(messages)) ?? invalidPost(d, req, messages, batch);
  if (refusal) {
    refuse(d.log, req, reply, refusal);
    return undefined;
  }
  const caller: Caller = (req.raw as AuthedRequest).caller!;
  if ((messages as JSONRPCMessage[]).some(isInitialize)) return initialize(d, req, reply, messages as JSONRPCMessage[], batch, caller);
  const session = lookup(d, req, reply);
  if (session) deliver(d, req, reply, session, messages as JSONRPCMessage[], batch, caller);
  return undefined;
}

/** Why a POST's body or headers are refused before any of it runs, or undefined. */
function invalidPost(d: RouteDeps, req: FastifyRequest, messages: unknown[], batch: boolean): Refusal | undefined {
  if (!acceptsBoth(req)) return transportError(406, "not_acceptable", "Not Acceptable: Client must accept both application/json and text/event-stream");
  if (messages.length === 0 || messages.length > d.maxBatch) {
    return { status: 400, code: RPC.INVALID_REQUEST, reason: "bad_batch", message: `a batch holds 1 to ${d.maxBatch} messages` };
  }
  if (!messages.every(isMessage)) return { status: 400, code: RPC.INVALID_REQUEST, reason: "invalid_message", message: "Invalid Request: not a JSON-RPC 2.0 message" };
  // Replies are matched by id: a batch naming one id twice is refused whole, before any of it runs.
  if (batch && sharesAnId(messages)) return { status: 400, code: RPC.INVALID_REQUEST, reason: "duplicate_id", message: "Invalid Request: two requests in one batch share an id" };
  const version = req.headers["mcp-protocol-version"];
  if (typeof version === "string" && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    return transportError(400, "bad_protocol_version", `Bad Request: unsupported protocol version ${version}`);
  }
  return undefined;
}

async function initialize(d: RouteDeps, req: FastifyRequest, reply: FastifyReply, messages: JSONRPCMessage[], batch: boolean, caller: Caller): Promise<void> {
  if (messages.length > 1) return void refuse(d.log, req, reply, { status: 400, code: RPC.INVALID_REQUEST, reason: "bad_batch", message: "initialize must be sent alone" });
  if (req.headers["mcp-session-id"] !== undefined) return void refuse(d.log, req, reply, transportError(400, "already_initialized", "Bad Request: session already initialized"));
  const opened = await d.sessions.open(caller.identity);
  if ("refused" in opened) {
    const why = opened.refused === "too_many_sessions" ? "too many sessions, all busy" : "this certificate holds its maximum of sessions, all busy: end one (DELETE)";
    return void refuse(d.log, req, reply, { ...transportError(503, opened.refused, `Service Unavailable: ${why}`), headers: { "retry-after": "5" } });
  }
  deliver(d, req, reply, opened.session, messages, batch, caller);
}

/** Hands the messages to the session; the reply is written when they are answered. */
function deliver(d: RouteDeps, req: FastifyRequest, reply: FastifyReply, session: Session, messages: JSONRPCMessage[], batch: boolean, caller: Caller): void {
  reply.hijack();
  const headers: Record<string, string> = { "mcp-session-id": session.id };
  if (d.closing()) headers.connection = "close";
  session.transport.deliver(messages, new HttpExchange(reply.raw, batch, headers, () => d.guard.refusalOn(req.raw.socket)), caller.authInfo);
}
