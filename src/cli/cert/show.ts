// `ztmcp cert show <name|serial>`: one certificate, or every certificate issued under a name. Only reads ca/.
import { defineCommand } from "../command.js";
import { withInventory } from "../ca-options.js";
import { certBlock } from "./format.js";

export const showCommand = defineCommand({
  command: "show <target>",
  describe: "show a certificate by serial, or every certificate of a name (newest first)",
  builder: (y) => y.positional("target", { type: "string", demandOption: true, describe: "name or serial (hex, colons allowed)" }),
  run: (argv, ctx) =>
    withInventory(ctx, (inventory) => {
      const certs = inventory.show(argv.target);
      return { text: certs.map(certBlock).join("\n\n"), data: certs };
    }),
});
