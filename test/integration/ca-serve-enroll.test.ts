// POST /enroll against a real `ca serve` on loopback: what a token buys, and every way a token
// or a CSR can be wrong (issue #12, "Bad input and faults").
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { x509 } from "../../src/pki/crypto-provider.js";
import { buildCsr } from "../../src/pki/csr.js";
import { decodeToken, encodeToken } from "../../src/pki/enrollment-token.js";
import { generateKeyPair, signingAlgorithm } from "../../src/pki/keys.js";
import { decodeRoles, ROLES_OID } from "../../src/pki/role-extension.js";
import { onlineCa } from "../helpers/online-ca.js";

async function csrFor(name = "alice") {
  const keys = await generateKeyPair("p256");
  return { keys, csr: await buildCsr(keys, name) };
}

const refusedWith = (ca: Awaited<ReturnType<typeof onlineCa>>, reason: string) =>
  ca.logs.waitFor((e) => e.event === "ca.enroll" && e.outcome === "refused" && e.reason === reason, 5_000);

test("a token buys one certificate for its name and roles with the CSR's key; the token never reaches a log", async () => {
  const ca = await onlineCa();
  try {
    const token = ca.token("alice", { roles: ["reader", "operator"], certTtl: "2h" });
    const { keys, csr } = await csrFor("someone-else");
    const r = await ca.post("/enroll", { token, csr });
    assert.equal(r.status, 201);
    const cert = new X509Certificate(r.body.certificate as string);
    assert.match(cert.subject, /CN=alice/);
    assert.equal(cert.subjectAltName, "URI:spiffe://mesh.local/agent/alice");
    const spki = (k: CryptoKey) => crypto.subtle.exportKey("spki", k).then((b) => Buffer.from(b));
    assert.deepEqual(cert.publicKey.export({ format: "der", type: "spki" }), await spki(keys.publicKey));
    assert.deepEqual(decodeRoles(new x509.X509Certificate(r.body.certificate as string).getExtension(ROLES_OID)!.value), ["reader", "operator"]);
    assert.equal(Date.parse(cert.validTo) - Date.parse(cert.validFrom), 2 * 3_600_000 + 60_000);
    const secret = decodeToken(token).secret;
    assert.ok(!ca.logs.text().includes(secret));
    assert.ok(!ca.logs.text().includes(token));
    assert.ok(ca.logs.events.some((e) => e.event === "ca.enroll" && e.name === "alice" && e.via === "token"));
  } finally {
    await ca.close();
  }
});

test("a token used once is refused the second time", async () => {
  const ca = await onlineCa();
  try {
    const token = ca.token("alice");
    assert.equal((await ca.post("/enroll", { token, csr: (await csrFor()).csr })).status, 201);
    const again = await ca.post("/enroll", { token, csr: (await csrFor()).csr });
    assert.equal(again.status, 401);
    assert.equal(again.body.error?.code, "TOKEN_INVALID");
    await refusedWith(ca, "used");
  } finally {
    await ca.close();
  }
});

test("an expired token is refused", async () => {
  const ca = await onlineCa();
  try {
    const token = ca.token("alice", { ttl: "10m" });
    ca.advance(10 * 60_000 + 1_000);
    const r = await ca.post("/enroll", { token, csr: (await csrFor()).csr });
    assert.equal(r.status, 401);
    await refusedWith(ca, "expired");
    assert.equal(ca.authority.store.findByName("alice").length, 0);
  } finally {
    await ca.close();
  }
});

test("a token presented for another name is refused, and a token edited to name someone else too", async () => {
  const ca = await onlineCa();
  try {
    const token = ca.token("alice");
    assert.equal((await ca.post("/enroll", { token, csr: (await csrFor()).csr, name: "bob" })).status, 401);
    const edited = encodeToken({ ...decodeToken(token), name: "bob" });
    assert.equal((await ca.post("/enroll", { token: edited, csr: (await csrFor()).csr })).status, 401);
    await refusedWith(ca, "name_mismatch");
    assert.equal(ca.authority.store.findByName("bob").length, 0);
    // Neither attempt spent it.
    assert.equal((await ca.post("/enroll", { token, csr: (await csrFor()).csr })).status, 201);
  } finally {
    await ca.close();
  }
});

