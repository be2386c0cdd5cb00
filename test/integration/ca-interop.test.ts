// What the CA writes, checked by real OpenSSL (issue 3): chain and purpose verification both
// ways, the profile as `x509 -text` prints it, revocation through both CRLs, increasing CRL
// numbers, and a PKCS#12 bundle that opens.
import { test, before } from "node:test";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROLES_OID } from "../../src/pki/role-extension.js";
import { ztmcp } from "../helpers/cli.js";
import { openssl } from "../helpers/openssl.js";

const P12_PASSWORD = "interop p12 password";
const dir = mkdtempSync(join(tmpdir(), "ztmcp-interop-"));
const caDir = join(dir, "ca");
const certsDir = join(dir, "certs");
const cli = (...args: string[]) => {
  const r = ztmcp(["--ca-dir", caDir, "--certs-dir", certsDir, ...args], { env: { ZTMCP_P12_PASSPHRASE: P12_PASSWORD } });
  assert.equal(r.status, 0, r.stderr);
  return r;
};
const agent = (f: string) => join(certsDir, "agent-1", f);
const host = (f: string) => join(certsDir, "localhost", f);
const verify = (purpose: string, files: (f: string) => string, extra: string[] = []) =>
  openssl(["verify", "-purpose", purpose, "-CAfile", files("ca.pem"), "-untrusted", files("chain.pem"), ...extra, files("cert.pem")]);
const crlText = () => openssl(["crl", "-noout", "-text", "-in", join(caDir, "intermediate.crl.pem")]).stdout;
const crlNumberOf = (text: string) => Number(/X509v3 CRL Number:\s*\n\s*(\d+)/.exec(text)?.[1]);

let issueLog: Record<string, unknown> | undefined;
before(() => {
  cli("ca", "init", "--org", "Interop Org", "--trust-domain", "interop.test");
  const issued = cli("cert", "issue", "agent-1", "--role", "reader", "--role", "operator", "--ttl", "8h", "--p12");
  issueLog = issued.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === "ca.issue");
  cli("cert", "issue-server", "localhost", "--dns", "localhost", "--ip", "127.0.0.1");
});

test("openssl verifies an agent cert for sslclient and a host cert for sslserver, and neither the other way round", () => {
  assert.equal(verify("sslclient", agent).status, 0, verify("sslclient", agent).stderr);
  assert.equal(verify("sslserver", host).status, 0, verify("sslserver", host).stderr);
  assert.notEqual(verify("sslserver", agent).status, 0);
  assert.notEqual(verify("sslclient", host).status, 0);
});

test("openssl x509 -text shows the SPIFFE URI, the EKU, the roles extension OID and the validity", () => {
  const text = openssl(["x509", "-noout", "-text", "-in", agent("cert.pem")]).stdout;
  assert.match(text, /URI:spiffe:\/\/interop\.test\/agent\/agent-1/);
  assert.match(text, /TLS Web Client Authentication/);
  assert.ok(text.includes(ROLES_OID), "the full roles OID, not a truncated 2.25");
  assert.match(text, /Subject: O ?= ?Interop Org, CN ?= ?agent-1/);
  const notBefore = new Date(/Not Before: (.+)/.exec(text)![1]!);
  const notAfter = new Date(/Not After : (.+)/.exec(text)![1]!);
  assert.equal(notAfter.getTime() - notBefore.getTime(), 8 * 3_600_000 + 60_000, "8h TTL plus the one-minute backdate");
  const hostText = openssl(["x509", "-noout", "-text", "-in", host("cert.pem")]).stdout;
  assert.match(hostText, /TLS Web Server Authentication/);
  assert.match(hostText, /DNS:localhost, IP Address:127\.0\.0\.1|IP Address:127\.0\.0\.1.*DNS:localhost/);
});

test("the issuance is logged as ca.issue with actor, serial, subject, roles and validity", () => {
  assert.ok(issueLog);
  for (const field of ["actor", "serial", "subject", "roles", "notBefore", "notAfter"]) assert.ok(field in issueLog, field);
  assert.deepEqual(issueLog.roles, ["reader", "operator"]);
});

test("the .p12 opens with openssl pkcs12 -info and holds the key and the chain", () => {
  const withPassword = (args: string[]) => spawnSync("openssl", [...args, "-passin", "env:P12"], { env: { ...process.env, P12: P12_PASSWORD }, encoding: "utf8" });
  const r = withPassword(["pkcs12", "-info", "-noout", "-in", agent("cert.p12")]);
  assert.equal(r.status, 0, r.stderr);
  const dump = withPassword(["pkcs12", "-in", agent("cert.p12"), "-nodes"]).stdout;
  assert.equal((dump.match(/BEGIN CERTIFICATE/g) ?? []).length, 3, "leaf, intermediate, root");
  assert.match(dump, /BEGIN PRIVATE KEY/);
});

test("after cert revoke, openssl -crl_check_all with both CRLs reports the cert revoked, and the CRL number went up", () => {
  const crls = join(dir, "crls.pem");
  const bothCrls = () => writeFileSync(crls, readFileSync(join(caDir, "root.crl.pem"), "utf8") + readFileSync(join(caDir, "intermediate.crl.pem"), "utf8"));
  bothCrls();
  assert.equal(verify("sslclient", agent, ["-crl_check_all", "-CRLfile", crls]).status, 0);
  const before = crlNumberOf(crlText());
  const revoked = cli("--json", "cert", "revoke", "agent-1", "--reason", "keyCompromise");
  assert.equal((JSON.parse(revoked.stdout) as { revoked: unknown[] }).revoked.length, 1);
  bothCrls();
  const r = verify("sslclient", agent, ["-crl_check_all", "-CRLfile", crls]);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /certificate revoked/);
  const afterRevoke = crlText();
  assert.ok(crlNumberOf(afterRevoke) > before);
  assert.match(afterRevoke, /Key Compromise/);
  cli("crl");
  assert.ok(crlNumberOf(crlText()) > crlNumberOf(afterRevoke));
  // The host is untouched by the agent's revocation.
  assert.equal(verify("sslserver", host, ["-crl_check_all", "-CRLfile", crls]).status, 0);
});
