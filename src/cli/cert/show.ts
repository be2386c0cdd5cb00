// `ztmcp cert show <name|serial>`: one certificate, or every certificate issued under a name.
import { defineCommand } from "../command.js";
import { withAuthority, withPassphraseOption } from "../ca-options.js";
import { certBlock } from "./format.js";

export const showCommand = defineCommand({
  command: "show <target>",
  describe: "show a certificate by serial, or every certificate of a name (newest first)",
  builder: (y) => withPassphraseOption(y).positional("target", { type: "string", demandOption: true, describe: "name or serial (hex, colons allowed)" }),
  run: (argv, ctx) =>
    withAuthority(argv, ctx, (ca) => {
      const certs = ca.show(argv.target);
      return { text: certs.map(certBlock).join("\n\n"), data: certs };
    }),
});
