import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { makeCa, makeLeaf } from "../../helpers/throwaway-ca.js";
import { certificateRoles, identityOf, IdentityCache } from "../../../src/host/tls/peer-identity.js";

test("identity from a peer certificate: SPIFFE ID, CN, serial, fingerprint and roles, without a full x509 parse", async () => {
  const ca = await makeCa();
  const leaf = await makeLeaf(ca, "agent-7", { roles: ["reader", "operator"] });
  const cert = new X509Certificate(leaf.certPem);
  const id = identityOf(cert);
  assert.equal(id.spiffeId, "spiffe://mesh.local/agent/agent-7");
  assert.equal(id.commonName, "agent-7");
  assert.equal(id.serial, leaf.cert.serialNumber.toUpperCase());
  assert.equal(id.fingerprint, cert.fingerprint256);
  assert.deepEqual(id.certRoles, ["reader", "operator"]);
  assert.deepEqual(certificateRoles(new X509Certificate(toPemOf(ca.intermediate.cert.rawData))), []);
  const cache = new IdentityCache();
  assert.equal(cache.get(cert.fingerprint256, () => cert), cache.get(cert.fingerprint256, () => new X509Certificate(leaf.certPem)));
});

function toPemOf(der: ArrayBuffer): string {
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString("base64")}\n-----END CERTIFICATE-----\n`;
}
