// Durations as people write them ("90s", "15m", "24h", "7d", "1y", "1h30m"), in milliseconds.
import { ZtmcpError } from "./errors.js";

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};
/** The duration syntax, also used as a JSON Schema `pattern` (policy, gateway config). */
export const DURATION_PATTERN = "^(?:[0-9]{1,9}[smhdwy])+$";
const FORMAT = new RegExp(DURATION_PATTERN);
const PART = /(\d+)([smhdwy])/g;
/** Longer than any certificate we would sign (the root lives 10 years). */
export const MAX_DURATION_MS = 20 * UNIT_MS.y!;

export function parseDuration(text: string): number {
  if (!FORMAT.test(text)) {
    throw new ZtmcpError("BAD_DURATION", `not a duration: "${text}" (use e.g. 90s, 15m, 24h, 7d, 1h30m)`);
  }
  let ms = 0;
  for (const [, n, unit] of text.matchAll(PART)) ms += Number(n) * UNIT_MS[unit!]!;
  if (ms <= 0) throw new ZtmcpError("BAD_DURATION", `duration must be positive: "${text}"`);
  if (ms > MAX_DURATION_MS) throw new ZtmcpError("BAD_DURATION", `duration too long: "${text}" (at most 20y)`);
  return ms;
}

export function formatDuration(ms: number): string {
  for (const unit of ["y", "d", "h", "m"] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
