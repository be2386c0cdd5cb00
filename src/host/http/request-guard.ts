// What every HTTP request on an accepted connection goes through before any MCP work: the
// certificate is re-checked (revoked or expired since the handshake → refused and the
// connection closed), its identity gets the current policy's roles. POSTs pay the identity's
// rate limit once parsed (charge()): one token per JSON-RPC request, so a batch cannot buy 32
// calls for one. Identity always comes from the connection, never from a header.
import type { IncomingMessage } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { FastifyReply, FastifyRequest } from "fastify";
import { effectiveRoles, rateLimitFor } from "../../policy/authorize.js";
import type { Policy } from "../../policy/policy.js";
import type { Logger } from "../../common/log.js";
import type { HandshakeGate, Peer } from "../tls/handshake-gate.js";
import type { Identity } from "../../policy/identity.js";
import { trustDomainOf } from "../../pki/names.js";
import { RPC, rpcErrorBody } from "../../common/jsonrpc-errors.js";
import type { RateLimiter } from "./rate-limit.js";
import type { RevocationList } from "../revocation/revocation.js";

export interface Caller {
  identity: Identity;
  authInfo: AuthInfo;
}

export type AuthedRequest = IncomingMessage & { auth?: AuthInfo; caller?: Caller & { rateLimit: RateLimit | undefined } };

interface Cached extends Caller {
  policy: Policy;
  rateLimit: RateLimit | undefined;
  /** The certificate's SPIFFE trust domain is this policy's (checked on every request and reply). */
  inTrustDomain: boolean;
}

type RateLimit = NonNullable<ReturnType<typeof rateLimitFor>>;

/** The caller worked out for a peer under one policy, kept on the gate's Peer (no WeakMap: see handshake-gate.ts). */
const CALLER = Symbol("ztmcp.caller");
type WithCaller = Peer & { [CALLER]?: Cached };

export interface GuardDeps {
  gate: HandshakeGate;
  revocation: RevocationList;
  policy: () => Policy;
  limiter: RateLimiter;
  log: Logger;
  now?: () => number;
}

export interface Refusal {
  status: number;
  code: number;
  reason: string;
  message: string;
  headers?: Record<string, string>;
  data?: Record<string, unknown>;
  closeConnection?: boolean;
  /** warn by default; a client's normal session lifecycle (no session yet, one it closed) logs lower. */
  level?: "debug" | "info" | "warn";
}

/** Logs the refusal as an `mcp.request` deny and answers with a JSON-RPC error body. */
export function refuse(log: Logger, req: FastifyRequest, reply: FastifyReply, r: Refusal): FastifyReply {
  const caller = (req.raw as AuthedRequest).caller;
  log[r.level ?? "warn"](
    {
      event: "mcp.request",
      decision: "deny",
      reason: r.reason,
      status: r.status,
      httpMethod: req.method,
      spiffeId: caller?.identity.spiffeId,
      serial: caller?.identity.serial,
      remoteAddress: req.socket.remoteAddress,
    },
    "request refused",
  );
  if (r.closeConnection) {
    reply.header("connection", "close");
    reply.raw.once("finish", () => req.raw.socket.destroy());
  }
  return reply
    .code(r.status)
    .headers(r.headers ?? {})
    .send(rpcErrorBody(r.code, r.message, r.data));
}

export class RequestGuard {
  readonly #now: () => number;

  constructor(private readonly d: GuardDeps) {
    this.#now = d.now ?? Date.now;
  }

  /**
   * The same, per certificate: a client that opens a connection per request (a handshake each)
   * does not rebuild its caller every time. Keyed by the identity object, which the gate's cache
   * shares among a certificate's connections: few entries, dropped with the identity.
   */
  readonly #byIdentity = new WeakMap<Identity, Cached>();

  #caller(peer: WithCaller, policy: Policy): Cached {
    const hit = peer[CALLER];
    if (hit?.policy === policy) return hit;
    const shared = this.#byIdentity.get(peer.identity);
    if (shared?.policy === policy) return (peer[CALLER] = shared);
    const base = peer.identity;
    const roles = Object.freeze(effectiveRoles(policy, base.certRoles, base.spiffeId));
    const identity: Identity = Object.freeze({ ...base, roles });
    const authInfo: AuthInfo = {
      token: "",
      clientId: identity.spiffeId ?? identity.fingerprint,
      scopes: [...roles],
      expiresAt: Math.floor(identity.notAfter.getTime() / 1000),
      extra: { serial: identity.serial, fingerprint: identity.fingerprint, identity },
    };
    const cached = { policy, identity, authInfo, rateLimit: rateLimitFor(policy, roles), inTrustDomain: trustDomainOf(base.spiffeId) === policy.trustDomain };
    peer[CALLER] = cached;
    this.#byIdentity.set(base, cached);
    return cached;
  }

  /** Revoked, expired, a stale CRL or (after a policy reload) outside the trust domain: why this connection's certificate is refused now. */
  #verdict(peer: Peer, now: number): string | undefined {
    return (
      this.d.revocation.check(peer.identity.serial, peer.intermediateSerial, now) ??
      (now > peer.identity.notAfter.getTime() ? "expired" : undefined) ??
      (this.#caller(peer, this.d.policy()).inTrustDomain ? undefined : "wrong_trust_domain")
    );
  }

  /** Who is on this connection (for refusals made before a request exists). */
  identityOn(socket: object): Identity | undefined {
    return this.d.gate.peerOf(socket)?.identity;
  }

  /** Why the certificate of an accepted connection is refused now, or undefined while it is good (for replies and streams that outlive their request's check). */
  refusalOn(socket: IncomingMessage["socket"]): string | undefined {
    const peer = this.d.gate.peerOf(socket);
    return peer === undefined ? "no_peer" : this.#verdict(peer, this.#now());
  }

  /** undefined: go on (req.raw.auth and .caller are set); otherwise refuse with this. */
  check(req: FastifyRequest): Refusal | undefined {
    const peer = this.d.gate.peerOf(req.raw.socket);
    if (!peer) return { status: 403, code: RPC.CERTIFICATE_REFUSED, reason: "no_peer", message: "no verified client certificate on this connection", closeConnection: true };
    const now = this.#now();
    const policy = this.d.policy();
    const caller = this.#caller(peer, policy);
    const raw = req.raw as AuthedRequest;
    raw.caller = caller;
    raw.auth = caller.authInfo;
    const verdict = this.#verdict(peer, now);
    if (verdict) {
      return { status: 403, code: RPC.CERTIFICATE_REFUSED, reason: verdict, message: `client certificate refused: ${verdict}`, closeConnection: true };
    }
    return undefined;
  }

  /**
   * `cost` tokens of the caller's rate limit, all or nothing: a batch is admitted or refused
   * whole. Runs after check(), which set req.raw.caller.
   */
  charge(req: FastifyRequest, cost: number): Refusal | undefined {
    const caller = (req.raw as AuthedRequest).caller;
    if (!caller) return undefined;
    // Worked out with the roles, under the policy check() just used.
    const limit = caller.rateLimit;
    if (!limit) return undefined;
    const taken = this.d.limiter.take(caller.authInfo.clientId, limit, this.#now(), cost);
    if (taken.ok) return undefined;
    const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
    return {
      status: 429,
      code: RPC.RATE_LIMITED,
      reason: "rate_limited",
      message: `rate limit of ${limit.max} requests per ${limit.perMs / 1000}s exceeded`,
      headers: { "retry-after": String(seconds) },
      data: { retryAfterSeconds: seconds },
    };
  }
}
