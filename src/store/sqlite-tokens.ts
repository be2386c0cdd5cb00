// The enrollment tokens table of the SQLite store: insert, look up, and spend one inside the
// transaction that records the certificate it pays for (sqlite.ts insertCertificate).
import type Database from "better-sqlite3";
import { ZtmcpError } from "../common/errors.js";
import type { Kind } from "../pki/names.js";
import type { TokenRecord, TokenUse } from "./store.js";

interface TokenRow {
  id: string;
  hash: string;
  name: string;
  kind: string;
  roles: string;
  dns: string;
  ips: string;
  cert_ttl: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  serial: string | null;
}

export class TokenStatements {
  private readonly insertRow;
  private readonly byId;
  private readonly spend;

  constructor(db: Database.Database) {
    this.insertRow = db.prepare(`INSERT INTO tokens (id, hash, name, kind, roles, dns, ips, cert_ttl, created_at, expires_at)
      VALUES (@id, @hash, @name, @kind, @roles, @dns, @ips, @cert_ttl, @created_at, @expires_at)`);
    this.byId = db.prepare("SELECT * FROM tokens WHERE id = ?");
    this.spend = db.prepare("UPDATE tokens SET used_at = ?, serial = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?");
  }

  insert(t: TokenRecord): void {
    this.insertRow.run({
      id: t.id,
      hash: t.hash,
      name: t.name,
      kind: t.kind,
      roles: JSON.stringify(t.roles),
      dns: JSON.stringify(t.dns),
      ips: JSON.stringify(t.ips),
      cert_ttl: t.certTtlMs,
      created_at: t.createdAt.getTime(),
      expires_at: t.expiresAt.getTime(),
    });
  }

  find(id: string): TokenRecord | undefined {
    const r = this.byId.get(id) as TokenRow | undefined;
    if (!r) return undefined;
    return {
      id: r.id,
      hash: r.hash,
      name: r.name,
      kind: r.kind as Kind,
      roles: JSON.parse(r.roles) as string[],
      dns: JSON.parse(r.dns) as string[],
      ips: JSON.parse(r.ips) as string[],
      certTtlMs: r.cert_ttl,
      createdAt: new Date(r.created_at),
      expiresAt: new Date(r.expires_at),
      usedAt: r.used_at === null ? undefined : new Date(r.used_at),
      serial: r.serial ?? undefined,
    };
  }

  /** One row or nothing: of two enrollments racing on one token, the second commit finds it spent. */
  consume(use: TokenUse, serial: string): void {
    const changed = this.spend.run(use.now.getTime(), serial, use.id, use.now.getTime()).changes;
    if (changed !== 1) throw new ZtmcpError("TOKEN_INVALID", "the enrollment token was already used or has expired");
  }
}
