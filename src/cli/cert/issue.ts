// `ztmcp cert issue <name> --role R…`: an agent certificate (clientAuth, roles extension).
import { defineCommand } from "../command.js";
import { runIssue, withIssueOptions } from "./issue-options.js";

export const issueCommand = defineCommand({
  command: "issue <name>",
  describe: "issue (or rotate) an agent certificate into <certs-dir>/<name>/",
  builder: (y) => withIssueOptions(y, "agent").option("role", { type: "string", array: true, default: [] as string[], describe: "a role defined in the policy (repeatable)" }),
  run: (argv, ctx) => runIssue(argv, ctx, (ca, req) => ca.issue({ ...req, roles: argv.role })),
});
