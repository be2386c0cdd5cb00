// The mTLS MCP host as an in-process object: `ztmcp serve`, tests and benchmarks all start it
// with startHost(). TLS: fastify over https, TLS ≥ 1.2, client certificates requested and
// judged by the handshake gate (handshake-gate.ts); revocation from our CRLs in memory
// (revocation.ts); RBAC from the live policy; one SDK Server per MCP session. It is the
// composition root: the length is wiring, one line per part, each part in its own module.
import { constants, X509Certificate } from "node:crypto";
import { basename, dirname, join } from "node:path";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { defaultPolicyDocument, loadPolicy, parsePolicy, type Policy, type PolicyDocument } from "../policy/policy.js";
import type { Logger } from "../common/log.js";
import { trustDomainOf } from "../pki/names.js";
import { certificateBlocks } from "../pki/pem.js";
import { readIdentity } from "../tls-files/identity.js";
import { builtinCatalog } from "../gateway/builtin-tools.js";
import type { Catalog, HostView } from "../gateway/catalog.js";
import { HandshakeGate, type GateStats } from "./tls/handshake-gate.js";
import { installJsonParser } from "./http/json-body.js";
import { clientErrorHandler } from "./http/client-error.js";
import { checkStartIdentity, clientTrust, HostIdentity } from "./tls/own-identity.js";
import { IssuerCheck } from "./tls/issuer.js";
import { ConnectionCap } from "./tls/connection-cap.js";
import { LivePolicy } from "./mcp/live-policy.js";
import { DEFAULT_LOCKOUT, HandshakeLockout, type LockoutOptions } from "./tls/lockout.js";
import { installMcpRoutes } from "./http/mcp-route.js";
import { IdentityCache, identityOf } from "./tls/peer-identity.js";
import { RateLimiter } from "./http/rate-limit.js";
import { RequestGuard } from "./http/request-guard.js";
import { RevocationList } from "./revocation/revocation.js";
import { CrlState } from "./revocation/crl-state.js";
import { createSessionServer } from "./mcp/session-server.js";
import { SessionRegistry } from "./mcp/sessions.js";
import type { HostMetrics } from "./metrics.js";
import { crlSources } from "./revocation/sources.js";
import { DEFAULT_LIMITS, requestTimeouts, type HostLimits } from "./limits.js";
import { requestLogger } from "./request-log.js";
import { ZtmcpError } from "../common/errors.js";

export { DEFAULT_LIMITS, type HostLimits } from "./limits.js";

