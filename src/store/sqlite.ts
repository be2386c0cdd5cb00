// The CA store in one SQLite file (better-sqlite3). WAL lets readers run beside the one writer;
// busy_timeout plus BEGIN IMMEDIATE for every write makes concurrent CLI processes queue instead
// of failing with "database is locked" (a deferred transaction that upgrades to a write cannot wait).
// Rows ↔ records in sqlite-rows.ts, the checks and migration at open in sqlite-open.ts, the
// token queries in sqlite-tokens.ts.
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { ZtmcpError } from "../common/errors.js";
import type { RevocationReason } from "../pki/crl.js";
import type { KeyType } from "../pki/keys.js";
import { APPLICATION_ID } from "./migrations.js";
import { BUSY_TIMEOUT_MS, checkCurrent, checkOwnership, checkWritable, configure, isSqliteError, migrate, notWritable, probeWrite, readOnlyError } from "./sqlite-open.js";
import { fromRow, SUMMARY_COLUMNS, toRow, type CertRow } from "./sqlite-rows.js";
import type { AuditEntry, CaSettings, CaStore, CertRecord, CertSummary, CrlName, CrlState, RevokedEntry, RowCounts, TokenRecord, TokenUse } from "./store.js";
import { TokenStatements } from "./sqlite-tokens.js";

export interface SqliteOptions {
  readonly?: boolean;
  /** The clock of audit rows (the authority's, so tests that move it see it there too). */
  now?: () => Date;
}

export class SqliteStore implements CaStore {
  private readonly statements;
  private readonly tokens: TokenStatements;

