// `ztmcp version`: the package version (yargs' own --version is off so `--json` applies).
import { createRequire } from "node:module";
import { defineCommand } from "./command.js";

const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };

export const versionCommand = defineCommand({
  command: "version",
  describe: "print the ztmcp version",
  builder: (y) => y,
  run: () => Promise.resolve({ text: `ztmcp ${pkg.version}`, data: { version: pkg.version } }),
});
