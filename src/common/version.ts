// The package version, read once from package.json (the CLI, the host's serverInfo and the
// gateway's clientInfo all report it).
import { createRequire } from "node:module";

export const VERSION = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
