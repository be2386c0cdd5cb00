// GET /crl/*, /roots, /healthz and the metrics listener of a real `ca serve`; CRLs re-published
// at half their validity while it runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildCsr } from "../../src/pki/csr.js";
import { parseCrl, verifyCrl } from "../../src/pki/crl.js";
import { generateKeyPair } from "../../src/pki/keys.js";
import { onlineCa } from "../helpers/online-ca.js";

test("CRLs are served as DER with ETag and Last-Modified, 304 on either validator, and change after a revocation", async () => {
  const ca = await onlineCa();
  try {
    const first = await ca.get("/crl/intermediate");
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("content-type"), "application/pkix-crl");
    assert.deepEqual(first.bytes, readFileSync(join(ca.caDir, "intermediate.crl.der")));
    assert.ok(verifyCrl(parseCrl(first.bytes), readFileSync(join(ca.caDir, "intermediate.pem"))));
    const etag = first.headers.get("etag")!;
    assert.match(first.headers.get("cache-control") ?? "", /max-age=[0-5]$/);
    assert.equal((await ca.get("/crl/intermediate", { "if-none-match": etag })).status, 304);
    assert.equal((await ca.get("/crl/intermediate", { "if-modified-since": first.headers.get("last-modified")! })).status, 304);
    assert.equal((await ca.get("/crl/root")).status, 200);
    // The path a CRL Distribution Point names when `ca init --crl-url https://<ca>/crl`.
    assert.deepEqual((await ca.get("/crl/intermediate.crl")).bytes, first.bytes);
    assert.equal((await ca.get("/crl/other")).status, 404);

    const keys = await generateKeyPair("p256");
    const enrolled = await ca.post("/enroll", { token: ca.token("alice"), csr: await buildCsr(keys, "alice") });
    await ca.authority.revoke(enrolled.body.serial as string);
    const after = await ca.get("/crl/intermediate", { "if-none-match": etag });
    assert.equal(after.status, 200);
    assert.deepEqual(parseCrl(after.bytes).serials, [enrolled.body.serial]);
  } finally {
    await ca.close();
  }
});

test("/roots is the root certificate, /healthz reports the CRLs", async () => {
  const ca = await onlineCa();
  try {
    const roots = await ca.get("/roots");
    assert.equal(new X509Certificate(roots.bytes).fingerprint256, new X509Certificate(ca.rootPem).fingerprint256);
    const health = JSON.parse((await ca.get("/healthz")).bytes.toString()) as { status: string; crls: { intermediate: { crlNumber: string } } };
    assert.equal(health.status, "ok");
    assert.equal(health.crls.intermediate.crlNumber, "1");
  } finally {
    await ca.close();
  }
});

test("while serving, a CRL is re-published at half its validity", async () => {
  const ca2 = await onlineCa({ crlValidityMs: 2_000 });
  try {
    // `ca init` published CRLs valid 7 days: the republish is due at 3.5 days; move the clock past it.
    ca2.advance(3.6 * 86_400_000);
    await ca2.restart();
    const published = await ca2.logs.waitFor((e) => e.event === "ca.crl" && e.crl === "intermediate" && e.crlNumber === "2", 10_000);
    assert.equal(Date.parse(published.nextUpdate as string) - Date.parse(published.thisUpdate as string), 2_000);
    // Then again one second later (half of 2 s), without anyone asking.
    await ca2.logs.waitFor((e) => e.event === "ca.crl" && e.crl === "intermediate" && e.crlNumber === "3", 10_000);
  } finally {
    await ca2.close();
  }
});

test("metrics: issued certificates by kind and via, token outcomes and CRL age on a separate loopback listener", async () => {
  const ca = await onlineCa({ metricsPort: 0 });
  try {
    assert.match(ca.server.metricsUrl ?? "", /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const keys = await generateKeyPair("p256");
    const token = ca.token("alice");
    await ca.post("/enroll", { token, csr: await buildCsr(keys, "alice") });
    await ca.post("/enroll", { token, csr: await buildCsr(keys, "alice") });
    const text = await (await fetch(ca.server.metricsUrl!)).text();
    assert.match(text, /ztmcp_ca_certificates_issued_total\{kind="agent",via="token"\} 1/);
    assert.match(text, /ztmcp_ca_tokens_total\{outcome="accepted"\} 1/);
    assert.match(text, /ztmcp_ca_tokens_total\{outcome="used"\} 1/);
    assert.match(text, /ztmcp_ca_crl_age_seconds\{crl="intermediate"\} \d/);
    assert.match(text, /ztmcp_ca_revoked_certificates 0/);
  } finally {
    await ca.close();
  }
});
