// Builds the certificates of the profile in docs/certificate-profile.md: root, issuing
// intermediate, and agent/host leaves. Pure: keys, names and times come in, a certificate comes out.
import { createHash } from "node:crypto";
import { normalizeCrlUrl } from "./crl-url.js";
import { x509 } from "./crypto-provider.js";
import { subjectAltNameExtension, type GeneralName } from "./general-name.js";
import { parseIp } from "./ip-address.js";
import { signingAlgorithm, type KeyPair } from "./keys.js";
import { nameConstraintsExtension, type NameConstraints } from "./name-constraints.js";
import { spiffeId, subjectDn, type Kind } from "./names.js";
import { encodeRoles, ROLES_OID } from "./role-extension.js";
import { signerCrypto, softwareSigner, type Signer } from "./signer.js";

export interface Issuer {
  cert: x509.X509Certificate;
  key: KeyPair;
}

/** A CA whose key may live outside this process (KMS, HSM): only a Signer is at hand. */
export interface SigningIssuer {
  cert: x509.X509Certificate;
  signer: Signer;
}

export const signerOf = (issuer: Issuer | SigningIssuer): Signer => ("signer" in issuer ? issuer.signer : softwareSigner(issuer.key));

interface Validity {
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export interface CaParams extends Validity {
  keys: KeyPair;
  org: string;
}

export interface LeafParams extends Validity {
  issuer: Issuer | SigningIssuer;
  publicKey: CryptoKey;
  name: string;
  org: string;
  kind: Kind;
  trustDomain: string;
  roles: readonly string[];
  dns?: readonly string[];
  ips?: readonly string[];
  crlUrl?: string;
}

const CA_USAGES = (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign) as x509.KeyUsageFlags;

export async function buildRootCertificate(p: CaParams): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: p.serial,
    name: subjectDn(`${p.org} Root CA`, p.org),
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    keys: { privateKey: p.keys.privateKey, publicKey: p.keys.publicKey },
    signingAlgorithm: signingAlgorithm(p.keys.type),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(CA_USAGES, true),
      await x509.SubjectKeyIdentifierExtension.create(p.keys.publicKey),
    ],
  });
}

export async function buildIntermediateCertificate(p: CaParams & { issuer: Issuer; crlUrl?: string | undefined; permitted?: NameConstraints | undefined }): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber: p.serial,
    subject: subjectDn(`${p.org} Issuing CA`, p.org),
    issuer: p.issuer.cert.subject,
    notBefore: p.notBefore,
    notAfter: p.notAfter,
    publicKey: p.keys.publicKey,
    signingKey: p.issuer.key.privateKey,
    signingAlgorithm: signingAlgorithm(p.issuer.key.type),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(CA_USAGES, true),
      await x509.SubjectKeyIdentifierExtension.create(p.keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(p.issuer.key.publicKey),
      ...crlDistribution(p.crlUrl, "root"),
      ...(p.permitted ? [nameConstraintsExtension(p.permitted)] : []),
    ],
  });
}

export async function buildLeafCertificate(p: LeafParams): Promise<x509.X509Certificate> {
  const names: GeneralName[] = [
    { type: "uri", value: spiffeId(p.trustDomain, p.kind, p.name) },
    ...(p.dns ?? []).map((value): GeneralName => ({ type: "dns", value })),
    ...(p.ips ?? []).map((ip): GeneralName => ({ type: "ip", bytes: parseIp(ip).bytes })),
  ];
  const usage = p.kind === "agent" ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth;
  const signer = signerOf(p.issuer);
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: p.serial,
      subject: subjectDn(p.name, p.org),
      issuer: p.issuer.cert.subject,
      notBefore: p.notBefore,
      notAfter: p.notAfter,
      publicKey: p.publicKey,
      // Only its algorithm is read: the signature comes from signerCrypto.
      signingKey: signer.publicKey,
      signingAlgorithm: signer.algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([usage], false),
        await x509.SubjectKeyIdentifierExtension.create(p.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(signer.publicKey),
        subjectAltNameExtension(names),
        ...(p.roles.length > 0 ? [new x509.Extension(ROLES_OID, false, encodeRoles(p.roles))] : []),
        ...crlDistribution(p.crlUrl, "intermediate"),
      ],
    },
    signerCrypto(signer),
  );
}

/** `<base>/intermediate.crl` for leaves, `<base>/root.crl` for the intermediate. */
function crlDistribution(baseUrl: string | undefined, crl: "root" | "intermediate"): x509.Extension[] {
  if (!baseUrl) return [];
  return [new x509.CRLDistributionPointsExtension([`${normalizeCrlUrl(baseUrl)}/${crl}.crl`])];
}

/** SHA-256 fingerprint as colon-separated uppercase hex, like Node's `fingerprint256`. */
export function fingerprint256(der: BufferSource): string {
  const bytes = ArrayBuffer.isView(der) ? Buffer.from(der.buffer, der.byteOffset, der.byteLength) : Buffer.from(der);
  return (createHash("sha256").update(bytes).digest("hex").toUpperCase().match(/../g) ?? []).join(":");
}

export function toPem(cert: x509.X509Certificate): string {
  return cert.toString("pem") + "\n";
}
