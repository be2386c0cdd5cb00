// What one upstream offers: its tools, prompts, resources and resource templates as last
// listed, with the items the gateway refuses (names.ts) already dropped, and the lookups that
// route a call. A name or URI is routed only if it is in here: the list is the allow-list.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import { ErrorCode, McpError, type Prompt, type Resource, type ResourceTemplate, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../common/log.js";
import { offerableName, offerableUri } from "./names.js";

/** The lists an upstream announces changes of (`notifications/resources/list_changed` covers templates too). */
export type ListKind = "tools" | "prompts" | "resources";

const MAX_PAGES = 100;

interface Page<T> {
  items: T[];
  next: string | undefined;
}

async function listAll<T>(page: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const result = await page(cursor);
    items.push(...result.items);
    cursor = result.next;
    if (cursor === undefined) break;
  }
  return items;
}

/** Servers with resources but no templates may not implement resources/templates/list at all. */
function noTemplates(e: unknown): ResourceTemplate[] {
  if (e instanceof McpError && e.code === (ErrorCode.MethodNotFound as number)) return [];
  throw e;
}

const params = (cursor: string | undefined): { cursor?: string } => (cursor === undefined ? {} : { cursor });

export class UpstreamLists {
  tools: readonly Tool[] = [];
  prompts: readonly Prompt[] = [];
  resources: readonly Resource[] = [];
  resourceTemplates: readonly ResourceTemplate[] = [];
  private toolNames: ReadonlySet<string> = new Set();
  private promptNames: ReadonlySet<string> = new Set();
  private resourceUris: ReadonlySet<string> = new Set();
  private templates: readonly UriTemplate[] = [];

  constructor(
    private readonly upstream: string,
    private readonly log: Logger,
  ) {}

  /** Whether `name` (the upstream's own, not namespaced) is a tool or prompt it listed and we kept. */
  offers(kind: "tool" | "prompt", name: string): boolean {
    return (kind === "tool" ? this.toolNames : this.promptNames).has(name);
  }

  /** Whether this upstream listed `uri`, or a template it listed matches it (RFC 6570, as the SDK matches). */
  serves(uri: string): boolean {
    if (this.resourceUris.has(uri)) return true;
    if (!offerableUri(uri)) return false;
    return this.templates.some((t) => t.match(uri) !== null);
  }

  /** Fetches one list (every page); applies it only if `current()` still holds afterwards. */
  async fetch(client: Client, kind: ListKind, options: RequestOptions, current: () => boolean): Promise<void> {
    const capabilities = client.getServerCapabilities() ?? {};
    if (!capabilities[kind]) return;
    if (kind === "tools") {
      const tools = await listAll((c) => client.listTools(params(c), options).then((r) => ({ items: r.tools, next: r.nextCursor })));
      if (!current()) return;
      this.tools = this.named("tools", tools);
      this.toolNames = new Set(this.tools.map((t) => t.name));
    } else if (kind === "prompts") {
      const prompts = await listAll((c) => client.listPrompts(params(c), options).then((r) => ({ items: r.prompts, next: r.nextCursor })));
      if (!current()) return;
      this.prompts = this.named("prompts", prompts);
      this.promptNames = new Set(this.prompts.map((p) => p.name));
    } else {
      const [resources, templates] = await Promise.all([
        listAll((c) => client.listResources(params(c), options).then((r) => ({ items: r.resources, next: r.nextCursor }))),
        listAll((c) => client.listResourceTemplates(params(c), options).then((r) => ({ items: r.resourceTemplates, next: r.nextCursor }))).catch(noTemplates),
      ]);
      if (!current()) return;
      this.resources = this.addressed("resources", resources, (r) => r.uri);
      this.resourceUris = new Set(this.resources.map((r) => r.uri));
      this.resourceTemplates = this.addressed("resourceTemplates", templates, (t) => t.uriTemplate).filter((t) => this.compiles(t.uriTemplate));
      this.templates = this.resourceTemplates.map((t) => new UriTemplate(t.uriTemplate));
    }
  }

  /** Drops (and logs) tools and prompts whose names a policy could not reason about; see names.ts. */
  private named<T extends { name: string }>(list: string, items: T[]): T[] {
    return items.filter((item) => {
      const ok = offerableName(this.upstream, item.name);
      if (!ok) this.refused(list, item.name, "not a tool-name-alphabet name without __ of at most 128 characters once namespaced");
      return ok;
    });
  }

  private addressed<T>(list: string, items: T[], uriOf: (item: T) => string): T[] {
    return items.filter((item) => {
      const ok = offerableUri(uriOf(item));
      if (!ok) this.refused(list, uriOf(item), "a URI with control, format or space characters, or longer than 1024");
      return ok;
    });
  }

  private compiles(template: string): boolean {
    try {
      new UriTemplate(template);
      return true;
    } catch {
      this.refused("resourceTemplates", template, "not an RFC 6570 URI template");
      return false;
    }
  }

  private refused(list: string, name: string, why: string): void {
    this.log.warn({ event: "upstream.name_refused", list, name: name.slice(0, 200) }, `upstream name refused: ${why}`);
  }
}
