// Writing CA commands (revoke, issue, crl) run by a user who may read but not write the store fail
// at once with STORE_NOT_WRITABLE (exit 1, one line) instead of an INTERNAL error at the first
// write, and change nothing in ca/ or certs/. The CA key is encrypted and every refused run gets a
// wrong passphrase: had a command read and decrypted the key before the check, it would say
// BAD_PASSPHRASE (or CA_KEY_MISSING, as nobody cannot read it). Root ignores file permissions, so
// as root the commands run as nobody (65534) instead; otherwise the owner's own modes lock it out.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Authority } from "../../src/authority/authority.js";
import { createLogger } from "../../src/common/log.js";
import { NOBODY, ztmcpAsync, type CliRun } from "../helpers/cli.js";

const log = createLogger({ level: "silent" });
const base = mkdtempSync(join(tmpdir(), "ztmcp-not-writable-"));
const caDir = join(base, "ca");
const certsDir = join(base, "certs");
const PASS = "correct horse battery staple";
const runningAsRoot = process.getuid?.() === 0;
/** Modes that let the user the commands run as write (nobody only through "other" when we are root), and that do not. */
const WRITABLE = runningAsRoot ? { dir: 0o777, file: 0o666 } : { dir: 0o755, file: 0o644 };
const READ_ONLY = { dir: 0o555, file: 0o444 };
const WAL_FILES = ["ca.db-shm", "ca.db-wal"];
const isKey = (f: string): boolean => f.endsWith(".key.pem");

before(async () => {
  // The runner must be able to reach ca/ and certs/ (init makes ca/ 0700).
  chmodSync(base, 0o755);
  await Authority.init({ caDir, log, passphrase: PASS });
  const ca = await Authority.open({ caDir, certsDir, log, passphrase: PASS });
  await ca.issue({ name: "alice", roles: ["reader"] });
  ca.close();
  chmodSync(certsDir, 0o755);
});

