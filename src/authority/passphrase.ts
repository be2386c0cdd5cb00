// Where a CA key passphrase comes from: a file (--passphrase-file) or ZTMCP_CA_PASSPHRASE.
// Never from argv, where `ps` and shell history would show it.
import { readFileSync } from "node:fs";
import { ZtmcpError } from "../common/errors.js";

export const CA_PASSPHRASE_ENV = "ZTMCP_CA_PASSPHRASE";

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
