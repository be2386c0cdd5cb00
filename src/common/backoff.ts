// Exponential backoff with optional full jitter, shared by everything that retries (the
// bridge's connects, upstream reconnects, certificate renewal).
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** Delay before retry number `attempt` (0-based); with `jitter`, uniform in [delay/2, delay]. */
export function backoffDelay(attempt: number, b: Backoff, jitter = false, random: () => number = Math.random): number {
  const delay = Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, attempt));
  return jitter ? delay / 2 + random() * (delay / 2) : delay;
}
