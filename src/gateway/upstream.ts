// One upstream MCP server, reached through one SDK Client shared by every session (the Client
// multiplexes by JSON-RPC id) for the lifecycle, and a relay under it (relay-transport.ts) for
// the calls the host has allowed. Keeps the connection alive: a transport that closes or an
// upstream that stops answering pings is reconnected with exponential backoff; meanwhile its
// calls fail at once with a clear McpError instead of queueing.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  ErrorCode,
  McpError,
  type RequestId,
  type Result,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../common/log.js";
import { VERSION } from "../common/version.js";
import { backoffDelay } from "../common/backoff.js";
import type { CallContext } from "./catalog.js";
import { forwardedCapabilities, linkToCaller, type CallerSession } from "./caller-link.js";
import { UpstreamLists, type ListKind } from "./upstream-lists.js";
import { RelayTransport } from "./relay-transport.js";

export type { ListKind } from "./upstream-lists.js";

/** A fresh transport per connection attempt; `kill` ends a hung peer without waiting for it. */
export interface UpstreamConnection {
  transport: Transport;
  pid?: number | undefined;
  kill?: () => void;
}

export interface UpstreamOptions {
  name: string;
  connect: () => UpstreamConnection;
  /** Per-call timeout (restarted by each progress notification). */
  timeoutMs: number;
  /** A call's total bound, however often it reports progress (default: the larger of 10 min and timeoutMs). */
  totalTimeoutMs?: number;
  log: Logger;
  /** Reconnect delays: base doubles per consecutive failure up to max. */
  backoff?: { baseMs: number; maxMs: number };
  /** How long connecting (spawn, initialize, first lists) may take; default 20 s. */
  startTimeoutMs?: number;
  /** How often an idle upstream is pinged (0: never) and how long a ping may take. */
  healthIntervalMs?: number;
  pingTimeoutMs?: number;
  /** Set for an upstream that runs for one session: its server→client requests go to this caller. */
  caller?: CallerSession | undefined;
  /** Connect on the first `started`, not at construction (a session's upstream waits for its initialize). */
  deferStart?: boolean;
}

type State = "connecting" | "ready" | "waiting" | "closed";

const CLIENT_INFO = { name: "ztmcp-gateway", version: VERSION };
/** A connection that lived this long was healthy: the next failure starts the backoff afresh. */
const STABLE_MS = 10_000;
const CLOSE_GRACE_MS = 1_000;
const DEFAULT_START_TIMEOUT_MS = 20_000;
const DEFAULT_TOTAL_TIMEOUT_MS = 10 * 60_000;
const TIMEOUT: number = ErrorCode.RequestTimeout;
const CLOSED: number = ErrorCode.ConnectionClosed;

export class Upstream {
  readonly name: string;
  /** What it offers, as last listed (kept while it is down, so clients' lists do not churn). */
  readonly lists: UpstreamLists;
  private state: State = "connecting";
  private client: Client | undefined;
  /** The transport under `client`, through which allowed calls are relayed (set and cleared with it). */
  private relayTransport: RelayTransport | undefined;
  private connection: UpstreamConnection | undefined;
  private generation = 0;
  private failures = 0;
  private connectedAt = 0;
  private retryAt = 0;
  private lastProblem = "not started";
  private retryTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(what: ListKind) => void>();
  /** A per-session upstream's calls in flight, oldest first: its questions to the caller ride on the newest. */
  private readonly inFlight = new Set<RequestId>();
  private readonly log: Logger;
  private readonly backoff: { baseMs: number; maxMs: number };
  private starting: Promise<void> | undefined;

  constructor(private readonly options: UpstreamOptions) {
    this.name = options.name;
    this.log = options.log.child({ upstream: options.name });
    this.lists = new UpstreamLists(options.name, this.log);
    this.backoff = options.backoff ?? { baseMs: 250, maxMs: 30_000 };
    if (options.deferStart !== true) void this.started;
  }

  /** Settles after the first connection attempt, whatever its outcome (making it, if deferred). */
  get started(): Promise<void> {
    return (this.starting ??= this.connect());
  }

