// Live MCP sessions. Each belongs to the certificate (fingerprint) that opened it: its id under
// any other certificate is unknown. Idle sessions are evicted. Capacity: a certificate at its
// own cap loses its least recently used idle session; a full host evicts an idle session of the
// biggest holder (least recently used first). A busy session (a request in flight or its GET
// stream open) is never evicted to make room, and a certificate holding no session is never
// refused. Each session has its own SDK Server and transport, never shared.
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
  /** The certificate's notAfter (ms): the session's calls and stream end then, and it closes. */
  readonly notAfter: number;
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
export type Opened = { session: Session } | { refused: "too_many_sessions" | "identity_session_limit" };

export type Lookup = { session: Session } | { refused: "unknown_session" | "session_closed" | "other_certificate" };

/** setTimeout's longest wait; a later expiry re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The guard refuses strictly after notAfter, and timers may fire a millisecond early. */
const EXPIRY_SLACK_MS = 20;

/** How many closed session ids are remembered (id → fingerprint), so a late request on one is told apart from a guess. */
const CLOSED_REMEMBERED = 10_000;

/** Busy: a request in flight or the standalone stream open. Eviction only ever takes idle sessions. */
const isIdle = (s: Session): boolean => s.transport.inFlight === 0 && !s.transport.hasStream;

function leastRecentlyUsedIdle(sessions: Iterable<Session>): Session | undefined {
  let found: Session | undefined;
  for (const s of sessions) if (isIdle(s) && (!found || s.lastSeen < found.lastSeen)) found = s;
  return found;
}

export class SessionRegistry {
  readonly #sessions = new Map<string, Session>();
  readonly #closed = new BoundedMap<string, string>(CLOSED_REMEMBERED);
  /** Sessions by the fingerprint that owns them. */
  readonly #owned = new Map<string, Set<Session>>();
  readonly #expiry = new Map<string, NodeJS.Timeout>();
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

  async open(identity: Identity): Promise<Opened> {
    const mine = this.#owned.get(identity.fingerprint);
    if (mine && mine.size >= this.o.maxPerIdentity) {
      const victim = leastRecentlyUsedIdle(mine);
      if (!victim) return { refused: "identity_session_limit" };
      await this.close(victim.id, "identity_limit");
    }
    let overCap = false;
    if (this.#sessions.size >= this.o.maxTotal) {
      const victim = this.#capacityVictim();
      if (victim) await this.close(victim.id, "capacity");
      // Everything busy: one who holds nothing still gets in, so no one is locked out by others'
      // sessions (the cap is exceeded by at most one session per certificate, each a valid one).
      else if ((this.#owned.get(identity.fingerprint)?.size ?? 0) > 0) return { refused: "too_many_sessions" };
      else overCap = true;
    }
    const id = randomUUID();
    const transport = new SessionTransport(id, (c) => {
      const current = this.#sessions.get(id);
      if (current) this.o.onCompleted(current, c);
    });
    const server = this.o.createServer(transport);
    const now = this.#now();
    const session: Session = { id, server, transport, fingerprint: identity.fingerprint, spiffeId: identity.spiffeId, serial: identity.serial, openedAt: now, notAfter: identity.notAfter.getTime(), lastSeen: now };
    await server.connect(transport);
    this.#sessions.set(id, session);
    let owned = this.#owned.get(identity.fingerprint);
    if (!owned) this.#owned.set(identity.fingerprint, (owned = new Set()));
    owned.add(session);
    this.#armExpiry(session);
    const logged = { event: "mcp.session", action: "open", session: id.slice(0, 8), spiffeId: identity.spiffeId, serial: identity.serial };
    if (overCap) this.o.log.warn({ ...logged, overCap, sessions: this.#sessions.size, maxSessions: this.o.maxTotal }, "session opened above the cap: every session is busy");
    else this.o.log.info(logged, "session opened");
    return { session };
  }

  /** An idle session of the certificate holding the most sessions, least recently used first. */
  #capacityVictim(): Session | undefined {
    let victim: Session | undefined;
    let victimHeld = 0;
    for (const owned of this.#owned.values()) {
      if (owned.size < victimHeld) continue;
      const candidate = leastRecentlyUsedIdle(owned);
      if (!candidate) continue;
      if (owned.size > victimHeld || !victim || candidate.lastSeen < victim.lastSeen) {
        victim = candidate;
        victimHeld = owned.size;
      }
    }
    return victim;
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
    clearTimeout(this.#expiry.get(id));
    this.#expiry.delete(id);
    const owned = this.#owned.get(session.fingerprint);
    owned?.delete(session);
    if (owned?.size === 0) this.#owned.delete(session.fingerprint);
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

  /** Ends the calls in flight and GET streams whose certificate is now refused (revoked, expired, or every one under a stale CRL). */
  endRefused(trigger: string): number {
    let ended = 0;
    for (const s of this.#sessions.values()) ended += this.#endRefusedIn(s, trigger);
    return ended;
  }

  #endRefusedIn(s: Session, trigger: string): number {
    const logged = { reason: "certificate_refused", trigger, session: s.id.slice(0, 8), spiffeId: s.spiffeId, serial: s.serial };
    const calls = s.transport.endRefusedCalls();
    if (calls > 0) this.o.log.warn({ event: "mcp.session", action: "calls_ended", calls, ...logged }, "calls in flight ended: certificate refused");
    const stream = s.transport.endStreamIfRefused();
    if (stream) this.o.log.warn({ event: "mcp.stream", action: "end", ...logged }, "standalone stream ended: certificate refused");
    return calls + (stream ? 1 : 0);
  }

  /** At its certificate's expiry a session's calls and stream end (-32005, expired), and it closes. */
  #armExpiry(session: Session): void {
    const wait = Math.min(Math.max(0, session.notAfter - this.#now() + EXPIRY_SLACK_MS), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      if (!this.#sessions.has(session.id)) return;
      if (this.#now() <= session.notAfter) {
        this.#armExpiry(session);
        return;
      }
      this.#endRefusedIn(session, "expiry");
      void this.close(session.id, "certificate_expired");
    }, wait);
    timer.unref();
    this.#expiry.set(session.id, timer);
  }

  async closeAll(reason: string): Promise<void> {
    clearInterval(this.#timer);
    for (const id of [...this.#sessions.keys()]) await this.close(id, reason);
  }
}
