import { test } from "node:test";
import assert from "node:assert/strict";
import { HandshakeLockout } from "../../../src/mesh/lockout.js";
import { RateLimiter } from "../../../src/mesh/rate-limit.js";
import { nestsDeeperThan } from "../../../src/mesh/json-body.js";
import { reasonFor } from "../../../src/mesh/handshake-gate.js";

test("an address is locked out at the threshold within the window, and released after the cool-down", () => {
  const l = new HandshakeLockout({ threshold: 3, windowMs: 1000, coolDownMs: 5000 });
  assert.equal(l.recordFailure("a", 0), false);
  assert.equal(l.recordFailure("a", 10), false);
  assert.equal(l.recordFailure("a", 20), true);
  assert.equal(l.isLocked("a", 4000), true);
  assert.equal(l.isLocked("b", 4000), false);
  assert.equal(l.isLocked("a", 5021), false);
});

test("failures spread beyond the window never lock an address out; threshold 0 disables the lockout", () => {
  const l = new HandshakeLockout({ threshold: 2, windowMs: 100, coolDownMs: 1000 });
  assert.equal(l.recordFailure("a", 0), false);
  assert.equal(l.recordFailure("a", 500), false);
  assert.equal(l.isLocked("a", 501), false);
  const off = new HandshakeLockout({ threshold: 0, windowMs: 100, coolDownMs: 1000 });
  for (let i = 0; i < 100; i++) off.recordFailure("a", i);
  assert.equal(off.isLocked("a", 100), false);
});

test("a token bucket allows max per period, says when to retry, and refills", () => {
  const r = new RateLimiter();
  const limit = { max: 2, perMs: 1000 };
  assert.deepEqual(r.take("x", limit, 0), { ok: true });
  assert.deepEqual(r.take("x", limit, 0), { ok: true });
  const refused = r.take("x", limit, 0);
  assert.deepEqual(refused, { ok: false, retryAfterMs: 500 });
  assert.deepEqual(r.take("y", limit, 0), { ok: true });
  assert.deepEqual(r.take("x", limit, 500), { ok: true });
});

test("nesting depth is measured outside strings, with escapes", () => {
  assert.equal(nestsDeeperThan('{"a":[[1]]}', 3), false);
  assert.equal(nestsDeeperThan('{"a":[[[1]]]}', 3), true);
  assert.equal(nestsDeeperThan('{"a":"[[[[[[\\"[[[["}', 2), false);
});

test("OpenSSL verify errors map to the documented reason codes", () => {
  assert.equal(reasonFor("CERT_HAS_EXPIRED"), "expired");
  assert.equal(reasonFor("CERT_NOT_YET_VALID"), "not_yet_valid");
  assert.equal(reasonFor("INVALID_PURPOSE"), "wrong_key_usage");
  assert.equal(reasonFor("UNABLE_TO_GET_ISSUER_CERT_LOCALLY"), "unknown_ca");
  assert.equal(reasonFor("SOMETHING_NEW"), "verify_failed");
  assert.equal(reasonFor(undefined), "verify_failed");
});
