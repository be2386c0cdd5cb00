// What every CA command shares: where the passphrase comes from, and opening the authority for
// one command (with crash recovery) and closing it afterwards, or the read-only inventory.
import type { Argv } from "yargs";
import type { Authority } from "../authority/authority.js";
import type { Inventory } from "../authority/inventory.js";
import { resolvePassphrase } from "../authority/passphrase.js";
import type { Context, GlobalOptions } from "./command.js";

export interface PassphraseOptions {
  passphraseFile: string | undefined;
}

export function withPassphraseOption<T>(y: Argv<T>): Argv<T & PassphraseOptions> {
  return y.option("passphrase-file", {
    type: "string",
    describe: "file holding the CA key passphrase (or set ZTMCP_CA_PASSPHRASE); never pass it on the command line",
  }) as unknown as Argv<T & PassphraseOptions>;
}

export async function withAuthority<R>(argv: PassphraseOptions & GlobalOptions, ctx: Context, use: (authority: Authority) => Promise<R> | R): Promise<R> {
  // Loaded on use: @peculiar/x509 and SQLite are start-up cost that `serve` and `connect` need not pay.
  const { Authority } = await import("../authority/authority.js");
  const authority = await Authority.open({
    caDir: ctx.caDir,
    certsDir: ctx.certsDir,
    policyPath: ctx.policyPath,
    passphrase: resolvePassphrase(argv.passphraseFile),
    log: ctx.log,
  });
  try {
    return await use(authority);
  } finally {
    authority.close();
  }
}

/** For commands that only read: ca.db opened read-only, no key, no recovery (see inventory.ts). */
export async function withInventory<R>(ctx: Context, use: (inventory: Inventory) => R): Promise<R> {
  const { Inventory } = await import("../authority/inventory.js");
  const inventory = Inventory.open({ caDir: ctx.caDir, log: ctx.log });
  try {
    return use(inventory);
  } finally {
    inventory.close();
  }
}
