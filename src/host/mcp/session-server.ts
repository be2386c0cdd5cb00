// The SDK's low-level Server for one MCP session: its catalog seen through the policy.
// One Server per session, never shared (a shared server leaked responses across clients,
// CVE-2026-25536); one Ajv validator shared by all (a new Ajv per Server is ~30% of its cost).
// The low-level Server (deprecated in favour of McpServer for ordinary servers) is the measured
// choice here: handlers over a Catalog, no zod tool registry (docs/host.md).
import * as z from "zod/v4";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import {
  CallToolRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ErrorCode,
  McpError,
  ReadResourceRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { auditsArguments, authorize, type Capability } from "../../policy/authorize.js";
import type { Policy } from "../../policy/policy.js";
import type { CallContext, Catalog, HostView } from "../../gateway/catalog.js";
import type { Identity } from "../../policy/identity.js";
import { RPC } from "../../common/jsonrpc-errors.js";
import { VERSION } from "../../common/version.js";
import type { SessionTransport } from "./session-transport.js";
import { relayedCalls, type RequestExtra as Extra } from "./relayed-call.js";

export const SERVER_INFO = { name: "ztmcp", version: VERSION } as const;

let sharedValidator: AjvJsonSchemaValidator | undefined;

export interface SessionServerDeps {
  catalog: Catalog;
  policy: () => Policy;
  host: HostView;
}

/** The caller as the connection established it (set by the route on every request). */
export function identityFrom(extra: { authInfo?: AuthInfo | undefined }): Identity {
  const identity = extra.authInfo?.extra?.identity as Identity | undefined;
  if (!identity) throw new McpError(RPC.FORBIDDEN, "no client identity");
  return identity;
}

// eslint-disable-next-line @typescript-eslint/no-deprecated
export type SessionServer = Server;

/**
 * A handler registered under a schema that names only the method, which validates the request
 * itself: the SDK turns a failed parse of the registered schema into -32603 internal error,
 * while a request with bad params deserves -32602 invalid params. The request is parsed once
 * here, instead of once by the SDK.
 */
function validated<S extends z.ZodObject<{ method: z.ZodLiteral<string> }>, R>(schema: S, handler: (req: z.output<S>, extra: Extra) => Promise<R>) {
  const method = schema.shape.method.value;
  return [
    z.looseObject({ method: z.literal(method) }),
    (req: unknown, extra: Extra): Promise<R> => {
      const parsed = schema.safeParse(req);
      if (!parsed.success) throw new McpError(ErrorCode.InvalidParams, `Invalid params for ${method}: ${z.prettifyError(parsed.error)}`);
      return handler(parsed.data, extra);
    },
  ] as const;
}

export function createSessionServer(deps: SessionServerDeps, transport: SessionTransport): SessionServer {
  sharedValidator ??= new AjvJsonSchemaValidator();
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true } },
    jsonSchemaValidator: sharedValidator,
  });
  // The catalog as this session sees it: upstreams run per session start for it, may ask its
  // client (sampling, elicitation, roots) and stop with it.
  const catalog = deps.catalog.forSession?.(server) ?? deps.catalog;
  // Upstream list changes reach this session's client (on its GET stream, if it has one open);
  // the subscription ends with the session, so closed sessions leave no listener behind.
  const announce = {
    tools: () => server.sendToolListChanged(),
    prompts: () => server.sendPromptListChanged(),
    resources: () => server.sendResourceListChanged(),
  } as const;
  const unsubscribe = catalog.onListChanged((what) => void announce[what]().catch(() => undefined));
  server.onclose = () => {
    unsubscribe();
    if (catalog !== deps.catalog) void catalog.close();
  };

  /**
   * Records the decision for the request's log line (with the arguments when one of the caller's
   * roles audits them); throws the documented error when denied.
   */
  const check = (extra: Extra, capability: Capability, name: string, args?: Record<string, unknown>): Identity => {
    const identity = identityFrom(extra);
    const policy = deps.policy();
    const decision = authorize(policy, identity.roles, capability, name);
    const audited = args !== undefined && auditsArguments(policy, identity.roles);
    transport.decide(extra.requestId, { allow: decision.allow, reason: decision.reason, auditArguments: audited ? args : undefined });
    if (!decision.allow) throw new McpError(RPC.FORBIDDEN, `forbidden: ${capability} "${name}" is not permitted for this identity`, { reason: decision.reason });
    return identity;
  };

  const context = (extra: Extra, identity: Identity, signal = transport.signalFor(extra.requestId, extra.signal)): CallContext => {
    const token = extra._meta?.progressToken;
    return {
      identity,
      requestId: extra.requestId,
      signal,
      host: deps.host,
      onProgress:
        token === undefined
          ? undefined
          : (p) => void extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, ...p } }).catch(() => undefined),
    };
  };

  const permitted = <T>(extra: Extra, capability: Capability, items: T[], nameOf: (item: T) => string): T[] => {
    const identity = identityFrom(extra);
    const policy = deps.policy();
    const visible = items.filter((item) => authorize(policy, identity.roles, capability, nameOf(item)).allow);
    transport.decide(extra.requestId, { allow: true, reason: `listed:${visible.length}/${items.length}` });
    return visible;
  };

  server.setRequestHandler(ListToolsRequestSchema, async (_req, extra) => ({
    tools: permitted(extra, "tool", await catalog.listTools(), (t) => t.name),
  }));
  server.setRequestHandler(
    ...validated(CallToolRequestSchema, async (req, extra) => {
      const identity = check(extra, "tool", req.params.name, req.params.arguments ?? {});
      return catalog.callTool(req.params.name, req.params.arguments, context(extra, identity));
    }),
  );
  server.setRequestHandler(ListPromptsRequestSchema, async (_req, extra) => ({
    prompts: permitted(extra, "prompt", await catalog.listPrompts(), (p) => p.name),
  }));
  server.setRequestHandler(
    ...validated(GetPromptRequestSchema, async (req, extra) => {
      const identity = check(extra, "prompt", req.params.name);
      return catalog.getPrompt(req.params.name, req.params.arguments, context(extra, identity));
    }),
  );
  server.setRequestHandler(ListResourcesRequestSchema, async (_req, extra) => ({
    resources: permitted(extra, "resource", await catalog.listResources(), (r) => r.uri),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async (_req, extra) => ({
    resourceTemplates: permitted(extra, "resource", await catalog.listResourceTemplates(), (t) => t.uriTemplate),
  }));
  server.setRequestHandler(
    ...validated(ReadResourceRequestSchema, async (req, extra) => {
      const identity = check(extra, "resource", req.params.uri);
      return catalog.readResource(req.params.uri, context(extra, identity));
    }),
  );
  // Routed tools/call skip the Server (relayed-call.ts), with the same check and context.
  transport.intercept = relayedCalls({ catalog, transport, authorize: (extra, name, args) => check(extra, "tool", name, args), context });
  return server;
}
