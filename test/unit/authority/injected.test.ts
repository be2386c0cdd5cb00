// The authority's store and signer come in from outside (store/open.ts, authority/signers.ts):
// a KMS signer or another store slots in without touching the authority.
import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Authority } from "../../../src/authority/authority.js";
import { CaFiles } from "../../../src/authority/ca-files.js";
import { pemSigners, type SignerSource } from "../../../src/authority/signers.js";
import { openStore } from "../../../src/store/open.js";
import { parseCrl, verifyCrl } from "../../../src/pki/crl.js";
import type { Signer } from "../../../src/pki/signer.js";
import { captureLog } from "../../helpers/log-capture.js";

async function newCa(keyType: "p256" | "p384" | "ed25519" | "rsa2048" = "p256") {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-injected-"));
  const caDir = join(dir, "ca");
  const logs = captureLog("info");
  await Authority.init({ caDir, log: logs.log, actor: "tester", keyType });
  return { caDir, certsDir: join(dir, "certs"), log: logs.log };
}

/** A signer that is not a key in this process: every signature goes through `sign` (as a KMS call would). */
function remoteSigners(files: CaFiles, calls: string[]): SignerSource {
  const pem = pemSigners(files, undefined);
  return {
    has: (level) => pem.has(level),
    load: async (level) => {
      const local = await pem.load(level);
      const signer: Signer = {
        keyType: local.signer.keyType,
        algorithm: local.signer.algorithm,
        publicKey: local.signer.publicKey,
        sign: async (data) => {
          calls.push(level);
          await new Promise((r) => setImmediate(r));
          return local.signer.sign(data);
        },
      };
      return { cert: local.cert, signer };
    },
  };
}

for (const keyType of ["p256", "p384", "ed25519", "rsa2048"] as const) {
  test(`an injected (asynchronous) ${keyType} signer signs certificates and CRLs that verify`, async () => {
    const ca = await newCa(keyType);
    const calls: string[] = [];
    const authority = await Authority.open({ caDir: ca.caDir, certsDir: ca.certsDir, log: ca.log, signers: remoteSigners(new CaFiles(ca.caDir), calls) });
    const issued = await authority.issue({ name: "alice", roles: ["reader"], writeFiles: false });
    const revoked = await authority.revoke("alice");
    authority.close();
    assert.deepEqual(calls, ["intermediate", "intermediate"]);
    const intermediatePem = readFileSync(join(ca.caDir, "intermediate.pem"));
    assert.ok(new X509Certificate(issued.certPem).verify(new X509Certificate(intermediatePem).publicKey));
    const crl = parseCrl(readFileSync(revoked.crl.path));
    assert.ok(verifyCrl(crl, intermediatePem));
    assert.deepEqual(crl.serials, [issued.serial]);
  });
}

test("an injected store is the one the authority writes, and its audit rows carry the injected clock", async () => {
  const ca = await newCa();
  const at = new Date("2031-03-04T05:06:07Z");
  const now = () => at;
  const store = openStore({ kind: "sqlite", path: join(ca.caDir, "ca.db"), now });
  const authority = await Authority.open({ caDir: ca.caDir, certsDir: ca.certsDir, log: ca.log, store, now });
  const issued = await authority.issue({ name: "bob", roles: ["reader"], writeFiles: false });
  assert.equal(store.findBySerial(issued.serial)?.issuedAt.getTime(), at.getTime());
  authority.close();
  const db = new Database(join(ca.caDir, "ca.db"), { readonly: true });
  const row = db.prepare("SELECT at FROM audit WHERE action = 'ca.issue'").get() as { at: number };
  db.close();
  assert.equal(row.at, at.getTime());
});