  private constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.tokens = new TokenStatements(db);
    this.statements = {
      insert: db.prepare(`INSERT INTO certificates (${SUMMARY_COLUMNS}, cert_pem) VALUES (@serial, @name, @kind, @roles, @subject, @spiffe_id, @key_type,
        @not_before, @not_after, @issued_at, @fingerprint, @revoked_at, @reason, @invalidity_date, @cert_pem)`),
      bySerial: db.prepare("SELECT * FROM certificates WHERE serial = ?"),
      byName: db.prepare("SELECT * FROM certificates WHERE name = ? ORDER BY issued_at DESC, rowid DESC"),
      all: db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM certificates ORDER BY issued_at DESC, rowid DESC`),
      active: db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM certificates WHERE revoked_at IS NULL AND not_after > ? ORDER BY issued_at DESC, rowid DESC`),
      revoke: db.prepare("UPDATE certificates SET revoked_at = ?, reason = ?, invalidity_date = ? WHERE serial = ? AND revoked_at IS NULL"),
      revoked: db.prepare("SELECT serial, revoked_at, reason, invalidity_date FROM certificates WHERE revoked_at IS NOT NULL AND not_after >= ?"),
      crl: db.prepare("SELECT assigned, published FROM crls WHERE name = ?"),
      reserveCrl: db.prepare("UPDATE crls SET assigned = MAX(assigned, published) + 1 WHERE name = ? RETURNING assigned"),
      setCrl: db.prepare("UPDATE crls SET assigned = ?, published = ? WHERE name = ?"),
      audit: db.prepare("INSERT INTO audit (at, actor, action, serial, subject, details) VALUES (?, ?, ?, ?, ?, ?)"),
      settings: db.prepare("SELECT key, value FROM settings"),
    };
  }

  /**
   * Opens an existing store. STORE_CORRUPT / STORE_FOREIGN when the file is not a ztmcp store;
   * nothing is written then. Without `readonly`, STORE_NOT_WRITABLE when this user cannot write
   * it (see checkWritable), before anything is read. `readonly`: SQLite's read-only open, which
   * never writes ca.db (no migration, no checkpoint); see readOnlyError for when that is possible.
   */
  static open(path: string, options: SqliteOptions = {}): SqliteStore {
    if (!existsSync(path)) throw new ZtmcpError("CA_NOT_FOUND", `no CA store at ${path}: run \`ztmcp ca init\` first`);
    const readonly = options.readonly ?? false;
    let db: Database.Database | undefined;
    try {
      if (!readonly) checkWritable(path);
      db = new Database(path, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS, readonly });
      checkOwnership(db, path);
      if (readonly) checkCurrent(db, path);
      else {
        configure(db);
        migrate(db);
        probeWrite(db);
      }
      return new SqliteStore(db, options.now);
    } catch (e) {
      db?.close();
      if (isSqliteError(e, "SQLITE_NOTADB", "SQLITE_CORRUPT")) throw new ZtmcpError("STORE_CORRUPT", `${path} is corrupt or not a database (${(e as Error).message})`);
      if (!readonly && isSqliteError(e, "SQLITE_READONLY")) throw notWritable(`${path} (or its -wal/-shm)`, (e as Error).message);
      if (isSqliteError(e, "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM", "SQLITE_IOERR")) {
        if (readonly) throw readOnlyError(path, e as Error);
        throw new ZtmcpError("STORE_UNREADABLE", `cannot open ${path} for reading and writing (${(e as Error).message})`);
      }
      throw e;
    }
  }

  /** Creates a new store (the file must not exist) holding the CA's settings and CRL numbers 1. */
  static create(path: string, settings: CaSettings, options: Pick<SqliteOptions, "now"> = {}): SqliteStore {
    if (existsSync(path)) throw new ZtmcpError("CA_EXISTS", `${path} already exists`);
    const db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    db.pragma(`application_id = ${APPLICATION_ID}`);
    configure(db);
    migrate(db);
    const put = db.prepare("INSERT INTO settings (key, value) VALUES (?, ?)");
    db.transaction(() => {
      put.run("org", settings.org);
      put.run("trustDomain", settings.trustDomain);
      put.run("keyType", settings.keyType);
      if (settings.crlUrl) put.run("crlUrl", settings.crlUrl);
      put.run("createdAt", settings.createdAt.toISOString());
      db.prepare("INSERT INTO crls (name, assigned, published) VALUES ('root', 0, 0), ('intermediate', 0, 0)").run();
    }).immediate();
    return new SqliteStore(db, options.now);
  }

  settings(): CaSettings {
    const rows = this.statements.settings.all() as { key: string; value: string }[];
    const map = new Map(rows.map((r) => [r.key, r.value]));
    const get = (key: string): string => {
      const value = map.get(key);
      if (value === undefined) throw new ZtmcpError("STORE_CORRUPT", `the CA store has no "${key}" setting`);
      return value;
    };
    return {
      org: get("org"),
      trustDomain: get("trustDomain"),
      keyType: get("keyType") as KeyType,
      crlUrl: map.get("crlUrl"),
      createdAt: new Date(get("createdAt")),
    };
  }

  insertCertificate(record: CertRecord, audit: AuditEntry, token?: TokenUse): void {
    this.db
      .transaction(() => {
        // First: a token already spent rolls the whole issuance back.
        if (token) this.tokens.consume(token, record.serial);
        try {
          this.statements.insert.run(toRow(record));
        } catch (e) {
          if (isSqliteError(e, "SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE")) {
            throw new ZtmcpError("SERIAL_TAKEN", `serial ${record.serial} is already recorded`);
          }
          throw e;
        }
        this.writeAudit(audit);
      })
      .immediate();
  }

  insertCertificates(records: Iterable<CertRecord>): number {
    let count = 0;
    this.db
      .transaction(() => {
        for (const r of records) {
          this.statements.insert.run(toRow(r));
          count++;
        }
      })
      .immediate();
    return count;
  }

  findBySerial(serial: string): CertRecord | undefined {
    const row = this.statements.bySerial.get(serial) as CertRow | undefined;
    return row && fromRow(row);
  }

  findByName(name: string): CertRecord[] {
    return (this.statements.byName.all(name) as CertRow[]).map(fromRow);
  }

  list(options: { includeInactive: boolean; now: Date }): CertSummary[] {
    const rows = options.includeInactive ? this.statements.all.all() : this.statements.active.all(options.now.getTime());
    return (rows as Omit<CertRow, "cert_pem">[]).map((r) => {
      const { certPem: _pem, ...summary } = fromRow({ ...r, cert_pem: "" });
      return summary;
    });
  }

  revoke(serials: readonly string[], revokedAt: Date, reason: RevocationReason, audit: AuditEntry, invalidityDate?: Date): bigint {
    return this.db
      .transaction(() => {
        for (const serial of serials) {
          const changed = this.statements.revoke.run(revokedAt.getTime(), reason, invalidityDate?.getTime() ?? null, serial).changes;
          if (changed !== 1) {
            // Rolls the whole transaction back: a half-applied revocation is never committed.
            throw this.findBySerial(serial)
              ? new ZtmcpError("ALREADY_REVOKED", `certificate ${serial} is already revoked`)
              : new ZtmcpError("CERT_NOT_FOUND", `no certificate with serial ${serial}`);
          }
        }
        this.writeAudit(audit);
        const row = this.statements.reserveCrl.get("intermediate") as { assigned: number };
        return BigInt(row.assigned);
      })
      .immediate();
  }

  *revokedEntries(cutoff: Date): Iterable<RevokedEntry> {
    for (const r of this.statements.revoked.iterate(cutoff.getTime()) as Iterable<{ serial: string; revoked_at: number; reason: string; invalidity_date: number | null }>) {
      yield { serial: r.serial, revokedAt: new Date(r.revoked_at), reason: r.reason as RevocationReason, ...(r.invalidity_date === null ? {} : { invalidityDate: new Date(r.invalidity_date) }) };
    }
  }

  crlState(crl: CrlName): CrlState {
    const row = this.statements.crl.get(crl) as { assigned: number; published: number } | undefined;
    if (!row) throw new ZtmcpError("STORE_CORRUPT", `the CA store has no ${crl} CRL state`);
    return { assigned: BigInt(row.assigned), published: BigInt(row.published) };
  }

  publishCrl(crl: CrlName, pick: (state: CrlState) => bigint, write: (crlNumber: bigint) => void, audit: AuditEntry): bigint {
    return this.db
      .transaction(() => {
        const crlNumber = pick(this.crlState(crl));
        write(crlNumber);
        this.statements.setCrl.run(crlNumber, crlNumber, crl);
        this.writeAudit({ ...audit, details: { ...audit.details, crlNumber: crlNumber.toString() } });
        return crlNumber;
      })
      .immediate();
  }

  audit(entry: AuditEntry): void {
    this.db.transaction(() => this.writeAudit(entry)).immediate();
  }

  insertToken(token: TokenRecord, audit: AuditEntry): void {
    this.db
      .transaction(() => {
        this.tokens.insert(token);
        this.writeAudit(audit);
      })
      .immediate();
  }

  findToken(id: string): TokenRecord | undefined {
    return this.tokens.find(id);
  }

  private writeAudit(e: AuditEntry): void {
    this.statements.audit.run(this.now().getTime(), e.actor, e.action, e.serial ?? null, e.subject ?? null, e.details ? JSON.stringify(e.details) : null);
  }

  counts(): RowCounts {
    const one = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    return {
      certificates: one("SELECT COUNT(*) AS n FROM certificates"),
      revoked: one("SELECT COUNT(*) AS n FROM certificates WHERE revoked_at IS NOT NULL"),
      audit: one("SELECT COUNT(*) AS n FROM audit"),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

