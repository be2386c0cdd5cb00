// PKCS#8 EncryptedPrivateKeyInfo (RFC 5958) with PBES2 (RFC 8018): PBKDF2-HMAC-SHA256 at
// 600,000 iterations (OWASP's figure for PBKDF2-SHA256) with a 16-byte salt, and AES-256-CBC.
// Built here because Node's KeyObject.export uses OpenSSL's defaults (2,048 iterations, 8-byte
// salt) with no way to change them. Decryption stays with Node (createPrivateKey), which reads
// any PBES2 parameters, so keys written by older releases keep working.
import { createCipheriv, pbkdf2, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import * as der from "./der.js";

export const KEY_ITERATIONS = 600_000;
const SALT_BYTES = 16;

const OID = {
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacWithSHA256: "1.2.840.113549.2.9",
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
} as const;

const NULL = der.tlv(der.TAG.NULL, Buffer.alloc(0));

/** The PBES2 AlgorithmIdentifier and the key and IV it stands for. */
async function pbes2(passphrase: string, iterations: number): Promise<{ algorithm: Buffer; key: Buffer; iv: Buffer }> {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(16);
  const key = await promisify(pbkdf2)(Buffer.from(passphrase, "utf8"), salt, iterations, 32, "sha256");
  const kdf = der.sequence(der.oid(OID.pbkdf2), der.sequence(der.tlv(der.TAG.OCTET_STRING, salt), der.integer(iterations), der.sequence(der.oid(OID.hmacWithSHA256), NULL)));
  const cipher = der.sequence(der.oid(OID.aes256Cbc), der.tlv(der.TAG.OCTET_STRING, iv));
  return { algorithm: der.sequence(der.oid(OID.pbes2), der.sequence(kdf, cipher)), key, iv };
}

/** A PKCS#8 PrivateKeyInfo (DER) as an `ENCRYPTED PRIVATE KEY` PEM. */
export async function encryptPrivateKeyInfo(pkcs8: Buffer, passphrase: string, iterations = KEY_ITERATIONS): Promise<string> {
  const { algorithm, key, iv } = await pbes2(passphrase, iterations);
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  const encrypted = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  const body = der.sequence(algorithm, der.tlv(der.TAG.OCTET_STRING, encrypted)).toString("base64");
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${(body.match(/.{1,64}/g) ?? []).join("\n")}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
}
