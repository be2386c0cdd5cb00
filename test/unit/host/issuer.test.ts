import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { IssuerCheck } from "../../../src/host/tls/issuer.js";
import { makeCa, makeIntermediate, makeLeaf } from "../../helpers/throwaway-ca.js";
import { toPem } from "../../../src/pki/certificate.js";

test("the issuer is the trusted intermediate whose key signed the leaf, verified once per leaf", async () => {
  const ca = await makeCa();
  const other = await makeIntermediate(ca);
  const trusted = new X509Certificate(toPem(ca.intermediate.cert));
  const check = new IssuerCheck([trusted]);
  const ours = await makeLeaf(ca, "ours");
  const theirs = await makeLeaf({ ...ca, intermediate: other }, "theirs");
  const rootSigned = await makeLeaf({ ...ca, intermediate: ca.root }, "root-signed");
  const proto = X509Certificate.prototype;
  const original = Object.getOwnPropertyDescriptor(proto, "verify")!;
  let verifications = 0;
  let afterFirstRound = 0;
  const verify = original.value as (this: X509Certificate, key: X509Certificate["publicKey"]) => boolean;
  Object.defineProperty(proto, "verify", {
    ...original,
    value: function (this: X509Certificate, key: X509Certificate["publicKey"]) {
      verifications++;
      return verify.call(this, key);
    },
  });
  try {
    for (let i = 0; i < 3; i++) {
      // A fresh object each time, as each handshake's getPeerX509Certificate() gives.
      assert.equal(check.serialOf(new X509Certificate(ours.certPem).fingerprint256, () => new X509Certificate(ours.certPem)), trusted.serialNumber.toUpperCase());
      assert.equal(check.serialOf(new X509Certificate(theirs.certPem).fingerprint256, () => new X509Certificate(theirs.certPem)), undefined);
      assert.equal(check.serialOf(new X509Certificate(rootSigned.certPem).fingerprint256, () => new X509Certificate(rootSigned.certPem)), undefined);
      if (i === 0) afterFirstRound = verifications;
    }
  } finally {
    Object.defineProperty(proto, "verify", original);
  }
  // At most one signature check per leaf, and none for a leaf seen before.
  assert.ok(afterFirstRound >= 1 && afterFirstRound <= 3);
  assert.equal(verifications, afterFirstRound);
});
