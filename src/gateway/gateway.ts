// The gateway: the host's catalog, built from the built-in tools and the upstream MCP servers
// named in a gateway config file (`serve --config FILE`). Upstream tools and prompts appear as
// `<upstream>__<name>`, so policy globs such as `fs__read_*` apply to them; resources and
// resource templates keep their URIs (the upstream that listed a URI, or a template matching
// it, serves it). Only what an upstream listed, and names.ts let through, is ever routed.
import {
  RootsListChangedNotificationSchema,
  type CallToolResult,
  type GetPromptResult,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../common/log.js";
import type { CallContext, CallerSession, Catalog } from "./catalog.js";
import { loadGatewayConfig, type GatewayConfig, type UpstreamSpec } from "./config.js";
import { Upstream, type ListKind, type UpstreamOptions } from "./upstream.js";
import { httpConnector } from "./upstream-http.js";
import { stdioConnector } from "./upstream-stdio.js";
import { NAMESPACE_SEPARATOR, namespaced, unknownItem } from "./names.js";

export { NAMESPACE_SEPARATOR } from "./names.js";

/** Where a call goes: `upstream` is undefined for built-ins. */
export interface Route {
  upstream: string | undefined;
  name: string;
}

export interface GatewayParts {
  /** Run by close() after the upstreams close, before the built-ins do. */
  onClose?: () => Promise<void>;
  /** Upstreams configured `perSession`: made afresh for each session's view, linked to its caller. */
  perSession?: { names: readonly string[]; make: (caller: CallerSession) => Upstream[] };
}

export class GatewayCatalog implements Catalog {
  private readonly upstreams: ReadonlyMap<string, Upstream>;
  /** Ready for lists and calls: the built-in names are known and (in a session's view) its own upstreams have started. */
  private readyOnce: Promise<unknown> | undefined;
  private isReady = false;
  private readonly listeners = new Set<(what: ListKind) => void>();
  private readonly unsubscribe: (() => void)[] = [];
  /** Built-in names win over a namespaced upstream name that equals one (config load refuses the obvious cases). */
  private builtinNames: ReadonlySet<string> = new Set();
  private readonly builtinsKnown: Promise<void>;

  /**
   * `own` is set for a session's view (forSession): the upstreams it started for that session,
   * the only ones its close() stops. Otherwise close() stops every upstream and the built-ins.
   */
  constructor(
    private readonly builtins: Catalog,
    upstreams: readonly Upstream[],
    private readonly parts: GatewayParts = {},
    private readonly own?: readonly Upstream[],
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

  upstreamOf(target: string, kind: "name" | "uri"): string | undefined {
    return kind === "uri" ? this.resourceUpstream(target)?.name : this.describeRoute(target).upstream;
  }

  health(): { name: string; up: boolean }[] {
    return [...this.upstreams.values()].map((u) => ({ name: u.name, up: u.ready }));
  }

  upstreamNames(): string[] {
    return [...this.upstreams.keys()];
  }

  upstream(name: string): Upstream | undefined {
    return this.upstreams.get(name);
  }

  /** This catalog as one session sees it: with its own per-session upstreams, or itself when there are none. */
  forSession(caller: CallerSession): Catalog {
    if (!this.parts.perSession) return this;
    const own = this.parts.perSession.make(caller);
    caller.setNotificationHandler(RootsListChangedNotificationSchema, () => {
      for (const u of own) u.rootsChanged();
    });
    return new GatewayCatalog(this.builtins, [...this.upstreams.values(), ...own], {}, own);
  }

  private ready(): Promise<unknown> {
    return (this.readyOnce ??= Promise.all([this.builtinsKnown, ...(this.own ?? []).map((u) => u.started)]).then(() => {
      this.isReady = true;
    }));
  }

  /** `next` once ready: at once when ready already (a routed call pays no promise hop for it); what it throws, as a rejection. */
  private whenReady<T>(next: () => Promise<T>): Promise<T> {
    if (!this.isReady) return this.ready().then(next);
    try {
      return next();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /**
   * Which upstream a tool or prompt name routes to (for the host's `mcp.request` log). The
   * host asks the shared catalog, which knows per-session upstreams by name only.
   */
  describeRoute(name: string): Route {
    const target = this.target(name);
    if (target && (target.upstream.lists.offers("tool", target.name) || target.upstream.lists.offers("prompt", target.name))) {
      return { upstream: target.upstream.name, name: target.name };
    }
    const at = this.builtinNames.has(name) ? -1 : name.indexOf(NAMESPACE_SEPARATOR);
    if (at > 0 && this.parts.perSession?.names.includes(name.slice(0, at))) return { upstream: name.slice(0, at), name: name.slice(at + NAMESPACE_SEPARATOR.length) };
    return { upstream: undefined, name };
  }

  /** Upstreams that are down keep their last known lists, so clients' lists do not churn. */
  async listTools(): Promise<Tool[]> {
    await this.ready();
    return [...(await this.builtins.listTools()), ...this.namespaced((u) => u.lists.tools)];
  }

  async listPrompts(): Promise<Prompt[]> {
    await this.ready();
    return [...(await this.builtins.listPrompts()), ...this.namespaced((u) => u.lists.prompts)];
  }

  async listResources(): Promise<Resource[]> {
    await this.ready();
    return this.byAddress(await this.builtins.listResources(), (u) => u.lists.resources, (r) => r.uri);
  }

  async listResourceTemplates(): Promise<ResourceTemplate[]> {
    await this.ready();
    return this.byAddress(await this.builtins.listResourceTemplates(), (u) => u.lists.resourceTemplates, (t) => t.uriTemplate);
  }

  /** The upstream a name's prefix designates and the rest of the name; undefined for built-ins and other names. */
  private target(name: string): { upstream: Upstream; name: string } | undefined {
    if (this.builtinNames.has(name)) return undefined;
    const at = name.indexOf(NAMESPACE_SEPARATOR);
    const upstream = at > 0 ? this.upstreams.get(name.slice(0, at)) : undefined;
    return upstream && { upstream, name: name.slice(at + NAMESPACE_SEPARATOR.length) };
  }

  /**
   * The upstream a namespaced name goes to and its name there; undefined for built-ins. A name
   * with an upstream's prefix that this upstream did not list (or that was refused at listing)
   * is unknown: it is never forwarded for the upstream to interpret.
   */
  private routed(kind: "tool" | "prompt", name: string): { upstream: Upstream; name: string } | undefined {
    const target = this.target(name);
    if (target && !target.upstream.lists.offers(kind, target.name)) throw unknownItem(kind, name);
    return target;
  }

  callTool(name: string, args: Record<string, unknown> | undefined, ctx: CallContext): Promise<CallToolResult> {
    return this.whenReady(() => {
      const route = this.routed("tool", name);
      if (!route) return this.builtins.callTool(name, args, ctx);
      return route.upstream.call("tools/call", { name: route.name, arguments: args }, ctx) as Promise<CallToolResult>;
    });
  }

  getPrompt(name: string, args: Record<string, string> | undefined, ctx: CallContext): Promise<GetPromptResult> {
    return this.whenReady(() => {
      const route = this.routed("prompt", name);
      if (!route) return this.builtins.getPrompt(name, args, ctx);
      return route.upstream.call("prompts/get", { name: route.name, arguments: args }, ctx) as Promise<GetPromptResult>;
    });
  }

  /** The upstream that listed a resource URI, else the first whose template matches it (built-ins, which take precedence, list none today). */
  resourceUpstream(uri: string): Upstream | undefined {
    for (const u of this.upstreams.values()) if (u.lists.serves(uri)) return u;
    return undefined;
  }

  async readResource(uri: string, ctx: CallContext): Promise<ReadResourceResult> {
    await this.ready();
    if ((await this.builtins.listResources()).some((r) => r.uri === uri)) return this.builtins.readResource(uri, ctx);
    const upstream = this.resourceUpstream(uri);
    if (!upstream) throw unknownItem("resource", uri);
    return upstream.call("resources/read", { uri }, ctx) as Promise<ReadResourceResult>;
  }

  onListChanged(listener: (what: ListKind) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const off of this.unsubscribe) off();
    await Promise.all((this.own ?? [...this.upstreams.values()]).map((u) => u.close()));
    if (this.own) return;
    await this.parts.onClose?.();
    await this.builtins.close();
  }

  private namespaced<T extends { name: string }>(items: (u: Upstream) => readonly T[]): T[] {
    return [...this.upstreams.values()]
      .flatMap((u) => items(u).map((item) => ({ ...item, name: namespaced(u.name, item.name) })))
      .filter((item) => !this.builtinNames.has(item.name));
  }

  /** Built-ins first, then each upstream's items under their own address (first lister wins), names namespaced. */
  private byAddress<T extends { name: string }>(builtins: T[], items: (u: Upstream) => readonly T[], address: (item: T) => string): T[] {
    const seen = new Set(builtins.map(address));
    const all = [...builtins];
    for (const upstream of this.upstreams.values()) {
      for (const item of items(upstream)) {
        if (seen.has(address(item))) continue;
        seen.add(address(item));
        all.push({ ...item, name: namespaced(upstream.name, item.name) });
      }
    }
    return all;
  }
}

/** The upstream a routed tool or prompt name (or resource URI) goes to, for any catalog (built-ins alone route nowhere). */

export function buildGateway(config: GatewayConfig, builtins: Catalog, log: Logger, tuning: Partial<UpstreamOptions> = {}): GatewayCatalog {
  const closers: (() => Promise<void>)[] = [];
  const connectors = new Map(
    config.upstreams.map((spec): [UpstreamSpec, UpstreamOptions["connect"]] => {
      if (spec.kind === "stdio") return [spec, stdioConnector(spec, log)];
      const http = httpConnector(spec);
      closers.push(http.close);
      return [spec, http.connect];
    }),
  );
  const upstream = (spec: UpstreamSpec, caller?: CallerSession): Upstream =>
    new Upstream({ name: spec.name, connect: connectors.get(spec)!, timeoutMs: spec.timeoutMs, log, ...tuning, ...(caller && { caller, deferStart: true }) });
  const perSession = config.upstreams.filter((spec) => spec.perSession);
  const shared = config.upstreams.filter((spec) => !spec.perSession).map((spec) => upstream(spec));
  return new GatewayCatalog(builtins, shared, {
    onClose: async () => {
      await Promise.all(closers.map((close) => close()));
    },
    ...(perSession.length > 0 && { perSession: { names: perSession.map((s) => s.name), make: (caller) => perSession.map((spec) => upstream(spec, caller)) } }),
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
