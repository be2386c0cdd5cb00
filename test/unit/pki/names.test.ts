import { test } from "node:test";
import assert from "node:assert/strict";
import { checkName, checkTrustDomain, spiffeId, subjectDn, trustDomainOf } from "../../../src/pki/names.js";
import { normalizeSerial, randomSerial } from "../../../src/pki/serial.js";
import { parseDuration, formatDuration } from "../../../src/common/duration.js";

test("names that could escape the certs dir or break a SPIFFE path are refused", () => {
  for (const bad of ["", ".", "..", "../x", "a/b", "/abs", "a\0b", "a..b", "-x", "x".repeat(65), "a b", "ü"]) {
    assert.throws(() => checkName(bad), (e: Error & { code?: string }) => e.code === "BAD_NAME", JSON.stringify(bad));
  }
  for (const good of ["a", "ci-bot", "host.example", "A_1", "x".repeat(64)]) assert.equal(checkName(good), good);
});

test("trust domains are lowercase DNS-like names", () => {
  assert.equal(checkTrustDomain("mesh.local"), "mesh.local");
  for (const bad of ["Mesh", "", "a/b", "-a", "a-"]) assert.throws(() => checkTrustDomain(bad));
  assert.equal(spiffeId("mesh.local", "agent", "x"), "spiffe://mesh.local/agent/x");
});

test("subject DNs escape RFC 4514 specials", () => {
  assert.equal(subjectDn("a,b", "O+rg"), "O=O\\+rg, CN=a\\,b");
});

test("serials are 32 hex digits, positive, and normalize the way tools print them", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const s = randomSerial();
    assert.match(s, /^[1-7][0-9A-F]{31}$/);
    seen.add(s);
  }
  assert.equal(seen.size, 1000);
  assert.equal(normalizeSerial("00:ab:CD"), "ABCD");
  assert.equal(normalizeSerial("00"), "00");
});

test("durations parse people's units and refuse nonsense", () => {
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("7d"), 604_800_000);
  for (const bad of ["abc", "0s", "-1h", "99999y", "", "1.5h", "24", "h"]) {
    assert.throws(() => parseDuration(bad), (e: Error & { code?: string }) => e.code === "BAD_DURATION", bad);
  }
  assert.equal(formatDuration(86_400_000), "1d");
  assert.equal(formatDuration(5_400_000), "90m");
});

test("the trust domain is read back from a SPIFFE ID, and nothing from anything else", () => {
  assert.equal(trustDomainOf(spiffeId("mesh.example", "host", "localhost")), "mesh.example");
  for (const id of [undefined, "", "spiffe://", "spiffe://td", "https://td/agent/x", "URI:spiffe://td/agent/x"]) assert.equal(trustDomainOf(id), undefined, String(id));
});
