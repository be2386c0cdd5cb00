import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Authority, type AuthorityOptions } from "../../../src/authority/authority.js";
import { ZtmcpError } from "../../../src/common/errors.js";
import { parseCrl } from "../../../src/pki/crl.js";
import { decodeRoles, ROLES_OID } from "../../../src/pki/role-extension.js";
import { x509 } from "../../../src/pki/crypto-provider.js";
import { randomSerial } from "../../../src/pki/serial.js";
import { captureLog } from "../../helpers/log-capture.js";

const HOUR = 3_600_000;
const code = (c: string) => (e: unknown) => e instanceof ZtmcpError && e.code === c;

interface Fixture {
  caDir: string;
  certsDir: string;
  open: (o?: Partial<AuthorityOptions>) => Promise<Authority>;
  logs: ReturnType<typeof captureLog>;
}

async function fixture(passphrase?: string): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-authority-"));
  const caDir = join(dir, "ca");
  const certsDir = join(dir, "certs");
  const logs = captureLog("info");
  await Authority.init({ caDir, log: logs.log, passphrase, actor: "tester" });
  return { caDir, certsDir, logs, open: (o = {}) => Authority.open({ caDir, certsDir, log: logs.log, actor: "tester", passphrase, ...o }) };
}

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

const crlNumber = (caDir: string) => parseCrl(readFileSync(join(caDir, "intermediate.crl.pem"))).crlNumber;
const crlSerials = (caDir: string) => parseCrl(readFileSync(join(caDir, "intermediate.crl.pem"))).serials;

test("issue writes a version directory behind ..data, links to it, a 0600 key, and records what it wrote", async () => {
  const f = await fixture();
  const ca = await f.open();
  const issued = await ca.issue({ name: "alice", roles: ["reader", "operator"], ttl: "1h" });
  const dir = join(f.certsDir, "alice");
  assert.equal(readlinkSync(join(dir, "..data")), `..${issued.serial}`);
  for (const file of ["key.pem", "cert.pem", "chain.pem", "ca.pem"]) assert.equal(readlinkSync(join(dir, file)), join("..data", file));
  assert.equal(lstatSync(join(dir, `..${issued.serial}`, "key.pem")).mode & 0o777, 0o600);
  assert.equal(lstatSync(dir).mode & 0o777, 0o700);
  assert.equal(readFileSync(join(dir, "cert.pem"), "utf8"), issued.certPem);
  assert.equal(readFileSync(join(dir, "chain.pem"), "utf8"), issued.certPem + readFileSync(join(f.caDir, "intermediate.pem"), "utf8"));
  assert.equal(readFileSync(join(dir, "ca.pem"), "utf8"), readFileSync(join(f.caDir, "root.pem"), "utf8"));
  const cert = new X509Certificate(readFileSync(join(dir, "cert.pem")));
  assert.equal(cert.serialNumber, issued.serial);
  assert.ok(cert.checkPrivateKey((await import("node:crypto")).createPrivateKey(readFileSync(join(dir, "key.pem")))));
  assert.match(cert.subjectAltName ?? "", /URI:spiffe:\/\/mesh\.local\/agent\/alice/);
  const roles = new x509.X509Certificate(issued.certPem).getExtension(ROLES_OID);
  assert.deepEqual(decodeRoles(roles!.value), ["reader", "operator"]);
  assert.equal(ca.show("alice")[0]?.fingerprint, cert.fingerprint256);
  ca.close();
});

test("notBefore is backdated one minute and the TTL sets notAfter", async () => {
  const f = await fixture();
  const now = new Date("2027-03-01T10:00:00Z");
  const ca = await f.open({ now: () => now });
  const issued = await ca.issue({ name: "clocked", roles: ["reader"], ttl: "2h" });
  assert.equal(issued.notBefore, "2027-03-01T09:59:00.000Z");
  assert.equal(issued.notAfter, "2027-03-01T12:00:00.000Z");
  ca.close();
});

test("without a TTL an agent gets 24h, shortened to its roles' smallest maxTtl", async () => {
  const f = await fixture();
  const ca = await f.open();
  const span = (i: { notBefore: string; notAfter: string }) => Date.parse(i.notAfter) - Date.parse(i.notBefore) - 60_000;
  assert.equal(span(await ca.issue({ name: "r", roles: ["reader"] })), 24 * HOUR);
  assert.equal(span(await ca.issue({ name: "a", roles: ["reader", "admin"] })), HOUR);
  await assert.rejects(ca.issue({ name: "a", roles: ["admin"], ttl: "2h" }), code("TTL_EXCEEDS_MAX"));
  ca.close();
});

