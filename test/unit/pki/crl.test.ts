import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCrl, crlToPem, parseCrl, verifyCrl, type CrlEntry } from "../../../src/pki/crl.js";
import { toPem } from "../../../src/pki/certificate.js";
import { randomSerial } from "../../../src/pki/serial.js";
import { makeCa, makeLeaf, type ThrowawayCa } from "../../helpers/throwaway-ca.js";
import { openssl } from "../../helpers/openssl.js";

const DAY = 86_400_000;

function crlFor(ca: ThrowawayCa, level: "root" | "intermediate", entries: CrlEntry[], crlNumber = 1n): Buffer {
  const issuer = ca[level];
  return buildCrl({
    issuerCert: issuer.cert.toString("pem"),
    issuerKey: issuer.key.privateKey,
    keyType: issuer.key.type,
    crlNumber,
    thisUpdate: new Date(),
    nextUpdate: new Date(Date.now() + 7 * DAY),
    entries,
  });
}

for (const keyType of ["p256", "p384", "ed25519", "rsa2048"] as const) {
  test(`a ${keyType} CA's CRL verifies with openssl and marks a revoked leaf revoked`, async () => {
    const ca = await makeCa("Org", "mesh.local", keyType);
    const good = await makeLeaf(ca, "good");
    const bad = await makeLeaf(ca, "bad");
    const dir = mkdtempSync(join(tmpdir(), "ztmcp-crl-"));
    const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
    const caFile = file("ca.pem", toPem(ca.root.cert));
    const untrusted = file("int.pem", toPem(ca.intermediate.cert));
    const intermediateCrl = crlToPem(crlFor(ca, "intermediate", [{ serial: bad.cert.serialNumber, revokedAt: new Date(), reason: "keyCompromise" }], 7n));
    const crls = file("crls.pem", crlToPem(crlFor(ca, "root", [])) + intermediateCrl);
    const verifyArgs = (leaf: string) => ["verify", "-crl_check_all", "-CAfile", caFile, "-untrusted", untrusted, "-CRLfile", crls, file(`${leaf}.pem`, leaf === "good" ? good.certPem : bad.certPem)];
    const ok = openssl(verifyArgs("good"));
    assert.equal(ok.status, 0, ok.stderr + ok.stdout);
    const revoked = openssl(verifyArgs("bad"));
    assert.notEqual(revoked.status, 0);
    assert.match(revoked.stdout + revoked.stderr, /certificate revoked/);
    const text = openssl(["crl", "-noout", "-text"], intermediateCrl).stdout;
    assert.match(text, /X509v3 CRL Number:\s*\n\s*7/);
    assert.match(text, /Key Compromise/);
  });
}

test("parseCrl reads back what buildCrl wrote, and verifyCrl checks the signature and issuer", async () => {
  const ca = await makeCa();
  const entries = Array.from({ length: 300 }, (): CrlEntry => ({ serial: randomSerial(), revokedAt: new Date(), reason: "superseded" }));
  const der = crlFor(ca, "intermediate", entries, 42n);
  const parsed = parseCrl(crlToPem(der));
  assert.deepEqual(parsed.serials, entries.map((e) => e.serial));
  assert.equal(parsed.crlNumber, 42n);
  assert.ok(parsed.nextUpdate && parsed.nextUpdate > parsed.thisUpdate);
  assert.equal(verifyCrl(parsed, ca.intermediate.cert.toString("pem")), true);
  assert.equal(verifyCrl(parsed, ca.root.cert.toString("pem")), false, "wrong issuer");
  const other = await makeCa();
  assert.equal(verifyCrl(parsed, other.intermediate.cert.toString("pem")), false, "same name, other key");
  const tampered = Buffer.from(der);
  tampered[tampered.length - 5]! ^= 0xff;
  assert.equal(verifyCrl(parseCrl(tampered), ca.intermediate.cert.toString("pem")), false);
});

test("parseCrl refuses truncated and trailing-garbage input", async () => {
  const ca = await makeCa();
  const der = crlFor(ca, "intermediate", [{ serial: randomSerial(), revokedAt: new Date(), reason: "unspecified" }]);
  assert.throws(() => parseCrl(der.subarray(0, der.length - 10)), /truncated/);
  assert.throws(() => parseCrl(Buffer.concat([der, Buffer.from([0])])), /trailing/);
  assert.throws(() => parseCrl("not a pem"));
});

test("a CRL with 100,000 entries builds, parses and verifies with openssl", async () => {
  const ca = await makeCa();
  const now = new Date();
  const entries = Array.from({ length: 100_000 }, (): CrlEntry => ({ serial: randomSerial(), revokedAt: now, reason: "cessationOfOperation" }));
  const der = crlFor(ca, "intermediate", entries);
  assert.equal(parseCrl(der).serials.length, 100_000);
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-crl-"));
  writeFileSync(join(dir, "crl.der"), der);
  writeFileSync(join(dir, "int.pem"), toPem(ca.intermediate.cert));
  const r = openssl(["crl", "-inform", "DER", "-in", join(dir, "crl.der"), "-CAfile", join(dir, "int.pem"), "-noout"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /verify OK/);
});

test("parseCrl reads a 100,000-entry CRL in PEM form", async () => {
  const ca = await makeCa();
  const now = new Date();
  const entries = Array.from({ length: 100_000 }, (): CrlEntry => ({ serial: randomSerial(), revokedAt: now, reason: "superseded" }));
  const pem = crlToPem(crlFor(ca, "intermediate", entries));
  const parsed = parseCrl(pem);
  assert.equal(parsed.serials.length, 100_000);
  assert.equal(verifyCrl(parsed, ca.intermediate.cert.toString("pem")), true);
});

test("parseCrl refuses PEM without a block or with a non-base64 body", () => {
  assert.throws(() => parseCrl("-----BEGIN X509 CRL-----\nno end"), /no PEM block/);
  assert.throws(() => parseCrl("-----BEGIN X509 CRL-----\n%%%%\n-----END X509 CRL-----\n"), /not base64/);
});
