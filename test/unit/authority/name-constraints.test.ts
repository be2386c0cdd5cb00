// Name constraints on the issuing intermediate (issue 11, item 19): a permitted URI subtree for
// the trust domain and DNS/IP subtrees from `ca init`, enforced by relying parties (openssl
// verify) and by the CA itself, which never mints a certificate they would reject. Host
// lifetimes are capped by the policy's hostMaxTtl.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Authority, type AuthorityOptions } from "../../../src/authority/authority.js";
import type { InitOptions } from "../../../src/authority/init.js";
import { buildLeafCertificate, toPem } from "../../../src/pki/certificate.js";
import { x509 } from "../../../src/pki/crypto-provider.js";
import { generateKeyPair, importPrivateKeyPem } from "../../../src/pki/keys.js";
import { randomSerial } from "../../../src/pki/serial.js";
import { captureLog } from "../../helpers/log-capture.js";
import { openssl } from "../../helpers/openssl.js";

const DAY = 86_400_000;
const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

async function fixture(init: Partial<InitOptions> = {}): Promise<{ caDir: string; certsDir: string; open: (o?: Partial<AuthorityOptions>) => Promise<Authority> }> {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-nc-"));
  const caDir = join(dir, "ca");
  const certsDir = join(dir, "certs");
  const log = captureLog("silent").log;
  await Authority.init({ caDir, log, actor: "tester", ...init });
  return { caDir, certsDir, open: (o = {}) => Authority.open({ caDir, certsDir, log, actor: "tester", ...o }) };
}

/** openssl verify against the CA directory's root, with the intermediate as untrusted. */
function verify(caDir: string, certPem: string, purpose: string): { status: number | null; out: string } {
  const leaf = join(caDir, `leaf-${randomSerial()}.pem`);
  writeFileSync(leaf, certPem);
  const r = openssl(["verify", "-purpose", purpose, "-CAfile", join(caDir, "root.pem"), "-untrusted", join(caDir, "intermediate.pem"), leaf]);
  return { status: r.status, out: r.stdout + r.stderr };
}

/** A leaf signed with the intermediate's key directly, bypassing the CA's checks: what a relying party would see. */
async function forgedHostLeaf(caDir: string, name: string, dns: string[], ips: string[]): Promise<string> {
  const cert = new x509.X509Certificate(readFileSync(join(caDir, "intermediate.pem"), "utf8"));
  const key = await importPrivateKeyPem(readFileSync(join(caDir, "intermediate.key.pem"), "utf8"));
  const leafKey = await generateKeyPair("p256");
  const now = Date.now();
  const leaf = await buildLeafCertificate({ issuer: { cert, key }, publicKey: leafKey.publicKey, name, org: "ztmcp", kind: "host", trustDomain: "mesh.local", roles: [], dns, ips, serial: randomSerial(), notBefore: new Date(now - 60_000), notAfter: new Date(now + DAY) });
  return toPem(leaf);
}

test("by default the intermediate permits the trust domain's URIs, localhost and loopback, and openssl says so", async () => {
  const f = await fixture();
  const text = openssl(["x509", "-noout", "-text", "-in", join(f.caDir, "intermediate.pem")]).stdout;
  assert.match(text, /X509v3 Name Constraints: critical\s+Permitted:\s+URI:mesh\.local\s+DNS:localhost\s+IP:127\.0\.0\.0\/255\.0\.0\.0\s+IP:0:0:0:0:0:0:0:1\/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF/);
  const ca = await f.open();
  const host = await ca.issueServer({ name: "localhost", dns: ["localhost"], ips: ["127.0.0.1", "::1"] });
  const agent = await ca.issue({ name: "ci-bot", roles: ["reader"] });
  ca.close();
  const hostCheck = verify(f.caDir, host.certPem, "sslserver");
  assert.equal(hostCheck.status, 0, hostCheck.out);
  const agentCheck = verify(f.caDir, agent.certPem, "sslclient");
  assert.equal(agentCheck.status, 0, agentCheck.out);
});

