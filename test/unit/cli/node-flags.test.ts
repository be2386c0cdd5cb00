// V8's flags can only be given when Node starts, so every place that starts ztmcp writes them
// out: they must all say what src/cli/node-flags.ts says, or the bench would measure a host that
// runs unlike the one users start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { NODE_FLAGS } from "../../../src/cli/node-flags.js";

const flags = NODE_FLAGS.join(" ");
const line = (file: string, pattern: RegExp): string => {
  const found = readFileSync(file, "utf8").split("\n").find((l) => pattern.test(l));
  assert.ok(found, `${file}: no line matching ${String(pattern)}`);
  return found;
};

test("the executable's shebang, the Makefile and make serve's script start node with NODE_FLAGS", () => {
  assert.equal(line("src/cli/bin.ts", /^#!/), `#!/usr/bin/env -S node ${flags}`);
  assert.equal(line("Makefile", /^ZTMCP :=/), `ZTMCP := node ${flags} dist/cli/bin.js`);
  assert.match(line("scripts/serve-mesh.sh", /^ztmcp\(\)/), new RegExp(`^ztmcp\\(\\) \\{ node ${flags} dist/cli/bin\\.js `));
});