test("re-issuing a name rotates in one step and leaves the previous certificate valid", async () => {
  const f = await fixture();
  const ca = await f.open();
  const first = await ca.issue({ name: "bob", roles: ["reader"] });
  const second = await ca.issue({ name: "bob", roles: ["reader"] });
  const dir = join(f.certsDir, "bob");
  assert.equal(readlinkSync(join(dir, "..data")), `..${second.serial}`);
  assert.equal(readFileSync(join(dir, "key.pem"), "utf8"), second.keyPem);
  assert.ok(existsSync(join(dir, `..${first.serial}`)), "the previous version stays while it is valid");
  await ca.issue({ name: "bob", roles: ["reader"], p12: true });
  assert.ok(existsSync(join(dir, "cert.p12")));
  await ca.issue({ name: "bob", roles: ["reader"] });
  assert.throws(() => lstatSync(join(dir, "cert.p12")), "no cert.p12 link left dangling");
  assert.deepEqual(ca.list().filter((c) => c.name === "bob").slice(2).map((c) => [c.serial, c.status]), [[second.serial, "valid"], [first.serial, "valid"]]);
  ca.close();
});

test("revoking a name revokes all its valid certificates in one CRL with a higher number, and prunes superseded files", async () => {
  const f = await fixture();
  const ca = await f.open();
  const a = await ca.issue({ name: "carol", roles: ["reader"] });
  const b = await ca.issue({ name: "carol", roles: ["reader"] });
  const keep = await ca.issue({ name: "dave", roles: ["reader"] });
  const before = crlNumber(f.caDir)!;
  const result = await ca.revoke("carol", "keyCompromise");
  assert.deepEqual(result.revoked.map((r) => r.serial).sort(), [a.serial, b.serial].sort());
  assert.equal(crlNumber(f.caDir), before + 1n);
  assert.deepEqual(crlSerials(f.caDir).sort(), [a.serial, b.serial].sort());
  assert.equal(ca.show(keep.serial)[0]?.status, "valid");
  ca.close();
  // The next command prunes the superseded revoked version; the current one stays for inspection.
  (await f.open()).close();
  const dir = join(f.certsDir, "carol");
  assert.ok(!existsSync(join(dir, `..${a.serial}`)));
  assert.equal(readlinkSync(join(dir, "..data")), `..${b.serial}`);
  const events = f.logs.events.filter((e) => e.event === "ca.revoke");
  assert.equal(events.length, 2);
  assert.equal(events[0]!.actor, "tester");
  assert.equal(events[0]!.reason, "keyCompromise");
});

test("revoking an already revoked certificate is ALREADY_REVOKED and leaves the CRL byte for byte", async () => {
  const f = await fixture();
  const ca = await f.open();
  const e = await ca.issue({ name: "erin", roles: ["reader"] });
  await ca.revoke(e.serial);
  const crl = readFileSync(join(f.caDir, "intermediate.crl.pem"));
  await assert.rejects(ca.revoke(e.serial), code("ALREADY_REVOKED"));
  await assert.rejects(ca.revoke("erin"), code("ALREADY_REVOKED"));
  await assert.rejects(ca.revoke("nobody"), code("CERT_NOT_FOUND"));
  assert.deepEqual(readFileSync(join(f.caDir, "intermediate.crl.pem")), crl);
  ca.close();
});

test("a serial collision is retried with a new serial", async () => {
  const f = await fixture();
  const taken = (await (await f.open()).issue({ name: "first", roles: ["reader"] })).serial;
  const fresh = randomSerial();
  const queue = [taken, fresh];
  const ca = await f.open({ serials: () => queue.shift() ?? randomSerial() });
  const issued = await ca.issue({ name: "second", roles: ["reader"] });
  assert.equal(issued.serial, fresh);
  assert.deepEqual(readdirSync(join(f.certsDir, "second")).filter((e) => e.includes(".tmp-")), []);
  ca.close();
});

test("an agent needs a role, and no certificate may outlive the issuing CA", async () => {
  const f = await fixture();
  // A policy that would allow it: the intermediate's own expiry still caps the lifetime.
  const policyPath = join(f.caDir, "long-hosts.json");
  writeFileSync(policyPath, JSON.stringify({ ...(JSON.parse(readFileSync(join(f.caDir, "policy.json"), "utf8")) as object), hostMaxTtl: "10y" }));
  const ca = await f.open({ policyPath });
  await assert.rejects(ca.issue({ name: "x", roles: [] }), code("ROLE_REQUIRED"));
  await assert.rejects(ca.issueServer({ name: "h", ttl: "6y" }), code("TTL_EXCEEDS_CA"));
  await assert.rejects(ca.issueServer({ name: "h", ips: ["999.1.1.1"] }), code("BAD_IP"));
  assert.ok(!existsSync(f.certsDir));
  ca.close();
});

