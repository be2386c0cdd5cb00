// Per-identity token buckets: `max` requests per `perMs`, refilled continuously. A take of
// `cost` tokens is all or nothing, so a batch is admitted whole or refused whole.
import { BoundedMap } from "./bounded-map.js";

export interface Limit {
  max: number;
  perMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export type Take = { ok: true } | { ok: false; retryAfterMs: number };

export class RateLimiter {
  readonly #buckets: BoundedMap<string, Bucket>;
  constructor(maxTracked = 100_000) {
    this.#buckets = new BoundedMap(maxTracked);
  }

  take(key: string, limit: Limit, now: number, cost = 1): Take {
    let b = this.#buckets.get(key);
    if (!b) {
      b = { tokens: limit.max, at: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(limit.max, b.tokens + ((now - b.at) * limit.max) / limit.perMs);
      b.at = now;
    }
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return { ok: true };
    }
    // A cost above `max` never fits: the wait until the bucket is full is the honest answer.
    const missing = Math.min(cost, limit.max) - b.tokens;
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil((missing * limit.perMs) / limit.max)) };
  }
}
