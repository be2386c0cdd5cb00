// PKCS#10 certificate requests: the agent builds one with a key born on its machine, the CA reads
// one and keeps only the public key, after checking the request's signature (proof of
// possession). Nothing else in a CSR (subject, SANs, extensions such as CA:TRUE) reaches a certificate.
import { ZtmcpError } from "../common/errors.js";
import { x509 } from "./crypto-provider.js";
import { importPublicKeySpki, signingAlgorithm, type KeyPair, type KeyType } from "./keys.js";

/** Far above any CSR we make (~0.5 KB for P-256, ~1 KB for RSA-3072); the HTTP body limit is the first guard. */
export const MAX_CSR_PEM_BYTES = 8 * 1024;

export async function buildCsr(keys: KeyPair, name: string): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [name] }],
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
    signingAlgorithm: signingAlgorithm(keys.type),
  });
  return csr.toString("pem") + "\n";
}

export interface CheckedCsr {
  publicKey: CryptoKey;
  keyType: KeyType;
  /** DER SubjectPublicKeyInfo, to compare keys (a renewal must bring a new one). */
  spki: Buffer;
}

/** CSR_INVALID unless it parses and its own key signed it. */
export async function readCsr(pem: string): Promise<CheckedCsr> {
  if (pem.length > MAX_CSR_PEM_BYTES) throw new ZtmcpError("CSR_INVALID", `the CSR is larger than ${MAX_CSR_PEM_BYTES} bytes`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch (e) {
    throw new ZtmcpError("CSR_INVALID", `the CSR does not parse (${(e as Error).message.split("\n")[0] ?? ""})`);
  }
  const valid = await csr.verify().catch(() => false);
  if (!valid) throw new ZtmcpError("CSR_INVALID", "the CSR's signature does not verify with its own key");
  const spki = Buffer.from(csr.publicKey.rawData);
  try {
    const { type, publicKey } = await importPublicKeySpki(spki);
    return { publicKey, keyType: type, spki };
  } catch (e) {
    if (e instanceof ZtmcpError) throw new ZtmcpError("CSR_INVALID", `the CSR's key is not usable: ${e.message}`);
    throw e;
  }
}
