// Live revocation: the revoked serials of our CRLs in one in-memory Set, so the handshake gate
// and every request check revocation in O(1) whatever the CRL's size (OpenSSL's own CRL check
// re-walks the CRL on every handshake; DESIGN.md). Each CRL must verify against one of our CA
// certificates; a bad or unreadable file keeps the last good one; a CRL past its nextUpdate
// (plus grace) makes the host refuse everyone until a fresh one arrives.
import { readFileSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { parseCrl, verifyCrl, type ParsedCrl } from "../pki/crl.js";
import { ZtmcpError } from "../errors.js";
import type { Logger } from "../log.js";

export interface RevocationOptions {
  crlFiles: readonly string[];
  /** PEM certificates a CRL may be signed by (our root and intermediate). */
  issuers: readonly string[];
  /** How long past nextUpdate a CRL is still trusted (default 0: fail closed at nextUpdate). */
  graceMs?: number;
  /** Re-read interval, besides file-change events (default 60 s). */
  refreshMs?: number;
  log: Logger;
  now?: () => number;
}

export type RevocationVerdict = "revoked" | "crl_stale" | undefined;

interface Loaded {
  serials: ReadonlySet<string>;
  crlNumber: string | undefined;
  nextUpdate: number | undefined;
  source: string;
}

export interface RevocationStatus {
  files: { path: string; crlNumber: string | undefined; entries: number; nextUpdate: string | undefined }[];
  revokedSerials: number;
  stale: boolean;
}

export class RevocationList {
  #byFile = new Map<string, Loaded>();
  #revoked: ReadonlySet<string> = new Set();
  /** Epoch ms after which the host fails closed (earliest nextUpdate + grace). */
  #staleAt = Infinity;
  #staleLogged = false;
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  readonly #now: () => number;

  constructor(private readonly options: RevocationOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** First load: every CRL file must be readable and valid, else the host does not start. */
  start(): void {
    for (const path of this.options.crlFiles) {
      const loaded = this.#read(path);
      if (loaded instanceof Error) throw new ZtmcpError("CRL_INVALID", `${path}: ${loaded.message}`);
      this.#byFile.set(path, loaded);
    }
    this.#rebuild();
    for (const dir of new Set(this.options.crlFiles.map((f) => dirname(f)))) {
      const names = new Set(this.options.crlFiles.filter((f) => dirname(f) === dir).map((f) => basename(f)));
      try {
        const w = watch(dir, (_type, name) => {
          if (name === null || names.has(name)) this.#scheduleReload();
        });
        w.on("error", (e) => this.options.log.warn({ event: "crl.watch", dir, err: e.message }, "CRL directory watch failed; timer reload only"));
        this.#watchers.push(w);
      } catch (e) {
        this.options.log.warn({ event: "crl.watch", dir, err: (e as Error).message }, "cannot watch CRL directory; timer reload only");
      }
    }
    this.#timer = setInterval(() => this.reload(), this.options.refreshMs ?? 60_000);
    this.#timer.unref();
  }

  stop(): void {
    for (const w of this.#watchers) w.close();
    this.#watchers.length = 0;
    clearInterval(this.#timer);
    clearTimeout(this.#debounce);
  }

  #scheduleReload(): void {
    // A rename-into-place fires several events; read once they settle.
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => this.reload(), 25);
    this.#debounce.unref();
  }

  /** Re-reads every CRL; a file that fails keeps its last good version. Returns true when all loaded. */
  reload(): boolean {
    let ok = true;
    for (const path of this.options.crlFiles) {
      const loaded = this.#read(path);
      if (loaded instanceof Error) {
        ok = false;
        this.options.log.error({ event: "crl.error", path, err: loaded.message }, "CRL rejected; keeping the last good one");
        continue;
      }
      const previous = this.#byFile.get(path);
      this.#byFile.set(path, loaded);
      if (previous?.crlNumber !== loaded.crlNumber || previous?.serials.size !== loaded.serials.size) {
        this.options.log.info(
          { event: "crl.load", path, crlNumber: loaded.crlNumber, entries: loaded.serials.size, nextUpdate: iso(loaded.nextUpdate) },
          "CRL loaded",
        );
      }
    }
    this.#rebuild();
    return ok;
  }

  #read(path: string): Loaded | Error {
    let crl: ParsedCrl;
    try {
      crl = parseCrl(crlDer(readFileSync(path)));
    } catch (e) {
      return new Error(`unreadable CRL: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!this.options.issuers.some((issuer) => safeVerify(crl, issuer))) return new Error("CRL signature does not verify against our CA");
    return { serials: new Set(crl.serials), crlNumber: crl.crlNumber?.toString(), nextUpdate: crl.nextUpdate?.getTime(), source: path };
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
      files: [...this.#byFile.entries()].map(([path, l]) => ({ path, crlNumber: l.crlNumber, entries: l.serials.size, nextUpdate: iso(l.nextUpdate) })),
      revokedSerials: this.#revoked.size,
      stale: this.#now() > this.#staleAt,
    };
  }
}

/** DER from a PEM or DER file, decoding base64 directly: large PEM CRLs overflow the x509 PEM decoder. */
function crlDer(file: Buffer): Buffer {
  if (file[0] === 0x30) return file;
  const m = /-----BEGIN X509 CRL-----([^-]+)-----END X509 CRL-----/.exec(file.toString("latin1"));
  if (!m) throw new Error("no X509 CRL PEM block");
  return Buffer.from(m[1]!.replace(/\s+/g, ""), "base64");
}

function safeVerify(crl: ParsedCrl, issuer: string): boolean {
  try {
    return verifyCrl(crl, issuer);
  } catch {
    return false;
  }
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
