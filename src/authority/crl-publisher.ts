// Publishing a CRL: build it from the store, write PEM and DER atomically, record its number.
// The CRL is signed first (a Signer may be a remote KMS, and a SQLite transaction cannot wait for
// it), then written and recorded under the store's write lock only if the CRL state is still what
// it was signed against; otherwise it is built again. So two publishers never race an older CRL
// over a newer one, and the number is above both the store's and the file's, so it strictly
// increases even after a crash between the file write and the commit.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../common/log.js";
import { ZtmcpError } from "../common/errors.js";
import type { SigningIssuer } from "../pki/certificate.js";
import { buildCrlWithSigner, crlToPem, parseCrl, type CrlEntry } from "../pki/crl.js";
import type { CaStore, CrlName, CrlState } from "../store/store.js";
import { writeFileAtomic } from "../tls-files/atomic-file.js";
import type { CaFiles } from "./ca-files.js";
import { failpoint } from "./failpoint.js";

export const DEFAULT_CRL_VALIDITY_MS = 7 * 86_400_000;

export interface PublishedCrl {
  crl: CrlName;
  crlNumber: bigint;
  entries: number;
  thisUpdate: Date;
  nextUpdate: Date;
  path: string;
}

export interface PublishParams {
  store: CaStore;
  files: CaFiles;
  crl: CrlName;
  issuer: SigningIssuer;
  now: Date;
  validityMs: number;
  actor: string;
  log: Logger;
}

/** The number in the CRL file now on disk; 0 when there is none or it cannot be read. */
function numberOnDisk(path: string): bigint {
  try {
    return parseCrl(readFileSync(path)).crlNumber ?? 0n;
  } catch {
    return 0n;
  }
}

const max = (...values: bigint[]): bigint => values.reduce((a, b) => (b > a ? b : a));

/**
 * Exists only while a CRL is being written: one left by a dead process means its PEM and DER
 * may disagree or be unrecorded, and the next command publishes that CRL again.
 */
export const PUBLISHING_MARKER = /^\.(root|intermediate)\.crl\.publishing\.tmp-(\d+)-\d+$/;

/** A publisher that signed against a state another publisher or a revocation has since changed. */
class StateMoved extends Error {}
const SIGN_ATTEMPTS = 50;

export async function publishCrl(p: PublishParams): Promise<PublishedCrl> {
  const nextUpdate = new Date(p.now.getTime() + p.validityMs);
  const path = p.files.crlPem(p.crl);
  const details: Record<string, unknown> = { crl: p.crl, nextUpdate: nextUpdate.toISOString() };
  const pick = (state: CrlState): bigint => max(state.assigned, state.published + 1n, numberOnDisk(p.files.crlDer(p.crl)) + 1n);
  for (let attempt = 1; ; attempt++) {
    // Read the state before the entries: a revocation committed after this read changes `assigned`.
    const seen = p.store.crlState(p.crl);
    const crlNumber = pick(seen);
    // Only the intermediate signs leaves; the root's CRL would list revoked intermediates (none yet).
    const list: CrlEntry[] = p.crl === "intermediate" ? [...p.store.revokedEntries(p.now)] : [];
    const der = await buildCrlWithSigner({ issuerCert: p.issuer.cert.toString("pem"), crlNumber, thisUpdate: p.now, nextUpdate, entries: list }, p.issuer.signer);
    details.entries = list.length;
    let marker: string | undefined;
    try {
      p.store.publishCrl(
        p.crl,
        (state) => {
          if (state.assigned !== seen.assigned || state.published !== seen.published || pick(state) !== crlNumber) throw new StateMoved();
          return crlNumber;
        },
        () => {
          marker = join(p.files.dir, `.${p.crl}.crl.publishing.tmp-${process.pid}-${Date.now()}`);
          writeFileSync(marker, "");
          writeFileAtomic(p.files.crlDer(p.crl), der);
          writeFileAtomic(path, crlToPem(der));
          failpoint("crl.written");
        },
        { action: "ca.crl", actor: p.actor, details },
      );
    } catch (e) {
      if (!(e instanceof StateMoved)) throw e;
      if (attempt >= SIGN_ATTEMPTS) throw new ZtmcpError("CRL_BUSY", `the ${p.crl} CRL changed under ${SIGN_ATTEMPTS} signings in a row`);
      continue;
    }
    if (marker) rmSync(marker, { force: true });
    p.log.info(
      { event: "ca.crl", actor: p.actor, crl: p.crl, crlNumber: crlNumber.toString(), entries: list.length, thisUpdate: p.now.toISOString(), nextUpdate: nextUpdate.toISOString() },
      `published the ${p.crl} CRL`,
    );
    return { crl: p.crl, crlNumber, entries: list.length, thisUpdate: p.now, nextUpdate, path };
  }
}
