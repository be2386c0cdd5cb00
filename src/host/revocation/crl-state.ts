// The host's own memory of CRLs across restarts: the last good CRL of each issuer, so that an
// older CRL written back while the host was down (a rollback that would re-admit revoked
// certificates) is refused at start-up as it is while running. One file per issuer, named by
// the SHA-256 of the issuer's public key (SPKI), holding the CRL's DER as it was accepted:
// its crlNumber is the highest accepted for that issuer, and its signature is checked again
// when read, so the file cannot be used to forge a CRL. Kept in the host's state directory
// (`serve --state-dir`), never in the CA's directory or database; written atomically (0600).
import { createHash, X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../tls-files/atomic-file.js";
import { ZtmcpError } from "../../common/errors.js";

const README = "ztmcp host state: the last good CRL of each issuer (crl-<SHA-256 of the issuer's public key>.der).\nDeleting a file lets an older CRL back in at the next start.\n";

export class CrlState {
  private constructor(readonly dir: string) {}

  /** Creates the directory (0700) if needed and proves it writable, else HOST_STATE_UNWRITABLE. */
  static open(dir: string): CrlState {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileAtomic(join(dir, "README"), README, 0o600);
    } catch (e) {
      throw new ZtmcpError("HOST_STATE_UNWRITABLE", `cannot write the host's state directory ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): choose one with --state-dir`);
    }
    return new CrlState(dir);
  }

  /** SHA-256 (hex) of the issuer certificate's SubjectPublicKeyInfo: stable across re-issues of the same key. */
  static keyIdOf(issuerPem: string): string {
    const spki = new X509Certificate(issuerPem).publicKey.export({ type: "spki", format: "der" });
    return createHash("sha256").update(spki).digest("hex");
  }

  #path(keyId: string): string {
    return join(this.dir, `crl-${keyId}.der`);
  }

  /** The last good CRL's DER for this issuer; undefined when none was kept. */
  lastGood(keyId: string): Buffer | undefined {
    try {
      return readFileSync(this.#path(keyId));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }

  save(keyId: string, der: Buffer): void {
    writeFileAtomic(this.#path(keyId), der, 0o600);
  }
}
