// How CA keys and PKCS#12 exports are protected (issue 11, item 17): PBES2 with PBKDF2-SHA256 at
// 600,000 iterations and a 16-byte salt for CA keys, a minimum passphrase length, keys encrypted
// the old way still readable; .p12 files only with a password (given or generated), AES-256-CBC,
// PBKDF2 600,000 and a SHA-256 MAC, for every key type offered. Checked with openssl.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { Authority } from "../../../src/authority/authority.js";
import { KEY_ITERATIONS } from "../../../src/pki/key-encryption.js";
import { captureLog } from "../../helpers/log-capture.js";
import { openssl } from "../../helpers/openssl.js";

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;
const PASSPHRASE = "correct horse battery";

async function fixture(passphrase?: string): Promise<{ caDir: string; certsDir: string; logs: ReturnType<typeof captureLog> }> {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-keyprot-"));
  const logs = captureLog("info");
  const caDir = join(dir, "ca");
  await Authority.init({ caDir, log: logs.log, passphrase, actor: "tester" });
  return { caDir, certsDir: join(dir, "certs"), logs };
}

/** openssl with a secret in the environment only (never on argv). */
function opensslWithSecret(args: string[], secret: string): { status: number | null; out: string } {
  const r = spawnSync("openssl", args, { env: { ...process.env, ZTMCP_TEST_SECRET: secret }, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

test("CA keys are PBES2: PBKDF2 with hmacWithSHA256, 600,000 iterations, a 16-byte salt and AES-256-CBC", async () => {
  assert.equal(KEY_ITERATIONS, 600_000);
  const f = await fixture(PASSPHRASE);
  for (const level of ["root", "intermediate"]) {
    const parsed = openssl(["asn1parse", "-in", join(f.caDir, `${level}.key.pem`)]).stdout;
    assert.match(parsed, /OBJECT\s+:PBES2/);
    assert.match(parsed, /OBJECT\s+:PBKDF2\s*\n.*SEQUENCE\s*\n.*OCTET STRING\s+\[HEX DUMP\]:[0-9A-F]{32}\s*\n.*INTEGER\s+:0927C0\s*\n.*SEQUENCE\s*\n.*OBJECT\s+:hmacWithSHA256/);
    assert.match(parsed, /OBJECT\s+:aes-256-cbc\s*\n.*OCTET STRING\s+\[HEX DUMP\]:[0-9A-F]{32}/);
    // OpenSSL decrypts it with the passphrase from the environment.
    const decrypted = opensslWithSecret(["pkey", "-in", join(f.caDir, `${level}.key.pem`), "-passin", "env:ZTMCP_TEST_SECRET", "-noout"], PASSPHRASE);
    assert.equal(decrypted.status, 0, decrypted.out);
  }
});

test("a CA passphrase shorter than 12 characters is refused before anything is written", async () => {
  const caDir = join(mkdtempSync(join(tmpdir(), "ztmcp-keyprot-short-")), "ca");
  await assert.rejects(Authority.init({ caDir, passphrase: "x", log: captureLog("silent").log }), code("PASSPHRASE_TOO_SHORT"));
  await assert.rejects(Authority.init({ caDir, passphrase: "elevenchars", log: captureLog("silent").log }), code("PASSPHRASE_TOO_SHORT"));
  assert.ok(!existsSync(caDir));
});

test("a CA key encrypted the old way (PBKDF2 2,048 iterations, 8-byte salt) still signs", async () => {
  const f = await fixture(PASSPHRASE);
  const path = join(f.caDir, "intermediate.key.pem");
  const key = createPrivateKey({ key: readFileSync(path, "utf8"), passphrase: PASSPHRASE });
  // What ztmcp wrote before: Node's export with OpenSSL's defaults.
  const old = key.export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: PASSPHRASE }).toString();
  assert.match(openssl(["asn1parse"], old).stdout, /INTEGER\s+:0800/);
  writeFileSync(path, old, { mode: 0o600 });
  const ca = await Authority.open({ caDir: f.caDir, certsDir: f.certsDir, log: f.logs.log, passphrase: PASSPHRASE });
  assert.equal((await ca.issue({ name: "still-works", roles: ["reader"], writeFiles: false })).status, "valid");
  // A passphrase from before the minimum is still accepted for reading.
  ca.close();
});

for (const keyType of ["p256", "p384", "ed25519", "rsa2048"] as const) {
  test(`a ${keyType} .p12 uses AES-256-CBC, PBKDF2 600,000 with SHA-256 and a SHA-256 MAC`, async () => {
    const f = await fixture();
    const ca = await Authority.open({ caDir: f.caDir, certsDir: f.certsDir, log: f.logs.log });
    const password = "p12 password of some length";
    process.env.ZTMCP_P12_PASSPHRASE = password;
    try {
      await ca.issue({ name: `p12-${keyType}`, roles: ["reader"], keyType, p12: true });
    } finally {
      delete process.env.ZTMCP_P12_PASSPHRASE;
      ca.close();
    }
    const p12 = join(f.certsDir, `p12-${keyType}`, "cert.p12");
    const info = opensslWithSecret(["pkcs12", "-info", "-noout", "-in", p12, "-passin", "env:ZTMCP_TEST_SECRET"], password);
    assert.equal(info.status, 0, info.out);
    assert.match(info.out, /MAC: sha256, Iteration 600000/);
    assert.match(info.out, /PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256/);
    assert.match(info.out, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256/);
    assert.notEqual(opensslWithSecret(["pkcs12", "-info", "-noout", "-in", p12, "-passin", "pass:"], "").status, 0, "no empty password");
  });
}

test("without ZTMCP_P12_PASSPHRASE a password is generated, returned once and never logged; a short one is refused", async () => {
  const f = await fixture();
  const ca = await Authority.open({ caDir: f.caDir, certsDir: f.certsDir, log: f.logs.log });
  delete process.env.ZTMCP_P12_PASSPHRASE;
  const issued = await ca.issue({ name: "gen", roles: ["reader"], p12: true });
  assert.ok(issued.p12Password && issued.p12Password.length >= 20, "a generated password");
  const info = opensslWithSecret(["pkcs12", "-info", "-noout", "-in", join(f.certsDir, "gen", "cert.p12"), "-passin", "env:ZTMCP_TEST_SECRET"], issued.p12Password);
  assert.equal(info.status, 0, info.out);
  assert.ok(!f.logs.text().includes(issued.p12Password));
  process.env.ZTMCP_P12_PASSPHRASE = "short";
  try {
    await assert.rejects(ca.issue({ name: "weak", roles: ["reader"], p12: true }), code("PASSPHRASE_TOO_SHORT"));
  } finally {
    delete process.env.ZTMCP_P12_PASSPHRASE;
    ca.close();
  }
  assert.ok(!existsSync(join(f.certsDir, "weak")));
});
