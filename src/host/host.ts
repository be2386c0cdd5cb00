// The mTLS MCP host as an in-process object: `ztmcp serve`, tests and benchmarks all start it
// with startHost(). TLS: fastify over https, TLS ≥ 1.2, client certificates requested and
// judged by the handshake gate (handshake-gate.ts); revocation from our CRLs in memory
// (revocation.ts); RBAC from the live policy; one SDK Server per MCP session.
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { defaultPolicyDocument, loadPolicy, parsePolicy, type Policy, type PolicyDocument } from "../policy/policy.js";
import type { Logger } from "../common/log.js";
import { trustDomainOf } from "../pki/names.js";
import { certificateBlocks } from "../pki/pem.js";
import { readIdentity } from "../tls-files/mtls-fetch.js";
import { builtinCatalog } from "../gateway/builtin-tools.js";
import { upstreamOf } from "../gateway/gateway.js";
import type { Catalog, HostView } from "../gateway/catalog.js";
import { HandshakeGate, type GateStats } from "./tls/handshake-gate.js";
import { installJsonParser } from "./http/json-body.js";
import { HostIdentity } from "./tls/own-identity.js";
import { LivePolicy } from "./mcp/live-policy.js";
import { DEFAULT_LOCKOUT, HandshakeLockout, type LockoutOptions } from "./tls/lockout.js";
import { installMcpRoutes } from "./http/mcp-route.js";
import { IdentityCache, identityOf } from "./tls/peer-identity.js";
import { RateLimiter } from "./http/rate-limit.js";
import { RequestGuard } from "./http/request-guard.js";
import { RevocationList } from "./revocation/revocation.js";
import { createSessionServer } from "./mcp/session-server.js";
import { SessionRegistry } from "./mcp/sessions.js";

export interface HostLimits {
  /** Request body limit in bytes (default 1 MiB → 413 above it). */
  bodyBytes: number;
  /** JSON-RPC messages in one batch (default 32). */
  maxBatch: number;
  /** Array/object nesting in a body (default 32). */
  maxDepth: number;
  sessionIdleMs: number;
  maxSessions: number;
  maxSessionsPerIdentity: number;
  handshakeTimeoutMs: number;
  /** How long close() waits for in-flight requests before cutting connections. */
  drainMs: number;
}

export const DEFAULT_LIMITS: HostLimits = {
  bodyBytes: 1024 * 1024,
  maxBatch: 32,
  maxDepth: 32,
  sessionIdleMs: 15 * 60_000,
  maxSessions: 10_000,
  maxSessionsPerIdentity: 64,
  handshakeTimeoutMs: 10_000,
  drainMs: 10_000,
};

export interface HostOptions {
  host?: string;
  /** 0 picks a free port. Default 8443. */
  port?: number;
  /** certs/<host>: chain.pem (host leaf + intermediate) and key.pem. */
  identityDir: string;
  /** The CA directory, for defaults below (default "ca"). */
  caDir?: string;
  /** Trusted root PEM (default <caDir>/root.pem). Only our root: clients send leaf + intermediate. */
  trust?: string;
  /** [root CRL, intermediate CRL(s)], in that order: each is bound to its issuer. Default <caDir>/root.crl.pem and <caDir>/intermediate.crl.pem. */
  crlFiles?: string[];
  crlGraceMs?: number;
  crlRefreshMs?: number;
  /** Re-read interval of the host's own identity and trust file, besides file-change events (default 60 s). */
  identityRefreshMs?: number;
  /** Policy file (watched); missing or unreadable → POLICY_UNREADABLE. Without it: `policy`, else the default policy. */
  policyPath?: string;
  policy?: PolicyDocument;
  /** What to serve (default: the built-in tools). A given catalog is not closed by the host. */
  catalog?: Catalog;
  log: Logger;
  lockout?: Partial<LockoutOptions>;
  limits?: Partial<HostLimits>;
}

export interface HostStats {
  handshakes: GateStats;
  sessions: number;
  revokedSerials: number;
}

export interface Host {
  url: string;
  port: number;
  server: HttpsServer;
  app: FastifyInstance;
  /** Stop accepting, finish in-flight requests (up to limits.drainMs), close sessions. */
  close(): Promise<void>;
  reloadPolicy(): boolean;
  reloadCrls(): boolean;
  /** Re-reads the host's own certificate, key and trust file; true when new handshakes now get a new one. */
  reloadIdentity(): boolean;
  stats(): HostStats;
  readonly policy: Policy;
}

function initialPolicy(o: HostOptions, hostChain: string): { policy: Policy; watchPath: string | undefined } {
  // Fail closed: a configured policy file that is missing or unreadable stops the host
  // (POLICY_UNREADABLE), never silently swaps in the broader default policy.
  if (o.policyPath !== undefined) return { policy: loadPolicy(o.policyPath), watchPath: o.policyPath };
  if (o.policy) return { policy: parsePolicy(JSON.stringify(o.policy), "policy option"), watchPath: undefined };
  const trustDomain = trustDomainOf(identityOf(new X509Certificate(hostChain)).spiffeId) ?? "mesh.local";
  o.log.warn({ event: "policy.default", trustDomain }, "no policy configured: serving with the default policy");
  return { policy: parsePolicy(JSON.stringify(defaultPolicyDocument(trustDomain)), "default policy"), watchPath: undefined };
}


