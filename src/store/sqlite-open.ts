// Opening ca.db safely: the file is ours and of a schema we know, the user may write where
// SQLite in WAL mode needs to, and the schema is migrated in one transaction.
import type Database from "better-sqlite3";
import { accessSync, constants } from "node:fs";
import { basename, dirname } from "node:path";
import { ZtmcpError } from "../common/errors.js";
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from "./migrations.js";

/** How long a writer waits for another process's write transaction. */
export const BUSY_TIMEOUT_MS = 30_000;

export const isSqliteError = (e: unknown, ...codes: string[]): boolean =>
  e instanceof Error && "code" in e && typeof e.code === "string" && codes.some((c) => (e.code as string).startsWith(c));

/** Reads only the header: a file that is not ours is left exactly as it was. */
export function checkOwnership(db: Database.Database, path: string): void {
  const applicationId = db.pragma("application_id", { simple: true }) as number;
  if (applicationId !== APPLICATION_ID) {
    throw new ZtmcpError("STORE_FOREIGN", `${path} is a SQLite database but not a ztmcp CA store (application_id ${applicationId})`);
  }
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new ZtmcpError("STORE_FOREIGN", `${path} has schema version ${version}; this ztmcp knows up to ${SCHEMA_VERSION} (upgrade ztmcp)`);
  }
}

/** A read-only open cannot migrate: an older schema waits for the next writing command. */
export function checkCurrent(db: Database.Database, path: string): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version < SCHEMA_VERSION) {
    throw new ZtmcpError("STORE_OUTDATED", `${path} has schema version ${version} and this command only reads it; any writing command (e.g. \`ztmcp crl\`) upgrades it to ${SCHEMA_VERSION}`);
  }
}

/**
 * Why a read-only open failed. A WAL reader coordinates with writers through <db>-shm and reads
 * commits not yet checkpointed from <db>-wal, so it needs both files: present (a writer has the
 * store open, or a reader left them) or creatable. SQLite could read without them (immutable=1,
 * nolock=1), but then a writer checkpointing at the same moment can hand it a half-written page,
 * so that is refused here rather than offered.
 */
export function readOnlyError(path: string, e: Error): ZtmcpError {
  try {
    accessSync(path, constants.R_OK);
  } catch (access) {
    return new ZtmcpError("STORE_UNREADABLE", `cannot open ${path} for reading (${(access as NodeJS.ErrnoException).code ?? e.message})`);
  }
  const dir = dirname(path);
  const file = basename(path);
  return new ZtmcpError(
    "STORE_READONLY",
    `cannot read ${path} without write access to ${dir}/: the store is in WAL mode and a reader needs ${file}-wal and ${file}-shm there, which are there only while another command has the store open (${(e as { code?: string }).code ?? e.message}); run this as a user who may write ${dir}/ (ca.db itself is only read)`,
  );
}

export const notWritable = (what: string, why: string): ZtmcpError =>
  new ZtmcpError("STORE_NOT_WRITABLE", `${what} is not writable by this user (${why}): run CA commands as the CA's owner (\`cert list\` and \`cert show\` only read)`);

/**
 * SQLite opens a file it may not write read-only without a word (better-sqlite3's `readonly` only
 * echoes the option), and a writing command would fail at its first write, after reading its key.
 * Checked before SQLite opens the file: its first read, in WAL mode, creates ca.db-wal and -shm. A
 * writer creates and at its close removes those beside ca.db, so the directory must be writable too.
 * access(2), not a trial open: closing any descriptor of ca.db drops this process's SQLite locks on it.
 */
export function checkWritable(path: string): void {
  for (const target of [path, dirname(path)]) {
    try {
      accessSync(target, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      throw notWritable(target === path ? path : `${target}/`, target === path ? code : `${code}; a writer keeps ${basename(path)}-wal and -shm there`);
    }
  }
}

/**
 * What checkWritable cannot see, such as a ca.db-shm another user created that this one may only
 * read: take the write lock and release it (waiting for a concurrent writer like any write).
 * No page is written, so nothing on disk changes.
 */
export function probeWrite(db: Database.Database): void {
  db.transaction(() => undefined).immediate();
}

export function configure(db: Database.Database): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (db.pragma("journal_mode", { simple: true }) !== "wal") db.pragma("journal_mode = WAL");
  // FULL: a committed issuance or revocation survives power loss, not only a crash.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
}

export function migrate(db: Database.Database): void {
  if ((db.pragma("user_version", { simple: true }) as number) >= SCHEMA_VERSION) return;
  db.transaction(() => {
    // Re-read under the write lock: another process may have migrated meanwhile.
    for (let v = db.pragma("user_version", { simple: true }) as number; v < SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}
