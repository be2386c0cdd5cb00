// `ztmcp cert revoke <name|serial> [--reason R]`: revoke, then publish the intermediate CRL.
import { REVOCATION_REASONS, parseReason } from "../../pki/revocation-reason.js";
import { defineCommand } from "../command.js";
import { withAuthority, withPassphraseOption } from "../ca-options.js";

export const revokeCommand = defineCommand({
  command: "revoke <target>",
  describe: "revoke a serial, or every valid certificate of a name, and publish a new CRL",
  builder: (y) =>
    withPassphraseOption(y)
      .positional("target", { type: "string", demandOption: true, describe: "name or serial" })
      .option("reason", { type: "string", default: "unspecified", choices: Object.keys(REVOCATION_REASONS), describe: "RFC 5280 reason" }),
  run: (argv, ctx) =>
    withAuthority(argv, ctx, async (ca) => {
      const r = await ca.revoke(argv.target, parseReason(argv.reason));
      const lines = r.revoked.map((c) => `revoked ${c.kind} "${c.name}" serial ${c.serial} (${argv.reason})`);
      lines.push(`published ${r.crl.path} (CRL number ${r.crl.crlNumber}, ${r.crl.entries} entries, next update ${r.crl.nextUpdate.toISOString()})`);
      return { text: lines.join("\n"), data: { revoked: r.revoked, crl: { ...r.crl, crlNumber: r.crl.crlNumber.toString() } } };
    }),
});
