// The bench measures the host as `ztmcp serve` runs it: the compiled build in dist/ (server-child.ts).
// A build older than the sources would measure old code without a word: refuse instead.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Throws unless dist/ was built after the last change under src/. */
export function assertFreshBuild(root = "."): void {
  let built: number;
  try {
    built = statSync(join(root, "dist/.built")).mtimeMs;
  } catch {
    throw new Error("no build in dist/: run `make build` (or `make bench`, which builds first)");
  }
  if (newestIn(join(root, "src")) > built) throw new Error("dist/ is older than src/: run `make build` (or `make bench`, which builds first)");
}
