import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeToken, encodeToken, hashSecret, newTokenSecret, secretMatches } from "../../../src/pki/enrollment-token.js";
import { ZtmcpError } from "../../../src/common/errors.js";

const fp = Array.from({ length: 32 }, () => "AB").join(":");

test("a token round-trips and carries URL, fingerprint, name, id and a 256-bit secret", () => {
  const { id, secret } = newTokenSecret();
  assert.equal(Buffer.from(secret, "base64url").length, 32);
  const t = { url: "https://ca.example:9443", fp, name: "alice", id, secret };
  const text = encodeToken(t);
  assert.match(text, /^ztmcp1\.[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeToken(text), t);
});

test("anything else is BAD_TOKEN: another prefix, not JSON, a missing or malformed field, plain http", () => {
  const { id, secret } = newTokenSecret();
  const good = { url: "https://ca:9443", fp, name: "alice", id, secret };
  const bad = [
    "alice",
    "ztmcp1.!!!",
    encodeToken(good).replace("ztmcp1.", "ztmcp2."),
    encodeToken({ ...good, url: "http://ca:9443" }),
    encodeToken({ ...good, fp: "AB" }),
    encodeToken({ ...good, name: "../etc" }),
    encodeToken({ ...good, secret: "short" }),
  ];
  for (const text of bad) assert.throws(() => decodeToken(text), (e: unknown) => e instanceof ZtmcpError && e.code === "BAD_TOKEN", text);
});

test("only the secret's SHA-256 is kept, and it is compared in full", () => {
  const { secret } = newTokenSecret();
  const stored = hashSecret(secret);
  assert.equal(stored.length, 64);
  assert.ok(secretMatches(stored, secret));
  assert.ok(!secretMatches(stored, secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A")));
  assert.ok(!secretMatches("00", secret));
});
