// Every command group, in the order `ztmcp --help` lists them.
import type { CommandModule } from "./command.js";
import { versionCommand } from "./version.js";
import { caCommand } from "./ca.js";
import { certCommand } from "./cert.js";
import { crlCommand } from "./crl.js";
import { connectCommand } from "./connect.js";
import { serveCommand } from "./serve.js";
import { tokenCommand } from "./token.js";
import { enrollCommand } from "./enroll.js";
import { renewCommand } from "./renew.js";

export const commands = [versionCommand, caCommand, certCommand, tokenCommand, crlCommand, serveCommand, connectCommand, enrollCommand, renewCommand] as unknown as CommandModule<never>[];