export interface HostOptions {
  host?: string;
  /** 0 picks a free port. Default 8443. */
  port?: number;
  /** certs/<host>: chain.pem (host leaf + intermediate) and key.pem. */
  identityDir: string;
  /** The CA directory, for defaults below (default "ca"). */
  caDir?: string;
  /** Trusted root PEM (default <caDir>/root.pem). The intermediate(s) of the host's own chain are trusted with it, so a client may send its leaf alone. */
  trust?: string;
  /** The online CA (https://host:9443): CRLs fetched from it into the state directory instead of read from caDir. */
  caUrl?: string;
  /** Poll interval of the CA's CRLs (default 2 s). */
  crlFetchIntervalMs?: number;
  /** [root CRL, intermediate CRL(s)], in that order: each is bound to its issuer. Default <caDir>/root.crl.pem and <caDir>/intermediate.crl.pem. */
  crlFiles?: string[];
  crlGraceMs?: number;
  crlRefreshMs?: number;
  /** The host's own state (the last good CRL of each issuer, for rollback protection across restarts). Default <identityDir>/../.host-state/<identity name>. */
  stateDir?: string;
  /** Re-read interval of the host's own identity and trust file, besides file-change events (default 60 s). */
  identityRefreshMs?: number;
  /** Policy file (watched); missing or unreadable → POLICY_UNREADABLE. Without it: `policy`, else the default policy. */
  policyPath?: string;
  policy?: PolicyDocument;
  /** Count Prometheus metrics (default false). */
  metrics?: boolean;
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
  /** Prometheus metrics, when asked for (`metrics: true`; `serve --metrics-port` serves them). */
  readonly metrics: HostMetrics | undefined;
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


function listenError(e: unknown, host: string, port: number): ZtmcpError {
  const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  const hint = code === "EADDRINUSE" ? " (another process listens there: stop it or choose another --port)" : code === "EACCES" ? " (a port below 1024 needs privileges: choose another --port)" : "";
  return new ZtmcpError("LISTEN_FAILED", `cannot listen on ${host}:${String(port)}: ${code}${hint}`, { errno: code });
}

/** certs/<host> → certs/.host-state/<host>: beside the identity, never in the CA's directory; the CA's tools skip dot directories. */
export function defaultStateDir(identityDir: string): string {
  return join(dirname(identityDir), ".host-state", basename(identityDir));
}

export async function startHost(o: HostOptions): Promise<Host> {
  const limits: HostLimits = { ...DEFAULT_LIMITS, ...o.limits };
  const caDir = o.caDir ?? "ca";
  const log = o.log;
  const trustPath = o.trust ?? join(caDir, "root.pem");
  const { cert: chain, key, ca: trust } = readIdentity(o.identityDir, trustPath);
  checkStartIdentity({ cert: chain, key, ca: trust }, o.identityDir);

  const { policy: firstPolicy, watchPath } = initialPolicy(o, chain);
  const policy = new LivePolicy(firstPolicy, watchPath, log);
  // Each CRL file is bound to its issuer: the first to our root, the others to the
  // intermediate(s) in the host's own chain.
  const intermediates = certificateBlocks(chain).slice(1);
  const stateDir = o.stateDir ?? defaultStateDir(o.identityDir);
  const sources = await crlSources({ caDir, crlFiles: o.crlFiles, caUrl: o.caUrl, stateDir, trust, intermediates, fetchIntervalMs: o.crlFetchIntervalMs, onFetched: () => revocation.reload(), log });
  const [rootCrl, ...intermediateCrls] = sources.files;
  const revocation = new RevocationList({
    crls: [
      ...(rootCrl === undefined ? [] : [{ path: rootCrl, issuers: certificateBlocks(trust) }]),
      ...intermediateCrls.map((path) => ({ path, issuers: intermediates })),
    ],
    graceMs: o.crlGraceMs ?? 0,
    state: CrlState.open(stateDir),
    refreshMs: o.crlRefreshMs ?? 60_000,
    log,
    // A certificate revoked (or expired) since loses its calls in flight and its GET stream now, not at their next write.
    onReload: () => sessions.endRefused("crl_reload"),
  });
  try {
    revocation.start();
  } catch (e) {
    await sources.close();
    throw e;
  }
  sources.fetcher?.start();

  const gate = new HandshakeGate({
    identities: new IdentityCache(),
    issuers: new IssuerCheck(intermediates.map((pem) => new X509Certificate(pem))),
    revocation,
    lockout: new HandshakeLockout({ ...DEFAULT_LOCKOUT, ...o.lockout }),
    connections: new ConnectionCap(limits.maxConnectionsPerIdentity),
    trustDomain: () => policy.current.trustDomain,
    onOutcome: (outcome, reason) => metrics?.handshake(outcome, reason),
    log,
  });
  const guard = new RequestGuard({ gate, revocation, policy: () => policy.current, limiter: new RateLimiter(), log });
  const ownCatalog = o.catalog === undefined;
  const catalog = o.catalog ?? builtinCatalog();
  // prom-client (~10 MB of the host's memory) only when metrics are served.
  const metrics = !o.metrics ? undefined : new (await import("./metrics.js")).HostMetrics({
    sessions: () => sessions.size,
    crls: () => revocation.status().files.map((f, i) => ({ issuer: i === 0 && rootCrl !== undefined ? "root" : "intermediate", crlNumber: f.crlNumber === undefined ? undefined : BigInt(f.crlNumber), thisUpdate: new Date(f.thisUpdate) })),
    ownCertificateNotAfter: () => identity.notAfter,
    upstreams: () => catalog.health?.() ?? [],
  });
  let closing = false;

  const hostView: HostView = { sessions: () => sessions.summaries(), revocation: () => revocation.status() };
  const sessions: SessionRegistry = new SessionRegistry({
    idleMs: limits.sessionIdleMs,
    maxPerIdentity: limits.maxSessionsPerIdentity,
    maxTotal: limits.maxSessions,
    log,
    createServer: (transport) => createSessionServer({ catalog, policy: () => policy.current, host: hostView }, transport),
    onCompleted: requestLogger(log, catalog, metrics),
  });

  // rejectUnauthorized: false on purpose: the gate rejects, with a reason (see handshake-gate.ts).
  // No `crl` option: revocation is the in-memory set (DESIGN.md, "Why not OpenSSL's CRL check").
  // No renegotiation: a TLS 1.2 renegotiation could present another certificate than the one
  // the gate judged, and each one costs the host a handshake. Forward-secret suites only (TLS 1.3;
  // TLS 1.2 with ECDHE): no RSA key transport, which host certificates (no keyEncipherment) do not allow.
  const context = {
    minVersion: "TLSv1.2",
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
    ciphers: "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
  } as const;
  const app = Fastify({
    https: { ...context, key, cert: chain, ca: clientTrust({ cert: chain, key, ca: trust }), requestCert: true, rejectUnauthorized: false, handshakeTimeout: limits.handshakeTimeoutMs, ...requestTimeouts(limits) },
    requestTimeout: limits.requestTimeoutMs,
    clientErrorHandler: clientErrorHandler(log, (socket) => guard.identityOn(socket)),
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

  const hostName = o.host ?? "127.0.0.1";
  try {
    await app.listen({ host: hostName, port: o.port ?? 8443 });
  } catch (e) {
    // Nothing may outlive a host that never started: timers, watches, upstream processes.
    revocation.stop();
    await sources.close();
    await app.close().catch(() => undefined);
    if (ownCatalog) await catalog.close();
    throw listenError(e, hostName, o.port ?? 8443);
  }
  policy.watch();
  identity.start();
  const port = (server.address() as AddressInfo).port;
  const url = `https://${hostName.includes(":") ? `[${hostName}]` : hostName}:${port}/mcp`;
  log.info({ event: "host.start", url, policy: watchPath, crls: revocation.status().files.map((f) => f.path) }, "mTLS MCP host listening");

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing = true;
      log.info({ event: "host.stop" }, "stopping: no new connections, finishing in-flight requests");
      sessions.endStreams();
      gate.close();
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
      await sources.close();
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
    metrics,
    stats: () => ({ handshakes: { ...gate.stats }, sessions: sessions.size, revokedSerials: revocation.status().revokedSerials }),
    get policy() {
      return policy.current;
    },
  };
}
