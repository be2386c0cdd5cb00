// Failed-handshake lockout per remote address: the mTLS analogue of account lockout. After
// `threshold` failures within `windowMs`, new connections from that address are dropped at
// TCP accept (before any TLS work) for `coolDownMs`.
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
    const e = this.#entries.get(address);
    return e !== undefined && e.lockedUntil > now;
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
