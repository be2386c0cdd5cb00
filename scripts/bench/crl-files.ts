// Signed CRL files for the servers under test: the intermediate's CRL with N revoked serials
// and an empty root CRL, separately (Node, ztmcp) and concatenated (nginx's ssl_crl).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildCrl, crlToPem, type CrlEntry } from "../../src/pki/crl.js";
import type { Issuer } from "../../src/pki/certificate.js";
import type { BenchCa } from "./bench-ca.js";
import { revokedEntries } from "./crl-build.js";

export interface CrlFiles {
  intermediate: string;
  root: string;
  /** Both in one PEM file, for nginx. */
  both: string;
  /** DER forms, for the ztmcp host: pki/crl.ts parseCrl overflows the stack on a 100k-entry PEM
   * (pvtsutils' base64 regex; reported), while DER loads in a fraction of a second. */
  intermediateDer: string;
  rootDer: string;
}

function crlDer(issuer: Issuer, certPem: string, entries: CrlEntry[]): Buffer {
  const now = Date.now();
  return buildCrl({ issuerCert: certPem, issuerKey: issuer.key.privateKey, keyType: issuer.key.type, crlNumber: 1n, thisUpdate: new Date(now - 60_000), nextUpdate: new Date(now + 7 * 86_400_000), entries });
}

export function writeCrls(ca: BenchCa, revokedCount: number): CrlFiles {
  const intermediate = crlDer(ca.ca.intermediate, ca.intermediatePem, revokedEntries(revokedCount));
  const root = crlDer(ca.ca.root, ca.rootPem, []);
  const prefix = join(ca.dir, `crl-${revokedCount}`);
  const files = {
    intermediate: `${prefix}-intermediate.pem`,
    root: `${prefix}-root.pem`,
    both: `${prefix}-all.pem`,
    intermediateDer: `${prefix}-intermediate.der`,
    rootDer: `${prefix}-root.der`,
  };
  writeFileSync(files.intermediate, crlToPem(intermediate));
  writeFileSync(files.root, crlToPem(root));
  writeFileSync(files.both, crlToPem(intermediate) + crlToPem(root));
  writeFileSync(files.intermediateDer, intermediate);
  writeFileSync(files.rootDer, root);
  return files;
}
