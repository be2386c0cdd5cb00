// Where the CA's signers come from. The authority asks a SignerSource for "the intermediate" or
// "the root" and never sees a key; pemSigners reads today's PEM files, a KMS source would call out.
import type { SigningIssuer } from "../pki/certificate.js";
import { softwareSigner } from "../pki/signer.js";
import type { CaFiles, CaLevel } from "./ca-files.js";

export interface SignerSource {
  /** The CA certificate and its signer (CA_KEY_MISSING when that key is not reachable). */
  load(level: CaLevel): Promise<SigningIssuer>;
  /** Whether `load(level)` can succeed without asking anyone (the root key may live offline). */
  has(level: CaLevel): boolean;
}

/** The keys in ca/<level>.key.pem, decrypted with the passphrase when there is one. */
export function pemSigners(files: CaFiles, passphrase: string | undefined): SignerSource {
  return {
    load: async (level) => {
      const issuer = await files.loadIssuer(level, passphrase);
      return { cert: issuer.cert, signer: softwareSigner(issuer.key) };
    },
    has: (level) => files.hasKey(level),
  };
}
