import { test } from "node:test";
import assert from "node:assert/strict";
import { HandshakeLockout } from "../../../src/host/tls/lockout.js";
import { RateLimiter } from "../../../src/host/http/rate-limit.js";
import { BoundedMap } from "../../../src/common/bounded-map.js";
import { nestsDeeperThan } from "../../../src/host/http/json-body.js";
import { reasonFor } from "../../../src/host/tls/handshake-gate.js";

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

test("a bounded map forgets its oldest entry when full, never grows past its bound, and keeps a re-set key", () => {
  const m = new BoundedMap<string, number>(3);
  for (const [k, v] of [["a", 1], ["b", 2], ["c", 3]] as const) m.set(k, v);
  m.set("b", 20); // an update at the bound evicts nothing
  assert.deepEqual([...m], [["a", 1], ["b", 20], ["c", 3]]);
  m.set("d", 4);
  assert.deepEqual([...m.keys()], ["b", "c", "d"]);
  for (let i = 0; i < 1000; i++) m.set(`k${i}`, i);
  assert.equal(m.size, 3);
  assert.deepEqual([...m.keys()], ["k997", "k998", "k999"]);
});

test("the rate limiter tracks a bounded number of identities: a forgotten one starts with a full bucket", () => {
  const r = new RateLimiter(2);
  const limit = { max: 1, perMs: 60_000 };
  assert.equal(r.take("a", limit, 0).ok, true);
  assert.equal(r.take("a", limit, 1).ok, false);
  r.take("b", limit, 2);
  r.take("c", limit, 3); // "a" is forgotten
  assert.equal(r.take("a", limit, 4).ok, true);
});
