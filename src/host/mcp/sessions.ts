// Live MCP sessions. Each belongs to the certificate (fingerprint) that opened it: its id under
// any other certificate is unknown. Idle sessions are evicted; an identity holding too many
// loses its oldest. Each session has its own SDK Server and transport, never shared.
import { randomUUID } from "node:crypto";
import { BoundedMap } from "../../common/bounded-map.js";
import type { Logger } from "../../common/log.js";
import type { SessionSummary } from "../../gateway/catalog.js";
import type { Identity } from "../../policy/identity.js";
import type { SessionServer } from "./session-server.js";
import { SessionTransport, type Completed } from "./session-transport.js";

export interface Session {
  readonly id: string;
  readonly server: SessionServer;
  readonly transport: SessionTransport;
  readonly fingerprint: string;
  readonly spiffeId: string | undefined;
  readonly serial: string;
  readonly openedAt: number;
  lastSeen: number;
}

export interface SessionOptions {
  idleMs: number;
  maxPerIdentity: number;
  maxTotal: number;
  log: Logger;
  createServer: (transport: SessionTransport) => SessionServer;
  onCompleted: (session: Session, c: Completed) => void;
  now?: () => number;
}

/** `session_closed`: the id of a session this certificate had, closed since (recent ones are remembered). */
export type Lookup = { session: Session } | { refused: "unknown_session" | "session_closed" | "other_certificate" };

/** How many closed session ids are remembered (id → fingerprint), so a late request on one is told apart from a guess. */
const CLOSED_REMEMBERED = 10_000;

export class SessionRegistry {
  readonly #sessions = new Map<string, Session>();
  readonly #closed = new BoundedMap<string, string>(CLOSED_REMEMBERED);
  readonly #timer: NodeJS.Timeout;
  readonly #now: () => number;

  constructor(private readonly o: SessionOptions) {
    this.#now = o.now ?? Date.now;
    this.#timer = setInterval(() => void this.sweep(), Math.max(1_000, Math.min(o.idleMs / 2, 30_000)));
    this.#timer.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  async open(identity: Identity): Promise<Session | undefined> {
    const mine = [...this.#sessions.values()].filter((s) => s.fingerprint === identity.fingerprint);
    if (mine.length >= this.o.maxPerIdentity) await this.close(mine[0]!.id, "identity_limit");
    if (this.#sessions.size >= this.o.maxTotal) return undefined;
    const id = randomUUID();
    const transport = new SessionTransport(id, (c) => {
      const current = this.#sessions.get(id);
      if (current) this.o.onCompleted(current, c);
    });
    const server = this.o.createServer(transport);
    const now = this.#now();
    const session: Session = { id, server, transport, fingerprint: identity.fingerprint, spiffeId: identity.spiffeId, serial: identity.serial, openedAt: now, lastSeen: now };
    await server.connect(transport);
    this.#sessions.set(id, session);
    this.o.log.info({ event: "mcp.session", action: "open", session: id.slice(0, 8), spiffeId: identity.spiffeId, serial: identity.serial }, "session opened");
    return session;
  }

  lookup(id: string, identity: Identity): Lookup {
    const session = this.#sessions.get(id);
    if (!session) {
      const owner = this.#closed.get(id);
      return { refused: owner === undefined ? "unknown_session" : owner === identity.fingerprint ? "session_closed" : "other_certificate" };
    }
    if (session.fingerprint !== identity.fingerprint) return { refused: "other_certificate" };
    session.lastSeen = this.#now();
    return { session };
  }

  async close(id: string, reason: string): Promise<void> {
    const session = this.#sessions.get(id);
    if (!session) return;
    this.#sessions.delete(id);
    this.#closed.set(id, session.fingerprint);
    this.o.log.info({ event: "mcp.session", action: "close", reason, session: id.slice(0, 8), spiffeId: session.spiffeId, serial: session.serial }, "session closed");
    await session.server.close();
  }

  async sweep(now = this.#now()): Promise<void> {
    const idle = [...this.#sessions.values()].filter((s) => now - s.lastSeen > this.o.idleMs && s.transport.inFlight === 0);
    for (const s of idle) await this.close(s.id, "idle");
  }

  summaries(now = this.#now()): SessionSummary[] {
    return [...this.#sessions.values()].map((s) => ({
      id: s.id.slice(0, 8),
      spiffeId: s.spiffeId,
      serial: s.serial,
      openedAt: new Date(s.openedAt).toISOString(),
      idleMs: now - s.lastSeen,
    }));
  }

  /** Ends every standalone GET stream (host stopping: they would hold the drain open). */
  endStreams(): void {
    for (const s of this.#sessions.values()) s.transport.endStream();
  }

  /** Ends the GET streams whose certificate is now revoked or expired (or every one, under a stale CRL). */
  endRefusedStreams(trigger: string): number {
    let ended = 0;
    for (const s of this.#sessions.values()) {
      if (!s.transport.endStreamIfRefused()) continue;
      ended++;
      this.o.log.warn({ event: "mcp.stream", action: "end", reason: "certificate_refused", trigger, session: s.id.slice(0, 8), spiffeId: s.spiffeId, serial: s.serial }, "standalone stream ended: certificate refused");
    }
    return ended;
  }

  async closeAll(reason: string): Promise<void> {
    clearInterval(this.#timer);
    for (const id of [...this.#sessions.keys()]) await this.close(id, reason);
  }
}
