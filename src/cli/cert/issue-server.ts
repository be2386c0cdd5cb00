// `ztmcp cert issue-server <name>`: a host certificate (serverAuth, DNS and IP SANs).
import { defineCommand } from "../command.js";
import { runIssue, withIssueOptions } from "./issue-options.js";

export const issueServerCommand = defineCommand({
  command: "issue-server <name>",
  describe: "issue (or rotate) a host certificate into <certs-dir>/<name>/",
  builder: (y) =>
    withIssueOptions(y, "host")
      .option("dns", { type: "string", array: true, describe: "DNS SAN (repeatable; default localhost)" })
      .option("ip", { type: "string", array: true, describe: "IP SAN (repeatable; default 127.0.0.1)" }),
  run: (argv, ctx) => runIssue(argv, ctx, (ca, req) => ca.issueServer({ ...req, dns: argv.dns, ips: argv.ip })),
});
