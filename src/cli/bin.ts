#!/usr/bin/env -S node --max-semi-space-size=4
// The `ztmcp` executable.
import { main } from "./main.js";

const code = await main(process.argv.slice(2));
// Long-running commands (serve, connect) resolve only when they are done.
process.exitCode = code;
