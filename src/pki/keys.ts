// Key pairs from Node's WebCrypto, and their PKCS#8 PEM form (optionally encrypted: PBES2 with
// PBKDF2-SHA256 and AES-256-CBC, see key-encryption.ts; read back by Node's crypto).
import { createPrivateKey, createPublicKey, KeyObject, webcrypto } from "node:crypto";
import { ZtmcpError } from "../common/errors.js";
import { encryptPrivateKeyInfo } from "./key-encryption.js";

const subtle = webcrypto.subtle;

export const KEY_TYPES = ["p256", "p384", "ed25519", "rsa2048", "rsa3072"] as const;
export type KeyType = (typeof KEY_TYPES)[number];

interface KeyAlgorithms {
  generate: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm;
  import: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  /** The signature algorithm certificates and CRLs signed by this key use. */
  sign: Algorithm | EcdsaParams;
}

const RSA = (modulusLength: number): KeyAlgorithms => ({
  generate: { name: "RSASSA-PKCS1-v1_5", modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  sign: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
});

const ALGORITHMS: Record<KeyType, KeyAlgorithms> = {
  p256: { generate: { name: "ECDSA", namedCurve: "P-256" }, import: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } },
  p384: { generate: { name: "ECDSA", namedCurve: "P-384" }, import: { name: "ECDSA", namedCurve: "P-384" }, sign: { name: "ECDSA", hash: "SHA-384" } },
  ed25519: { generate: { name: "Ed25519" }, import: { name: "Ed25519" }, sign: { name: "Ed25519" } },
  rsa2048: RSA(2048),
  rsa3072: RSA(3072),
};

export interface KeyPair {
  type: KeyType;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export function parseKeyType(text: string): KeyType {
  if ((KEY_TYPES as readonly string[]).includes(text)) return text as KeyType;
  throw new ZtmcpError("BAD_KEY_TYPE", `unknown key type "${text}" (one of ${KEY_TYPES.join(", ")})`);
}

export function signingAlgorithm(type: KeyType): Algorithm | EcdsaParams {
  return ALGORITHMS[type].sign;
}

export async function generateKeyPair(type: KeyType): Promise<KeyPair> {
  const pair = (await subtle.generateKey(ALGORITHMS[type].generate, true, ["sign", "verify"])) as CryptoKeyPair;
  return { type, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** PKCS#8 PEM; encrypted with the passphrase when one is given. */
export async function exportPrivateKeyPem(key: CryptoKey, passphrase?: string): Promise<string> {
  const der = Buffer.from(await subtle.exportKey("pkcs8", key));
  if (passphrase) return encryptPrivateKeyInfo(der, passphrase);
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs8" }).toString();
}

export function isEncryptedPem(pem: string): boolean {
  return pem.includes("BEGIN ENCRYPTED PRIVATE KEY");
}

export function keyTypeOf(keyObject: KeyObject): KeyType {
  const kind = keyObject.asymmetricKeyType;
  if (kind === "ed25519") return "ed25519";
  if (kind === "ec") {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return "p256";
    if (curve === "secp384r1") return "p384";
  }
  if (kind === "rsa") return (keyObject.asymmetricKeyDetails?.modulusLength ?? 0) >= 3072 ? "rsa3072" : "rsa2048";
  throw new ZtmcpError("UNSUPPORTED_KEY", `unsupported key type ${kind ?? "unknown"}`);
}

/** Reads a PKCS#8 PEM (encrypted or not) back into a key pair usable for signing. */
export async function importPrivateKeyPem(pem: string, passphrase?: string): Promise<KeyPair> {
  if (isEncryptedPem(pem) && !passphrase) {
    throw new ZtmcpError("PASSPHRASE_REQUIRED", "the CA key is encrypted: set ZTMCP_CA_PASSPHRASE or pass --passphrase-file");
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(passphrase ? { key: pem, passphrase } : { key: pem });
  } catch {
    throw new ZtmcpError("BAD_PASSPHRASE", "could not decrypt the CA key: wrong passphrase or corrupt key file");
  }
  const type = keyTypeOf(keyObject);
  const der = keyObject.export({ format: "der", type: "pkcs8" });
  const spki = createPublicKey(keyObject).export({ format: "der", type: "spki" });
  const algorithm = ALGORITHMS[type].import;
  const privateKey = await subtle.importKey("pkcs8", der, algorithm, true, ["sign"]);
  const publicKey = await subtle.importKey("spki", spki, algorithm, true, ["verify"]);
  return { type, privateKey, publicKey };
}

/** A public key from its SubjectPublicKeyInfo (a CSR's, a certificate's): UNSUPPORTED_KEY for curves and sizes we do not sign. */
export async function importPublicKeySpki(spki: Uint8Array): Promise<{ type: KeyType; publicKey: CryptoKey }> {
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch {
    throw new ZtmcpError("UNSUPPORTED_KEY", "the public key does not parse");
  }
  const type = keyTypeOf(keyObject);
  if (keyObject.asymmetricKeyType === "rsa" && (keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new ZtmcpError("UNSUPPORTED_KEY", "RSA keys below 2048 bits are refused");
  const publicKey = await subtle.importKey("spki", keyObject.export({ format: "der", type: "spki" }), ALGORITHMS[type].import, true, ["verify"]);
  return { type, publicKey };
}
