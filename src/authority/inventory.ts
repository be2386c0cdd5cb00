// The CA's records for reading: list and show. The Authority reads through it; opened on its own
// it is read-only (no key, no passphrase, no crash recovery, ca.db opened read-only), so people
// who may only read ca/ can list and inspect certificates.
import { ZtmcpError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import { checkName } from "../pki/names.js";
import { isSerial, normalizeSerial } from "../pki/serial.js";
import { openStore } from "../store/open.js";
import type { CaStore, CertRecord } from "../store/store.js";
import { CaFiles } from "./ca-files.js";
import { viewOf, type CertView } from "./cert-view.js";
import { PUBLISHING_MARKER } from "./crl-publisher.js";
import { deadTempFiles } from "./recovery.js";

export interface Resolved {
  by: "serial" | "name";
  records: CertRecord[];
}

export class Inventory {
  constructor(
    private readonly store: CaStore,
    private readonly now: () => Date,
  ) {}

  /** Read-only (STORE_READONLY when SQLite cannot read ca/ without writing it); says so when a crash left repairs for a writing command. */
  static open(o: { caDir: string; log: Logger; now?: () => Date }): Inventory {
    const store = openStore({ kind: "sqlite", path: new CaFiles(o.caDir).db, readonly: true });
    try {
      warnIfRepairPending(o.caDir, store, o.log);
    } catch (e) {
      store.close();
      throw e;
    }
    return new Inventory(store, o.now ?? (() => new Date()));
  }

  close(): void {
    this.store.close();
  }

  list(options: { all?: boolean } = {}): CertView[] {
    const now = this.now();
    return this.store.list({ includeInactive: options.all ?? false, now }).map((r) => viewOf(r, now));
  }

  /** A serial's certificate, or every certificate issued under a name (newest first). */
  show(target: string): (CertView & { pem: string })[] {
    const now = this.now();
    return this.resolve(target).records.map((r) => ({ ...viewOf(r, now), pem: r.certPem }));
  }

  resolve(target: string): Resolved {
    if (isSerial(target)) {
      const record = this.store.findBySerial(normalizeSerial(target));
      if (record) return { by: "serial", records: [record] };
    }
    let name: string;
    try {
      name = checkName(target);
    } catch (e) {
      if (isSerial(target)) throw new ZtmcpError("CERT_NOT_FOUND", `no certificate with serial or name "${target}"`);
      throw e;
    }
    const records = this.store.findByName(name);
    if (records.length === 0) throw new ZtmcpError("CERT_NOT_FOUND", `no certificate with serial or name "${target}"`);
    return { by: "name", records };
  }
}

/**
 * What Authority.open would repair in ca/: a revocation whose CRL was not published, or a dead
 * command's temp file. The records read here are the committed ones either way; the warning is for
 * the CRL, which may not list a revocation until a writing command runs.
 */
function warnIfRepairPending(caDir: string, store: CaStore, log: Logger): void {
  const state = store.crlState("intermediate");
  const crlBehind = state.assigned > state.published;
  const unfinished = deadTempFiles(caDir);
  if (!crlBehind && unfinished.length === 0) return;
  log.warn(
    { event: "ca.recover", action: "pending", crlBehind, unfinishedCrl: unfinished.some((f) => PUBLISHING_MARKER.test(f)), files: unfinished.length },
    "an interrupted command left repairs this read-only command does not make: run a writing command (e.g. `ztmcp crl`) as the CA owner",
  );
}
