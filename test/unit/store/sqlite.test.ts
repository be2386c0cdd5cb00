import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { SqliteStore } from "../../../src/store/sqlite.js";
import { APPLICATION_ID, SCHEMA_VERSION } from "../../../src/store/migrations.js";
import type { CertRecord } from "../../../src/store/store.js";
import { randomSerial } from "../../../src/pki/serial.js";
import { ZtmcpError } from "../../../src/common/errors.js";

const HOUR = 3_600_000;
const now = new Date("2026-06-01T12:00:00Z");
const settings = { org: "Org", trustDomain: "mesh.local", keyType: "p256" as const, crlUrl: undefined, createdAt: now };
const actor = "tester";

function freshStore(): { store: SqliteStore; path: string } {
  const path = join(mkdtempSync(join(tmpdir(), "ztmcp-store-")), "ca.db");
  return { store: SqliteStore.create(path, settings), path };
}

function record(name: string, o: Partial<CertRecord> = {}): CertRecord {
  return {
    serial: randomSerial(),
    name,
    kind: "agent",
    roles: ["reader"],
    subject: `CN=${name}, O=Org`,
    spiffeId: `spiffe://mesh.local/agent/${name}`,
    keyType: "p256",
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + HOUR),
    issuedAt: now,
    fingerprint: "AB",
    certPem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    ...o,
  };
}

const code = (c: string) => (e: unknown) => e instanceof ZtmcpError && e.code === c;

test("a new store is marked as ours, at the latest schema version, in WAL mode", () => {
  const { store, path } = freshStore();
  store.close();
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma("application_id", { simple: true }), APPLICATION_ID);
  assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
  assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
  db.close();
  const reopened = SqliteStore.open(path);
  assert.deepEqual(reopened.settings(), settings);
  reopened.close();
});

test("a certificate round-trips, and a recorded serial cannot be recorded again", () => {
  const { store } = freshStore();
  const r = record("alice", { roles: ["reader", "operator"], kind: "agent" });
  store.insertCertificate(r, { action: "ca.issue", actor });
  assert.deepEqual(store.findBySerial(r.serial), { ...r, revokedAt: undefined, reason: undefined });
  assert.throws(() => store.insertCertificate({ ...record("bob"), serial: r.serial }, { action: "ca.issue", actor }), code("SERIAL_TAKEN"));
  assert.deepEqual(store.counts(), { certificates: 1, revoked: 0, audit: 1 });
  store.close();
});

test("findByName and list return the newest first; list hides expired and revoked unless asked", () => {
  const { store } = freshStore();
  const old = record("alice", { issuedAt: new Date(now.getTime() - HOUR) });
  const fresh = record("alice");
  const expired = record("bob", { notAfter: new Date(now.getTime() - 1) });
  for (const r of [old, fresh, expired]) store.insertCertificate(r, { action: "ca.issue", actor });
  store.revoke([old.serial], now, "superseded", { action: "ca.revoke", actor });
  assert.deepEqual(store.findByName("alice").map((r) => r.serial), [fresh.serial, old.serial]);
  assert.deepEqual(store.list({ includeInactive: false, now }).map((r) => r.serial), [fresh.serial]);
  assert.equal(store.list({ includeInactive: true, now }).length, 3);
  store.close();
});

test("a revocation is one transaction: if one serial is already revoked, none is, and no CRL number is reserved", () => {
  const { store } = freshStore();
  const [a, b] = [record("a"), record("b")];
  store.insertCertificates([a, b]);
  const first = store.revoke([a.serial], now, "keyCompromise", { action: "ca.revoke", actor });
  assert.equal(first, 1n);
  assert.throws(() => store.revoke([b.serial, a.serial], now, "keyCompromise", { action: "ca.revoke", actor }), code("ALREADY_REVOKED"));
  assert.equal(store.findBySerial(b.serial)?.revokedAt, undefined);
  assert.deepEqual(store.crlState("intermediate"), { assigned: 1n, published: 0n });
  assert.deepEqual([...store.revokedEntries(now)], [{ serial: a.serial, revokedAt: now, reason: "keyCompromise" }]);
  store.close();
});

test("revoked certificates leave the CRL entries once they expire", () => {
  const { store } = freshStore();
  const r = record("a", { notAfter: new Date(now.getTime() + HOUR) });
  store.insertCertificates([r]);
  store.revoke([r.serial], now, "unspecified", { action: "ca.revoke", actor });
  assert.equal([...store.revokedEntries(now)].length, 1);
  assert.equal([...store.revokedEntries(new Date(now.getTime() + 2 * HOUR))].length, 0);
  store.close();
});

