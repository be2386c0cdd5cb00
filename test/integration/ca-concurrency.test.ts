// Eight `cert issue` processes started at once all succeed with distinct serials (issue 3):
// WAL, busy_timeout and BEGIN IMMEDIATE make writers queue instead of "database is locked".
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Authority } from "../../src/authority/authority.js";
import { createLogger } from "../../src/common/log.js";
import { ztmcpAsync } from "../helpers/cli.js";
import { caInvariantViolations } from "../helpers/ca-invariants.js";

test("eight concurrent cert issue processes all succeed with distinct serials and no lock errors", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-concurrent-"));
  const [caDir, certsDir] = [join(dir, "ca"), join(dir, "certs")];
  await Authority.init({ caDir, log: createLogger({ level: "silent" }) });
  // Six names, and one name issued three times at once (concurrent rotation).
  const names = ["a1", "a2", "a3", "a4", "a5", "shared", "shared", "shared"];
  const runs = await Promise.all(names.map((name) => ztmcpAsync(["--ca-dir", caDir, "--certs-dir", certsDir, "--json", "cert", "issue", name, "--role", "reader"])));
  for (const r of runs) {
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /locked|SQLITE_BUSY/i);
  }
  const serials = runs.map((r) => (JSON.parse(r.stdout) as { serial: string }).serial);
  assert.equal(new Set(serials).size, 8);
  const ca = await Authority.open({ caDir, certsDir, log: createLogger({ level: "silent" }) });
  assert.deepEqual(ca.list().map((c) => c.serial).sort(), [...serials].sort());
  assert.equal(ca.store.counts().audit, 2 + 1 + 8, "two CRLs and init, then one row per issuance");
  assert.equal(readlinkSync(join(certsDir, "shared", "..data")), `..${ca.show("shared")[0]!.serial}`, "the newest rotation wins");
  ca.close();
  assert.deepEqual(caInvariantViolations(caDir, certsDir), []);
});
