// Who signs for a CA: the one seam between "a key in a PEM file" and a KMS or HSM. Certificates
// and CRLs are built from bytes to sign and a Signer; a KMS signer implements the same four members.
import { KeyObject, sign as nodeSign, webcrypto } from "node:crypto";
import * as der from "./der.js";
import { signingAlgorithm, type KeyPair, type KeyType } from "./keys.js";

export interface Signer {
  /** The key's type, which fixes the signature algorithm (keys.ts: ECDSA with SHA-256/384, Ed25519, RSA PKCS#1 v1.5 SHA-256). */
  readonly keyType: KeyType;
  /** The WebCrypto signature algorithm, as @peculiar/x509 wants it. */
  readonly algorithm: Algorithm | EcdsaParams;
  /** The public half: Subject/Authority Key Identifiers and the check that key and certificate belong together. */
  readonly publicKey: CryptoKey;
  /** A signature over `data` as X.509 carries it (DER ECDSA-Sig-Value for ECDSA). */
  sign(data: Uint8Array): Promise<Buffer>;
}

/** Node's digest name per key type (null: Ed25519 hashes internally). */
export const SIGNING_HASH: Record<KeyType, string | null> = { p256: "sha256", p384: "sha384", ed25519: null, rsa2048: "sha256", rsa3072: "sha256" };

/** Today's signer: a key pair in memory (read from a PEM file by the authority). */
export function softwareSigner(keys: KeyPair): Signer {
  const privateKey = KeyObject.from(keys.privateKey);
  return {
    keyType: keys.type,
    algorithm: signingAlgorithm(keys.type),
    publicKey: keys.publicKey,
    sign: (data) => Promise.resolve(nodeSign(SIGNING_HASH[keys.type], data, privateKey)),
  };
}

const ECDSA_SIZE: Partial<Record<KeyType, number>> = { p256: 32, p384: 48 };

/** DER ECDSA-Sig-Value → WebCrypto's r‖s (IEEE P1363), which @peculiar/x509 converts back. Others pass through. */
function toWebCryptoSignature(keyType: KeyType, signature: Buffer): ArrayBuffer {
  const size = ECDSA_SIZE[keyType];
  if (size === undefined) return new Uint8Array(signature).buffer;
  const [r, s] = der.children(signature, der.readNode(signature, 0));
  if (!r || !s) throw new der.DerError("not an ECDSA signature");
  const fixed = (node: der.Node): Buffer => {
    const hex = der.readIntegerHex(signature, node).padStart(size * 2, "0");
    return Buffer.from(hex, "hex");
  };
  return new Uint8Array(Buffer.concat([fixed(r), fixed(s)])).buffer;
}

/**
 * A WebCrypto for @peculiar/x509's generators whose `sign` goes to the signer: the generator
 * builds the TBS bytes and asks `crypto.subtle.sign` for them, so any Signer can sign certificates.
 */
export function signerCrypto(signer: Signer): Crypto {
  const real = webcrypto.subtle;
  const subtle = {
    exportKey: real.exportKey.bind(real),
    digest: real.digest.bind(real),
    sign: async (_algorithm: unknown, _key: unknown, data: BufferSource) => {
      const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
      return toWebCryptoSignature(signer.keyType, await signer.sign(bytes));
    },
  };
  return { subtle, getRandomValues: webcrypto.getRandomValues.bind(webcrypto) } as unknown as Crypto;
}
