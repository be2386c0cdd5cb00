// `token create`: a one-time enrollment token bound to a name, its roles (or a host's SANs) and the
// lifetime of the certificate it buys. Checked against the policy now, and again at enrollment.
import { ZtmcpError } from "../common/errors.js";
import { fingerprint256 } from "../pki/certificate.js";
import { x509 } from "../pki/crypto-provider.js";
import { encodeToken, hashSecret, newTokenSecret } from "../pki/enrollment-token.js";
import { checkName, type Kind } from "../pki/names.js";
import type { TokenRecord } from "../store/store.js";
import type { Authority } from "./authority.js";
import { checkAgentRequest, checkHostRequest, DEFAULT_TTL } from "./issue-request.js";
import { parseDuration } from "../common/duration.js";

export const DEFAULT_TOKEN_TTL = "10m";
/** Longer would make a leaked token a standing credential. */
const MAX_TOKEN_TTL_MS = 7 * 86_400_000;

export interface TokenRequest {
  name: string;
  kind: Kind;
  roles?: readonly string[];
  dns?: readonly string[];
  ips?: readonly string[];
  /** How long the token may be used (default 10m). */
  ttl?: string;
  /** Lifetime of the certificate it buys (agents: ≤ the roles' maxTtl; default as `cert issue`). */
  certTtl?: string;
  /** The CA's URL as agents reach it. */
  url: string;
}

export interface CreatedToken {
  /** Printed once; never stored or logged. */
  token: string;
  id: string;
  name: string;
  kind: Kind;
  roles: readonly string[];
  expiresAt: string;
  certTtlMs: number;
  url: string;
  fingerprint: string;
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ZtmcpError("BAD_URL", `not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "https:") throw new ZtmcpError("BAD_URL", `the CA URL must be https: ${url}`);
  return parsed.origin;
}

export function createToken(ca: Authority, req: TokenRequest): CreatedToken {
  const name = checkName(req.name);
  const url = checkUrl(req.url);
  const ttlMs = parseDuration(req.ttl ?? DEFAULT_TOKEN_TTL);
  if (ttlMs > MAX_TOKEN_TTL_MS) throw new ZtmcpError("BAD_DURATION", "an enrollment token may live at most 7d");
  let roles: string[] = [];
  let dns: string[] = [];
  let ips: string[] = [];
  let certTtlMs: number;
  if (req.kind === "agent") {
    ({ roles, ttlMs: certTtlMs } = checkAgentRequest({ name, roles: req.roles ?? [], ttl: req.certTtl }, ca.reloadPolicy()));
  } else {
    ({ dns, ips, ttlMs: certTtlMs } = checkHostRequest({ name, dns: req.dns, ips: req.ips, ttl: req.certTtl ?? DEFAULT_TTL.host }, ca.reloadPolicy()));
  }
  const now = ca.clock();
  const { id, secret } = newTokenSecret();
  const fingerprint = fingerprint256(new x509.X509Certificate(ca.rootPem()).rawData);
  const record: TokenRecord = { id, hash: hashSecret(secret), name, kind: req.kind, roles, dns, ips, certTtlMs, createdAt: now, expiresAt: new Date(now.getTime() + ttlMs) };
  ca.store.insertToken(record, { action: "ca.token", actor: ca.actorName, subject: name, details: { id, kind: req.kind, roles, dns, ips, certTtlMs, expiresAt: record.expiresAt.toISOString() } });
  ca.logger.info(
    { event: "ca.token", action: "created", actor: ca.actorName, id, name, kind: req.kind, roles, dns, ips, certTtlMs, expiresAt: record.expiresAt.toISOString() },
    "created an enrollment token",
  );
  return { token: encodeToken({ url, fp: fingerprint, name, id, secret }), id, name, kind: req.kind, roles, expiresAt: record.expiresAt.toISOString(), certTtlMs, url, fingerprint };
}
