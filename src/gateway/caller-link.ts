// Server→client requests from an upstream that runs for one session (`"perSession": true`):
// sampling, elicitation and roots go to that session's caller, and the upstream is told only
// the capabilities the caller declared. A shared upstream gets no such link: one stdio
// process cannot say which of many callers it means, so it is offered no capabilities.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Protocol } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  CreateMessageResultWithToolsSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  ListRootsRequestSchema,
  ListRootsResultSchema,
  type ClientCapabilities,
  type RequestId,
  type ServerNotification,
  type ServerRequest,
  type ServerResult,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../common/log.js";

/** The caller's side of one session: what the host's per-session SDK Server offers. */
export interface CallerSession {
  getClientCapabilities(): ClientCapabilities | undefined;
  request: Protocol<ServerRequest, ServerNotification, ServerResult>["request"];
  setNotificationHandler: Protocol<ServerRequest, ServerNotification, ServerResult>["setNotificationHandler"];
}

/** The capabilities an upstream may use: the caller's sampling, elicitation and roots, as declared. */
export function forwardedCapabilities(caller: CallerSession | undefined): ClientCapabilities {
  const declared = caller?.getClientCapabilities() ?? {};
  return {
    ...(declared.sampling && { sampling: declared.sampling }),
    ...(declared.elicitation && { elicitation: declared.elicitation }),
    ...(declared.roots && { roots: declared.roots }),
  };
}

/**
 * Makes `client` (connected to the upstream) answer the upstream's sampling, elicitation and
 * roots requests by asking the caller. `relatedTo` names the caller's request in flight to this
 * upstream, if any, so the host sends the question on that request's stream (else on the
 * session's standalone stream). Logged without their content.
 */
export function linkToCaller(client: Client, caller: CallerSession, capabilities: ClientCapabilities, relatedTo: () => RequestId | undefined, log: Logger): void {
  const ask = async <T>(method: string, send: (options: { signal: AbortSignal; relatedRequestId?: RequestId }) => Promise<T>, signal: AbortSignal): Promise<T> => {
    const related = relatedTo();
    try {
      const result = await send({ signal, ...(related !== undefined && { relatedRequestId: related }) });
      log.info({ event: "upstream.caller_request", method, outcome: "answered" }, "upstream request answered by the caller");
      return result;
    } catch (e) {
      log.info({ event: "upstream.caller_request", method, outcome: "failed", err: (e as Error).message.slice(0, 200) }, "upstream request to the caller failed");
      throw e;
    }
  };
  if (capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, (req, extra) => {
      const schema = req.params.tools || req.params.toolChoice ? CreateMessageResultWithToolsSchema : CreateMessageResultSchema;
      return ask(req.method, (options) => caller.request(req, schema, options), extra.signal);
    });
  }
  if (capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, (req, extra) => ask(req.method, (options) => caller.request(req, ElicitResultSchema, options), extra.signal));
  }
  if (capabilities.roots) {
    client.setRequestHandler(ListRootsRequestSchema, (req, extra) => ask(req.method, (options) => caller.request(req, ListRootsResultSchema, options), extra.signal));
  }
}
