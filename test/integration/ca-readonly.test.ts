// Read-only inventory: `cert list` and `cert show` open ca.db read-only, never write ca/, and work
// for someone who may only read ca/ whenever SQLite can read the WAL store safely (its -wal and
// -shm files are there); otherwise they fail with STORE_READONLY and still change nothing.
// Root ignores file permissions, so as root the reader runs as nobody (65534) instead.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Authority } from "../../src/authority/authority.js";
import { createLogger } from "../../src/common/log.js";
import { logEvents, NOBODY, ztmcpAsync, type CliRun } from "../helpers/cli.js";

const log = createLogger({ level: "silent" });
const base = mkdtempSync(join(tmpdir(), "ztmcp-readonly-"));
const caDir = join(base, "ca");
const certsDir = join(base, "certs");
const runningAsRoot = process.getuid?.() === 0;
const WAL_FILES = ["ca.db-shm", "ca.db-wal"];

before(async () => {
  // A reader who is not the owner must be able to reach ca/ (init makes it 0700).
  chmodSync(base, 0o755);
  await Authority.init({ caDir, log });
  const ca = await Authority.open({ caDir, certsDir, log });
  await ca.issue({ name: "alice", roles: ["reader"] });
  await ca.issue({ name: "bob", roles: ["reader"] });
  await ca.revoke("bob", "keyCompromise");
  ca.close();
});

/** Every file in ca/: size, mtime and content hash. */
function stamp(): Record<string, string> {
  return Object.fromEntries(
    readdirSync(caDir).map((f) => {
      const st = statSync(join(caDir, f));
      return [f, `${st.size} ${st.mtimeMs} ${createHash("sha256").update(readFileSync(join(caDir, f))).digest("hex")}`];
    }),
  );
}

/** ca/ and everything in it read-only (the keys stay 0600: a reader never needs them). */
function lockCa(): void {
  for (const f of readdirSync(caDir)) chmodSync(join(caDir, f), f.endsWith(".key.pem") ? 0o400 : 0o444);
  chmodSync(caDir, 0o555);
}

function unlockCa(): void {
  chmodSync(caDir, 0o700);
  for (const f of readdirSync(caDir)) chmodSync(join(caDir, f), f.endsWith(".key.pem") ? 0o600 : 0o644);
}

/** The CLI as a user who may read but not write ca/. */
const asReader = (...args: string[]): Promise<CliRun> =>
  ztmcpAsync(["--ca-dir", caDir, "--certs-dir", certsDir, "--json", ...args], { env: { ZTMCP_LOG_LEVEL: "warn" }, ...(runningAsRoot ? { uid: NOBODY, gid: NOBODY } : {}) });

const errorOf = (r: CliRun): { code?: string; message?: string } =>
  (JSON.parse(r.stderr.split("\n").find((l) => l.startsWith('{"error"')) ?? '{"error":{}}') as { error: { code?: string; message?: string } }).error;

const namesOf = (r: CliRun): string[] => (JSON.parse(r.stdout) as { name: string }[]).map((c) => c.name).sort();

test("without write access to ca/ and no WAL files, list and show fail with STORE_READONLY naming the cause, and nothing changes", async () => {
  assert.deepEqual(WAL_FILES.filter((f) => existsSync(join(caDir, f))), [], "a closed store has no -wal/-shm");
  lockCa();
  try {
    const before = stamp();
    for (const args of [["cert", "list"], ["cert", "show", "alice"]]) {
      const r = await asReader(...args);
      assert.equal(r.status, 1, r.stderr);
      const error = errorOf(r);
      assert.equal(error.code, "STORE_READONLY", r.stderr);
      assert.match(error.message ?? "", /without write access to .*ca\/.*WAL.*ca\.db-wal and ca\.db-shm/);
    }
    assert.deepEqual(stamp(), before);
  } finally {
    unlockCa();
  }
});

