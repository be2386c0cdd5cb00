// How certificate records map to rows of the `certificates` table, both ways.
import type { Kind } from "../pki/names.js";
import type { KeyType } from "../pki/keys.js";
import type { RevocationReason } from "../pki/crl.js";
import type { CertRecord } from "./store.js";

export const SUMMARY_COLUMNS = "serial, name, kind, roles, subject, spiffe_id, key_type, not_before, not_after, issued_at, fingerprint, revoked_at, reason, invalidity_date";

export interface CertRow {
  serial: string;
  name: string;
  kind: string;
  roles: string;
  subject: string;
  spiffe_id: string;
  key_type: string;
  not_before: number;
  not_after: number;
  issued_at: number;
  fingerprint: string;
  cert_pem: string;
  revoked_at: number | null;
  reason: string | null;
  invalidity_date: number | null;
}

export const fromRow = (r: CertRow): CertRecord => ({
  serial: r.serial,
  name: r.name,
  kind: r.kind as Kind,
  roles: JSON.parse(r.roles) as string[],
  subject: r.subject,
  spiffeId: r.spiffe_id,
  keyType: r.key_type as KeyType,
  notBefore: new Date(r.not_before),
  notAfter: new Date(r.not_after),
  issuedAt: new Date(r.issued_at),
  fingerprint: r.fingerprint,
  certPem: r.cert_pem,
  revokedAt: r.revoked_at === null ? undefined : new Date(r.revoked_at),
  reason: (r.reason ?? undefined) as RevocationReason | undefined,
  ...(r.invalidity_date === null ? {} : { invalidityDate: new Date(r.invalidity_date) }),
});

export const toRow = (c: CertRecord): CertRow => ({
  serial: c.serial,
  name: c.name,
  kind: c.kind,
  roles: JSON.stringify(c.roles),
  subject: c.subject,
  spiffe_id: c.spiffeId,
  key_type: c.keyType,
  not_before: c.notBefore.getTime(),
  not_after: c.notAfter.getTime(),
  issued_at: c.issuedAt.getTime(),
  fingerprint: c.fingerprint,
  cert_pem: c.certPem,
  revoked_at: c.revokedAt?.getTime() ?? null,
  reason: c.reason ?? null,
  invalidity_date: c.invalidityDate?.getTime() ?? null,
});