test("publishCrl records the picked number as published, and a failed write records nothing", () => {
  const { store } = freshStore();
  const n = store.publishCrl("intermediate", (s) => s.published + 1n, () => undefined, { action: "ca.crl", actor });
  assert.equal(n, 1n);
  assert.throws(() =>
    store.publishCrl("intermediate", (s) => s.published + 1n, () => {
      throw new Error("disk full");
    }, { action: "ca.crl", actor }),
  );
  assert.deepEqual(store.crlState("intermediate"), { assigned: 1n, published: 1n });
  assert.deepEqual(store.crlState("root"), { assigned: 0n, published: 0n });
  store.close();
});

test("a file that is not a database is STORE_CORRUPT, another program's database STORE_FOREIGN, and neither is modified", () => {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-store-"));
  const garbage = join(dir, "garbage.db");
  writeFileSync(garbage, Buffer.alloc(4096, 7));
  assert.throws(() => SqliteStore.open(garbage), code("STORE_CORRUPT"));
  assert.deepEqual(readFileSync(garbage), Buffer.alloc(4096, 7));
  const foreign = join(dir, "foreign.db");
  const db = new Database(foreign);
  db.exec("CREATE TABLE t (x)");
  db.close();
  const bytes = readFileSync(foreign);
  assert.throws(() => SqliteStore.open(foreign), code("STORE_FOREIGN"));
  assert.deepEqual(readFileSync(foreign), bytes);
  assert.throws(() => SqliteStore.open(join(dir, "absent.db")), code("CA_NOT_FOUND"));
});

test("a store from a newer ztmcp (higher schema version) is refused, not downgraded", () => {
  const { store, path } = freshStore();
  store.close();
  const db = new Database(path);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => SqliteStore.open(path), code("STORE_FOREIGN"));
});

test("the batch API records many rows in one transaction", () => {
  const { store } = freshStore();
  function* many() {
    for (let i = 0; i < 10_000; i++) yield record(`agent-${i}`);
  }
  assert.equal(store.insertCertificates(many()), 10_000);
  assert.equal(store.counts().certificates, 10_000);
  store.close();
});

test("a read-only store reads what was committed, refuses every write, and leaves ca.db as it was", () => {
  const { store, path } = freshStore();
  const r = record("alice");
  store.insertCertificate(r, { action: "ca.issue", actor });
  store.close();
  const bytes = readFileSync(path);
  const reader = SqliteStore.open(path, { readonly: true });
  assert.deepEqual(reader.settings(), settings);
  assert.deepEqual(reader.findByName("alice").map((c) => c.serial), [r.serial]);
  assert.throws(() => reader.insertCertificate(record("bob"), { action: "ca.issue", actor }), /readonly/);
  assert.throws(() => reader.revoke([r.serial], now, "unspecified", { action: "ca.revoke", actor }), /readonly/);
  assert.throws(() => reader.publishCrl("intermediate", (s) => s.published + 1n, () => undefined, { action: "ca.crl", actor }), /readonly/);
  reader.close();
  assert.deepEqual(readFileSync(path), bytes);
});

test("a read-only open neither migrates an older schema (STORE_OUTDATED) nor accepts a foreign or corrupt file", () => {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-store-"));
  const old = join(dir, "old.db");
  const db = new Database(old);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.pragma("journal_mode = WAL");
  db.close();
  const bytes = readFileSync(old);
  assert.throws(() => SqliteStore.open(old, { readonly: true }), code("STORE_OUTDATED"));
  assert.deepEqual(readFileSync(old), bytes);
  const foreign = join(dir, "foreign.db");
  const other = new Database(foreign);
  other.exec("CREATE TABLE t (x)");
  other.close();
  assert.throws(() => SqliteStore.open(foreign, { readonly: true }), code("STORE_FOREIGN"));
  const garbage = join(dir, "garbage.db");
  writeFileSync(garbage, Buffer.alloc(4096, 7));
  assert.throws(() => SqliteStore.open(garbage, { readonly: true }), code("STORE_CORRUPT"));
  assert.throws(() => SqliteStore.open(join(dir, "absent.db"), { readonly: true }), code("CA_NOT_FOUND"));
});
