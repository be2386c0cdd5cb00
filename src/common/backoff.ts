// Exponential backoff, shared by everything that retries (the bridge's connects, upstream
// reconnects, CRL fetches, certificate renewal). With `random`, full jitter (AWS architecture
// blog): a retry waits a random time in (0, ceiling], so clients that lost the same server do
// not all come back in step.
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** Delay before retry `attempt` (0 for the first): base·2^attempt, at most max; jittered when `random` is given. */
export function backoffDelay(attempt: number, b: Backoff, random?: () => number): number {
  const ceiling = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return random === undefined ? ceiling : Math.max(1, Math.round(random() * ceiling));
}