test("guessed tokens are refused: an unknown id, a known id with a wrong secret, garbage", async () => {
  const ca = await onlineCa();
  try {
    const real = decodeToken(ca.token("alice"));
    const unknown = encodeToken({ ...real, id: "0123456789abcdef" });
    const wrongSecret = encodeToken({ ...real, secret: "A".repeat(43) });
    for (const token of [unknown, wrongSecret, "ztmcp1.e30", "not-a-token"]) {
      const r = await ca.post("/enroll", { token, csr: (await csrFor()).csr });
      assert.equal(r.status, 401, token);
      assert.equal(r.body.error?.message, "the enrollment token is not valid");
    }
    await refusedWith(ca, "unknown");
    await refusedWith(ca, "wrong_secret");
    await refusedWith(ca, "malformed");
  } finally {
    await ca.close();
  }
});

test("a CSR whose signature does not verify is refused and does not spend the token", async () => {
  const ca = await onlineCa();
  try {
    const token = ca.token("alice");
    const { csr } = await csrFor();
    const der = Buffer.from(new x509.Pkcs10CertificateRequest(csr).rawData);
    der[der.length - 5] = der[der.length - 5]! ^ 0x01;
    const tampered = new x509.Pkcs10CertificateRequest(der).toString("pem");
    const r = await ca.post("/enroll", { token, csr: tampered });
    assert.equal(r.status, 400);
    assert.equal(r.body.error?.code, "CSR_INVALID");
    assert.equal((await ca.post("/enroll", { token, csr: (await csrFor()).csr })).status, 201);
  } finally {
    await ca.close();
  }
});

test("CA:TRUE, extra SANs and another subject in the CSR are never copied into the certificate", async () => {
  const ca = await onlineCa();
  try {
    const keys = await generateKeyPair("p256");
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: "CN=Evil Root CA, O=Evil",
      keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
      signingAlgorithm: signingAlgorithm("p256"),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
        new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "evil.example" }, { type: "url", value: "spiffe://mesh.local/agent/admin" }]),
      ],
    });
    const r = await ca.post("/enroll", { token: ca.token("alice"), csr: csr.toString("pem") });
    assert.equal(r.status, 201);
    const cert = new X509Certificate(r.body.certificate as string);
    assert.equal(cert.ca, false);
    assert.equal(cert.subjectAltName, "URI:spiffe://mesh.local/agent/alice");
    assert.match(cert.subject, /^CN=alice\nO=ztmcp$/);
    assert.equal(new x509.X509Certificate(r.body.certificate as string).getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.digitalSignature);
  } finally {
    await ca.close();
  }
});

test("a huge body is refused with 413 before it is parsed, a huge CSR field with 400", async () => {
  const ca = await onlineCa();
  try {
    const token = ca.token("alice");
    const huge = await ca.post("/enroll", { token, csr: "A".repeat(200_000) });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error?.code, "REQUEST_TOO_LARGE");
    const big = await ca.post("/enroll", { token, csr: "-----BEGIN CERTIFICATE REQUEST-----\n" + "A".repeat(20_000) });
    assert.equal(big.status, 400);
    assert.equal(big.body.error?.code, "REQUEST_INVALID");
    assert.equal((await ca.post("/enroll", { token, csr: (await csrFor()).csr })).status, 201);
  } finally {
    await ca.close();
  }
});

test("two concurrent enrollments with one token: exactly one gets a certificate", async () => {
  const ca = await onlineCa();
  try {
    for (let round = 0; round < 3; round++) {
      const name = `racer-${round}`;
      const token = ca.token(name);
      const [a, b] = await Promise.all([ca.post("/enroll", { token, csr: (await csrFor()).csr }), ca.post("/enroll", { token, csr: (await csrFor()).csr })]);
      assert.deepEqual([a.status, b.status].sort(), [201, 401]);
      assert.equal(ca.authority.store.findByName(name).length, 1);
    }
  } finally {
    await ca.close();
  }
});

test("enrollment attempts per token are rate-limited with 429 and Retry-After", async () => {
  const ca = await onlineCa({ limits: { perToken: { max: 2, perMs: 60_000 } } });
  try {
    const token = encodeToken({ ...decodeToken(ca.token("alice")), secret: "B".repeat(43) });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const r = await ca.post("/enroll", { token, csr: (await csrFor()).csr });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get("retry-after");
    }
    assert.deepEqual(statuses, [401, 401, 429, 429]);
    assert.ok(Number(retryAfter) >= 1);
  } finally {
    await ca.close();
  }
});
