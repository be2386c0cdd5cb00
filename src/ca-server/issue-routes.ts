// POST /enroll and POST /renew: the two ways to get a certificate from `ca serve`. Bodies are
// validated by schema, rate-limited (per token, per address, per presented certificate) before
// any CSR is parsed, then handed to the authority, which decides.
import type { TLSSocket } from "node:tls";
import type { X509Certificate } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ZtmcpError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import { RateLimiter, type Limit } from "../common/rate-limit.js";
import type { Authority, Issued } from "../authority/authority.js";
import { enroll, tokenIdOf } from "../authority/enroll.js";
import { renew } from "../authority/renew.js";
import { verifyRenewRequest } from "../pki/renew-request.js";
import { reasonOf, refuse } from "./answer.js";
import type { CaMetrics } from "./metrics.js";
import { enrollBody, renewBody, validated } from "./schemas.js";

export interface IssueLimits {
  /** Enrollment attempts per token id. */
  perToken: Limit;
  /** Enrollment attempts per client address (token guessing draws a new id every time). */
  perAddress: Limit;
  /** Renewal attempts per presented certificate. */
  perCertificate: Limit;
}

export const DEFAULT_LIMITS: IssueLimits = {
  perToken: { max: 5, perMs: 60_000 },
  perAddress: { max: 30, perMs: 60_000 },
  perCertificate: { max: 3, perMs: 60_000 },
};

export interface IssueRoutes {
  authority: Authority;
  log: Logger;
  limits: IssueLimits;
  metrics: CaMetrics | undefined;
}

const answer = (i: Issued) => ({
  name: i.name,
  kind: i.kind,
  roles: i.roles,
  serial: i.serial,
  spiffeId: i.spiffeId,
  notBefore: i.notBefore,
  notAfter: i.notAfter,
  certificate: i.certPem,
  chain: i.chainPem,
  ca: i.caPem,
});

function take(limiter: RateLimiter, key: string, limit: Limit, now: number): void {
  const t = limiter.take(key, limit, now);
  if (!t.ok) throw new ZtmcpError("RATE_LIMITED", "too many requests; retry later", { reason: "rate_limited", retryAfterMs: t.retryAfterMs });
}

/** The client certificate of an mTLS connection; proof of its key is the TLS handshake itself. */
function peerCertificate(request: FastifyRequest): X509Certificate | undefined {
  const socket: unknown = request.raw.socket;
  return (socket as TLSSocket).getPeerX509Certificate();
}

export function installIssueRoutes(app: FastifyInstance, o: IssueRoutes): void {
  const limiter = new RateLimiter(10_000);
  const now = () => o.authority.clock().getTime();

  app.post("/enroll", async (request, reply) => {
    const remote = request.ip;
    let tokenId: string | undefined;
    try {
      take(limiter, `addr:${remote}`, o.limits.perAddress, now());
      const body = validated(enrollBody, request.body);
      tokenId = tokenIdOf(body.token);
      if (tokenId) take(limiter, `token:${tokenId}`, o.limits.perToken, now());
      const issued = await enroll(o.authority, body);
      o.metrics?.tokens.inc({ outcome: "accepted" });
      o.metrics?.issued.inc({ kind: issued.kind, via: "token" });
      return await reply.code(201).send(answer(issued));
    } catch (e) {
      if (e instanceof ZtmcpError && e.code === "TOKEN_INVALID") o.metrics?.tokens.inc({ outcome: reasonOf(e) });
      if (e instanceof ZtmcpError && e.code === "RATE_LIMITED") o.metrics?.rateLimited.inc({ endpoint: "enroll" });
      return refuse(reply, o.log, "ca.enroll", e, { remote, tokenId });
    }
  });

  app.post("/renew", async (request, reply) => {
    const remote = request.ip;
    let presented: X509Certificate | undefined;
    try {
      const body = validated(renewBody, request.body);
      let csr: string;
      let via: "mtls" | "signed-request";
      if ("csr" in body) {
        presented = peerCertificate(request);
        if (!presented) throw new ZtmcpError("RENEW_REFUSED", "renew over mTLS with the current certificate, or send a signed request", { reason: "no_certificate" });
        ({ csr } = body);
        via = "mtls";
      } else {
        const checked = verifyRenewRequest(body, o.authority.clock());
        presented = checked.leaf;
        csr = checked.csr;
        via = "signed-request";
      }
      take(limiter, `cert:${presented.fingerprint256}`, o.limits.perCertificate, now());
      const issued = await renew(o.authority, { current: presented, csr, via });
      o.metrics?.renewals.inc({ outcome: "renewed" });
      o.metrics?.issued.inc({ kind: issued.kind, via });
      return await reply.code(201).send(answer(issued));
    } catch (e) {
      o.metrics?.renewals.inc({ outcome: e instanceof ZtmcpError ? reasonOf(e) : "internal" });
      if (e instanceof ZtmcpError && e.code === "RATE_LIMITED") o.metrics?.rateLimited.inc({ endpoint: "renew" });
      return refuse(reply, o.log, "ca.renew", e, { remote, serial: presented?.serialNumber, subject: presented?.subject.replace(/\n/g, ", ") });
    }
  });
}
