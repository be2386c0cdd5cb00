// `ztmcp ca serve`: the CA online (enroll, renew, CRLs, roots) until SIGINT/SIGTERM. Like
// `serve`, a long-running command: its banner goes to stdout at start.
import { parseDuration } from "../common/duration.js";
import { ZtmcpError } from "../common/errors.js";
import { defineCommand } from "./command.js";
import { withAuthority, withPassphraseOption } from "./ca-options.js";

const checkPort = (port: number | undefined, option: string): void => {
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new ZtmcpError("BAD_PORT", `invalid ${option} ${port}`);
};

export const caServeCommand = defineCommand({
  command: "serve",
  describe: "run the online CA: POST /enroll, /renew; GET /crl/root, /crl/intermediate, /roots, /healthz",
  builder: (y) =>
    withPassphraseOption(y)
      .option("host", { type: "string", default: "127.0.0.1", describe: "address to listen on" })
      .option("port", { type: "number", default: 9443, describe: "port (0 picks a free one)" })
      .option("url", { type: "string", describe: "the URL agents reach this CA at (default https://<host>:<port>); goes into tokens" })
      .option("crl-validity", { type: "string", default: "7d", describe: "validity of CRLs it re-publishes (at half of it)" })
      .option("metrics-port", { type: "number", describe: "serve Prometheus metrics on this port" })
      .option("metrics-host", { type: "string", default: "127.0.0.1", describe: "address of the metrics listener" }),
  run: (argv, ctx) => {
    checkPort(argv.port, "--port");
    checkPort(argv.metricsPort, "--metrics-port");
    const crlValidityMs = parseDuration(argv.crlValidity);
    if (argv.url !== undefined && !/^https:\/\//.test(argv.url)) throw new ZtmcpError("BAD_URL", `--url must be https: ${argv.url}`);
    return withAuthority(argv, ctx, async (authority) => {
      const { startCaServer } = await import("../ca-server/server.js");
      const server = await startCaServer({ authority, log: ctx.log, host: argv.host, port: argv.port, url: argv.url, crlValidityMs, metricsPort: argv.metricsPort, metricsHost: argv.metricsHost });
      process.stdout.write(
        [
          `ztmcp CA listening on ${server.url}${server.metricsUrl ? ` (metrics ${server.metricsUrl})` : ""}`,
          "",
          "enroll an agent on any machine:",
          `  npx ztmcp token create <agent> --role reader      # here; prints a one-time token`,
          `  npx ztmcp enroll --token <token>                  # there; the key never leaves it`,
          `  npx ztmcp renew --identity certs/<agent> --daemon # there; renews at ~2/3 of its life`,
          "",
        ].join("\n"),
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          ctx.log.info({ event: "ca.serve", action: "signal", signal }, "stopping");
          process.off("SIGINT", stop).off("SIGTERM", stop);
          void server.close().finally(resolve);
        };
        process.on("SIGINT", stop).on("SIGTERM", stop);
      });
      return { text: "", data: { url: server.url, stopped: true } };
    });
  },
});
