// The CRLs `ca serve` hands out: read from ca/<level>.crl.der (whoever wrote it: this server's
// republisher or a `cert revoke` in another process), re-read when the file changes, served with
// a strong ETag and Last-Modified so hosts poll with conditional GETs that cost a stat and a 304.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { parseCrl } from "../pki/crl.js";
import type { CrlName } from "../store/store.js";

export interface ServedCrl {
  der: Buffer;
  etag: string;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
}

export class CrlCache {
  readonly #entries = new Map<CrlName, { key: string; crl: ServedCrl }>();

  constructor(private readonly pathOf: (crl: CrlName) => string) {}

  /** The CRL now on disk; undefined when there is none or it does not parse (the last good one is kept). */
  get(crl: CrlName): ServedCrl | undefined {
    const path = this.pathOf(crl);
    const cached = this.#entries.get(crl);
    let key: string;
    try {
      const st = statSync(path);
      key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return cached?.crl;
    }
    if (cached?.key === key) return cached.crl;
    try {
      const der = readFileSync(path);
      const parsed = parseCrl(der);
      const served: ServedCrl = {
        der,
        etag: `"${createHash("sha256").update(der).digest("hex").slice(0, 32)}"`,
        crlNumber: parsed.crlNumber ?? 0n,
        thisUpdate: parsed.thisUpdate,
        nextUpdate: parsed.nextUpdate,
      };
      // Never serve an older CRL than one already served (a restore from backup, a stray copy).
      if (cached && served.crlNumber < cached.crl.crlNumber) return cached.crl;
      this.#entries.set(crl, { key, crl: served });
      return served;
    } catch {
      return cached?.crl;
    }
  }
}

/** When a CRL should be re-published: half-way through its validity (DESIGN.md). */
export function republishAt(crl: ServedCrl): Date | undefined {
  if (!crl.nextUpdate) return undefined;
  return new Date(crl.thisUpdate.getTime() + (crl.nextUpdate.getTime() - crl.thisUpdate.getTime()) / 2);
}
