// `ztmcp serve`: runs the mTLS MCP host until SIGINT/SIGTERM (graceful stop, exit 0); SIGHUP
// reloads the policy, the CRLs and the host's own TLS identity. A long-running command cannot
// return its banner, so the banner (URL, a working curl line, the connect line) is written to
// stdout at start.
import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { parseDuration } from "../common/duration.js";
import { ZtmcpError } from "../common/errors.js";
import { startMetricsServer } from "../common/metrics-server.js";
import type { LockoutOptions } from "../host/tls/lockout.js";
import { defineCommand } from "./command.js";

interface ServeArgs {
  host: string;
  port: number;
  identity: string | undefined;
  config: string | undefined;
  "crl-grace": string;
  lockout: string;
  "session-idle": string;
  "sessions-per-identity": number;
  "request-timeout": string;
  "state-dir": string | undefined;
  "max-connections-per-identity": number;
  "ca-url": string | undefined;
  "metrics-port": number | undefined;
  "metrics-host": string;
  renew: boolean;
}

const durationOrZero = (text: string): number => (text === "0" ? 0 : parseDuration(text));

const MAX_CONNECTION_CAP = 1_000_000;

/** Open TLS connections one identity may hold; 0 lifts the cap. */
export function parseConnectionCap(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_CONNECTION_CAP) {
    throw new ZtmcpError("BAD_CONNECTION_CAP", `--max-connections-per-identity takes a whole number from 0 (no cap) to ${MAX_CONNECTION_CAP}, not ${String(n)}`);
  }
  return n;
}

/** `<threshold>/<window>/<cool-down>`, e.g. 20/1m/5m; `0` turns the lockout off. */
export function parseLockout(text: string): LockoutOptions {
  if (text === "0") return { threshold: 0, windowMs: 1, coolDownMs: 1 };
  const m = /^(\d{1,6})\/([^/]+)\/([^/]+)$/.exec(text);
  if (!m) throw new ZtmcpError("BAD_LOCKOUT", `--lockout takes <failures>/<window>/<cool-down>, e.g. 20/1m/5m (or 0 to disable), not "${text}"`);
  return { threshold: Number(m[1]), windowMs: parseDuration(m[2]!), coolDownMs: parseDuration(m[3]!) };
}

export function banner(url: string, certsDir: string): string {
  const demo = join(certsDir, "demo");
  const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "0" } } });
  return [
    `ztmcp host listening on ${url}`,
    "",
    "try it with curl (the demo agent, role reader):",
    `  curl --cert ${demo}/cert.pem --key ${demo}/key.pem --cacert ${demo}/ca.pem -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' -d '${init}' ${url}`,
    "",
    "connect a desktop MCP client (stdio) through the bridge:",
    `  npx ztmcp connect ${url} --identity ${demo}`,
    "",
  ].join("\n");
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ZtmcpError("BAD_PORT", `invalid port ${String(port)}`);
}

function httpsUrl(text: string, option: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ZtmcpError("BAD_URL", `${option}: not a URL: "${text}"`);
  }
  if (url.protocol !== "https:") throw new ZtmcpError("BAD_URL", `${option}: the CA must be reached over https: "${text}"`);
  return url;
}

/** What a first run lacks, said with what to run instead of an errno. */
function preflight(root: string, identityDir: string): void {
  if (!existsSync(root)) throw new ZtmcpError("CA_NOT_FOUND", `no CA root at ${root}: run \`make serve\` to set everything up, or \`ztmcp ca init\``);
  const missing = ["chain.pem", "key.pem"].filter((f) => !existsSync(join(identityDir, f)));
  if (missing.length > 0) {
    throw new ZtmcpError("HOST_IDENTITY_MISSING", `no host certificate in ${identityDir}/ (${missing.join(", ")} missing): run \`make serve\`, or \`ztmcp cert issue-server ${basename(identityDir)}\` and pass --identity`);
  }
}

