// The shape of a command module: yargs' command/describe/builder, plus `run`, which returns
// what to print (text for people, data for --json) or throws a ZtmcpError. Only main.ts prints.
import type { Argv, ArgumentsCamelCase } from "yargs";
import type { Logger } from "../common/log.js";

export interface GlobalOptions {
  caDir: string;
  certsDir: string;
  policy: string | undefined;
  json: boolean;
  logLevel: string;
}

export interface Context {
  caDir: string;
  certsDir: string;
  policyPath: string;
  json: boolean;
  log: Logger;
}

export interface CommandResult {
  text: string;
  data: unknown;
}

export interface CommandModule<A> {
  command: string | readonly string[];
  describe: string;
  builder: (yargs: Argv<GlobalOptions>) => Argv<A>;
  run: (argv: ArgumentsCamelCase<A & GlobalOptions>, ctx: Context) => Promise<CommandResult | undefined>;
  /** A command group (`cert issue`, `cert list`, …): main.ts registers these under it; `run` is then never called. */
  subcommands?: readonly CommandModule<never>[];
}

/** Keeps each module's argument types checked while main.ts holds them in one list. */
export function defineCommand<A>(module: CommandModule<A>): CommandModule<A> {
  return module;
}
