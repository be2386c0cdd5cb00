// Every command group, in the order `ztmcp --help` lists them.
import type { CommandModule } from "./command.js";
import { versionCommand } from "./version.js";

export const commands = [versionCommand] as unknown as CommandModule<never>[];
