// Every command group, in the order `ztmcp --help` lists them.
import type { CommandModule } from "./command.js";
import { versionCommand } from "./version.js";
import { caCommand } from "./ca.js";
import { certCommand } from "./cert.js";
import { crlCommand } from "./crl.js";
import { connectCommand } from "./connect.js";
import { serveCommand } from "./serve.js";

export const commands = [versionCommand, caCommand, certCommand, crlCommand, serveCommand, connectCommand] as unknown as CommandModule<never>[];
