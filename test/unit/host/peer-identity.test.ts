import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { makeCa, makeLeaf } from "../../helpers/throwaway-ca.js";
import { connect, createServer } from "node:tls";
import { certificateRoles, fingerprint256Of, identityOf, IdentityCache, PeerCertificate, peerCertificateOfSession } from "../../../src/host/tls/peer-identity.js";

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

interface Read {
  ours: PeerCertificate | undefined;
  node: { fingerprint256?: string; raw?: Buffer };
  inSession: Buffer | undefined;
}

/** What PeerCertificate.of and getPeerCertificate(false) read on the server side of one loopback handshake. */
async function serverSideRead(maxVersion: "TLSv1.2" | "TLSv1.3", clientCert: boolean): Promise<Read> {
  const ca = await makeCa();
  const host = await makeLeaf(ca, "localhost", { kind: "host" });
  const agent = await makeLeaf(ca, "agent-9", { roles: ["reader"] });
  const server = createServer({ cert: host.chainPem, key: host.keyPem, ca: host.caPem, requestCert: true, rejectUnauthorized: false, maxVersion });
  const read = new Promise<Read>((resolve) =>
    server.once("secureConnection", (socket) => {
      const session = socket.getSession();
      resolve({ ours: PeerCertificate.of(socket), node: socket.getPeerCertificate(false), inSession: session && peerCertificateOfSession(session) });
      socket.end();
    }),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const client = connect({ port: (server.address() as { port: number }).port, host: "127.0.0.1", servername: "localhost", ca: host.caPem, ...(clientCert ? { cert: agent.chainPem, key: agent.keyPem } : {}) });
  client.on("error", () => undefined);
  client.resume();
  try {
    return await read;
  } finally {
    client.destroy();
    server.close();
  }
}

for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
  test(`peer certificate read from the ${version} session: the same DER and fingerprint256 as getPeerCertificate(false)`, async () => {
    const { ours, node, inSession } = await serverSideRead(version, true);
    assert.ok(ours && node.raw && node.fingerprint256);
    assert.deepEqual(inSession, node.raw, "read from the session, not the fallback");
    assert.equal(ours.fingerprint256, node.fingerprint256);
    assert.deepEqual(ours.x509.raw, node.raw);
    assert.equal(fingerprint256Of(node.raw), node.fingerprint256);
  });
}

test("no client certificate: no peer certificate", async () => {
  const { ours, inSession } = await serverSideRead("TLSv1.3", false);
  assert.equal(ours, undefined);
  assert.equal(inSession, undefined);
});

test("a session that is not the expected shape gives no certificate (the caller falls back to getPeerCertificate)", () => {
  assert.equal(peerCertificateOfSession(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])), undefined);
  assert.equal(peerCertificateOfSession(Buffer.from([0x04, 0x00])), undefined);
  assert.equal(peerCertificateOfSession(Buffer.from([0x30, 0x04, 0xa3, 0x02, 0x04, 0x00])), undefined);
});
