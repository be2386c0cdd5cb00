// Exponential backoff with full jitter (AWS architecture blog): the n-th retry waits a random time
// in [0, min(max, base·2^(n-1))], so many clients that lost the same server do not return in step.
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export function backoffDelay(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.max(1, Math.round(random() * ceiling));
}
