// Lockout per remote address after repeated refused certificates: the mTLS analogue of account
// lockout. Only a handshake that presented a certificate the gate refused counts (it cost the
// host a certificate verification); plaintext, truncated or certificate-less connections and
// clients that hang up do not. After `threshold` of them within `windowMs`, the address is
// locked out for `coolDownMs`: its refused connections are then answered `locked_out` (no
// per-certificate reason, so probing the gate teaches nothing), while a connection presenting
// a valid certificate is still admitted. The certificate is only known after the handshake, so
// nothing is dropped at TCP accept: a lockout cannot spare the host handshake CPU without
// shutting out good clients behind the same address (docs/host.md).
import { BoundedMap } from "../../common/bounded-map.js";

export interface LockoutOptions {
  /** Failures within the window that trigger a lockout; 0 disables it. */
  threshold: number;
  windowMs: number;
  coolDownMs: number;
  /** Addresses tracked at once; the oldest is forgotten beyond this. */
  maxTracked?: number;
}

export const DEFAULT_LOCKOUT: LockoutOptions = { threshold: 20, windowMs: 60_000, coolDownMs: 300_000 };

interface Entry {
  windowStart: number;
  failures: number;
  lockedUntil: number;
}

export class HandshakeLockout {
  readonly #entries: BoundedMap<string, Entry>;
  constructor(readonly options: LockoutOptions) {
    this.#entries = new BoundedMap(options.maxTracked ?? 100_000);
  }

  isLocked(address: string, now: number): boolean {
    return this.lockedUntil(address, now) !== undefined;
  }

  /** Epoch ms until which the address is locked out, or undefined when it is not. */
  lockedUntil(address: string, now: number): number | undefined {
    const e = this.#entries.get(address);
    return e !== undefined && e.lockedUntil > now ? e.lockedUntil : undefined;
  }

  /** Counts a failure; returns true when this failure starts a lockout. */
  recordFailure(address: string, now: number): boolean {
    if (this.options.threshold <= 0) return false;
    let e = this.#entries.get(address);
    if (!e || now - e.windowStart > this.options.windowMs) {
      e = { windowStart: now, failures: 0, lockedUntil: e?.lockedUntil ?? 0 };
      this.#remember(address, e);
    }
    e.failures++;
    if (e.failures >= this.options.threshold && e.lockedUntil <= now) {
      e.lockedUntil = now + this.options.coolDownMs;
      e.failures = 0;
      e.windowStart = now;
      return true;
    }
    return false;
  }

  #remember(address: string, e: Entry): void {
    // Delete first: a restarted window moves the address to the newest end.
    this.#entries.delete(address);
    this.#entries.set(address, e);
  }
}
