// `ztmcp crl [--validity 7d]`: re-publish both CRLs with fresh thisUpdate/nextUpdate.
import { parseDuration } from "../common/duration.js";
import { defineCommand } from "./command.js";
import { withAuthority, withPassphraseOption } from "./ca-options.js";

export const crlCommand = defineCommand({
  command: "crl",
  describe: "re-publish the root and intermediate CRLs (also done by every revoke)",
  builder: (y) => withPassphraseOption(y).option("validity", { type: "string", default: "7d", describe: "time until nextUpdate" }),
  run: (argv, ctx) => {
    const validityMs = parseDuration(argv.validity);
    return withAuthority(argv, ctx, async (ca) => {
      const r = await ca.publishCrls({ validityMs });
      const lines = r.published.map((c) => `published ${c.path} (CRL number ${c.crlNumber}, ${c.entries} entries, next update ${c.nextUpdate.toISOString()})`);
      for (const s of r.skipped) lines.push(`skipped the ${s} CRL: its key is not in the CA directory (offline root)`);
      return { text: lines.join("\n"), data: { published: r.published.map((c) => ({ ...c, crlNumber: c.crlNumber.toString() })), skipped: r.skipped } };
    });
  },
});
