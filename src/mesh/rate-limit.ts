// Per-identity token buckets: `max` requests per `perMs`, refilled continuously. A take of
// `cost` tokens is all or nothing, so a batch is admitted whole or refused whole.

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

  take(key: string, limit: Limit, now: number, cost = 1): Take {
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= this.maxTracked) this.#buckets.delete(this.#buckets.keys().next().value!);
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
