// `ztmcp cert revoke <name|serial> [--reason R] [--invalidity-date ISO]`: revoke, then publish the intermediate CRL.
import { LEAF_REASONS, parseInvalidityDate, parseReason } from "../../pki/revocation-reason.js";
import { defineCommand } from "../command.js";
import { withAuthority, withPassphraseOption } from "../ca-options.js";

export const revokeCommand = defineCommand({
  command: "revoke <target>",
  describe: "revoke a serial, or every valid certificate of a name, and publish a new CRL",
  builder: (y) =>
    withPassphraseOption(y)
      .positional("target", { type: "string", demandOption: true, describe: "name or serial" })
      // Not yargs `choices`: parseReason explains why cACompromise and the like do not apply to a leaf.
      .option("reason", { type: "string", default: "unspecified", describe: `RFC 5280 reason: ${LEAF_REASONS.join(", ")}` })
      .option("invalidity-date", { type: "string", describe: "when the key was (suspected) compromised, ISO 8601 (2026-03-01 or 2026-03-01T09:30:00Z); written to the CRL entry" }),
  run: (argv, ctx) => {
    const reason = parseReason(argv.reason);
    const invalidityDate = argv.invalidityDate === undefined ? undefined : parseInvalidityDate(argv.invalidityDate);
    return withAuthority(argv, ctx, async (ca) => {
      const r = await ca.revoke(argv.target, reason, { invalidityDate });
      const lines = r.revoked.map((c) => `revoked ${c.kind} "${c.name}" serial ${c.serial} (${reason}${c.invalidityDate ? `, invalid since ${c.invalidityDate}` : ""})`);
      lines.push(`published ${r.crl.path} (CRL number ${r.crl.crlNumber}, ${r.crl.entries} entries, next update ${r.crl.nextUpdate.toISOString()})`);
      return { text: lines.join("\n"), data: { revoked: r.revoked, crl: { ...r.crl, crlNumber: r.crl.crlNumber.toString() } } };
    });
  },
});
