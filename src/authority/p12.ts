// PKCS#12 bundles through `openssl pkcs12 -export`: node-forge cannot export ECDSA keys.
// The key is read from its (0600) file, the password from the environment; neither is on argv.
import { spawnSync } from "node:child_process";
import { closeSync, fsyncSync, openSync } from "node:fs";
import { join } from "node:path";
import { ZtmcpError } from "../common/errors.js";

export const P12_PASSPHRASE_ENV = "ZTMCP_P12_PASSPHRASE";

/** Writes `<dir>/cert.p12` (mode 0600) from `<dir>/key.pem`, `chain.pem` and `ca.pem`. */
export function writeP12(dir: string, friendlyName: string, password = process.env[P12_PASSPHRASE_ENV] ?? ""): void {
  const out = join(dir, "cert.p12");
  // Created first so openssl writes into a file that is already private.
  closeSync(openSync(out, "wx", 0o600));
  const r = spawnSync(
    "openssl",
    ["pkcs12", "-export", "-inkey", join(dir, "key.pem"), "-in", join(dir, "chain.pem"), "-certfile", join(dir, "ca.pem"), "-name", friendlyName, "-passout", `env:${P12_PASSPHRASE_ENV}`, "-out", out],
    { env: { ...process.env, [P12_PASSPHRASE_ENV]: password }, encoding: "utf8", timeout: 30_000 },
  );
  if (r.error || r.status !== 0) {
    throw new ZtmcpError("P12_FAILED", `openssl pkcs12 -export failed: ${r.error?.message ?? r.stderr.trim()}`);
  }
  const fd = openSync(out, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