test("a crashed issuance is finished when its record was committed and discarded when it was not", async () => {
  const f = await fixture();
  const ca = await f.open();
  const recorded = await ca.issue({ name: "frank", roles: ["reader"], writeFiles: false });
  const pid = deadPid();
  const stage = (name: string, serial: string) => {
    const dir = join(f.certsDir, name, `..${serial}.tmp-${pid}`);
    mkdirSync(dir, { recursive: true });
    for (const file of ["key.pem", "cert.pem", "chain.pem", "ca.pem"]) writeFileSync(join(dir, file), file);
  };
  stage("frank", recorded.serial);
  stage("ghost", randomSerial());
  ca.close();
  (await f.open()).close();
  assert.equal(readlinkSync(join(f.certsDir, "frank", "..data")), `..${recorded.serial}`);
  assert.equal(readFileSync(join(f.certsDir, "frank", "cert.pem"), "utf8"), "cert.pem");
  assert.ok(!existsSync(join(f.certsDir, "ghost")), "an unrecorded staging directory is deleted with its name directory");
  assert.ok(f.logs.events.some((e) => e.event === "ca.recover" && e.action === "finished"));
});

test("a revocation committed without its CRL is published by the next command", async () => {
  const f = await fixture();
  const ca = await f.open();
  const g = await ca.issue({ name: "gina", roles: ["reader"] });
  const before = crlNumber(f.caDir)!;
  // What a crash between the commit and the CRL write leaves behind.
  ca.store.revoke([g.serial], new Date(), "keyCompromise", { action: "ca.revoke", actor: "tester" });
  ca.close();
  assert.deepEqual(crlSerials(f.caDir), []);
  (await f.open()).close();
  assert.deepEqual(crlSerials(f.caDir), [g.serial]);
  assert.ok(crlNumber(f.caDir)! > before);
});

test("every issuance is logged as ca.issue with who, what and validity, and an audit row; keys never reach the log", async () => {
  const f = await fixture();
  const ca = await f.open();
  const before = ca.store.counts().audit;
  const issued = await ca.issueServer({ name: "web", dns: ["web.localhost"], ips: ["127.0.0.1"] });
  const event = f.logs.events.find((e) => e.event === "ca.issue");
  assert.ok(event);
  assert.equal(event.actor, "tester");
  assert.equal(event.serial, issued.serial);
  assert.equal(event.subject, issued.subject);
  assert.deepEqual(event.roles, []);
  assert.equal(event.notAfter, issued.notAfter);
  assert.ok(!f.logs.text().includes("PRIVATE KEY"));
  assert.equal(ca.store.counts().audit, before + 1);
  ca.close();
});

test("an encrypted CA issues with the right passphrase", async () => {
  const f = await fixture("s3cret passphrase");
  assert.match(readFileSync(join(f.caDir, "intermediate.key.pem"), "utf8"), /BEGIN ENCRYPTED PRIVATE KEY/);
  const ca = await f.open();
  const issued = await ca.issue({ name: "henry", roles: ["admin"], ttl: "30m" });
  assert.equal(issued.status, "valid");
  ca.close();
  await assert.rejects((await f.open({ passphrase: undefined })).issue({ name: "henry", roles: ["admin"], ttl: "30m" }), code("PASSPHRASE_REQUIRED"));
});

test("expired certificates show as expired and leave list unless --all", async () => {
  const f = await fixture();
  let now = new Date();
  const ca = await f.open({ now: () => now });
  await ca.issue({ name: "ivy", roles: ["reader"], ttl: "1h" });
  now = new Date(now.getTime() + 2 * HOUR);
  assert.deepEqual(ca.list(), []);
  assert.equal(ca.list({ all: true })[0]?.status, "expired");
  await assert.rejects(ca.revoke("ivy"), code("NOTHING_TO_REVOKE"));
  ca.close();
});

test("two inits at once make one CA whose keys match its certificates; the other init fails", async () => {
  const caDir = join(mkdtempSync(join(tmpdir(), "ztmcp-init-")), "ca");
  const log = captureLog("silent").log;
  const results = await Promise.allSettled([Authority.init({ caDir, log }), Authority.init({ caDir, log })]);
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
  const failed = results.find((r) => r.status === "rejected");
  assert.ok(failed && (code("CA_INIT_IN_PROGRESS")(failed.reason) || code("CA_EXISTS")(failed.reason)));
  const ca = await Authority.open({ caDir, certsDir: join(caDir, "..", "certs"), log });
  assert.equal((await ca.issue({ name: "ok", roles: ["reader"] })).status, "valid");
  ca.close();
});

test("an init that died half-way (stale lock, temp store, key files) is simply run again", async () => {
  const caDir = join(mkdtempSync(join(tmpdir(), "ztmcp-init-")), "ca");
  mkdirSync(caDir);
  const dead = deadPid();
  writeFileSync(join(caDir, ".init.lock"), String(dead));
  writeFileSync(join(caDir, `ca.db.tmp-${dead}`), "half a database");
  writeFileSync(join(caDir, "root.key.pem"), "a key from the dead init");
  const log = captureLog("silent").log;
  await Authority.init({ caDir, log });
  assert.deepEqual(readdirSync(caDir).filter((f) => f.includes("tmp") || f.includes("lock")), []);
  const ca = await Authority.open({ caDir, certsDir: join(caDir, "..", "certs"), log });
  assert.equal((await ca.issue({ name: "ok", roles: ["reader"] })).status, "valid");
  ca.close();
});
