// `ztmcp connect <https-url> --identity certs/<name>`: the stdio ↔ mTLS bridge for desktop MCP
// clients. Prints nothing on success: stdout belongs to the MCP protocol.
import { basename } from "node:path";
import { ZtmcpError } from "../common/errors.js";
import { defineCommand } from "./command.js";
import { env } from "./env.js";

interface ConnectArgs {
  url: string;
  identity: string;
  ca: string | undefined;
  "max-connections": number;
}

export const connectCommand = defineCommand<ConnectArgs>({
  command: "connect <url>",
  describe: "bridge a stdio MCP client to a ztmcp host over mTLS",
  builder: (y) =>
    y
      .positional("url", { type: "string", demandOption: true, describe: "the host's MCP endpoint, https://host:port/mcp" })
      .option("identity", { type: "string", demandOption: true, describe: "certificate directory, certs/<name>" })
      .option("ca", { type: "string", describe: "PEM roots to trust for the host (default <identity>/ca.pem)" })
      .option("max-connections", { type: "number", default: 4, describe: "connections to the host, i.e. calls in flight at once (1..64)" })
      // Diagnostics stay quiet unless asked: a desktop client shows stderr to its user.
      .option("log-level", { type: "string", default: env("LOG_LEVEL") ?? "warn", describe: "how much to log on stderr [ZTMCP_LOG_LEVEL]" })
      // The bridge reads no CA state or policy: keep those global options out of its help.
      .hide("ca-dir")
      .hide("certs-dir")
      .hide("policy"),
  run: async (argv, ctx) => {
    let url: URL;
    try {
      url = new URL(argv.url);
    } catch {
      throw new ZtmcpError("BAD_URL", `not a URL: "${argv.url}"`);
    }
    if (url.protocol !== "https:") throw new ZtmcpError("BAD_URL", `the host must be reached over https: "${argv.url}"`);
    // Loaded here: undici and the SDK are start-up cost the CA commands need not pay.
    const [{ readIdentitySnapshot }, { checkMaxConnections, runBridge }] = await Promise.all([import("../tls-files/mtls-fetch.js"), import("../bridge/bridge.js")]);
    const maxConnections = checkMaxConnections(argv.maxConnections);
    let tls;
    try {
      tls = readIdentitySnapshot(argv.identity, argv.ca);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const what = argv.ca !== undefined && err.path === argv.ca ? `--ca ${argv.ca}` : `${argv.identity}: ${err.path === undefined ? "its files" : basename(err.path)}`;
      throw new ZtmcpError("IDENTITY_UNREADABLE", `cannot read ${what} (${err.code ?? err.message})`);
    }
    await runBridge({ url, tls, label: argv.identity, identityDir: argv.identity, caFile: argv.ca, log: ctx.log, maxConnections });
    return undefined;
  },
});
