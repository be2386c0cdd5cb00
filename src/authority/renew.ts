// Renewal: the holder of a current certificate (proved by mTLS, or by a request signed with its
// key, pki/renew-request.ts) gets a new one for a new key. Name and kind are carried over; an
// agent's roles are re-checked against the policy as it is now (a role the policy no longer
// defines is dropped, and with none left there is nothing to renew); the lifetime stays what it
// was, capped by the roles' maxTtl. Expired, revoked or foreign: refused, enroll again.
import { X509Certificate } from "node:crypto";
import { ZtmcpError } from "../common/errors.js";
import { readCsr } from "../pki/csr.js";
import { normalizeSerial } from "../pki/serial.js";
import { maxTtlFor } from "../policy/authorize.js";
import type { Authority, Issued } from "./authority.js";
import { BACKDATE_MS } from "./init.js";

export interface RenewRequest {
  /** The certificate presented (mTLS peer certificate, or chain[0] of a signed request). */
  current: X509Certificate;
  csr: string;
  via: "mtls" | "signed-request";
  /** Keep the same key (off by default: a renewal rotates the key). */
  allowSameKey?: boolean;
}

const refuse = (reason: string, message: string) => new ZtmcpError("RENEW_REFUSED", message, { reason });

/** The certificate's own SANs, as Node prints them ("DNS:a, IP Address:1.2.3.4, URI:…"). */
function sans(cert: X509Certificate): { dns: string[]; ips: string[] } {
  const parts = (cert.subjectAltName ?? "").split(/,\s*/);
  return {
    dns: parts.filter((p) => p.startsWith("DNS:")).map((p) => p.slice(4)),
    ips: parts.filter((p) => p.startsWith("IP Address:")).map((p) => p.slice(11)),
  };
}

export async function renew(ca: Authority, req: RenewRequest): Promise<Issued> {
  const now = ca.clock();
  const issuing = new X509Certificate(Buffer.from((await ca.issuingCertificate()).rawData));
  if (!req.current.checkIssued(issuing) || !req.current.verify(issuing.publicKey)) throw refuse("foreign", "the certificate was not issued by this CA");
  const serial = normalizeSerial(req.current.serialNumber);
  const record = ca.store.findBySerial(serial);
  if (!record || record.fingerprint !== req.current.fingerprint256) throw refuse("unknown", `certificate ${serial} is not in this CA's records`);
  if (record.revokedAt) throw refuse("revoked", `certificate ${serial} is revoked`);
  if (record.notAfter.getTime() <= now.getTime()) throw refuse("expired", `certificate ${serial} expired at ${record.notAfter.toISOString()}`);
  const csr = await readCsr(req.csr);
  const currentSpki = req.current.publicKey.export({ format: "der", type: "spki" });
  if (!req.allowSameKey && csr.spki.equals(currentSpki)) throw new ZtmcpError("KEY_REUSED", "a renewal must bring a new key");
  const lifetime = record.notAfter.getTime() - record.notBefore.getTime() - BACKDATE_MS;
  const external = { type: csr.keyType, publicKey: csr.publicKey, action: "ca.renew", via: req.via, by: `serial:${serial}` } as const;
  const policy = ca.reloadPolicy();
  if (record.kind === "host") {
    const { dns, ips } = sans(req.current);
    return await ca.issueServer({ name: record.name, dns, ips, ttl: lifetime }, { ...external, logDetails: { previous: serial } });
  }
  const roles = record.roles.filter((r) => policy.roles.has(r));
  const dropped = record.roles.filter((r) => !policy.roles.has(r));
  if (roles.length === 0) throw refuse("no_roles", `none of ${record.roles.join(", ")} is defined in the policy any more`);
  const ttl = Math.min(lifetime, maxTtlFor(policy, roles) ?? Infinity);
  return await ca.issue({ name: record.name, roles, ttl }, { ...external, logDetails: { previous: serial, ...(dropped.length > 0 ? { droppedRoles: dropped } : {}) } });
}
