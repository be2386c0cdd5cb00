// How a recorded certificate is shown to callers: plain strings and its current status.
import type { RevocationReason } from "../pki/crl.js";
import type { KeyType } from "../pki/keys.js";
import type { Kind } from "../pki/names.js";
import { statusOf, type CertStatus, type CertSummary } from "../store/store.js";
import type { CertFile } from "../tls-files/cert-dir.js";

export interface CertView {
  name: string;
  kind: Kind;
  roles: readonly string[];
  serial: string;
  subject: string;
  spiffeId: string;
  keyType: KeyType;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  status: CertStatus;
  revokedAt?: string | undefined;
  reason?: RevocationReason | undefined;
  invalidityDate?: string | undefined;
  fingerprint: string;
}

export interface Issued extends CertView {
  /** certs/<name> when files were written. */
  dir: string | undefined;
  files: Partial<Record<CertFile, string>>;
  keyPem: string;
  certPem: string;
  chainPem: string;
  caPem: string;
  /** The .p12 password when ztmcp generated it: shown to the caller once, stored nowhere. */
  p12Password?: string | undefined;
}

export function viewOf(r: CertSummary, now: Date): CertView {
  return {
    name: r.name,
    kind: r.kind,
    roles: r.roles,
    serial: r.serial,
    subject: r.subject,
    spiffeId: r.spiffeId,
    keyType: r.keyType,
    notBefore: r.notBefore.toISOString(),
    notAfter: r.notAfter.toISOString(),
    issuedAt: r.issuedAt.toISOString(),
    status: statusOf(r, now),
    ...(r.revokedAt ? { revokedAt: r.revokedAt.toISOString(), reason: r.reason } : {}),
    ...(r.invalidityDate ? { invalidityDate: r.invalidityDate.toISOString() } : {}),
    fingerprint: r.fingerprint,
  };
}
