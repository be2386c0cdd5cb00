// Certificates a hostile client might present: weak ones from another CA (SHA-1, RSA-1024, made
// with the openssl CLI since our pki/ refuses to), and one from our own CA carrying a 64 KiB extension.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openssl } from "../helpers/openssl.js";
import { x509 } from "../../src/pki/crypto-provider.js";
import { generateKeyPair, exportPrivateKeyPem } from "../../src/pki/keys.js";
import { randomSerial } from "../../src/pki/serial.js";
import { signingAlgorithm } from "../../src/pki/keys.js";
import { toPem } from "../../src/pki/certificate.js";
import type { ThrowawayCa } from "../helpers/throwaway-ca.js";

export interface PresentedCert {
  cert: string;
  key: string;
}

function run(args: string[]): void {
  const r = openssl(args);
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

/** A CA and an agent leaf (clientAuth, our SPIFFE form) from another CA, with the given RSA size and digest. */
export function weakForeignCert(bits: 1024 | 2048, digest: "sha1" | "sha256", name: string): PresentedCert {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-weak-"));
  try {
    const f = (n: string): string => join(dir, n);
    run(["req", "-x509", "-newkey", `rsa:${bits}`, "-nodes", `-${digest}`, "-days", "2", "-subj", "/CN=Foreign CA", "-keyout", f("ca.key"), "-out", f("ca.pem")]);
    run(["req", "-new", "-newkey", `rsa:${bits}`, "-nodes", "-subj", `/CN=${name}/O=Test Org`, "-keyout", f("leaf.key"), "-out", f("leaf.csr")]);
    writeFileSync(f("ext.cnf"), `[leaf]\nbasicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://mesh.local/agent/${name}\n`);
    run(["x509", "-req", "-in", f("leaf.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-set_serial", `0x${randomSerial()}`, "-days", "1", `-${digest}`, "-extfile", f("ext.cnf"), "-extensions", "leaf", "-out", f("leaf.pem")]);
    return { cert: readFileSync(f("leaf.pem"), "utf8") + readFileSync(f("ca.pem"), "utf8"), key: readFileSync(f("leaf.key"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An agent certificate from our own intermediate with a 64 KiB private extension. */
export async function hugeExtensionCert(ca: ThrowawayCa, name: string): Promise<PresentedCert> {
  const keys = await generateKeyPair("p256");
  const blob = new Uint8Array(64 * 1024).fill(0x5a);
  // An OCTET STRING wrapping the blob, so the extension value is well-formed DER.
  const value = new Uint8Array([0x04, 0x83, (blob.length >> 16) & 0xff, (blob.length >> 8) & 0xff, blob.length & 0xff, ...blob]);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${name}, O=${ca.org}`,
    issuer: ca.intermediate.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    publicKey: keys.publicKey,
    signingKey: ca.intermediate.key.privateKey,
    signingAlgorithm: signingAlgorithm(ca.intermediate.key.type),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      new x509.SubjectAlternativeNameExtension([{ type: "url", value: `spiffe://${ca.trustDomain}/agent/${name}` }], false),
      new x509.Extension("1.3.6.1.4.1.57264.99.1", false, value),
    ],
  });
  return { cert: toPem(cert) + toPem(ca.intermediate.cert), key: await exportPrivateKeyPem(keys.privateKey) };
}
