// `ztmcp crl [--validity D] [--root-validity D]`: re-publish both CRLs with fresh thisUpdate/nextUpdate.
import { parseDuration } from "../common/duration.js";
import { defineCommand } from "./command.js";
import { withAuthority, withPassphraseOption } from "./ca-options.js";

const optional = (text: string | undefined): number | undefined => (text === undefined ? undefined : parseDuration(text));

export const crlCommand = defineCommand({
  command: "crl",
  describe: "re-publish the root and intermediate CRLs (also done by every revoke)",
  builder: (y) =>
    withPassphraseOption(y)
      .option("validity", { type: "string", describe: "intermediate CRL: time until nextUpdate (default 7d; at most the policy's crlMaxValidity, 7d unless raised, 30d at most)" })
      .option("root-validity", { type: "string", describe: "root CRL: time until nextUpdate (default 7d, at most 365d); run it before moving the root key offline" }),
  run: (argv, ctx) => {
    const validityMs = optional(argv.validity);
    const rootValidityMs = optional(argv.rootValidity);
    return withAuthority(argv, ctx, async (ca) => {
      const r = await ca.publishCrls({ validityMs, rootValidityMs });
      const lines = r.published.map((c) => `published ${c.path} (CRL number ${c.crlNumber}, ${c.entries} entries, next update ${c.nextUpdate.toISOString()})`);
      for (const s of r.skipped) lines.push(`skipped the ${s} CRL: its key is not in the CA directory (offline root)`);
      return { text: lines.join("\n"), data: { published: r.published.map((c) => ({ ...c, crlNumber: c.crlNumber.toString() })), skipped: r.skipped } };
    });
  },
});
