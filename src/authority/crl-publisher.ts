// Publishing a CRL: build it from the store, write PEM and DER atomically, record its number.
// The whole step runs under the store's write lock, so two publishers never race an older CRL
// over a newer one, and the number is above both the store's and the file's, so it strictly
// increases even after a crash between the file write and the commit.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../common/log.js";
import type { Issuer } from "../pki/certificate.js";
import { buildCrl, crlToPem, parseCrl, type CrlEntry } from "../pki/crl.js";
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
  issuer: Issuer;
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

export function publishCrl(p: PublishParams): PublishedCrl {
  const nextUpdate = new Date(p.now.getTime() + p.validityMs);
  const path = p.files.crlPem(p.crl);
  const details: Record<string, unknown> = { crl: p.crl, nextUpdate: nextUpdate.toISOString() };
  // Read under the store's write lock (pick and write run inside it), never before it.
  let previous: ReturnType<typeof crlOnDisk> = { crlNumber: 0n, thisUpdate: undefined };
  const pick = (state: CrlState): bigint => {
    previous = crlOnDisk(p.files.crlDer(p.crl));
    return max(state.assigned, state.published + 1n, previous.crlNumber + 1n);
  };
  let marker: string | undefined;
  const crlNumber = p.store.publishCrl(
    p.crl,
    pick,
    (n) => {
      marker = join(p.files.dir, `.${p.crl}.crl.publishing.tmp-${process.pid}-${Date.now()}`);
      writeFileSync(marker, "");
      // Only the intermediate signs leaves; the root's CRL would list revoked intermediates (none yet).
      const list: CrlEntry[] = p.crl === "intermediate" ? [...p.store.revokedEntries(retentionCutoff(p.now, p.validityMs, previous.thisUpdate))] : [];
      details.entries = list.length;
      const der = buildCrl({
        issuerCert: p.issuer.cert.toString("pem"),
        issuerKey: p.issuer.key.privateKey,
        keyType: p.issuer.key.type,
        crlNumber: n,
        thisUpdate: p.now,
        nextUpdate,
        entries: list,
      });
      writeFileAtomic(p.files.crlDer(p.crl), der);
      writeFileAtomic(path, crlToPem(der));
      failpoint("crl.written");
    },
    { action: "ca.crl", actor: p.actor, details },
  );
  if (marker) rmSync(marker, { force: true });
  const entries = details.entries as number;
  p.log.info(
    { event: "ca.crl", actor: p.actor, crl: p.crl, crlNumber: crlNumber.toString(), entries, thisUpdate: p.now.toISOString(), nextUpdate: nextUpdate.toISOString() },
    `published the ${p.crl} CRL`,
  );
  return { crl: p.crl, crlNumber, entries, thisUpdate: p.now, nextUpdate, path };
}
