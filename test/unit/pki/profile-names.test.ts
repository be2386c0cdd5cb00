// Subject DNs and CRL distribution points as other parsers read them (issue 11, item 18): RDNs in
// the usual order (O before CN), no empty values or CNs over 64 characters, and CDP URLs
// normalised by the WHATWG parser so Python's `cryptography` can read the extension.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Authority } from "../../../src/authority/authority.js";
import { buildLeafCertificate, toPem } from "../../../src/pki/certificate.js";
import { generateKeyPair } from "../../../src/pki/keys.js";
import { subjectDn } from "../../../src/pki/names.js";
import { randomSerial } from "../../../src/pki/serial.js";
import { captureLog } from "../../helpers/log-capture.js";
import { makeCa, makeLeaf } from "../../helpers/throwaway-ca.js";
import { openssl } from "../../helpers/openssl.js";

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

async function leafWithCdp(crlUrl: string): Promise<string> {
  const ca = await makeCa();
  const key = await generateKeyPair("p256");
  const now = Date.now();
  const cert = await buildLeafCertificate({ issuer: ca.intermediate, publicKey: key.publicKey, name: "a", org: ca.org, kind: "agent", trustDomain: "mesh.local", roles: [], serial: randomSerial(), notBefore: new Date(now), notAfter: new Date(now + 3_600_000), crlUrl });
  return toPem(cert);
}

/** What Python's cryptography reads as the first distribution point's URI. */
function pythonCdp(certPem: string): { status: number | null; out: string } {
  const script = "import sys\nfrom cryptography import x509\nc = x509.load_pem_x509_certificate(sys.stdin.buffer.read())\nprint(c.extensions.get_extension_for_class(x509.CRLDistributionPoints).value[0].full_name[0].value)";
  const r = spawnSync("python3", ["-c", script], { input: certPem, encoding: "utf8", timeout: 30_000 });
  return { status: r.status, out: (r.stdout + r.stderr).trim() };
}

test("leaf and CA subjects put O before CN, as openssl prints them", async () => {
  const ca = await makeCa("Acme", "mesh.local");
  const { certPem } = await makeLeaf(ca, "ci-bot");
  assert.equal(openssl(["x509", "-noout", "-subject", "-nameopt", "oneline"], certPem).stdout.trim(), "subject=O = Acme, CN = ci-bot");
  assert.equal(openssl(["x509", "-noout", "-subject", "-nameopt", "oneline"], toPem(ca.intermediate.cert)).stdout.trim(), "subject=O = Acme, CN = Acme Issuing CA");
});

test("empty subject values and CNs over 64 characters are refused", () => {
  assert.throws(() => subjectDn("", "Acme"), code("BAD_NAME"));
  assert.throws(() => subjectDn("x".repeat(65), "Acme"), code("BAD_NAME"));
  assert.throws(() => subjectDn("a", ""), code("BAD_ORG"));
  assert.equal(subjectDn("a,b", "O+rg"), "O=O\\+rg, CN=a\\,b");
});

test("ca init refuses an organization whose CA names would exceed 64 characters", async () => {
  const caDir = join(mkdtempSync(join(tmpdir(), "ztmcp-org-")), "ca");
  await assert.rejects(Authority.init({ caDir, org: "O".repeat(60), log: captureLog("silent").log }), code("BAD_ORG"));
});

test("the CRL URL is normalised (host case, spaces, IDN) so Python's cryptography reads the CDP", async () => {
  const spaced = pythonCdp(await leafWithCdp("http://Example.COM/crl dir/"));
  assert.equal(spaced.status, 0, spaced.out);
  assert.equal(spaced.out, "http://example.com/crl%20dir/intermediate.crl");
  const idn = pythonCdp(await leafWithCdp("https://bücher.example/crl"));
  assert.equal(idn.status, 0, idn.out);
  assert.equal(idn.out, "https://xn--bcher-kva.example/crl/intermediate.crl");
});

test("CRL URLs that are not plain http(s) locations are refused", async () => {
  const caDir = join(mkdtempSync(join(tmpdir(), "ztmcp-cdp-")), "ca");
  for (const url of ["ftp://x/crl", "ldap://x/crl", "http://user:pw@x/crl", "http://x/crl?v=1", "http://x/crl#a", "file:///etc/crl", "not a url"]) {
    await assert.rejects(Authority.init({ caDir, crlUrl: url, log: captureLog("silent").log }), code("BAD_CRL_URL"), url);
  }
});
