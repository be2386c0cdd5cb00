// The gateway: the host's catalog, built from the built-in tools and the upstream MCP servers
// named in a gateway config file (`serve --config FILE`). Upstream tools and prompts appear as
// `<upstream>__<name>`, so policy globs such as `fs__read_*` apply to them; resources keep
// their URIs (the upstream that listed a URI serves it).
import {
  CallToolResultSchema,
  ErrorCode,
  GetPromptResultSchema,
  McpError,
  ReadResourceResultSchema,
  type CallToolResult,
  type GetPromptResult,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../common/log.js";
import type { CallContext, Catalog } from "./catalog.js";
import { loadGatewayConfig, type GatewayConfig } from "./config.js";
import { Upstream, type ListKind, type UpstreamOptions } from "./upstream.js";
import { httpConnector } from "./upstream-http.js";
import { stdioConnector } from "./upstream-stdio.js";

export const NAMESPACE_SEPARATOR = "__";

/** Where a call goes: `upstream` is undefined for built-ins. */
export interface Route {
  upstream: string | undefined;
  name: string;
}

export class GatewayCatalog implements Catalog {
  private readonly upstreams: ReadonlyMap<string, Upstream>;
  private readonly listeners = new Set<(what: ListKind) => void>();
  private readonly unsubscribe: (() => void)[] = [];
  /** Built-in names win over a namespaced upstream name that equals one (config load refuses the obvious cases). */
  private builtinNames: ReadonlySet<string> = new Set();
  private readonly builtinsKnown: Promise<void>;

  constructor(
    private readonly builtins: Catalog,
    upstreams: readonly Upstream[],
    private readonly onClose: () => Promise<void> = () => Promise.resolve(),
  ) {
    this.upstreams = new Map(upstreams.map((u) => [u.name, u]));
    const forward = (what: ListKind): void => {
      for (const listener of this.listeners) listener(what);
    };
    this.unsubscribe.push(builtins.onListChanged(forward), ...upstreams.map((u) => u.onListChanged(forward)));
    this.builtinsKnown = this.learnBuiltinNames();
  }

  private async learnBuiltinNames(): Promise<void> {
    const [tools, prompts] = await Promise.all([this.builtins.listTools(), this.builtins.listPrompts()]);
    this.builtinNames = new Set([...tools, ...prompts].map((item) => item.name));
  }

  /** Settles once every upstream has made its first connection attempt. */
  async started(): Promise<void> {
    await Promise.all([this.builtinsKnown, ...[...this.upstreams.values()].map((u) => u.started)]);
  }

  upstreamNames(): string[] {
    return [...this.upstreams.keys()];
  }

  upstream(name: string): Upstream | undefined {
    return this.upstreams.get(name);
  }

  /** Which upstream a tool or prompt name routes to (for the host's `mcp.request` log). */
  describeRoute(name: string): Route {
    const at = this.builtinNames.has(name) ? -1 : name.indexOf(NAMESPACE_SEPARATOR);
    if (at > 0) {
      const upstream = name.slice(0, at);
      if (this.upstreams.has(upstream)) return { upstream, name: name.slice(at + NAMESPACE_SEPARATOR.length) };
    }
    return { upstream: undefined, name };
  }

  /** Upstreams that are down keep their last known lists, so clients' lists do not churn. */
  async listTools(): Promise<Tool[]> {
    await this.builtinsKnown;
    return [...(await this.builtins.listTools()), ...this.namespaced((u) => u.tools)];
  }

  async listPrompts(): Promise<Prompt[]> {
    await this.builtinsKnown;
    return [...(await this.builtins.listPrompts()), ...this.namespaced((u) => u.prompts)];
  }

  async listResources(): Promise<Resource[]> {
    const seen = new Set<string>();
    const all: Resource[] = [];
    for (const resource of await this.builtins.listResources()) {
      seen.add(resource.uri);
      all.push(resource);
    }
    for (const upstream of this.upstreams.values()) {
      for (const resource of upstream.resources) {
        if (seen.has(resource.uri)) continue;
        seen.add(resource.uri);
        all.push({ ...resource, name: `${upstream.name}${NAMESPACE_SEPARATOR}${resource.name}` });
      }
    }
    return all;
  }

  /** The upstream a namespaced name goes to and the name it has there; undefined for built-ins. */
  private routed(name: string): { upstream: Upstream; name: string } | undefined {
    const route = this.describeRoute(name);
    const upstream = route.upstream === undefined ? undefined : this.upstreams.get(route.upstream);
    return upstream && { upstream, name: route.name };
  }

  callTool(name: string, args: Record<string, unknown> | undefined, ctx: CallContext): Promise<CallToolResult> {
    const route = this.routed(name);
    if (!route) return this.builtins.callTool(name, args, ctx);
    const { upstream } = route;
    return upstream.request("tools/call", ctx, (client, options) =>
      client.request({ method: "tools/call", params: { name: route.name, ...(args ? { arguments: args } : {}) } }, CallToolResultSchema, options),
    );
  }

  getPrompt(name: string, args: Record<string, string> | undefined, ctx: CallContext): Promise<GetPromptResult> {
    const route = this.routed(name);
    if (!route) return this.builtins.getPrompt(name, args, ctx);
    const { upstream } = route;
    return upstream.request("prompts/get", ctx, (client, options) =>
      client.request({ method: "prompts/get", params: { name: route.name, ...(args ? { arguments: args } : {}) } }, GetPromptResultSchema, options),
    );
  }

  /** The upstream that listed a resource URI (built-ins, which take precedence, list none today). */
  resourceUpstream(uri: string): Upstream | undefined {
    for (const u of this.upstreams.values()) if (u.resourceUris.has(uri)) return u;
    return undefined;
  }

  async readResource(uri: string, ctx: CallContext): Promise<ReadResourceResult> {
    if ((await this.builtins.listResources()).some((r) => r.uri === uri)) return this.builtins.readResource(uri, ctx);
    const upstream = this.resourceUpstream(uri);
    if (!upstream) throw new McpError(ErrorCode.InvalidParams, `unknown resource: ${uri}`);
    return upstream.request("resources/read", ctx, (client, options) =>
      client.request({ method: "resources/read", params: { uri } }, ReadResourceResultSchema, options),
    );
  }

  onListChanged(listener: (what: ListKind) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const off of this.unsubscribe) off();
    await Promise.all([...this.upstreams.values()].map((u) => u.close()));
    await this.onClose();
    await this.builtins.close();
  }

  private namespaced<T extends { name: string }>(items: (u: Upstream) => readonly T[]): T[] {
    return [...this.upstreams.values()]
      .flatMap((u) => items(u).map((item) => ({ ...item, name: `${u.name}${NAMESPACE_SEPARATOR}${item.name}` })))
      .filter((item) => !this.builtinNames.has(item.name));
  }
}

