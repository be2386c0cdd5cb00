// What an issuance asks for, checked before anything is generated or written: names, roles
// against the policy, lifetimes against the roles' maxTtl, SANs of host certificates.
import { formatDuration, parseDuration } from "../common/duration.js";
import { ZtmcpError } from "../common/errors.js";
import type { KeyType } from "../pki/keys.js";
import type { x509 } from "../pki/crypto-provider.js";
import { parseIp } from "../pki/ip-address.js";
import { describeConstraints, namesOutside, readNameConstraints } from "../pki/name-constraints.js";
import { checkDnsName, checkRole, spiffeId, type Kind } from "../pki/names.js";
import { MAX_ROLES } from "../pki/role-extension.js";
import { maxTtlFor } from "../policy/authorize.js";
import type { Policy } from "../policy/policy.js";

export const DEFAULT_TTL: Record<Kind, string> = { agent: "24h", host: "7d" };

export interface CommonIssueRequest {
  name: string;
  /** A duration ("24h") or milliseconds. Defaults: agents 24h, hosts 7d. */
  ttl?: string | number | undefined;
  keyType?: KeyType | undefined;
  p12?: boolean | undefined;
  /**
   * false: record the certificate and return the key and PEMs without touching certs/
   * (in-process callers and the issuance benchmark). Default true.
   */
  writeFiles?: boolean | undefined;
}

export interface AgentIssueRequest extends CommonIssueRequest {
  roles: readonly string[];
}

export interface HostIssueRequest extends CommonIssueRequest {
  dns?: readonly string[] | undefined;
  ips?: readonly string[] | undefined;
}

export function checkAgentRequest(req: AgentIssueRequest, policy: Policy): { roles: string[]; ttlMs: number } {
  const roles = [...new Set(req.roles.map(checkRole))];
  if (roles.length === 0) throw new ZtmcpError("ROLE_REQUIRED", "an agent certificate needs at least one --role");
  if (roles.length > MAX_ROLES) throw new ZtmcpError("TOO_MANY_ROLES", `at most ${MAX_ROLES} roles`);
  const unknown = roles.filter((r) => !policy.roles.has(r));
  if (unknown.length > 0) {
    throw new ZtmcpError("UNKNOWN_ROLE", `role${unknown.length > 1 ? "s" : ""} ${unknown.map((r) => `"${r}"`).join(", ")} not defined in the policy (defined: ${[...policy.roles.keys()].join(", ")})`);
  }
  const max = maxTtlFor(policy, roles);
  // Without a TTL: the default, shortened to what the roles allow (an admin gets 1h, not an error).
  const ttlMs = req.ttl === undefined ? Math.min(toMs(DEFAULT_TTL.agent), max ?? Infinity) : toMs(req.ttl);
  if (max !== undefined && ttlMs > max) {
    throw new ZtmcpError("TTL_EXCEEDS_MAX", `TTL ${String(req.ttl)} is above the policy's maxTtl for ${roles.join(", ")} (${formatDuration(max)})`, { maxTtlMs: max });
  }
  return { roles, ttlMs };
}

/** SANs in canonical form, duplicates folded (DNS names case-insensitively, addresses by their bytes). */
export function checkHostRequest(req: HostIssueRequest, policy: Policy): { dns: string[]; ips: string[]; ttlMs: number } {
  const dns = [...new Set((req.dns ?? ["localhost"]).map(checkDnsName))];
  const ips = [...new Set((req.ips ?? ["127.0.0.1"]).map((ip) => parseIp(ip).text))];
  const max = policy.hostMaxTtlMs;
  const ttlMs = req.ttl === undefined ? Math.min(toMs(DEFAULT_TTL.host), max) : toMs(req.ttl);
  if (ttlMs > max) throw new ZtmcpError("TTL_EXCEEDS_MAX", `TTL ${String(req.ttl)} is above the policy's hostMaxTtl (${formatDuration(max)})`, { maxTtlMs: max });
  return { dns, ips, ttlMs };
}

/** NAME_NOT_PERMITTED unless every name of the leaf lies within the issuing CA's name constraints. */
export function checkPermitted(issuer: x509.X509Certificate, leaf: { trustDomain: string; kind: Kind; name: string; dns: readonly string[]; ips: readonly string[] }): void {
  const constraints = readNameConstraints(issuer);
  const outside = namesOutside(constraints, { uris: [spiffeId(leaf.trustDomain, leaf.kind, leaf.name)], dns: leaf.dns, ips: leaf.ips.map((ip) => parseIp(ip).bytes), commonName: leaf.name });
  if (constraints && outside.length > 0) {
    const cn = outside.some((n) => n.startsWith("CN:"))
      ? `; a dotted name without DNS SANs is checked as a DNS name by OpenSSL: use a name without dots (${leaf.name.replaceAll(".", "-")}) or one under a permitted DNS suffix`
      : "";
    throw new ZtmcpError(
      "NAME_NOT_PERMITTED",
      `${outside.join(", ")} lies outside the issuing CA's name constraints (${describeConstraints(constraints)}), so relying parties would reject the certificate${cn}. The constraints are fixed at \`ca init\` (--permit-dns, --permit-ip)`,
      { outside },
    );
  }
}

function toMs(ttl: string | number): number {
  if (typeof ttl === "number") {
    if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new ZtmcpError("BAD_DURATION", `TTL must be a positive number of milliseconds: ${ttl}`);
    return ttl;
  }
  return parseDuration(ttl);
}