test("relying parties reject a leaf outside the constraints, so the CA refuses to issue it and writes nothing", async () => {
  const f = await fixture();
  const forged = verify(f.caDir, await forgedHostLeaf(f.caDir, "google", ["www.google.com"], []), "sslserver");
  assert.notEqual(forged.status, 0);
  assert.match(forged.out, /subtree violation/);
  const ca = await f.open();
  await assert.rejects(ca.issueServer({ name: "google", dns: ["www.google.com"], ips: [] }), code("NAME_NOT_PERMITTED"));
  await assert.rejects(ca.issueServer({ name: "dns8", dns: ["localhost"], ips: ["8.8.8.8"] }), code("NAME_NOT_PERMITTED"));
  // OpenSSL checks a DNS-like CN against the DNS constraints when there is no DNS SAN.
  await assert.rejects(ca.issue({ name: "ci.bot", roles: ["reader"] }), code("NAME_NOT_PERMITTED"));
  ca.close();
  assert.ok(!existsSync(f.certsDir), "nothing written");
});

test("ca init --permit-dns/--permit-ip replace the defaults and the CA issues inside them", async () => {
  const f = await fixture({ permitDns: ["Example.Internal"], permitIp: ["10.0.0.0/8", "fd00::/8"] });
  const text = openssl(["x509", "-noout", "-text", "-in", join(f.caDir, "intermediate.pem")]).stdout;
  assert.match(text, /Permitted:\s+URI:mesh\.local\s+DNS:example\.internal\s+IP:10\.0\.0\.0\/255\.0\.0\.0\s+IP:FD00:0:0:0:0:0:0:0\/FF00:0:0:0:0:0:0:0/);
  const ca = await f.open();
  const web = await ca.issueServer({ name: "web", dns: ["web.example.internal", "example.internal"], ips: ["10.1.2.3", "fd00::7"] });
  await assert.rejects(ca.issueServer({ name: "lh", dns: ["localhost"], ips: ["10.0.0.1"] }), code("NAME_NOT_PERMITTED"));
  await assert.rejects(ca.issueServer({ name: "x", dns: ["notexample.internal"], ips: ["10.0.0.1"] }), code("NAME_NOT_PERMITTED"));
  await assert.rejects(ca.issueServer({ name: "y", dns: ["a.example.internal"], ips: ["127.0.0.1"] }), code("NAME_NOT_PERMITTED"));
  assert.ok(await ca.issue({ name: "bot.example.internal", roles: ["reader"] }));
  ca.close();
  const check = verify(f.caDir, web.certPem, "sslserver");
  assert.equal(check.status, 0, check.out);
});

test("ca init refuses constraints that are not DNS names or CIDR networks", async () => {
  const caDir = join(mkdtempSync(join(tmpdir(), "ztmcp-nc-bad-")), "ca");
  const log = captureLog("silent").log;
  await assert.rejects(Authority.init({ caDir, log, permitDns: ["10.0.0.1"] }), code("BAD_DNS_NAME"));
  await assert.rejects(Authority.init({ caDir, log, permitDns: ["*.example"] }), code("BAD_DNS_NAME"));
  await assert.rejects(Authority.init({ caDir, log, permitIp: ["10.0.0.1/8"] }), code("BAD_IP"));
  await assert.rejects(Authority.init({ caDir, log, permitIp: ["10.0.0.0"] }), code("BAD_IP"));
  assert.ok(!existsSync(caDir));
});

test("host certificates are capped by the policy's hostMaxTtl (7d unless the policy says otherwise)", async () => {
  const f = await fixture();
  const ca = await f.open();
  await assert.rejects(ca.issueServer({ name: "long", ttl: "30d" }), code("TTL_EXCEEDS_MAX"));
  ca.close();
  const policyPath = join(f.caDir, "policy.json");
  const doc = JSON.parse(readFileSync(policyPath, "utf8")) as Record<string, unknown>;
  assert.equal(doc.hostMaxTtl, "7d", "the starter policy states the cap");
  writeFileSync(policyPath, JSON.stringify({ ...doc, hostMaxTtl: "1d" }));
  const capped = await f.open();
  const issued = await capped.issueServer({ name: "short" });
  assert.equal(Date.parse(issued.notAfter) - Date.parse(issued.notBefore) - 60_000, DAY, "the default lifetime shortened to the cap");
  await assert.rejects(capped.issueServer({ name: "long", ttl: "2d" }), code("TTL_EXCEEDS_MAX"));
  capped.close();
});
