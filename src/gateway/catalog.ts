// What a host serves: tools, prompts and resources from one or more sources (built-ins,
// upstream MCP servers). The per-session MCP server filters a catalog through the policy;
// a catalog itself knows nothing of callers' rights.
import type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { Identity } from "../policy/identity.js";
import type { CallerSession } from "./caller-link.js";

export type { CallerSession } from "./caller-link.js";

/**
 * What a call's work needs of an AbortSignal, and all a relayed call is given (an AbortSignal
 * has it too): whether the request has ended, why, and a listener run once when it does.
 */
export interface CallSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once: true }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

export interface CallContext {
  identity: Identity;
  /** Aborted when the client cancels (notifications/cancelled) or the session closes. */
  signal: CallSignal;
  /** Set when the client asked for progress (params._meta.progressToken). */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
  /** The caller's JSON-RPC id for this request (a per-session upstream's questions to the caller ride on its stream). */
  requestId?: RequestId;
  /** What the host exposes about itself to admin tools (absent outside a host). */
  host?: HostView;
}

export interface SessionSummary {
  /** First 8 characters of the session id: enough to tell sessions apart, useless to replay. */
  id: string;
  spiffeId: string | undefined;
  serial: string;
  openedAt: string;
  idleMs: number;
}

export interface HostView {
  sessions(): SessionSummary[];
  revocation(): { revokedSerials: number; stale: boolean };
}

export interface Catalog {
  /** All tools, names already namespaced (`<upstream>__<tool>` for upstreams). */
  listTools(): Promise<Tool[]>;
  /** Throws McpError (JSON-RPC error) when the tool does not exist or its source is down. */
  callTool(name: string, args: Record<string, unknown> | undefined, ctx: CallContext): Promise<CallToolResult>;
  listPrompts(): Promise<Prompt[]>;
  getPrompt(name: string, args: Record<string, string> | undefined, ctx: CallContext): Promise<GetPromptResult>;
  listResources(): Promise<Resource[]>;
  /** Resource templates (RFC 6570); a resources/read of a URI one matches is routed to its source. */
  listResourceTemplates(): Promise<ResourceTemplate[]>;
  readResource(uri: string, ctx: CallContext): Promise<ReadResourceResult>;
  /** Called when any source's list changes; returns an unsubscribe function. */
  onListChanged(listener: (what: "tools" | "prompts" | "resources") => void): () => void;
  /**
   * The catalog as one MCP session sees it, when some sources run per session (gateway
   * `"perSession": true`): they start on the session's first use, may send requests to its
   * caller, and stop with the session (`close()` of the view). Absent when nothing is per session.
   */
  forSession?(caller: CallerSession): Catalog;
  /** Which upstream serves a name (`<upstream>__<tool>`) or URI, for the audit line; absent without upstreams. */
  upstreamOf?(target: string, kind: "name" | "uri"): string | undefined;
  /** Whether each shared upstream is connected now (metrics); absent without upstreams. */
  health?(): { name: string; up: boolean }[];
  /** Stops upstream processes and connections. */
  close(): Promise<void>;
}