  get ready(): boolean {
    return this.state === "ready";
  }

  get pid(): number | undefined {
    return this.connection?.pid;
  }

  onListChanged(listener: (what: ListKind) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Relays one call the host has allowed (tools/call, prompts/get, resources/read; `params`
   * already in the upstream's names) and returns the upstream's result object as it sent it.
   * Bounded by the per-call timeout (restarted by progress) and the total one; the caller's
   * signal (cancelled, or its certificate refused) cancels it at the upstream. Not async: the
   * relay's own promise is returned, failures explained as it rejects (one promise a call, not three).
   */
  call(method: string, params: Record<string, unknown>, ctx: CallContext | undefined): Promise<Result> {
    const client = this.client;
    const relay = this.relayTransport;
    if (this.state !== "ready" || !client || !relay) return Promise.reject(this.unavailable());
    const relayed = relay.relay(method, params, { timeout: this.options.timeoutMs, totalTimeout: this.totalTimeoutMs, signal: ctx?.signal, onprogress: ctx?.onProgress });
    // Only a per-session upstream asks its caller questions, on behalf of the newest call.
    const id = this.options.caller ? ctx?.requestId : undefined;
    if (id === undefined) return relayed;
    this.inFlight.add(id);
    return relayed.finally(() => this.inFlight.delete(id));
  }

  private get totalTimeoutMs(): number {
    return this.options.totalTimeoutMs ?? Math.max(DEFAULT_TOTAL_TIMEOUT_MS, this.options.timeoutMs);
  }

  /** A relayed call's failure as the caller reads it: which upstream, and what happens next. */
  private explained(e: McpError, method: string, client: Client): McpError {
    const total = this.totalTimeoutMs;
    const code: number = e.code;
    if (code === TIMEOUT && (e.data as { totalTimeout?: unknown } | undefined)?.totalTimeout !== undefined) {
      return new McpError(ErrorCode.RequestTimeout, `upstream "${this.name}" did not finish ${method} within ${String(total)} ms in total`, { upstream: this.name, totalTimeoutMs: total });
    }
    if (code === TIMEOUT) {
      void this.checkHealth(client);
      return new McpError(ErrorCode.RequestTimeout, `upstream "${this.name}" did not answer ${method} within ${String(this.options.timeoutMs)} ms`, { upstream: this.name });
    }
    if (code === CLOSED) {
      return new McpError(ErrorCode.ConnectionClosed, `upstream "${this.name}" went away during ${method} (${this.lastProblem}); it is being restarted`, { upstream: this.name });
    }
    return e;
  }

  /** Passes the caller's `notifications/roots/list_changed` on (per-session upstreams only declare roots). */
  rootsChanged(): void {
    void this.client?.sendRootsListChanged().catch(() => undefined);
  }

  async close(): Promise<void> {
    const pid = this.connection?.pid;
    this.state = "closed";
    this.generation++;
    clearTimeout(this.retryTimer);
    clearInterval(this.healthTimer);
    const client = this.client;
    this.client = undefined;
    this.relayTransport = undefined;
    // Closing stdin asks a stdio upstream to exit; one that lingers is killed after a grace period.
    const closing = client?.close().catch(() => undefined);
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([closing, new Promise((r) => (grace = setTimeout(r, CLOSE_GRACE_MS)))]);
    clearTimeout(grace);
    this.connection?.kill?.();
    await closing;
    if (this.connection) this.log.info({ event: "upstream.stopped", upstreamPid: pid }, "upstream stopped");
  }

  private unavailable(): McpError {
    const wait = this.state === "waiting" ? `; retrying in ${String(Math.max(0, this.retryAt - Date.now()))} ms` : this.state === "connecting" ? "; reconnecting" : "";
    return new McpError(ErrorCode.ConnectionClosed, `upstream "${this.name}" is unavailable (${this.lastProblem})${wait}`, { upstream: this.name });
  }

  private async connect(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "connecting";
    const generation = ++this.generation;
    const caller = this.options.caller;
    const capabilities = forwardedCapabilities(caller);
    const client = new Client(CLIENT_INFO, { capabilities });
    if (caller) linkToCaller(client, caller, capabilities, () => [...this.inFlight].pop(), this.log);
    let connection: UpstreamConnection | undefined;
    try {
      connection = this.options.connect();
      this.connection = connection;
      client.onclose = () => this.lost(generation, "connection closed");
      client.onerror = (e) => this.log.debug({ event: "upstream.error", err: e.message }, "upstream transport error");
      const relay = new RelayTransport(connection.transport, (e, method) => this.explained(e, method, client));
      await client.connect(relay, { timeout: this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS });
      for (const [schema, kind] of [
        [ToolListChangedNotificationSchema, "tools"],
        [PromptListChangedNotificationSchema, "prompts"],
        [ResourceListChangedNotificationSchema, "resources"],
      ] as const) {
        client.setNotificationHandler(schema, () => void this.refresh(client, kind));
      }
      this.client = client;
      this.relayTransport = relay;
      await Promise.all((["tools", "prompts", "resources"] as const).map((k) => this.fetchList(client, k)));
      // A close() or a lost connection during the handshake superseded this attempt.
      if (generation !== this.generation) return;
      this.state = "ready";
      this.connectedAt = Date.now();
      this.startHealthChecks(client);
      this.log.info({ event: "upstream.ready", upstreamPid: connection.pid, tools: this.lists.tools.length, prompts: this.lists.prompts.length, resources: this.lists.resources.length, resourceTemplates: this.lists.resourceTemplates.length }, "upstream ready");
      for (const kind of ["tools", "prompts", "resources"] as const) this.emit(kind);
    } catch (e) {
      connection?.kill?.();
      await client.close().catch(() => undefined);
      this.lost(generation, (e as Error).message);
    }
  }

  private lost(generation: number, problem: string): void {
    if (generation !== this.generation || this.state === "closed" || this.state === "waiting") return;
    this.generation++;
    clearInterval(this.healthTimer);
    if (this.state === "ready" && Date.now() - this.connectedAt >= STABLE_MS) this.failures = 0;
    this.failures++;
    this.lastProblem = problem;
    this.client = undefined;
    this.relayTransport = undefined;
    const delay = backoffDelay(this.failures - 1, this.backoff);
    this.retryAt = Date.now() + delay;
    this.state = "waiting";
    this.log.warn({ event: "upstream.down", reason: problem, failures: this.failures, retryInMs: delay }, "upstream down; will reconnect");
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  /** A timed-out call may be the upstream's fault or the tool's: a ping tells which. */
  private async checkHealth(client: Client): Promise<void> {
    if (client !== this.client) return;
    try {
      await client.ping({ timeout: this.options.pingTimeoutMs ?? 5_000 });
    } catch {
      if (client !== this.client || this.state !== "ready") return;
      this.log.warn({ event: "upstream.hung", upstreamPid: this.connection?.pid }, "upstream does not answer pings; restarting it");
      const generation = this.generation;
      this.connection?.kill?.();
      void client.close().catch(() => undefined);
      this.lost(generation, "stopped answering");
    }
  }

  private startHealthChecks(client: Client): void {
    const every = this.options.healthIntervalMs ?? 30_000;
    if (every <= 0) return;
    this.healthTimer = setInterval(() => void this.checkHealth(client), every);
    this.healthTimer.unref();
  }

  private async refresh(client: Client, kind: ListKind): Promise<void> {
    try {
      await this.fetchList(client, kind);
      this.log.info({ event: "upstream.list_changed", list: kind }, "upstream list refreshed");
      this.emit(kind);
    } catch (e) {
      this.log.warn({ event: "upstream.list_failed", list: kind, err: (e as Error).message }, "could not refresh upstream list");
    }
  }

  private fetchList(client: Client, kind: ListKind): Promise<void> {
    const timeout = Math.max(this.options.timeoutMs, this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    return this.lists.fetch(client, kind, { timeout }, () => client === this.client);
  }

  private emit(kind: ListKind): void {
    for (const listener of this.listeners) listener(kind);
  }
}
