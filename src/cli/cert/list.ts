// `ztmcp cert list [--all] [--expiring 2h]`: valid certificates (or all of them) as a table. Only reads ca/.
import { parseDuration } from "../../common/duration.js";
import { defineCommand } from "../command.js";
import { withInventory } from "../ca-options.js";
import { certTable } from "./format.js";

export const listCommand = defineCommand({
  command: "list",
  describe: "list valid certificates (--all: also expired and revoked ones)",
  builder: (y) =>
    y
      .option("all", { type: "boolean", default: false, describe: "include expired and revoked certificates" })
      .option("expiring", { type: "string", describe: "only valid certificates that expire within this duration (e.g. 2h)" }),
  run: (argv, ctx) => {
    const withinMs = argv.expiring === undefined ? undefined : parseDuration(argv.expiring);
    return withInventory(ctx, (inventory) => {
      const now = Date.now();
      const all = inventory.list({ all: argv.all });
      const certs = withinMs === undefined ? all : all.filter((c) => c.status === "valid" && Date.parse(c.notAfter) - now <= withinMs);
      return { text: certTable(certs), data: certs };
    });
  },
});
