// The bridge's own identity, re-read when `ztmcp renew` (or the CA) swaps certs/<agent>/'s `..data`
// link: a watch on the directory (and on --ca's file), a timer for what a watch misses. A new
// identity is handed on only when its key matches its certificate and the certificate is valid
// now; otherwise the current one stays (logged once per bad set of files).
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { basename, dirname } from "node:path";
import type { Logger } from "../common/log.js";
import { startReloadTriggers } from "../common/reload-triggers.js";
import { normalizeSerial } from "../pki/serial.js";
import { readIdentitySnapshot, type TlsIdentity } from "../tls-files/identity.js";
import { checkOwnCertificate } from "./tls-diagnosis.js";

export interface IdentityWatchOptions {
  /** certs/<agent> */
  dir: string;
  /** --ca: the roots trusted for the host, when not <dir>/ca.pem. */
  caFile?: string | undefined;
  initial: TlsIdentity;
  /** Re-read interval besides file events (default 10 s: short-lived certificates renew often). */
  refreshMs?: number;
  log: Logger;
}

/** Events of one swap (version dir, link rename, file links) come in a burst: read once they settle. */
const SETTLE_MS = 100;

export const serialOfChain = (chainPem: string): string => normalizeSerial(new X509Certificate(chainPem).serialNumber);

/** Why these files cannot be presented, or undefined when they can. */
function problemWith(id: TlsIdentity, label: string): string | undefined {
  try {
    const leaf = new X509Certificate(id.cert);
    if (!leaf.checkPrivateKey(createPrivateKey(id.key))) return "key.pem is not the key of the certificate in chain.pem";
    checkOwnCertificate(id.cert, label);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export class IdentityWatch {
  #current: TlsIdentity;
  #refused: string | undefined;
  #stop: (() => void) | undefined;
  #onChange: (next: TlsIdentity) => void = () => undefined;

  constructor(private readonly o: IdentityWatchOptions) {
    this.#current = o.initial;
  }

  get current(): TlsIdentity {
    return this.#current;
  }

  /** Watches the files; `onChange` gets each new, checked identity (new connections should present it). */
  start(onChange: (next: TlsIdentity) => void): void {
    this.#onChange = onChange;
    const targets = [{ dir: this.o.dir }, ...(this.o.caFile === undefined ? [] : [{ dir: dirname(this.o.caFile), names: [basename(this.o.caFile)] }])];
    this.#stop = startReloadTriggers({ targets, settleMs: SETTLE_MS, refreshMs: this.o.refreshMs ?? 10_000, reload: (trigger) => this.reload(trigger), log: this.o.log, event: "bridge.identity.watch" });
  }

  stop(): void {
    this.#stop?.();
    this.#stop = undefined;
  }

  /** Re-reads the files; true when a new identity was handed on. Unchanged files are a quiet no-op. */
  reload(trigger: "file" | "timer" | "api" = "api"): boolean {
    let next: TlsIdentity;
    try {
      next = readIdentitySnapshot(this.o.dir, this.o.caFile);
    } catch (e) {
      // Mid-swap or gone: the current identity stays; the next event or tick tries again.
      this.#keep(trigger, `unreadable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return false;
    }
    const now = this.#current;
    if (next.cert === now.cert && next.key === now.key && next.ca === now.ca) return false;
    const problem = problemWith(next, this.o.dir);
    if (problem !== undefined) {
      this.#keep(trigger, problem, createHash("sha256").update(next.cert).update(next.key).digest("hex"));
      return false;
    }
    const serial = serialOfChain(next.cert);
    const previousSerial = serialOfChain(now.cert);
    this.#current = next;
    this.#refused = undefined;
    this.o.log.info({ event: "bridge.identity", outcome: "reloaded", trigger, serial, previousSerial, notAfter: new Date(new X509Certificate(next.cert).validTo).toISOString() }, "identity renewed: new connections present the new certificate");
    this.#onChange(next);
    return true;
  }

  #keep(trigger: string, why: string, digest = why): void {
    if (digest === this.#refused) return;
    this.#refused = digest;
    this.o.log.warn({ event: "bridge.identity", outcome: "kept", trigger, err: why, dir: this.o.dir }, "new identity not usable; keeping the current one");
  }
}
