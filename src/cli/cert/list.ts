// `ztmcp cert list [--all]`: valid certificates (or all of them) as a table.
import { defineCommand } from "../command.js";
import { withAuthority, withPassphraseOption } from "../ca-options.js";
import { certTable } from "./format.js";

export const listCommand = defineCommand({
  command: "list",
  describe: "list valid certificates (--all: also expired and revoked ones)",
  builder: (y) => withPassphraseOption(y).option("all", { type: "boolean", default: false, describe: "include expired and revoked certificates" }),
  run: (argv, ctx) =>
    withAuthority(argv, ctx, (ca) => {
      const certs = ca.list({ all: argv.all });
      return { text: certTable(certs), data: certs };
    }),
});
