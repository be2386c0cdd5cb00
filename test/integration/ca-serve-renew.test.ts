// POST /renew against a real `ca serve` on loopback: agents over mTLS, hosts with a request signed
// by their current key; refused when expired, revoked, foreign, the same key, or flooding.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildCsr } from "../../src/pki/csr.js";
import { certificateBlocks } from "../../src/pki/pem.js";
import { exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem } from "../../src/pki/keys.js";
import { signRenewRequest } from "../../src/pki/renew-request.js";
import { makeCa, makeLeaf } from "../helpers/throwaway-ca.js";
import { onlineCa, type OnlineCa } from "../helpers/online-ca.js";

interface Held {
  certPem: string;
  chainPem: string;
  keyPem: string;
  serial: string;
}

async function enrolled(ca: OnlineCa, name: string, o: Parameters<OnlineCa["token"]>[1] = {}): Promise<Held> {
  const keys = await generateKeyPair("p256");
  const r = await ca.post("/enroll", { token: ca.token(name, o), csr: await buildCsr(keys, name) });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { certPem: r.body.certificate as string, chainPem: r.body.chain as string, keyPem: await exportPrivateKeyPem(keys.privateKey), serial: r.body.serial as string };
}

const newCsr = async (name = "x") => buildCsr(await generateKeyPair("p256"), name);
const renewMtls = async (ca: OnlineCa, held: Held, csr?: string) => ca.post("/renew", { csr: csr ?? (await newCsr()) }, { cert: held.chainPem, key: held.keyPem });
const refused = (ca: OnlineCa, reason: string) => ca.logs.waitFor((e) => e.event === "ca.renew" && e.outcome === "refused" && e.reason === reason, 5_000);

test("an agent renews over mTLS: new key, new serial, same name and roles, logged as ca.renew", async () => {
  const ca = await onlineCa();
  try {
    const held = await enrolled(ca, "alice", { roles: ["reader", "operator"] });
    const r = await renewMtls(ca, held);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.notEqual(r.body.serial, held.serial);
    assert.deepEqual(r.body.roles, ["reader", "operator"]);
    assert.equal(new X509Certificate(r.body.certificate as string).subjectAltName, "URI:spiffe://mesh.local/agent/alice");
    await ca.logs.waitFor((e) => e.event === "ca.renew" && e.via === "mtls" && e.previous === held.serial);
  } finally {
    await ca.close();
  }
});

test("a renewal that keeps the same key is refused", async () => {
  const ca = await onlineCa();
  try {
    const held = await enrolled(ca, "alice");
    const sameKey = await buildCsr(await importPrivateKeyPem(held.keyPem), "alice");
    const r = await renewMtls(ca, held, sameKey);
    assert.equal(r.status, 400);
    assert.equal(r.body.error?.code, "KEY_REUSED");
  } finally {
    await ca.close();
  }
});

test("a revoked certificate cannot renew", async () => {
  const ca = await onlineCa();
  try {
    const held = await enrolled(ca, "alice");
    await ca.authority.revoke(held.serial, "keyCompromise");
    const r = await renewMtls(ca, held);
    assert.equal(r.status, 403);
    assert.equal(r.body.error?.code, "RENEW_REFUSED");
    await refused(ca, "revoked");
  } finally {
    await ca.close();
  }
});

test("an expired certificate cannot renew", async () => {
  const ca = await onlineCa();
  try {
    const held = await enrolled(ca, "alice", { certTtl: "1h" });
    ca.advance(2 * 3_600_000);
    const r = await renewMtls(ca, held);
    assert.equal(r.status, 403);
    await refused(ca, "expired");
  } finally {
    await ca.close();
  }
});

test("a certificate from another CA (same names) cannot renew, by mTLS or signed request", async () => {
  const ca = await onlineCa();
  try {
    const foreign = await makeCa("ztmcp", "mesh.local");
    const leaf = await makeLeaf(foreign, "alice", { roles: ["reader"] });
    const r = await ca.post("/renew", { csr: await newCsr() }, { cert: leaf.chainPem, key: leaf.keyPem });
    assert.equal(r.status, 403);
    const host = await makeLeaf(foreign, "web", { kind: "host" });
    const signed = signRenewRequest({ csr: await newCsr(), chain: certificateBlocks(host.chainPem), key: host.key, now: new Date() });
    assert.equal((await ca.post("/renew", signed)).status, 403);
    await refused(ca, "foreign");
  } finally {
    await ca.close();
  }
});

test("a host renews with a request signed by its current key; a stale or re-signed request is refused", async () => {
  const ca = await onlineCa();
  try {
    const held = await enrolled(ca, "web", { kind: "host", dns: ["web.internal"], ips: ["127.0.0.1"] });
    const key = await importPrivateKeyPem(held.keyPem);
    const chain = certificateBlocks(held.chainPem);
    const ok = await ca.post("/renew", signRenewRequest({ csr: await newCsr(), chain, key, now: new Date() }));
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const cert = new X509Certificate(ok.body.certificate as string);
    assert.equal(cert.subjectAltName, "URI:spiffe://mesh.local/host/web, DNS:web.internal, IP Address:127.0.0.1");
    assert.deepEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.1"]);
    const stale = await ca.post("/renew", signRenewRequest({ csr: await newCsr(), chain, key, now: new Date(Date.now() - 6 * 60_000) }));
    assert.equal(stale.status, 403);
    await refused(ca, "stale_request");
    const other = await generateKeyPair("p256");
    const forged = await ca.post("/renew", signRenewRequest({ csr: await newCsr(), chain, key: other, now: new Date() }));
    assert.equal(forged.status, 403);
    await refused(ca, "bad_signature");
  } finally {
    await ca.close();
  }
});

test("a role removed from the policy is not renewed; with no role left the renewal is refused", async () => {
  const ca = await onlineCa();
  try {
    const both = await enrolled(ca, "alice", { roles: ["reader", "operator"] });
    const onlyOperator = await enrolled(ca, "bob", { roles: ["operator"] });
    const policyPath = join(ca.caDir, "policy.json");
    const policy = JSON.parse(readFileSync(policyPath, "utf8")) as { roles: Record<string, unknown> };
    delete policy.roles.operator;
    writeFileSync(policyPath, JSON.stringify(policy));
    const r = await renewMtls(ca, both);
    assert.equal(r.status, 201);
    assert.deepEqual(r.body.roles, ["reader"]);
    const none = await renewMtls(ca, onlyOperator);
    assert.equal(none.status, 403);
    await refused(ca, "no_roles");
  } finally {
    await ca.close();
  }
});

test("a renewal flood from one certificate is rate-limited with 429", async () => {
  const ca = await onlineCa({ limits: { perCertificate: { max: 3, perMs: 60_000 } } });
  try {
    const held = await enrolled(ca, "alice");
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await renewMtls(ca, held)).status);
    assert.deepEqual(statuses, [201, 201, 201, 429, 429, 429]);
    await refused(ca, "rate_limited");
    assert.equal(ca.authority.store.findByName("alice").length, 4);
  } finally {
    await ca.close();
  }
});

test("renewing without a certificate or a signed request is refused", async () => {
  const ca = await onlineCa();
  try {
    const r = await ca.post("/renew", { csr: await newCsr() });
    assert.equal(r.status, 403);
    await refused(ca, "no_certificate");
    const bad = await ca.post("/renew", { csr: 1 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, "REQUEST_INVALID");
  } finally {
    await ca.close();
  }
});
