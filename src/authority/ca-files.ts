// The files of a CA directory, and loading a signing CA (certificate + key) from them.
import { existsSync, readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { ZtmcpError } from "../common/errors.js";
import { x509, subtle } from "../pki/crypto-provider.js";
import { importPrivateKeyPem } from "../pki/keys.js";
import type { Issuer } from "../pki/certificate.js";
import type { CrlName } from "../store/store.js";

export type CaLevel = CrlName;

export class CaFiles {
  constructor(readonly dir: string) {}

  get db(): string {
    return join(this.dir, "ca.db");
  }
  get chain(): string {
    return join(this.dir, "chain.pem");
  }
  get policy(): string {
    return join(this.dir, "policy.json");
  }
  cert(level: CaLevel): string {
    return join(this.dir, `${level}.pem`);
  }
  key(level: CaLevel): string {
    return join(this.dir, `${level}.key.pem`);
  }
  crlPem(level: CaLevel): string {
    return join(this.dir, `${level}.crl.pem`);
  }
  crlDer(level: CaLevel): string {
    return join(this.dir, `${level}.crl.der`);
  }

  readCertPem(level: CaLevel): string {
    try {
      return readFileSync(this.cert(level), "utf8");
    } catch (e) {
      throw new ZtmcpError("CA_FILE_MISSING", `cannot read ${this.cert(level)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }

  hasKey(level: CaLevel): boolean {
    return existsSync(this.key(level));
  }

  /** The CA certificate and its private key, checked to belong together. */
  async loadIssuer(level: CaLevel, passphrase: string | undefined): Promise<Issuer> {
    const certPem = this.readCertPem(level);
    let keyPem: string;
    try {
      keyPem = readFileSync(this.key(level), "utf8");
    } catch (e) {
      const hint = level === "root" ? " (moved offline? bring it back for this command)" : "";
      throw new ZtmcpError("CA_KEY_MISSING", `cannot read ${this.key(level)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}${hint}`);
    }
    const key = await importPrivateKeyPem(keyPem, passphrase);
    const spki = Buffer.from(await subtle.exportKey("spki", key.publicKey));
    const certSpki = new X509Certificate(certPem).publicKey.export({ format: "der", type: "spki" });
    if (!spki.equals(certSpki)) throw new ZtmcpError("CA_KEY_MISMATCH", `${this.key(level)} is not the key of ${this.cert(level)}`);
    return { cert: new x509.X509Certificate(certPem), key };
  }
}
