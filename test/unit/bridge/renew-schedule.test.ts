import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay } from "../../../src/common/backoff.js";
import { renewalTime } from "../../../src/bridge/renew/loop.js";

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
