import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay } from "../../../src/common/backoff.js";
import { renewalTime, retryDelay } from "../../../src/bridge/renew/loop.js";

test("renewal is due at 2/3 of the lifetime, jittered by at most ±5% of it", () => {
  const start = new Date("2026-01-01T00:00:00Z");
  const end = new Date(start.getTime() + 24 * 3_600_000);
  const at = (r: number) => (renewalTime(start, end, () => r).getTime() - start.getTime()) / (end.getTime() - start.getTime());
  assert.ok(Math.abs(at(0.5) - 2 / 3) < 1e-9);
  assert.ok(Math.abs(at(0) - (2 / 3 - 0.05)) < 1e-9);
  assert.ok(Math.abs(at(0.999999) - (2 / 3 + 0.05)) < 1e-6);
});

test("backoff grows exponentially up to its cap, with full jitter", () => {
  const b = { baseMs: 1_000, maxMs: 30_000 };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 49].map((n) => backoffDelay(n, b, () => 0.999999)), [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  assert.equal(backoffDelay(2, b, () => 0), 1);
  assert.equal(backoffDelay(2, b, () => 0.5), 2_000);
});

test("after a failed renewal: backoff, never past half of what is left of a valid certificate; once it expired or the CA refused it for good, plain backoff", () => {
  const b = { baseMs: 1_000, maxMs: 300_000 };
  const top = () => 0.999999;
  // Transient (the CA down) with 4 s left: no later than 2 s, however many failures.
  assert.equal(retryDelay({ failures: 6, leftMs: 4_000, transient: true }, b, top), 2_000);
  assert.equal(retryDelay({ failures: 1, leftMs: 4_000, transient: true }, b, top), 1_000);
  // Expired: nothing is gained by hurrying (it was every 250 ms, a flood the CA rate-limits).
  assert.equal(retryDelay({ failures: 6, leftMs: -1_000, transient: true }, b, top), 32_000);
  // Refused (revoked, unknown, foreign): retrying sooner would not change the answer.
  assert.equal(retryDelay({ failures: 6, leftMs: 4_000, transient: false }, b, top), 32_000);
});
