// Revocation reasons and invalidity dates (issue 11, item 21): reasons that only make sense for a
// CA or an attribute authority are refused for a leaf, and an invalidity date, when given, is
// stored and written as the CRL entry extension invalidityDate (2.5.29.24, GeneralizedTime).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Authority } from "../../../src/authority/authority.js";
import { main } from "../../../src/cli/main.js";
import { parseReason } from "../../../src/pki/revocation-reason.js";
import { captureLog } from "../../helpers/log-capture.js";
import { openssl } from "../../helpers/openssl.js";

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

async function cli(): Promise<{ run: (...args: string[]) => Promise<{ status: number; out: string; err: string }>; caDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-reasons-"));
  const caDir = join(dir, "ca");
  const base = ["--ca-dir", caDir, "--certs-dir", join(dir, "certs"), "--log-level", "silent"];
  const run = async (...args: string[]) => {
    let out = "";
    let err = "";
    const status = await main([...base, ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t) });
    return { status, out, err };
  };
  assert.equal((await run("ca", "init")).status, 0);
  return { run, caDir };
}

test("reasons meant for CAs or attribute authorities are refused for a leaf with a usage error", async () => {
  for (const reason of ["cACompromise", "aACompromise", "certificateHold", "removeFromCRL"]) {
    assert.throws(() => parseReason(reason), code("BAD_REASON"), reason);
  }
  for (const reason of ["unspecified", "keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation", "privilegeWithdrawn"]) assert.equal(parseReason(reason), reason);
  const c = await cli();
  assert.equal((await c.run("cert", "issue", "a", "--role", "reader")).status, 0);
  const r = await c.run("cert", "revoke", "a", "--reason", "cACompromise");
  assert.equal(r.status, 2);
  assert.match(r.err, /BAD_REASON: .*CA/);
});

test("an invalidity date is written into the CRL entry and kept in the store", async () => {
  const c = await cli();
  const issued = JSON.parse((await c.run("--json", "cert", "issue", "a", "--role", "reader")).out) as { serial: string };
  const r = await c.run("--json", "cert", "revoke", "a", "--reason", "keyCompromise", "--invalidity-date", "2026-01-02T03:04:05+01:00");
  assert.equal(r.status, 0, r.err);
  const text = openssl(["crl", "-noout", "-text", "-in", join(c.caDir, "intermediate.crl.pem")]).stdout;
  assert.match(text, new RegExp(`Serial Number: ${issued.serial}[\\s\\S]*Key Compromise[\\s\\S]*Invalidity Date:\\s*\\n\\s*Jan  2 02:04:05 2026 GMT`));
  const der = openssl(["crl", "-in", join(c.caDir, "intermediate.crl.pem"), "-outform", "DER"]);
  assert.equal(der.status, 0);
  const shown = JSON.parse((await c.run("--json", "cert", "show", issued.serial)).out) as { invalidityDate?: string }[];
  assert.equal(shown[0]?.invalidityDate, "2026-01-02T02:04:05.000Z");
  const db = new Database(join(c.caDir, "ca.db"), { readonly: true });
  assert.equal((db.prepare("SELECT invalidity_date AS d FROM certificates WHERE serial = ?").get(issued.serial) as { d: number }).d, Date.UTC(2026, 0, 2, 2, 4, 5));
  db.close();
});

test("an invalidity date that is malformed, without a zone, or after the revocation is refused and nothing is revoked", async () => {
  const c = await cli();
  assert.equal((await c.run("cert", "issue", "a", "--role", "reader")).status, 0);
  for (const date of ["yesterday", "2026-02-30", "2026-01-02T03:04:05", "2999-01-01T00:00:00Z", "2026-01-02T25:00:00Z"]) {
    const r = await c.run("cert", "revoke", "a", "--invalidity-date", date);
    assert.equal(r.status, 2, date);
    assert.match(r.err, /BAD_INVALIDITY_DATE/, date);
  }
  assert.match((await c.run("cert", "list")).out, /\ba\b.*valid/);
});

test("a store from before invalidity dates is upgraded by the next writing command", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-reasons-old-"));
  const caDir = join(dir, "ca");
  const log = captureLog("silent").log;
  await Authority.init({ caDir, log });
  // Back to the first schema: what a CA created by the previous release has.
  const db = new Database(join(caDir, "ca.db"));
  db.exec("ALTER TABLE certificates DROP COLUMN invalidity_date");
  db.pragma("user_version = 1");
  db.close();
  const ca = await Authority.open({ caDir, certsDir: join(dir, "certs"), log });
  const issued = await ca.issue({ name: "b", roles: ["reader"] });
  const r = await ca.revoke("b", "superseded", { invalidityDate: new Date(Date.now() - 60_000) });
  const [revoked] = r.revoked;
  assert.ok(revoked);
  assert.equal(revoked.serial, issued.serial);
  assert.ok(revoked.invalidityDate);
  ca.close();
});
