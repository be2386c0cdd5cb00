// Where a CA key passphrase comes from: a file (--passphrase-file) or ZTMCP_CA_PASSPHRASE.
// Never from argv, where `ps` and shell history would show it.
import { readFileSync } from "node:fs";
import { ZtmcpError } from "../common/errors.js";

export const CA_PASSPHRASE_ENV = "ZTMCP_CA_PASSPHRASE";
/** For new CA keys and .p12 files; existing keys with shorter passphrases still open. */
export const MIN_PASSPHRASE_LENGTH = 12;

export function checkNewPassphrase(passphrase: string, what: string): string {
  if (Array.from(passphrase).length < MIN_PASSPHRASE_LENGTH) {
    throw new ZtmcpError("PASSPHRASE_TOO_SHORT", `the ${what} must be at least ${MIN_PASSPHRASE_LENGTH} characters (a passphrase of several words is easiest)`);
  }
  return passphrase;
}

export function resolvePassphrase(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new ZtmcpError("PASSPHRASE_FILE_UNREADABLE", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const passphrase = text.replace(/\r?\n$/, "");
    if (!passphrase) throw new ZtmcpError("PASSPHRASE_EMPTY", `${file} is empty`);
    return passphrase;
  }
  const value = env[CA_PASSPHRASE_ENV];
  return value ? value : undefined;
}
