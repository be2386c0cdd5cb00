// The CLI: parses arguments, runs one command, prints its result, maps errors to exit codes.
// Exit codes: 0 ok, 1 runtime failure, 2 usage error. Errors: `ztmcp: <CODE>: <message>` on stderr.
import yargs, { type Argv } from "yargs";
import { join } from "node:path";
import { ZtmcpError } from "../common/errors.js";
import { createLogger } from "../common/log.js";
import type { CommandModule, CommandResult, Context, GlobalOptions } from "./command.js";
import { commands } from "./commands.js";
import { env, LOG_LEVELS } from "./env.js";

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

function contextOf(argv: GlobalOptions): Context {
  return {
    caDir: argv.caDir,
    certsDir: argv.certsDir,
    policyPath: argv.policy ?? join(argv.caDir, "policy.json"),
    json: argv.json,
    log: createLogger({ level: argv.logLevel }),
  };
}

function register(y: Argv<GlobalOptions>, module: CommandModule<never>, done: (r: CommandResult | undefined) => void): Argv<GlobalOptions> {
  return y.command({
    command: module.command,
    describe: module.describe,
    builder: module.subcommands
      ? (((sub: Argv<GlobalOptions>) => module.subcommands!.reduce((acc, m) => register(acc, m, done), module.builder(sub) as unknown as Argv<GlobalOptions>).demandCommand(1, "name a subcommand (see --help)")) as typeof module.builder)
      : module.builder,
    handler: async (argv) => done(await module.run(argv, contextOf(argv as unknown as GlobalOptions))),
  });
}

/** Read from the environment only (secrets, test hooks); declared so that passing one on argv gets a clear error. */
const ENV_ONLY = ["ca-passphrase", "p12-passphrase", "failpoint"];
/** `--caPassphrase=x` → `ca-passphrase`. */
const flagName = (arg: string): string => arg.replace(/^--|=.*$/g, "").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function parser(args: string[], onResult: (r: CommandResult | undefined) => void, modules: readonly CommandModule<never>[] = commands): Argv<GlobalOptions> {
  let y = yargs(args)
    .scriptName("ztmcp")
    // Not yargs' .env("ZTMCP"): with .strict() it turns every ZTMCP_* variable (test hooks,
    // secrets) into an "unknown argument". The global options read their variables here instead.
    .option("ca-dir", { type: "string", default: env("CA_DIR") ?? "ca", describe: "CA state directory [ZTMCP_CA_DIR]" })
    .option("certs-dir", { type: "string", default: env("CERTS_DIR") ?? "certs", describe: "where issued certificates are written [ZTMCP_CERTS_DIR]" })
    .option("policy", { type: "string", default: env("POLICY"), describe: "policy file (default <ca-dir>/policy.json) [ZTMCP_POLICY]" })
    .option("json", { type: "boolean", default: env("JSON") === "true" || env("JSON") === "1", describe: "machine-readable output [ZTMCP_JSON]" })
    .option("log-level", { type: "string", default: env("LOG_LEVEL") ?? "info", choices: LOG_LEVELS, describe: "how much to log, as JSON lines on stderr [ZTMCP_LOG_LEVEL]" })
    .options(Object.fromEntries(ENV_ONLY.map((name) => [name, { type: "string", hidden: true }] as const)))
    .check(() => {
      const given = args.filter((a) => a.startsWith("--")).map(flagName).find((f) => ENV_ONLY.includes(f));
      if (given) throw new ZtmcpError("ENV_ONLY", `--${given} is read from the environment only (ZTMCP_${given.replace(/-/g, "_").toUpperCase()}), never from the command line`);
      return true;
    })
    .strict()
    .demandCommand(1, "name a command (see --help)")
    .recommendCommands()
    .help()
    .version(false)
    .wrap(process.stdout.isTTY ? Math.min(110, process.stdout.columns) : 100)
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs passes no error for its own validation failures (unknown argument, missing value).
      throw (err as Error | undefined) ?? new ZtmcpError("USAGE", msg);
    }) as unknown as Argv<GlobalOptions>;
  for (const module of modules) y = register(y, module, onResult);
  return y;
}

/** Anything thrown becomes one line: ours as is, yargs' as usage, the OS's named by its errno. */
function asZtmcpError(e: unknown): ZtmcpError {
  if (e instanceof ZtmcpError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.name === "YError") return new ZtmcpError("USAGE", err.message);
  const firstLine = (err.message || String(e)).split("\n")[0]!;
  if (typeof err.code === "string" && /^E[A-Z]+$/.test(err.code)) {
    return new ZtmcpError("FS_ERROR", `${err.syscall ?? "I/O"} ${err.path ?? ""}: ${err.code}`.replace(/ +:/, ":"), { errno: err.code });
  }
  return new ZtmcpError("INTERNAL", `${firstLine} (run with --log-level debug for the stack)`);
}

/** Runs the CLI and returns the exit code (does not call process.exit). */
/** `ztmcp --version` (yargs' own is off, so that `--json` applies): the `version` command. */
const withVersionCommand = (args: string[]): string[] => (args.includes("--version") && !args.some((a) => !a.startsWith("-")) ? ["version", ...args.filter((a) => a !== "--version")] : args);

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const args = withVersionCommand(argv);
  let json = args.includes("--json") || process.env.ZTMCP_JSON === "true";
  try {
    let result: CommandResult | undefined;
    let helpText = "";
    const y = parser(args, (r) => (result = r));
    await y.parseAsync(args, {}, (err, parsed, output) => {
      if (!err && output) helpText = output;
      json = Boolean((parsed as { json?: boolean }).json);
    });
    if (helpText) io.stdout(helpText + "\n");
    if (result) io.stdout(json ? JSON.stringify(result.data, null, 2) + "\n" : result.text.endsWith("\n") || !result.text ? result.text : result.text + "\n");
    return 0;
  } catch (e) {
    const err = asZtmcpError(e);
    if (!(e instanceof ZtmcpError) && /debug|trace/.test(env("LOG_LEVEL") ?? args.join(" "))) io.stderr(`${(e as Error).stack ?? String(e)}\n`);
    io.stderr(json ? JSON.stringify({ error: { code: err.code, message: err.message, ...err.details } }) + "\n" : `ztmcp: ${err.code}: ${err.message}\n`);
    return err.exitCode;
  }
}
