// Live revocation: the revoked serials of our CRLs in one in-memory Set, so the handshake gate
// and every request check revocation in O(1) whatever the CRL's size (OpenSSL's own CRL check
// re-walks the CRL on every handshake; DESIGN.md). Each CRL file is bound to its own issuer
// (root.crl to the root, intermediate.crl to the intermediate) and may only move forward: a
// lower crlNumber than the last good one (a replayed old CRL would un-revoke), or the same
// number with other content, is refused like a bad signature. A bad or unreadable file keeps
// the last good one; a CRL past its nextUpdate (plus grace) makes the host refuse everyone
// until a fresh one arrives. Every accepted CRL is kept in the host's state (crl-state.ts), and
// at start-up that one is the last good one: a CRL file rolled back while the host was down is
// refused, and the kept CRL stays in force.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { parseCrl, toDer, verifyCrl, type ParsedCrl } from "../../pki/crl.js";
import { ZtmcpError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import { startReloadTriggers } from "../../common/reload-triggers.js";
import { CrlState } from "./crl-state.js";

export interface CrlSource {
  path: string;
  /** PEM certificates this file's CRL may be signed by: the root for root.crl, the intermediate for intermediate.crl. */
  issuers: readonly string[];
}

export interface RevocationOptions {
  crls: readonly CrlSource[];
  /** How long past nextUpdate a CRL is still trusted (default 0: fail closed at nextUpdate). */
  graceMs?: number;
  /** Re-read interval, besides file-change events (default 60 s). */
  refreshMs?: number;
  log: Logger;
  now?: () => number;
  /** Runs after every reload (file change, timer, SIGHUP, API), once the new set is in force. */
  onReload?: () => void;
  /** Where the last good CRL of each issuer survives a restart; without it, rollback protection lasts one run. */
  state?: CrlState;
}

export type RevocationVerdict = "revoked" | "crl_stale" | undefined;

interface Loaded {
  serials: ReadonlySet<string>;
  crlNumber: bigint | undefined;
  /** SHA-256 of the DER: the same crlNumber must mean the same CRL. */
  digest: string;
  nextUpdate: number | undefined;
  thisUpdate: number;
  source: string;
  der: Buffer;
  /** CrlState.keyIdOf() of the issuer whose signature verified. */
  issuerKey: string;
}

/** Why a file's CRL was not taken: `invalid` (unreadable, bad signature), `rollback`, … */
interface Rejection {
  reason: "invalid" | "no_crl_number" | "rollback" | "same_number_different_content";
  err: string;
}

export interface RevocationStatus {
  files: { path: string; crlNumber: string | undefined; entries: number; thisUpdate: string; nextUpdate: string | undefined }[];
  revokedSerials: number;
  stale: boolean;
}

export class RevocationList {
  #byFile = new Map<string, Loaded>();
  #revoked: ReadonlySet<string> = new Set();
  /** Epoch ms after which the host fails closed (earliest nextUpdate + grace). */
  #staleAt = Infinity;
  #staleLogged = false;
  #stopTriggers: (() => void) | undefined;
  readonly #now: () => number;
  /** Issuer PEM → CrlState key id, computed once. */
  readonly #keyIds = new Map<string, string>();

  constructor(private readonly options: RevocationOptions) {
    this.#now = options.now ?? Date.now;
    for (const { issuers } of options.crls) for (const pem of issuers) if (!this.#keyIds.has(pem)) this.#keyIds.set(pem, CrlState.keyIdOf(pem));
  }

  /**
   * First load: each file's CRL, unless the host's state holds a newer one from the same issuer
   * (the file was rolled back, or is now unreadable): then the kept one, and a `crl.error` says
   * why. Neither acceptable: the host does not start.
   */
  start(): void {
    for (const source of this.options.crls) {
      const { path } = source;
      const kept = this.#kept(source);
      if (kept) this.#byFile.set(path, kept);
      const loaded = this.#read(source);
      if ("serials" in loaded) {
        this.#byFile.set(path, loaded);
        this.#persist(loaded, kept);
        continue;
      }
      if (!kept) throw new ZtmcpError("CRL_INVALID", `${path}: ${loaded.err}`);
      this.options.log.error(
        { event: "crl.error", path, ...loaded, keptCrlNumber: kept.crlNumber?.toString(), keptFrom: this.options.state?.dir },
        "CRL refused at start-up; the last good CRL kept in the host's state is in force",
      );
    }
    this.#rebuild();
    const paths = this.options.crls.map((c) => c.path);
    this.#stopTriggers = startReloadTriggers({
      targets: [...new Set(paths.map((f) => dirname(f)))].map((dir) => ({ dir, names: paths.filter((f) => dirname(f) === dir).map((f) => basename(f)) })),
      settleMs: 25,
      refreshMs: this.options.refreshMs ?? 60_000,
      reload: () => this.reload(),
      log: this.options.log,
      event: "crl.watch",
    });
  }

  stop(): void {
    this.#stopTriggers?.();
    this.#stopTriggers = undefined;
  }

  /** Re-reads every CRL; a file that fails keeps its last good version. Returns true when all loaded. */
  reload(): boolean {
    let ok = true;
    for (const source of this.options.crls) {
      const { path } = source;
      const previous = this.#byFile.get(path);
      const loaded = this.#read(source);
      if (!("serials" in loaded)) {
        ok = false;
        this.options.log.error({ event: "crl.error", path, ...loaded, keptCrlNumber: previous?.crlNumber?.toString() }, "CRL rejected; keeping the last good one");
        continue;
      }
      this.#byFile.set(path, loaded);
      this.#persist(loaded, previous);
      if (previous?.digest !== loaded.digest) {
        this.options.log.info(
          { event: "crl.load", path, crlNumber: loaded.crlNumber?.toString(), entries: loaded.serials.size, nextUpdate: iso(loaded.nextUpdate) },
          "CRL loaded",
        );
      }
    }
    this.#rebuild();
    this.options.onReload?.();
    return ok;
  }

  /** The file's CRL if it may replace the last good one, else why not. */
  #read(source: CrlSource): Loaded | Rejection {
    let bytes: Buffer;
    try {
      bytes = readFileSync(source.path);
    } catch (e) {
      return { reason: "invalid", err: `unreadable CRL: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
    const loaded = this.#check(bytes, source);
    if (!("serials" in loaded)) return loaded;
    const previous = this.#byFile.get(source.path);
    return (previous && regression(previous, loaded)) ?? loaded;
  }

  /** A CRL's bytes, parsed and checked against the issuers of its source. */
  #check(bytes: Buffer, { path, issuers }: CrlSource): Loaded | Rejection {
    let crl: ParsedCrl;
    let der: Buffer;
    try {
      der = toDer(bytes);
      crl = parseCrl(der);
    } catch (e) {
      return { reason: "invalid", err: `unreadable CRL: ${(e as Error).message}` };
    }
    const issuer = issuers.find((pem) => safeVerify(crl, pem));
    if (issuer === undefined) return { reason: "invalid", err: "CRL signature does not verify against the CA certificate this file belongs to" };
    return {
      serials: new Set(crl.serials),
      crlNumber: crl.crlNumber,
      digest: createHash("sha256").update(der).digest("hex"),
      nextUpdate: crl.nextUpdate?.getTime(),
      thisUpdate: crl.thisUpdate.getTime(),
      source: path,
      der,
      issuerKey: this.#keyIds.get(issuer)!,
    };
  }

  /** The newest CRL the host's state kept for any issuer of this source (signature checked again). */
  #kept(source: CrlSource): Loaded | undefined {
    const state = this.options.state;
    if (!state) return undefined;
    let newest: Loaded | undefined;
    for (const pem of source.issuers) {
      let bytes: Buffer | undefined;
      try {
        bytes = state.lastGood(this.#keyIds.get(pem)!);
      } catch (e) {
        this.options.log.error({ event: "crl.state", action: "read", dir: state.dir, err: (e as Error).message }, "cannot read the host's kept CRL");
      }
      const kept = bytes === undefined ? undefined : this.#check(bytes, { path: source.path, issuers: [pem] });
      if (kept && !("serials" in kept)) this.options.log.error({ event: "crl.state", action: "read", dir: state.dir, err: kept.err }, "the host's kept CRL is unusable; ignored");
      else if (kept && (newest === undefined || (kept.crlNumber ?? -1n) > (newest.crlNumber ?? -1n))) newest = kept;
    }
    return newest;
  }

  /** Keeps an accepted CRL in the host's state when it is new. A failed write is logged: memory still protects this run. */
  #persist(loaded: Loaded, previous: Loaded | undefined): void {
    const state = this.options.state;
    if (!state || (previous?.digest === loaded.digest && previous.issuerKey === loaded.issuerKey)) return;
    try {
      state.save(loaded.issuerKey, loaded.der);
    } catch (e) {
      this.options.log.error({ event: "crl.state", action: "write", dir: state.dir, err: (e as Error).message }, "cannot keep the CRL in the host's state: a restart would forget it");
    }
  }

  #rebuild(): void {
    const all = new Set<string>();
    let earliest = Infinity;
    for (const loaded of this.#byFile.values()) {
      for (const s of loaded.serials) all.add(s);
      if (loaded.nextUpdate !== undefined) earliest = Math.min(earliest, loaded.nextUpdate);
    }
    this.#revoked = all;
    this.#staleAt = earliest + (this.options.graceMs ?? 0);
    if (this.#staleAt > this.#now()) this.#staleLogged = false;
  }

  /** O(1): is this leaf (or its intermediate) refused? Also fails closed when a CRL is stale. */
  check(serial: string, intermediateSerial: string | undefined, now = this.#now()): RevocationVerdict {
    if (now > this.#staleAt) {
      if (!this.#staleLogged) {
        this.#staleLogged = true;
        this.options.log.fatal({ event: "crl.stale", staleSince: new Date(this.#staleAt).toISOString() }, "CRL past nextUpdate: refusing every client until a fresh CRL is published");
      }
      return "crl_stale";
    }
    if (this.#revoked.has(serial)) return "revoked";
    if (intermediateSerial !== undefined && this.#revoked.has(intermediateSerial)) return "revoked";
    return undefined;
  }

  status(): RevocationStatus {
    return {
      files: [...this.#byFile.entries()].map(([path, l]) => ({ path, crlNumber: l.crlNumber?.toString(), entries: l.serials.size, thisUpdate: new Date(l.thisUpdate).toISOString(), nextUpdate: iso(l.nextUpdate) })),
      revokedSerials: this.#revoked.size,
      stale: this.#now() > this.#staleAt,
    };
  }
}

/** Why a validly signed CRL must not replace the last good one of the same file, if it must not. */
function regression(previous: Loaded, next: Loaded): Rejection | undefined {
  if (previous.crlNumber === undefined) return undefined;
  if (next.crlNumber === undefined) return { reason: "no_crl_number", err: "CRL has no crlNumber where the last good one had one" };
  if (next.crlNumber < previous.crlNumber) return { reason: "rollback", err: `crlNumber ${next.crlNumber} is lower than the last good ${previous.crlNumber}` };
  if (next.crlNumber === previous.crlNumber && next.digest !== previous.digest) {
    return { reason: "same_number_different_content", err: `crlNumber ${next.crlNumber} reused for a different CRL` };
  }
  return undefined;
}

function safeVerify(crl: ParsedCrl, issuer: string): boolean {
  try {
    return verifyCrl(crl, issuer);
  } catch {
    return false;
  }
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
