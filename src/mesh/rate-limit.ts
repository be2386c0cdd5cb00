// Per-identity token buckets: `max` requests per `perMs`, refilled continuously.

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
  readonly #buckets = new Map<string, Bucket>();
  constructor(private readonly maxTracked = 100_000) {}

  take(key: string, limit: Limit, now: number): Take {
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= this.maxTracked) this.#buckets.delete(this.#buckets.keys().next().value!);
      b = { tokens: limit.max, at: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(limit.max, b.tokens + ((now - b.at) * limit.max) / limit.perMs);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) * limit.perMs) / limit.max) };
  }
}
