import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { x509 } from "../../../src/pki/crypto-provider.js";
import { makeCa, makeLeaf } from "../../helpers/throwaway-ca.js";
import { openssl } from "../../helpers/openssl.js";

const ext = <T extends x509.Extension>(cert: x509.X509Certificate, type: new (raw: BufferSource) => T): T => {
  const found = cert.getExtension(type);
  assert.ok(found, `missing ${type.name}`);
  return found;
};

test("the root is a critical CA:true with keyCertSign and cRLSign; the intermediate has pathlen 0", async () => {
  const ca = await makeCa();
  const rootBc = ext(ca.root.cert, x509.BasicConstraintsExtension);
  assert.equal(rootBc.ca, true);
  assert.equal(rootBc.critical, true);
  assert.equal(ext(ca.root.cert, x509.KeyUsagesExtension).usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
  const intBc = ext(ca.intermediate.cert, x509.BasicConstraintsExtension);
  assert.equal(intBc.ca, true);
  assert.equal(intBc.pathLength, 0);
  assert.equal(await ca.intermediate.cert.verify({ publicKey: ca.root.cert.publicKey }), true);
  assert.equal(ext(ca.intermediate.cert, x509.AuthorityKeyIdentifierExtension).keyId, ext(ca.root.cert, x509.SubjectKeyIdentifierExtension).keyId);
});

test("an agent leaf carries CA:false, digitalSignature, clientAuth, its SPIFFE ID and a positive 128-bit serial", async () => {
  const ca = await makeCa("Acme", "mesh.local");
  const { cert } = await makeLeaf(ca, "ci-bot", { roles: ["reader"] });
  assert.equal(cert.subject, "O=Acme, CN=ci-bot");
  const bc = ext(cert, x509.BasicConstraintsExtension);
  assert.equal(bc.ca, false);
  assert.equal(bc.critical, true);
  const ku = ext(cert, x509.KeyUsagesExtension);
  assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature);
  assert.equal(ku.critical, true);
  assert.deepEqual([...ext(cert, x509.ExtendedKeyUsageExtension).usages], [x509.ExtendedKeyUsage.clientAuth]);
  assert.deepEqual(ext(cert, x509.SubjectAlternativeNameExtension).names.toJSON(), [{ type: "url", value: "spiffe://mesh.local/agent/ci-bot" }]);
  assert.match(cert.serialNumber, /^[1-7][0-9a-f]{31}$/i);
  assert.equal(ext(cert, x509.AuthorityKeyIdentifierExtension).keyId, ext(ca.intermediate.cert, x509.SubjectKeyIdentifierExtension).keyId);
  assert.equal(new X509Certificate(cert.toString("pem")).serialNumber, cert.serialNumber.toUpperCase());
});

test("a host leaf carries serverAuth, its SPIFFE ID and the DNS and IP names", async () => {
  const ca = await makeCa();
  const { cert } = await makeLeaf(ca, "gw", { kind: "host", dns: ["localhost", "gw.internal"], ips: ["127.0.0.1", "::1"] });
  assert.deepEqual([...ext(cert, x509.ExtendedKeyUsageExtension).usages], [x509.ExtendedKeyUsage.serverAuth]);
  const node = new X509Certificate(cert.toString("pem"));
  assert.equal(node.subjectAltName, "URI:spiffe://mesh.local/host/gw, DNS:localhost, DNS:gw.internal, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
  assert.equal(node.checkHost("gw.internal"), "gw.internal");
  assert.equal(node.checkIP("127.0.0.1"), "127.0.0.1");
});

test("openssl accepts an agent cert for sslclient only and a host cert for sslserver only", async () => {
  const ca = await makeCa();
  const agent = await makeLeaf(ca, "a", { roles: ["reader"] });
  const host = await makeLeaf(ca, "h", { kind: "host" });
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-prof-"));
  const put = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const caFile = put("ca.pem", agent.caPem);
  const untrusted = put("int.pem", ca.intermediate.cert.toString("pem"));
  const verify = (purpose: string, leaf: string) =>
    openssl(["verify", "-purpose", purpose, "-CAfile", caFile, "-untrusted", untrusted, put(`${purpose}-leaf.pem`, leaf)]).status;
  assert.equal(verify("sslclient", agent.certPem), 0);
  assert.notEqual(verify("sslserver", agent.certPem), 0);
  assert.equal(verify("sslserver", host.certPem), 0);
  assert.notEqual(verify("sslclient", host.certPem), 0);
});

for (const keyType of ["p384", "ed25519", "rsa2048"] as const) {
  test(`a ${keyType} CA signs leaves that Node verifies`, async () => {
    const ca = await makeCa("Org", "mesh.local", keyType);
    const leaf = await makeLeaf(ca, "x", { keyType });
    const node = new X509Certificate(leaf.certPem);
    assert.equal(node.verify(new X509Certificate(ca.intermediate.cert.toString("pem")).publicKey), true);
  });
}