/** The upstream a routed tool or prompt name (or resource URI) goes to, for any catalog (built-ins alone route nowhere). */
export function upstreamOf(catalog: Catalog, target: string, kind: "name" | "uri" = "name"): string | undefined {
  if (!(catalog instanceof GatewayCatalog)) return undefined;
  return kind === "uri" ? catalog.resourceUpstream(target)?.name : catalog.describeRoute(target).upstream;
}

export function buildGateway(config: GatewayConfig, builtins: Catalog, log: Logger, tuning: Partial<UpstreamOptions> = {}): GatewayCatalog {
  const closers: (() => Promise<void>)[] = [];
  const upstreams = config.upstreams.map((spec) => {
    let connect: UpstreamOptions["connect"];
    if (spec.kind === "stdio") connect = stdioConnector(spec, log);
    else {
      const http = httpConnector(spec);
      closers.push(http.close);
      connect = http.connect;
    }
    return new Upstream({ name: spec.name, connect, timeoutMs: spec.timeoutMs, log, ...tuning });
  });
  return new GatewayCatalog(builtins, upstreams, async () => {
    await Promise.all(closers.map((close) => close()));
  });
}

/** Without a config the host serves its built-ins alone. Waits for each upstream's first attempt. */
export async function loadGateway(configPath: string | undefined, builtins: Catalog, log: Logger): Promise<Catalog> {
  if (configPath === undefined) return builtins;
  const gateway = buildGateway(loadGatewayConfig(configPath), builtins, log);
  await gateway.started();
  log.info({ event: "gateway.ready", upstreams: gateway.upstreamNames(), down: gateway.upstreamNames().filter((n) => !gateway.upstream(n)?.ready) }, "gateway ready");
  return gateway;
}
