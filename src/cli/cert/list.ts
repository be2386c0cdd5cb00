// `ztmcp cert list [--all]`: valid certificates (or all of them) as a table. Only reads ca/.
import { defineCommand } from "../command.js";
import { withInventory } from "../ca-options.js";
import { certTable } from "./format.js";

export const listCommand = defineCommand({
  command: "list",
  describe: "list valid certificates (--all: also expired and revoked ones)",
  builder: (y) => y.option("all", { type: "boolean", default: false, describe: "include expired and revoked certificates" }),
  run: (argv, ctx) =>
    withInventory(ctx, (inventory) => {
      const certs = inventory.list({ all: argv.all });
      return { text: certTable(certs), data: certs };
    }),
});
