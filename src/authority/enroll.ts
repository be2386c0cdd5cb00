// Enrollment: a one-time token plus a CSR. The token decides who (name, roles or SANs, lifetime),
// the current policy decides whether that is still allowed, and the CSR contributes its public key
// and nothing else. The token is spent in the transaction that records the certificate, so of two
// enrollments racing on one token exactly one gets a certificate.
import { ZtmcpError } from "../common/errors.js";
import { decodeToken, secretMatches } from "../pki/enrollment-token.js";
import { readCsr } from "../pki/csr.js";
import type { Authority, Issued } from "./authority.js";

export interface EnrollRequest {
  token: string;
  csr: string;
  /** When given, must be the name the token is for. */
  name?: string | undefined;
}

/** TOKEN_INVALID carries a reason for the log; the HTTP answer does not tell which. */
const invalid = (reason: string, id?: string) => new ZtmcpError("TOKEN_INVALID", "the enrollment token is not valid", { reason, ...(id ? { tokenId: id } : {}) });

/** The token's id, or undefined when the string is not a token at all: for rate limits and logs. */
export function tokenIdOf(token: string): string | undefined {
  try {
    return decodeToken(token).id;
  } catch {
    return undefined;
  }
}

export async function enroll(ca: Authority, req: EnrollRequest): Promise<Issued> {
  let presented;
  try {
    presented = decodeToken(req.token);
  } catch {
    throw invalid("malformed");
  }
  const { id } = presented;
  const record = ca.store.findToken(id);
  // The secret is compared before anything about the token is revealed by a different answer.
  if (!record) throw invalid("unknown", id);
  if (!secretMatches(record.hash, presented.secret)) throw invalid("wrong_secret", id);
  const now = ca.clock();
  if (record.usedAt) throw invalid("used", id);
  if (record.expiresAt.getTime() <= now.getTime()) throw invalid("expired", id);
  if (presented.name !== record.name || (req.name !== undefined && req.name !== record.name)) throw invalid("name_mismatch", id);
  const csr = await readCsr(req.csr);
  const external = { type: csr.keyType, publicKey: csr.publicKey, action: "ca.enroll", via: "token", by: `token:${id}`, token: { id, now }, logDetails: { tokenId: id } } as const;
  ca.reloadPolicy();
  if (record.kind === "agent") return await ca.issue({ name: record.name, roles: record.roles, ttl: record.certTtlMs }, external);
  return await ca.issueServer({ name: record.name, dns: record.dns, ips: record.ips, ttl: record.certTtlMs }, external);
}
