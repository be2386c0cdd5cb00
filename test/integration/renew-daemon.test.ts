// The renewal loop (src/bridge/renew/loop.ts) against a real `ca serve`: renews at ~2/3 of the
// lifetime, and when the CA goes away mid-way it backs off, keeps the old certificate in place,
// and recovers once the CA is back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { enrollWithToken } from "../../src/bridge/renew/enroll.js";
import { startRenewal } from "../../src/bridge/renew/loop.js";
import { onlineCa } from "../helpers/online-ca.js";
import { captureLog } from "../helpers/log-capture.js";

const serialOf = (dir: string) => new X509Certificate(readFileSync(join(dir, "cert.pem"))).serialNumber;

test("enroll writes certs/<name> behind ..data with a 0600 key, the pinned root and ca-url", async () => {
  const ca = await onlineCa();
  try {
    const client = captureLog();
    const r = await enrollWithToken({ token: ca.token("alice"), certsDir: ca.certsDir, log: client.log });
    assert.equal(r.dir, join(ca.certsDir, "alice"));
    assert.equal(readlinkSync(join(r.dir, "..data")), `..${r.serial}`);
    assert.equal(statSync(join(r.dir, "key.pem")).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(r.dir, "ca.pem"), "utf8").trim(), ca.rootPem.trim());
    assert.equal(readFileSync(join(r.dir, "ca-url"), "utf8").trim(), ca.url);
  } finally {
    await ca.close();
  }
});

test("enroll refuses a CA whose root does not match the token's fingerprint, before sending the token", async () => {
  const real = await onlineCa();
  const impostor = await onlineCa();
  try {
    const token = real.token("alice");
    const { decodeToken, encodeToken } = await import("../../src/pki/enrollment-token.js");
    const redirected = encodeToken({ ...decodeToken(token), url: impostor.url });
    await assert.rejects(enrollWithToken({ token: redirected, certsDir: real.certsDir, log: captureLog().log }), (e: Error & { code?: string }) => e.code === "CA_FINGERPRINT_MISMATCH");
    assert.ok(!impostor.logs.events.some((e) => e.event === "ca.enroll"));
  } finally {
    await real.close();
    await impostor.close();
  }
});

test("the daemon renews at ~2/3 of the lifetime; with the CA down it backs off, keeps the old certificate, and recovers", async () => {
  const ca = await onlineCa();
  const client = captureLog();
  const { dir } = await enrollWithToken({ token: ca.token("alice", { certTtl: "15s" }), certsDir: ca.certsDir, log: client.log });
  const renewed: string[] = [];
  const renewal = startRenewal({ identityDir: dir, log: client.log, backoff: { baseMs: 100, maxMs: 400 }, onRenewed: (r) => void renewed.push(r.serial) });
  try {
    const first = serialOf(dir);
    // Counted from when the certificate arrived, not from its notBefore (backdated a minute for skew).
    const arrived = statSync(join(dir, "cert.pem")).mtimeMs;
    const life = Date.parse(new X509Certificate(readFileSync(join(dir, "cert.pem"))).validTo) - arrived;
    const planned = renewal.next.getTime() - arrived;
    assert.ok(planned >= life * (2 / 3 - 0.05) - 1 && planned <= life * (2 / 3 + 0.05) + 1, `${planned} of ${life}`);

    // The CA goes away before the renewal is due.
    await ca.stop();
    await client.waitFor((e) => (e.event === "renew.failed" || e.event === "renew.expiring") && e.attempt === 2, 20_000);
    assert.equal(serialOf(dir), first, "the old certificate stays in place");
    assert.equal(renewed.length, 0);

    await ca.restart();
    const done = await client.waitFor((e) => e.event === "renew.renewed", 15_000);
    assert.equal(done.previous, first);
    assert.notEqual(serialOf(dir), first);
    assert.deepEqual(renewed, [serialOf(dir)]);
  } finally {
    renewal.stop();
    await ca.close();
  }
});