export const serveCommand = defineCommand<ServeArgs>({
  command: "serve",
  describe: "run the mTLS MCP host",
  builder: (y) =>
    y
      .option("host", { type: "string", default: "127.0.0.1", describe: "address to listen on" })
      .option("port", { type: "number", default: 8443, describe: "port (0 picks a free one)" })
      .option("identity", { type: "string", describe: "host certificate directory (default <certs-dir>/localhost)" })
      .option("config", { type: "string", describe: "gateway config: upstream MCP servers to serve next to the built-ins" })
      .option("crl-grace", { type: "string", default: "0", describe: "how long past its nextUpdate a CRL is still trusted (then everyone is refused)" })
      .option("lockout", { type: "string", default: "20/1m/5m", describe: "refused certificates/window/cool-down before an address is locked out (valid certificates are still admitted); 0 disables" })
      .option("max-connections-per-identity", { type: "number", default: 256, describe: "open TLS connections one client identity may hold; 0: no cap" })
      .option("state-dir", { type: "string", describe: "the host's own state: the last good CRL of each issuer, for rollback protection across restarts (default <certs-dir>/.host-state/<identity name>)" })
      .option("session-idle", { type: "string", default: "15m", describe: "evict MCP sessions idle this long" })
      .option("sessions-per-identity", { type: "number", default: 64, describe: "MCP sessions one certificate may hold (at the cap its least recently used idle one is closed)" })
      .option("request-timeout", { type: "string", default: "30s", describe: "a request (headers and body) must arrive in full within this (408)" })
      .option("ca-url", { type: "string", describe: "the online CA (ztmcp ca serve), e.g. https://127.0.0.1:9443: CRLs fetched from it every 2 s; trust from <identity>/ca.pem" })
      .option("metrics-port", { type: "number", describe: "serve Prometheus metrics on http://<metrics-host>:<port>/metrics" })
      .option("metrics-host", { type: "string", default: "127.0.0.1", describe: "address of the metrics listener" })
      .option("renew", { type: "boolean", default: false, describe: "renew the host's own certificate from the online CA at ~2/3 of its life (--ca-url, or the identity's ca-url file) and serve the new one at once" }),
  run: async (argv, ctx) => {
    checkPort(argv.port);
    const lockout = parseLockout(argv.lockout);
    const maxConnectionsPerIdentity = parseConnectionCap(argv.maxConnectionsPerIdentity);
    const crlGraceMs = durationOrZero(argv.crlGrace);
    const sessionIdleMs = parseDuration(argv.sessionIdle);
    const maxSessionsPerIdentity = argv.sessionsPerIdentity;
    if (!Number.isInteger(maxSessionsPerIdentity) || maxSessionsPerIdentity < 1 || maxSessionsPerIdentity > 10_000) {
      throw new ZtmcpError("USAGE", `--sessions-per-identity takes a whole number from 1 to 10000, not ${String(maxSessionsPerIdentity)}`);
    }
    const requestTimeoutMs = parseDuration(argv.requestTimeout);
    // Loaded here, not at the top: the host and the SDK cost ~1 s of start-up every other command would pay.
    const [{ builtinCatalog }, { startHost }] = await Promise.all([import("../gateway/builtin-tools.js"), import("../host/host.js")]);
    const identityDir = argv.identity ?? join(ctx.certsDir, "localhost");
    const caUrl = argv.caUrl === undefined ? undefined : httpsUrl(argv.caUrl, "--ca-url");
    if (argv.metricsPort !== undefined) checkPort(argv.metricsPort);
    preflight(caUrl === undefined ? join(ctx.caDir, "root.pem") : join(identityDir, "ca.pem"), identityDir);
    // The gateway (SDK client transports, undici) only when there are upstreams to front.
    const catalog = argv.config === undefined ? builtinCatalog() : await (await import("../gateway/gateway.js")).loadGateway(argv.config, builtinCatalog(), ctx.log);
    const host = await startHost({
      host: argv.host,
      port: argv.port,
      identityDir,
      caDir: ctx.caDir,
      ...(caUrl === undefined ? {} : { caUrl: caUrl.href, trust: join(identityDir, "ca.pem") }),
      metrics: argv.metricsPort !== undefined,
      policyPath: ctx.policyPath,
      catalog,
      crlGraceMs,
      lockout,
      ...(argv.stateDir === undefined ? {} : { stateDir: argv.stateDir }),
      limits: { sessionIdleMs, maxSessionsPerIdentity, requestTimeoutMs, maxConnectionsPerIdentity },
      log: ctx.log,
    }).catch(async (e: unknown) => {
      await catalog.close();
      throw e;
    });
    const metrics = argv.metricsPort === undefined ? undefined : await startMetricsServer({ registry: host.metrics!.registry, host: argv.metricsHost, port: argv.metricsPort, log: ctx.log }).catch(async (e: unknown) => {
      await host.close();
      await catalog.close();
      throw new ZtmcpError("LISTEN_FAILED", `cannot listen for metrics on ${argv.metricsHost}:${String(argv.metricsPort)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (choose another --metrics-port)`);
    });
    // The renewal loop lives with the agent's side (bridge/renew); the host only hot-reloads what it writes.
    const renewal = argv.renew
      ? (await import("../bridge/renew/loop.js")).startRenewal({ identityDir, caUrl: caUrl?.href, log: ctx.log, onRenewed: () => void host.reloadIdentity() })
      : undefined;
    process.stdout.write(banner(host.url, ctx.certsDir));
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals): void => {
        ctx.log.info({ event: "host.signal", signal }, "stopping");
        process.off("SIGINT", stop).off("SIGTERM", stop).off("SIGHUP", reload);
        void host.close().finally(resolve);
      };
      const reload = (): void => {
        ctx.log.info({ event: "host.signal", signal: "SIGHUP" }, "reloading policy, CRLs and TLS identity");
        host.reloadPolicy();
        host.reloadCrls();
        host.reloadIdentity();
      };
      process.on("SIGINT", stop).on("SIGTERM", stop).on("SIGHUP", reload);
    });
    renewal?.stop();
    await metrics?.close();
    await catalog.close();
    return { text: "", data: { url: host.url, stopped: true } };
  },
});
