// PKCS#12 bundles through `openssl pkcs12 -export`, with AES-256-CBC, PBKDF2-SHA256 at 600,000
// iterations and an HMAC-SHA256 MAC. Not node-forge: it builds PKCS#12 only for RSA keys and
// always MACs with HMAC-SHA1; we offer P-256, P-384, Ed25519 and RSA (docs/certificate-profile.md).
// The key is read from its (0600) file, the password from the environment; neither is on argv.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync } from "node:fs";
import { join } from "node:path";
import { ZtmcpError } from "../common/errors.js";
import { checkNewPassphrase } from "./passphrase.js";

export const P12_PASSPHRASE_ENV = "ZTMCP_P12_PASSPHRASE";
export const P12_ITERATIONS = 600_000;

export interface P12Password {
  value: string;
  /** True when ztmcp made it up: the caller shows it once; it is stored nowhere. */
  generated: boolean;
}

/** ZTMCP_P12_PASSPHRASE (at least 12 characters), or 24 random characters (144 bits). Never empty. */
export function p12Password(env: NodeJS.ProcessEnv = process.env): P12Password {
  const given = env[P12_PASSPHRASE_ENV];
  if (given) return { value: checkNewPassphrase(given, ".p12 password (ZTMCP_P12_PASSPHRASE)"), generated: false };
  return { value: randomBytes(18).toString("base64url"), generated: true };
}

/** Writes `<dir>/cert.p12` (mode 0600) from `<dir>/key.pem`, `chain.pem` and `ca.pem`. */
export function writeP12(dir: string, friendlyName: string, password: string): void {
  const out = join(dir, "cert.p12");
  // Created first so openssl writes into a file that is already private.
  closeSync(openSync(out, "wx", 0o600));
  const strong = ["-keypbe", "AES-256-CBC", "-certpbe", "AES-256-CBC", "-macalg", "sha256", "-iter", String(P12_ITERATIONS)];
  const r = spawnSync(
    "openssl",
    ["pkcs12", "-export", ...strong, "-inkey", join(dir, "key.pem"), "-in", join(dir, "chain.pem"), "-certfile", join(dir, "ca.pem"), "-name", friendlyName, "-passout", `env:${P12_PASSPHRASE_ENV}`, "-out", out],
    { env: { ...process.env, [P12_PASSPHRASE_ENV]: password }, encoding: "utf8", timeout: 60_000 },
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
