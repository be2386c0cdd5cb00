// What the CA remembers: issued certificates, revocations, CRL numbers and the audit trail.
// The authority only talks to this interface; sqlite.ts implements it, a PostgreSQL store could too.
import type { Kind } from "../pki/names.js";
import type { KeyType } from "../pki/keys.js";
import type { RevocationReason } from "../pki/crl.js";

/** Fixed at `ca init`; never changes afterwards. */
export interface CaSettings {
  org: string;
  trustDomain: string;
  keyType: KeyType;
  crlUrl: string | undefined;
  createdAt: Date;
}

export interface CertRecord {
  /** Uppercase hex, as pki/serial.ts produces it. */
  serial: string;
  name: string;
  kind: Kind;
  roles: readonly string[];
  subject: string;
  spiffeId: string;
  keyType: KeyType;
  notBefore: Date;
  notAfter: Date;
  issuedAt: Date;
  fingerprint: string;
  certPem: string;
  revokedAt?: Date | undefined;
  reason?: RevocationReason | undefined;
  invalidityDate?: Date | undefined;
}

/** A record without its PEM: what listing many certificates needs. */
export type CertSummary = Omit<CertRecord, "certPem">;

export type CertStatus = "valid" | "expired" | "revoked";

export function statusOf(record: CertSummary, now: Date): CertStatus {
  if (record.revokedAt) return "revoked";
  return record.notAfter.getTime() <= now.getTime() ? "expired" : "valid";
}

export type CrlName = "root" | "intermediate";

export interface CrlState {
  /** The highest CRL number handed out (a revocation reserves the next one). */
  assigned: bigint;
  /** The number of the CRL last written to disk. */
  published: bigint;
}

export interface AuditEntry {
  action: string;
  actor: string;
  serial?: string | undefined;
  subject?: string | undefined;
  details?: Record<string, unknown>;
}

export interface RevokedEntry {
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
  invalidityDate?: Date | undefined;
}

export interface RowCounts {
  certificates: number;
  revoked: number;
  audit: number;
}

/** A one-time enrollment token as remembered: never the secret, only its SHA-256. */
export interface TokenRecord {
  /** Public handle (hex): in logs, rate limits and the token string. */
  id: string;
  /** SHA-256 of the secret, hex. */
  hash: string;
  name: string;
  kind: Kind;
  roles: readonly string[];
  /** Host tokens: the SANs the certificate gets. */
  dns: readonly string[];
  ips: readonly string[];
  /** Lifetime of the certificate it buys. */
  certTtlMs: number;
  createdAt: Date;
  expiresAt: Date;
  usedAt?: Date | undefined;
  serial?: string | undefined;
}

/** Spend a token in the transaction that records a certificate (TOKEN_INVALID if spent or expired). */
export interface TokenUse {
  id: string;
  now: Date;
}

/** The CA's durable state (named Store in docs/architecture.md). */
export interface CaStore {
  settings(): CaSettings;
  /**
   * Throws SERIAL_TAKEN when the serial is already recorded. With `token`, spends it in the same
   * transaction (TOKEN_INVALID, and nothing recorded, when it is already spent or expired).
   */
  insertCertificate(record: CertRecord, audit: AuditEntry, token?: TokenUse): void;
  insertToken(token: TokenRecord, audit: AuditEntry): void;
  findToken(id: string): TokenRecord | undefined;
  /** Many rows in one transaction, for benchmarks and imports; no audit rows. */
  insertCertificates(records: Iterable<CertRecord>): number;
  findBySerial(serial: string): CertRecord | undefined;
  /** Every certificate issued under a name, newest first. */
  findByName(name: string): CertRecord[];
  /** Newest first, without the PEMs (a store may hold 100k certificates). */
  list(options: { includeInactive: boolean; now: Date }): CertSummary[];
  /**
   * One transaction: marks the serials revoked and reserves the next intermediate CRL number.
   * Throws ALREADY_REVOKED (and changes nothing) if any of them is already revoked.
   */
  revoke(serials: readonly string[], revokedAt: Date, reason: RevocationReason, audit: AuditEntry, invalidityDate?: Date): bigint;
  /** Revoked certificates whose notAfter is at or after `cutoff` (the publisher keeps expired ones a while, RFC 5280 3.3). */
  revokedEntries(cutoff: Date): Iterable<RevokedEntry>;
  crlState(crl: CrlName): CrlState;
  /**
   * Runs `write(number)` holding the store's write lock, then records `number` as both assigned
   * and published. Serializes publishers, so an older CRL never overwrites a newer one.
   */
  publishCrl(crl: CrlName, pick: (state: CrlState) => bigint, write: (crlNumber: bigint) => void, audit: AuditEntry): bigint;
  audit(entry: AuditEntry): void;
  counts(): RowCounts;
  close(): void;
}