export async function startHost(o: HostOptions): Promise<Host> {
  const limits: HostLimits = { ...DEFAULT_LIMITS, ...o.limits };
  const caDir = o.caDir ?? "ca";
  const log = o.log;
  const trustPath = o.trust ?? join(caDir, "root.pem");
  const { cert: chain, key, ca: trust } = readIdentity(o.identityDir, trustPath);

  const { policy: firstPolicy, watchPath } = initialPolicy(o, chain);
  const policy = new LivePolicy(firstPolicy, watchPath, log);
  // Each CRL file is bound to its issuer: the first to our root, the others to the
  // intermediate(s) in the host's own chain.
  const [rootCrl, ...intermediateCrls] = o.crlFiles ?? [join(caDir, "root.crl.pem"), join(caDir, "intermediate.crl.pem")];
  const intermediates = certificateBlocks(chain).slice(1);
  const revocation = new RevocationList({
    crls: [
      ...(rootCrl === undefined ? [] : [{ path: rootCrl, issuers: certificateBlocks(trust) }]),
      ...intermediateCrls.map((path) => ({ path, issuers: intermediates })),
    ],
    graceMs: o.crlGraceMs ?? 0,
    refreshMs: o.crlRefreshMs ?? 60_000,
    log,
    // A certificate revoked (or expired) since its GET stream opened loses it now, not at the next notification.
    onReload: () => sessions.endRefusedStreams("crl_reload"),
  });
  revocation.start();

  const gate = new HandshakeGate({ identities: new IdentityCache(), revocation, lockout: new HandshakeLockout({ ...DEFAULT_LOCKOUT, ...o.lockout }), log });
  const guard = new RequestGuard({ gate, revocation, policy: () => policy.current, limiter: new RateLimiter(), log });
  const ownCatalog = o.catalog === undefined;
  const catalog = o.catalog ?? builtinCatalog();
  let closing = false;

  const hostView: HostView = { sessions: () => sessions.summaries(), revocation: () => revocation.status() };
  const sessions: SessionRegistry = new SessionRegistry({
    idleMs: limits.sessionIdleMs,
    maxPerIdentity: limits.maxSessionsPerIdentity,
    maxTotal: limits.maxSessions,
    log,
    createServer: (transport) => createSessionServer({ catalog, policy: () => policy.current, host: hostView }, transport),
    onCompleted: (session, c) => {
      const identity = c.auth?.extra?.identity as { spiffeId?: string; serial?: string } | undefined;
      log.info(
        {
          event: "mcp.request",
          spiffeId: identity?.spiffeId,
          serial: identity?.serial,
          session: session.id.slice(0, 8),
          method: c.method,
          ...(c.method === "tools/call" ? { tool: c.target } : c.target !== undefined ? { target: c.target } : {}),
          upstream: c.target === undefined ? undefined : upstreamOf(catalog, c.target, c.method === "resources/read" ? "uri" : "name"),
          // Only for roles with `"audit": "arguments"`; under a key the logger's redaction keeps.
          auditArguments: c.auditArguments,
          decision: c.decision,
          reason: c.reason,
          rpcId: c.id,
          errorCode: c.errorCode,
          latencyMs: Number(process.hrtime.bigint() - c.startedAt) / 1e6,
        },
        "mcp request",
      );
    },
  });

  // rejectUnauthorized: false on purpose: the gate rejects, with a reason (see handshake-gate.ts).
  // No `crl` option: revocation is the in-memory set (DESIGN.md, "Why not OpenSSL's CRL check").
  // Forward-secret suites only (TLS 1.3; TLS 1.2 with ECDHE): no RSA key transport, which host certificates (no keyEncipherment) do not allow.
  const context = { minVersion: "TLSv1.2", ciphers: "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305" } as const;
  const app = Fastify({
    https: { ...context, key, cert: chain, ca: trust, requestCert: true, rejectUnauthorized: false, handshakeTimeout: limits.handshakeTimeoutMs },
    bodyLimit: limits.bodyBytes,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: "idle",
  });
  const server: HttpsServer = app.server;
  gate.install(server);
  const identity = new HostIdentity({ dir: o.identityDir, trustPath, server, context, initial: { cert: chain, key, ca: trust }, refreshMs: o.identityRefreshMs, log });
  installJsonParser(app, limits.maxDepth);
  installMcpRoutes(app, { guard, sessions, log, maxBatch: limits.maxBatch, bodyLimit: limits.bodyBytes, closing: () => closing });

  await app.listen({ host: o.host ?? "127.0.0.1", port: o.port ?? 8443 });
  policy.watch();
  identity.start();
  const port = (server.address() as AddressInfo).port;
  const hostName = o.host ?? "127.0.0.1";
  const url = `https://${hostName.includes(":") ? `[${hostName}]` : hostName}:${port}/mcp`;
  log.info({ event: "host.start", url, policy: watchPath, crls: revocation.status().files.map((f) => f.path) }, "mTLS MCP host listening");

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing = true;
      log.info({ event: "host.stop" }, "stopping: no new connections, finishing in-flight requests");
      sessions.endStreams();
      const drained = app.close();
      // Connections busy when close() began become idle as their requests finish: close them
      // then, rather than waiting out keep-alive; whatever is left after drainMs is cut.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const timer = setTimeout(() => server.closeAllConnections(), limits.drainMs);
      await drained;
      clearInterval(sweep);
      clearTimeout(timer);
      await sessions.closeAll("shutdown");
      revocation.stop();
      policy.stop();
      identity.stop();
      if (ownCatalog) await catalog.close();
      log.info({ event: "host.stopped" }, "host stopped");
    })());

  return {
    url,
    port,
    server,
    app,
    close,
    reloadPolicy: () => policy.reload("api"),
    reloadCrls: () => revocation.reload(),
    reloadIdentity: () => identity.reload("api"),
    stats: () => ({ handshakes: { ...gate.stats }, sessions: sessions.size, revokedSerials: revocation.status().revokedSerials }),
    get policy() {
      return policy.current;
    },
  };
}
