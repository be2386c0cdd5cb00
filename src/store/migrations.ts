// The SQLite schema, as an append-only list of migrations. PRAGMA user_version records how many
// have run; a migration, once released, is never edited (add a new one instead).

/** PRAGMA application_id of a ztmcp CA store ("ztmc"): anything else is not ours. */
export const APPLICATION_ID = 0x7a746d63;

export const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE certificates (
    serial      TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('agent', 'host')),
    roles       TEXT NOT NULL,
    subject     TEXT NOT NULL,
    spiffe_id   TEXT NOT NULL,
    key_type    TEXT NOT NULL,
    not_before  INTEGER NOT NULL,
    not_after   INTEGER NOT NULL,
    issued_at   INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    cert_pem    TEXT NOT NULL,
    revoked_at  INTEGER,
    reason      TEXT
  ) STRICT;
  CREATE INDEX certificates_by_name ON certificates (name, issued_at);
  CREATE INDEX certificates_revoked ON certificates (revoked_at) WHERE revoked_at IS NOT NULL;

  CREATE TABLE crls (
    name      TEXT PRIMARY KEY CHECK (name IN ('root', 'intermediate')),
    assigned  INTEGER NOT NULL,
    published INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    serial  TEXT,
    subject TEXT,
    details TEXT
  ) STRICT;
  `,
  // 2: one-time enrollment tokens (`token create`, `ca serve` /enroll). Only the SHA-256 of the
  // secret is kept; `used_at` is set in the transaction that records the certificate it paid for.
  `
  CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('agent', 'host')),
    roles      TEXT NOT NULL,
    dns        TEXT NOT NULL,
    ips        TEXT NOT NULL,
    cert_ttl   INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    serial     TEXT
  ) STRICT;
  `,
  // 3: when a revoked certificate became invalid (RFC 5280 5.3.2 invalidityDate), if the operator knows.
  `
  ALTER TABLE certificates ADD COLUMN invalidity_date INTEGER;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
