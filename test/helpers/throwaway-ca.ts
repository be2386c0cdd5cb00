// A throwaway CA in memory (and on disk when asked), built with pki/ directly: for tests that
// need certificates without going through the CLI, including ones the CA would refuse to issue.
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { x509 } from "../../src/pki/crypto-provider.js";
import { generateKeyPair, exportPrivateKeyPem, type KeyPair, type KeyType } from "../../src/pki/keys.js";
import { buildRootCertificate, buildIntermediateCertificate, buildLeafCertificate, toPem, type Issuer } from "../../src/pki/certificate.js";
import { randomSerial } from "../../src/pki/serial.js";
import type { Kind } from "../../src/pki/names.js";

const HOUR = 3_600_000;

export interface ThrowawayCa {
  root: Issuer;
  intermediate: Issuer;
  org: string;
  trustDomain: string;
}

export interface Leaf {
  cert: x509.X509Certificate;
  key: KeyPair;
  certPem: string;
  keyPem: string;
  /** leaf + intermediate */
  chainPem: string;
  caPem: string;
}

export async function makeCa(org = "Test Org", trustDomain = "mesh.local", keyType: KeyType = "p256"): Promise<ThrowawayCa> {
  const now = Date.now();
  const rootKey = await generateKeyPair(keyType);
  const rootCert = await buildRootCertificate({ keys: rootKey, org, serial: randomSerial(), notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR * 365) });
  const root = { cert: rootCert, key: rootKey };
  const intKey = await generateKeyPair(keyType);
  const intCert = await buildIntermediateCertificate({ keys: intKey, org, issuer: root, serial: randomSerial(), notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR * 300) });
  return { root, intermediate: { cert: intCert, key: intKey }, org, trustDomain };
}

export interface LeafOptions {
  kind?: Kind;
  roles?: string[];
  notBefore?: Date;
  notAfter?: Date;
  dns?: string[];
  ips?: string[];
  keyType?: KeyType;
}

export async function makeLeaf(ca: ThrowawayCa, name: string, o: LeafOptions = {}): Promise<Leaf> {
  const key = await generateKeyPair(o.keyType ?? "p256");
  const kind = o.kind ?? "agent";
  const cert = await buildLeafCertificate({
    issuer: ca.intermediate,
    publicKey: key.publicKey,
    name,
    org: ca.org,
    kind,
    trustDomain: ca.trustDomain,
    roles: o.roles ?? [],
    dns: o.dns ?? (kind === "host" ? ["localhost"] : []),
    ips: o.ips ?? (kind === "host" ? ["127.0.0.1"] : []),
    serial: randomSerial(),
    notBefore: o.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: o.notAfter ?? new Date(Date.now() + HOUR),
  });
  const certPem = toPem(cert);
  return { cert, key, certPem, keyPem: await exportPrivateKeyPem(key.privateKey), chainPem: certPem + toPem(ca.intermediate.cert), caPem: toPem(ca.root.cert) };
}

/** Writes a leaf as certs/<name>/{key,cert,chain,ca}.pem under a fresh temp dir; returns that dir. */
export function writeLeaf(leaf: Leaf, dir = mkdtempSync(join(tmpdir(), "ztmcp-leaf-"))): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "key.pem"), leaf.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, "cert.pem"), leaf.certPem);
  writeFileSync(join(dir, "chain.pem"), leaf.chainPem);
  writeFileSync(join(dir, "ca.pem"), leaf.caPem);
  return dir;
}

/** Another issuing intermediate under the same root (same subject as the first, its own key and serial). */
export async function makeIntermediate(ca: ThrowawayCa, keyType: KeyType = "p256"): Promise<Issuer> {
  const now = Date.now();
  const keys = await generateKeyPair(keyType);
  const cert = await buildIntermediateCertificate({ keys, org: ca.org, issuer: ca.root, serial: randomSerial(), notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR * 300) });
  return { cert, key: keys };
}