/** Every file under ca/ and certs/: type, mode, size, mtime and content hash. */
function stamp(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir)) {
      const path = join(dir, f);
      const st = lstatSync(path);
      const key = relative(base, path);
      if (st.isDirectory()) {
        out[key] = `dir ${(st.mode & 0o777).toString(8)} ${st.mtimeMs}`;
        walk(path);
      } else if (st.isSymbolicLink()) out[key] = `link ${st.mtimeMs}`;
      else out[key] = `${(st.mode & 0o777).toString(8)} ${st.size} ${st.mtimeMs} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
    }
  };
  walk(caDir);
  walk(certsDir);
  return out;
}

/** ca/ and its files (keys stay 0600: a refused command never gets to them) in the given modes. */
function setModes(modes: { dir: number; db: number; others: number }): void {
  for (const f of readdirSync(caDir)) chmodSync(join(caDir, f), isKey(f) ? 0o600 : f === "ca.db" ? modes.db : modes.others);
  chmodSync(caDir, modes.dir);
}

const restore = (): void => setModes({ dir: 0o700, db: 0o644, others: 0o644 });

/** The CLI as the user who may not write the store, with a wrong passphrase. */
const asOther = (...args: string[]): Promise<CliRun> =>
  ztmcpAsync(["--ca-dir", caDir, "--certs-dir", certsDir, ...args], {
    env: { ZTMCP_LOG_LEVEL: "info", ZTMCP_CA_PASSPHRASE: "wrong" },
    ...(runningAsRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });

const WRITING_COMMANDS = [
  ["cert", "revoke", "alice", "--reason", "keyCompromise"],
  ["cert", "issue", "bob", "--role", "reader"],
  ["crl"],
];

/** Runs revoke, issue and crl as the other user; each fails with STORE_NOT_WRITABLE naming `culprit`, on one line, and nothing changes. */
async function assertRefused(culprit: RegExp): Promise<void> {
  const before = stamp();
  const runs = await Promise.all(WRITING_COMMANDS.map((args) => asOther(...args)));
  for (const [i, r] of runs.entries()) {
    const what = WRITING_COMMANDS[i]!.join(" ");
    assert.equal(r.status, 1, `${what}: ${r.stderr}`);
    assert.equal(r.stdout, "", what);
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 1, `${what}: one line, no log, no stack: ${r.stderr}`);
    assert.match(lines[0]!, /^ztmcp: STORE_NOT_WRITABLE: /, what);
    assert.match(lines[0]!, culprit, what);
    assert.match(lines[0]!, /is not writable by this user .*: run CA commands as the CA's owner/, what);
  }
  assert.deepEqual(stamp(), before, "nothing in ca/ or certs/ changed");
}

test("ca/ and ca.db read-only: revoke, issue and crl fail with STORE_NOT_WRITABLE naming ca.db, and change nothing", async () => {
  assert.deepEqual(WAL_FILES.filter((f) => existsSync(join(caDir, f))), [], "a closed store has no -wal/-shm");
  setModes({ dir: READ_ONLY.dir, db: READ_ONLY.file, others: READ_ONLY.file });
  try {
    await assertRefused(/ca\/ca\.db is not writable .*\(EACCES\)/);
  } finally {
    restore();
  }
});

test("ca.db read-only in a writable ca/: refused before SQLite reads it, so no ca.db-wal or -shm is created", async () => {
  setModes({ dir: WRITABLE.dir, db: READ_ONLY.file, others: WRITABLE.file });
  try {
    await assertRefused(/ca\/ca\.db is not writable .*\(EACCES\)/);
    assert.deepEqual(WAL_FILES.filter((f) => existsSync(join(caDir, f))), []);
  } finally {
    restore();
  }
});

test("ca.db writable but ca/ not (where a writer keeps its WAL and CRLs): STORE_NOT_WRITABLE names the directory", async () => {
  setModes({ dir: READ_ONLY.dir, db: WRITABLE.file, others: READ_ONLY.file });
  try {
    await assertRefused(/ca\/ is not writable .*EACCES; a writer keeps ca\.db-wal and -shm there/);
  } finally {
    restore();
  }
});

test("ca.db and ca/ writable but the open store's -wal and -shm read-only to this user: the write probe refuses it", async () => {
  // The -wal/-shm exist while another command has the store open; made read-only here, they are
  // what a store shared with another user can look like. Only the probe's BEGIN IMMEDIATE sees it.
  // (A commit first, so ca.db-wal is not empty: SQLite resets the mode of an empty one it owns.)
  const writer = await Authority.open({ caDir, certsDir, log, passphrase: PASS });
  try {
    await writer.issue({ name: "carol", roles: ["reader"] });
    assert.deepEqual(WAL_FILES.filter((f) => existsSync(join(caDir, f))), WAL_FILES);
    setModes({ dir: WRITABLE.dir, db: WRITABLE.file, others: WRITABLE.file });
    for (const f of WAL_FILES) chmodSync(join(caDir, f), READ_ONLY.file);
    await assertRefused(/ca\/ca\.db \(or its -wal\/-shm\) is not writable .*readonly/);
    // The writer is unaffected: the refused commands kept no lock.
    const issued = await writer.issue({ name: "dave", roles: ["reader"] });
    assert.match(issued.certPem, /BEGIN CERTIFICATE/);
  } finally {
    writer.close();
    restore();
  }
  assert.deepEqual(WAL_FILES.filter((f) => existsSync(join(caDir, f))), [], "the writer, closing last, checkpointed and removed the WAL");
});

test("run by the CA's owner with the right passphrase, the same commands succeed on the same CA", async () => {
  const env = { ZTMCP_LOG_LEVEL: "warn", ZTMCP_CA_PASSPHRASE: PASS };
  for (const args of WRITING_COMMANDS) {
    const r = await ztmcpAsync(["--ca-dir", caDir, "--certs-dir", certsDir, "--json", ...args], { env });
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
  }
  const list = await ztmcpAsync(["--ca-dir", caDir, "--certs-dir", certsDir, "--json", "cert", "list", "--all"], { env });
  assert.equal(list.status, 0, list.stderr);
  const status = Object.fromEntries((JSON.parse(list.stdout) as { name: string; status: string }[]).map((c) => [c.name, c.status]));
  assert.equal(status.alice, "revoked");
  assert.equal(status.bob, "valid");
});
