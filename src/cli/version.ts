// `ztmcp version`: the package version (yargs' own --version is off so `--json` applies).
import { defineCommand } from "./command.js";
import { VERSION } from "../common/version.js";

export const versionCommand = defineCommand({
  command: "version",
  describe: "print the ztmcp version",
  builder: (y) => y,
  run: () => Promise.resolve({ text: `ztmcp ${VERSION}`, data: { version: VERSION } }),
});
