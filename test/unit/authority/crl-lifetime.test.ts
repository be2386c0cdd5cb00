// How long CRLs and their entries live (issue 11, items 15 and 16). Entries stay until at least
// one regularly scheduled CRL after the certificate's expiry (RFC 5280 3.3); root and
// intermediate CRLs have their own lifetimes, the intermediate's capped (7d by default, the
// policy's crlMaxValidity up to 30d) and neither past its issuer's notAfter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Authority, type AuthorityOptions } from "../../../src/authority/authority.js";
import { parseCrl } from "../../../src/pki/crl.js";
import { main } from "../../../src/cli/main.js";
import { captureLog } from "../../helpers/log-capture.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

async function fixture(): Promise<{ caDir: string; certsDir: string; open: (o?: Partial<AuthorityOptions>) => Promise<Authority> }> {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-crl-life-"));
  const caDir = join(dir, "ca");
  const certsDir = join(dir, "certs");
  const log = captureLog("silent").log;
  await Authority.init({ caDir, log, actor: "tester" });
  return { caDir, certsDir, open: (o = {}) => Authority.open({ caDir, certsDir, log, actor: "tester", ...o }) };
}

const crl = (caDir: string, level: "root" | "intermediate") => parseCrl(readFileSync(join(caDir, `${level}.crl.pem`)));

test("a revoked certificate stays on the CRL after it expires, until a CRL issued after its expiry carried it", async () => {
  const f = await fixture();
  const start = Date.now();
  let now = new Date(start);
  const ca = await f.open({ now: () => now });
  const issued = await ca.issue({ name: "short", roles: ["reader"], ttl: "1h" });
  await ca.revoke(issued.serial, "keyCompromise");
  // Just expired: still listed (today's code drops it here).
  now = new Date(start + HOUR + 60_000);
  await ca.publishCrls();
  assert.deepEqual(crl(f.caDir, "intermediate").serials, [issued.serial]);
  // Within notAfter + one validity period: still listed.
  now = new Date(start + HOUR + 6 * DAY);
  await ca.publishCrls();
  assert.deepEqual(crl(f.caDir, "intermediate").serials, [issued.serial]);
  // Past notAfter + validity: the CRL issued next no longer needs it, as the previous one was issued after expiry.
  now = new Date(start + HOUR + 8 * DAY);
  await ca.publishCrls();
  assert.deepEqual(crl(f.caDir, "intermediate").serials, []);
  ca.close();
});

test("the first CRL after expiry carries the entry even when it comes late", async () => {
  const f = await fixture();
  const start = Date.now();
  let now = new Date(start);
  const ca = await f.open({ now: () => now });
  const issued = await ca.issue({ name: "late", roles: ["reader"], ttl: "1h" });
  await ca.revoke(issued.serial);
  now = new Date(start + 20 * DAY);
  await ca.publishCrls();
  assert.deepEqual(crl(f.caDir, "intermediate").serials, [issued.serial], "no CRL since the expiry had listed it");
  now = new Date(start + 20 * DAY + 60_000);
  await ca.publishCrls();
  assert.deepEqual(crl(f.caDir, "intermediate").serials, []);
  ca.close();
});

test("root and intermediate CRLs get their own lifetimes", async () => {
  const f = await fixture();
  const ca = await f.open();
  const r = await ca.publishCrls({ rootValidityMs: 90 * DAY, validityMs: 2 * DAY });
  ca.close();
  const span = (level: "root" | "intermediate") => {
    const c = crl(f.caDir, level);
    return c.nextUpdate!.getTime() - c.thisUpdate.getTime();
  };
  assert.equal(span("root"), 90 * DAY);
  assert.equal(span("intermediate"), 2 * DAY);
  assert.equal(r.published.length, 2);
});

test("the intermediate CRL is capped at 7d unless the policy allows more (at most 30d); the root CRL at 365d", async () => {
  const f = await fixture();
  const ca = await f.open();
  const before = crl(f.caDir, "intermediate").crlNumber;
  await assert.rejects(ca.publishCrls({ validityMs: 8 * DAY }), code("CRL_VALIDITY_TOO_LONG"));
  await assert.rejects(ca.publishCrls({ rootValidityMs: 366 * DAY }), code("CRL_VALIDITY_TOO_LONG"));
  assert.equal(crl(f.caDir, "intermediate").crlNumber, before, "nothing published");
  ca.close();
  const policyPath = join(f.caDir, "policy.json");
  const doc = JSON.parse(readFileSync(policyPath, "utf8")) as Record<string, unknown>;
  writeFileSync(policyPath, JSON.stringify({ ...doc, crlMaxValidity: "14d" }));
  const relaxed = await f.open();
  await relaxed.publishCrls({ validityMs: 14 * DAY });
  relaxed.close();
  writeFileSync(policyPath, JSON.stringify({ ...doc, crlMaxValidity: "60d" }));
  await assert.rejects(async () => (await f.open()).publishCrls({ validityMs: DAY }), code("POLICY_INVALID"));
});

test("no CRL outlives its issuer: the default is shortened, an explicit lifetime refused", async () => {
  const f = await fixture();
  const intermediateNotAfter = new Date(new X509Certificate(readFileSync(join(f.caDir, "intermediate.pem"))).validTo);
  const now = new Date(intermediateNotAfter.getTime() - 2 * DAY);
  const ca = await f.open({ now: () => now });
  await assert.rejects(ca.publishCrls({ validityMs: 3 * DAY }), code("CRL_VALIDITY_TOO_LONG"));
  await ca.publishCrls();
  const c = crl(f.caDir, "intermediate");
  assert.ok(c.nextUpdate!.getTime() <= intermediateNotAfter.getTime(), `${c.nextUpdate?.toISOString()} <= ${intermediateNotAfter.toISOString()}`);
  ca.close();
});

test("ztmcp crl takes --root-validity and --validity and refuses an intermediate CRL above the cap with a usage error", async () => {
  const f = await fixture();
  const base = ["--ca-dir", f.caDir, "--certs-dir", f.certsDir, "--log-level", "silent"];
  let err = "";
  const io = { stdout: () => undefined, stderr: (t: string) => (err += t) };
  assert.equal(await main([...base, "crl", "--root-validity", "30d", "--validity", "3d"], io), 0, err);
  const root = crl(f.caDir, "root");
  assert.equal(root.nextUpdate!.getTime() - root.thisUpdate.getTime(), 30 * DAY);
  assert.equal(await main([...base, "crl", "--validity", "365d"], io), 2);
  assert.match(err, /CRL_VALIDITY_TOO_LONG/);
});
