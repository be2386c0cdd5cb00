// `ca serve`: the CA online over HTTPS. Composition root: its own TLS certificate, the enroll and
// renew routes, the CRL and trust-bundle routes, the CRL republisher and the metrics listener.
// It requests a client certificate (agents renew with mTLS) but never requires one.
import { join } from "node:path";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import { ZtmcpError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { Authority } from "../authority/authority.js";
import { DEFAULT_CRL_VALIDITY_MS } from "../authority/crl-validity.js";
import { writeFileAtomic } from "../tls-files/atomic-file.js";
import { refuse } from "./answer.js";
import { CrlCache } from "./crl-cache.js";
import { startCrlRepublisher } from "./crl-republisher.js";
import { DEFAULT_LIMITS, installIssueRoutes, type IssueLimits } from "./issue-routes.js";
import { CaMetrics } from "./metrics.js";
import { startMetricsServer } from "../common/metrics-server.js";
import { installPublishRoutes } from "./publish-routes.js";
import { issueServerTls, keepServerTlsFresh } from "./server-identity.js";

/** A CSR is under 2 KB, a signed renewal with its chain under 8 KB. */
export const BODY_LIMIT = 32 * 1024;
/** Where `ca serve` records its URL, so `token create` can put it in tokens without a flag. */
export const CA_URL_FILE = "ca-url";

export interface CaServerOptions {
  authority: Authority;
  log: Logger;
  host?: string;
  port?: number;
  /** The URL agents reach this CA at; default https://<host>:<port>. */
  url?: string;
  limits?: Partial<IssueLimits>;
  /** Validity of re-published CRLs (default 7d); they are re-published at half of it. */
  crlValidityMs?: number;
  /** The CA server's own certificate: host name in the store and lifetime. */
  serverName?: string;
  serverTtl?: string;
  /** Serve Prometheus metrics on this port (0: any free one); none when undefined. */
  metricsPort?: number;
  metricsHost?: string;
}

export interface CaServer {
  url: string;
  port: number;
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

const hostForUrl = (h: string) => (h.includes(":") ? `[${h}]` : h);

export async function startCaServer(o: CaServerOptions): Promise<CaServer> {
  const { authority, log } = o;
  const host = o.host ?? "127.0.0.1";
  const port = o.port ?? 9443;
  const rootPem = authority.rootPem();
  const crls = new CrlCache((crl) => authority.files.crlDer(crl));
  const now = authority.clock;
  const metrics = o.metricsPort === undefined ? undefined : new CaMetrics({ crl: (c) => crls.get(c), revoked: () => authority.store.counts().revoked, now });
  // With port 0 the URL is only known after listen; the certificate names the host, not the port.
  const provisionalUrl = new URL(o.url ?? `https://${hostForUrl(host)}:${port}`);
  const identity = { name: o.serverName ?? "ztmcp-ca", url: provisionalUrl, listenHost: host, ttl: o.serverTtl ?? "7d" };
  const tls = await issueServerTls(authority, identity);

  const app = Fastify({
    https: { key: tls.key, cert: tls.cert, ca: rootPem, requestCert: true, rejectUnauthorized: false, minVersion: "TLSv1.2" },
    bodyLimit: BODY_LIMIT,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: true,
  });
  app.setErrorHandler((error: { code?: string; statusCode?: number }, request, reply) => {
    const e =
      error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
        ? new ZtmcpError("REQUEST_TOO_LARGE", `the request body is larger than ${BODY_LIMIT} bytes`, { reason: "too_large" })
        : error.statusCode !== undefined && error.statusCode < 500
          ? new ZtmcpError("REQUEST_INVALID", "the request is not JSON the CA understands", { reason: "bad_request" })
          : error;
    return refuse(reply, log, request.url.startsWith("/renew") ? "ca.renew" : "ca.enroll", e, { remote: request.ip });
  });
  installIssueRoutes(app, { authority, log, limits: { ...DEFAULT_LIMITS, ...o.limits }, metrics });
  installPublishRoutes(app, { crls, rootPem: () => rootPem, now });

  await app.listen({ host, port });
  const server: HttpsServer = app.server;
  const boundPort = (server.address() as AddressInfo).port;
  const url = o.url ?? `https://${hostForUrl(host)}:${boundPort}`;
  writeFileAtomic(join(authority.files.dir, CA_URL_FILE), url + "\n");
  const stopTls = keepServerTlsFresh(authority, identity, server, tls, { ca: rootPem }, log);
  const stopCrls = startCrlRepublisher({ authority, crls, validityMs: o.crlValidityMs ?? DEFAULT_CRL_VALIDITY_MS, log, now });
  const metricsServer = metrics && o.metricsPort !== undefined ? await startMetricsServer({ registry: metrics.registry, host: o.metricsHost, port: o.metricsPort, log }) : undefined;
  const metricsUrl = metricsServer?.url;
  log.info({ event: "ca.serve", action: "started", url, metricsUrl, serverCertificateUntil: tls.notAfter.toISOString() }, "online CA listening");

  let closed: Promise<void> | undefined;
  return {
    url,
    port: boundPort,
    metricsUrl,
    close: () =>
      (closed ??= (async () => {
        stopTls();
        stopCrls();
        await app.close();
        await metricsServer?.close();
        log.info({ event: "ca.serve", action: "stopped" }, "online CA stopped");
      })()),
  };
}
