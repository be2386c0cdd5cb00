// `ztmcp cert …`: issue, issue-server, list, show, revoke (one module per subcommand in cert/).
import { defineCommand } from "./command.js";
import { issueCommand } from "./cert/issue.js";
import { issueServerCommand } from "./cert/issue-server.js";
import { listCommand } from "./cert/list.js";
import { showCommand } from "./cert/show.js";
import { revokeCommand } from "./cert/revoke.js";

export const certCommand = defineCommand({
  command: "cert",
  describe: "issue, list, show and revoke agent and host certificates",
  builder: (y) => y,
  subcommands: [issueCommand, issueServerCommand, listCommand, showCommand, revokeCommand] as never,
  run: () => Promise.resolve(undefined),
});
