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

/** The number and thisUpdate of the CRL file now on disk; number 0 when there is none or it cannot be read. */
function crlOnDisk(path: string): { crlNumber: bigint; thisUpdate: Date | undefined } {
  try {
    const crl = parseCrl(readFileSync(path));
    return { crlNumber: crl.crlNumber ?? 0n, thisUpdate: crl.thisUpdate };
  } catch {
    return { crlNumber: 0n, thisUpdate: undefined };
  }
}

/**
 * RFC 5280 3.3: an entry stays "until one regularly scheduled CRL issued after the certificate's
 * expiry". Kept while the certificate expired less than one validity period ago, and also while
 * no CRL since its expiry has carried it (it expired after the previous CRL's thisUpdate), so a
 * CRL published late, or with a shorter validity, never drops an entry no CRL after expiry listed.
 */
function retentionCutoff(now: Date, validityMs: number, previousThisUpdate: Date | undefined): Date {
  return new Date(Math.min(now.getTime() - validityMs, previousThisUpdate?.getTime() ?? Infinity));
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
  const pick = (state: CrlState, onDisk: bigint): bigint => max(state.assigned, state.published + 1n, onDisk + 1n);
  for (let attempt = 1; ; attempt++) {
    // Read the state before the entries: a revocation committed after this read changes `assigned`.
    const seen = p.store.crlState(p.crl);
    // The CRL on disk is the one `seen` published: if the state is unchanged at commit, so is it.
    const previous = crlOnDisk(p.files.crlDer(p.crl));
    const crlNumber = pick(seen, previous.crlNumber);
    // Only the intermediate signs leaves; the root's CRL would list revoked intermediates (none yet).
    const list: CrlEntry[] = p.crl === "intermediate" ? [...p.store.revokedEntries(retentionCutoff(p.now, p.validityMs, previous.thisUpdate))] : [];
    const der = await buildCrlWithSigner({ issuerCert: p.issuer.cert.toString("pem"), crlNumber, thisUpdate: p.now, nextUpdate, entries: list }, p.issuer.signer);
    details.entries = list.length;
    let marker: string | undefined;
    try {
      p.store.publishCrl(
        p.crl,
        (state) => {
          if (state.assigned !== seen.assigned || state.published !== seen.published || pick(state, crlOnDisk(p.files.crlDer(p.crl)).crlNumber) !== crlNumber) throw new StateMoved();
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