test("while a writer has the store open, a reader without write access lists and shows its newest commits and changes nothing", async () => {
  const writer = await Authority.open({ caDir, certsDir, log });
  try {
    await writer.issue({ name: "carol", roles: ["reader"] });
    lockCa();
    try {
      let before = stamp();
      const list = await asReader("cert", "list", "--all");
      assert.equal(list.status, 0, list.stderr);
      assert.deepEqual(namesOf(list), ["alice", "bob", "carol"]);
      assert.equal((JSON.parse(list.stdout) as { name: string; status: string }[]).find((c) => c.name === "bob")?.status, "revoked");
      const show = await asReader("cert", "show", "carol");
      assert.equal(show.status, 0, show.stderr);
      assert.match((JSON.parse(show.stdout) as { pem: string }[])[0]?.pem ?? "", /BEGIN CERTIFICATE/);
      assert.deepEqual(stamp(), before);
      // A commit made after the reader's first open is seen by the next read: it reads the live WAL.
      await writer.issue({ name: "dave", roles: ["reader"] });
      before = stamp();
      const again = await asReader("cert", "list");
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(namesOf(again), ["alice", "carol", "dave"]);
      assert.deepEqual(stamp(), before);
      // Read-only also means no signing: the reader cannot issue.
      const issue = await asReader("cert", "issue", "eve", "--role", "reader");
      assert.notEqual(issue.status, 0);
      assert.deepEqual(stamp(), before);
    } finally {
      unlockCa();
    }
  } finally {
    writer.close();
  }
  assert.deepEqual(WAL_FILES.filter((f) => existsSync(join(caDir, f))), [], "the writer, closing last, checkpointed and removed the WAL");
});

test("run by a user who may write ca/, list and show leave every existing file as it was; the next writing command removes the WAL files they leave", async () => {
  const before = stamp();
  for (const args of [["cert", "list", "--all"], ["cert", "show", "alice"]]) {
    const r = await ztmcpAsync(["--ca-dir", caDir, "--certs-dir", certsDir, "--json", ...args], { env: { ZTMCP_LOG_LEVEL: "warn" } });
    assert.equal(r.status, 0, r.stderr);
  }
  const after = stamp();
  for (const [file, value] of Object.entries(before)) assert.equal(after[file], value, `${file} unchanged`);
  // SQLite's read-only connection may create the empty WAL and its index, and cannot remove them.
  assert.deepEqual(Object.keys(after).filter((f) => !(f in before)).filter((f) => !WAL_FILES.includes(f)), []);
  if (existsSync(join(caDir, "ca.db-wal"))) assert.equal(statSync(join(caDir, "ca.db-wal")).size, 0);
  (await Authority.open({ caDir, certsDir, log })).close();
  assert.deepEqual(WAL_FILES.filter((f) => existsSync(join(caDir, f))), []);
});

test("a revocation whose CRL an interrupted command did not publish: list reports the pending repair and does not make it", async () => {
  const ca = await Authority.open({ caDir, certsDir, log });
  const serial = ca.show("alice")[0]!.serial;
  // What a revoke killed between its commit and its CRL leaves behind.
  ca.store.revoke([serial], new Date(), "keyCompromise", { action: "ca.revoke", actor: "test" });
  ca.close();
  const crl = readFileSync(join(caDir, "intermediate.crl.der"));
  const r = await ztmcpAsync(["--ca-dir", caDir, "--certs-dir", certsDir, "--json", "cert", "list", "--all"], { env: { ZTMCP_LOG_LEVEL: "warn" } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { name: string; status: string }[]).find((c) => c.name === "alice")?.status, "revoked");
  assert.ok(logEvents(r.stderr).some((e) => e.event === "ca.recover" && e.action === "pending" && e.crlBehind === true), r.stderr);
  assert.deepEqual(readFileSync(join(caDir, "intermediate.crl.der")), crl, "the read-only command published nothing");
  (await Authority.open({ caDir, certsDir, log })).close();
  assert.notDeepEqual(readFileSync(join(caDir, "intermediate.crl.der")), crl, "the next writing open published it");
});
