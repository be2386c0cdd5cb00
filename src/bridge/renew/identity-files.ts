// An identity directory written on the agent's (or host's) own machine, in the layout the CA
// writes (tls-files/cert-dir.ts): a version directory per certificate behind `..data`, swapped in
// one rename, key 0600. Beside it, `ca-url` says where to renew, so `renew` needs no flag.
import { X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { ZtmcpError } from "../../common/errors.js";
import { certificateBlocks } from "../../pki/pem.js";
import { normalizeSerial } from "../../pki/serial.js";
import { writeFileAtomic } from "../../tls-files/atomic-file.js";
import { CertDirs } from "../../tls-files/cert-dir.js";

export const CA_URL_FILE = "ca-url";

export interface IdentityFiles {
  keyPem: string;
  certPem: string;
  chainPem: string;
  caPem: string;
}

export interface CurrentIdentity extends IdentityFiles {
  cert: X509Certificate;
  notBefore: Date;
  notAfter: Date;
  /**
   * When this certificate's life began for us: when it was written here (cert.pem's mtime),
   * within [notBefore, notAfter]. The CA backdates notBefore by a minute for clock skew; counted
   * from notBefore, a certificate of a few seconds would be "due" the moment it arrives.
   */
  start: Date;
  /** clientAuth certificates renew over mTLS; serverAuth-only ones with a signed request. */
  clientAuth: boolean;
}

const dirsOf = (dir: string) => ({ dirs: new CertDirs(dirname(dir)), name: basename(dir) });

/** Stage, promote, swap `..data`; then drop versions older than the one just replaced. */
export function writeIdentity(dir: string, files: IdentityFiles, caUrl?: string): void {
  const { dirs, name } = dirsOf(dir);
  const serial = normalizeSerial(new X509Certificate(files.certPem).serialNumber);
  const before = dirs.entries(name).current;
  const staging = dirs.stage(name, serial, [
    { file: "key.pem", data: files.keyPem, mode: 0o600 },
    { file: "cert.pem", data: files.certPem, mode: 0o644 },
    { file: "chain.pem", data: files.chainPem, mode: 0o644 },
    { file: "ca.pem", data: files.caPem, mode: 0o644 },
  ]);
  dirs.promote(name, serial, staging);
  dirs.point(name, serial);
  // The previous version stays one round (a process may still be reading it); older ones go.
  for (const v of dirs.entries(name).versions) if (v !== serial && v !== before) dirs.remove(dirs.versionDir(name, v));
  if (caUrl !== undefined) writeFileAtomic(join(dir, CA_URL_FILE), caUrl + "\n");
}

export function readCaUrl(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, CA_URL_FILE), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

export function readCurrentIdentity(dir: string): CurrentIdentity {
  let files: IdentityFiles;
  try {
    files = {
      keyPem: readFileSync(join(dir, "key.pem"), "utf8"),
      certPem: readFileSync(join(dir, "cert.pem"), "utf8"),
      chainPem: readFileSync(join(dir, "chain.pem"), "utf8"),
      caPem: readFileSync(join(dir, "ca.pem"), "utf8"),
    };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ZtmcpError("IDENTITY_UNREADABLE", `${dir}: cannot read ${basename(err.path ?? "")} (${err.code ?? err.message})`);
  }
  const leaf = certificateBlocks(files.certPem)[0];
  if (!leaf) throw new ZtmcpError("IDENTITY_UNREADABLE", `${dir}/cert.pem holds no certificate`);
  const cert = new X509Certificate(leaf);
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  const written = statSync(join(dir, "cert.pem")).mtimeMs;
  const start = new Date(Math.min(Math.max(written, notBefore.getTime()), notAfter.getTime()));
  return { ...files, cert, notBefore, notAfter, start, clientAuth: (cert.keyUsage as string[] | undefined ?? []).includes(CLIENT_AUTH) };
}
