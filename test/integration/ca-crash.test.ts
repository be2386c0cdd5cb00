// SIGKILL at any point of `cert issue` / `cert revoke` leaves a consistent CA (issue 3): the store
// is the commit point, and the next writing command finishes or discards what the dead one left.
// Exact points through ZTMCP_FAILPOINT (including a `crl` killed between its file writes and its commit), then random kills of a process issuing in a loop.
// (The long run with hundreds of kills is the soak's.)
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Authority } from "../../src/authority/authority.js";
import { parseCrl, toDer } from "../../src/pki/crl.js";
import { createLogger } from "../../src/common/log.js";
import { ROOT, ztmcpAsync } from "../helpers/cli.js";
import { caInvariantViolations } from "../helpers/ca-invariants.js";

const log = createLogger({ level: "silent" });
const dir = mkdtempSync(join(tmpdir(), "ztmcp-crash-"));
const caDir = join(dir, "ca");
const certsDir = join(dir, "certs");
const dirs = ["--ca-dir", caDir, "--certs-dir", certsDir];
const LOOP = fileURLToPath(new URL("../helpers/issue-loop.ts", import.meta.url));

let victim = "";
before(async () => {
  await Authority.init({ caDir, log });
  const ca = await Authority.open({ caDir, certsDir, log });
  victim = (await ca.issue({ name: "victim", roles: ["reader"] })).serial;
  ca.close();
});

test("a process killed at each step of issue and revoke leaves a CA the next writing command repairs", async () => {
  const runs = await Promise.all([
    ...["issue.staged", "issue.recorded", "issue.renamed"].map((point) => ztmcpAsync([...dirs, "cert", "issue", `at-${point.replace(".", "-")}`, "--role", "reader"], { env: { ZTMCP_FAILPOINT: point } })),
    ztmcpAsync([...dirs, "cert", "revoke", "victim"], { env: { ZTMCP_FAILPOINT: "revoke.recorded" } }),
    ztmcpAsync([...dirs, "crl"], { env: { ZTMCP_FAILPOINT: "crl.written" } }),
  ]);
  for (const r of runs) assert.equal(r.signal, "SIGKILL", r.stderr);
  // A read-only command sees the committed records and repairs nothing (ca-readonly.test.ts); the
  // next writing command repairs (`crl` would also publish, so recovery alone is what runs here).
  const reading = await ztmcpAsync([...dirs, "--json", "cert", "list", "--all"]);
  assert.equal(reading.status, 0, reading.stderr);
  (await Authority.open({ caDir, certsDir, log })).close();
  const next = await ztmcpAsync([...dirs, "--json", "cert", "list", "--all"]);
  assert.equal(next.status, 0, next.stderr);
  assert.deepEqual(JSON.parse(reading.stdout), JSON.parse(next.stdout), "repairs change no record");
  assert.deepEqual(caInvariantViolations(caDir, certsDir), []);
  const names = (JSON.parse(next.stdout) as { name: string }[]).map((c) => c.name).sort();
  // Killed before the commit: never happened. Killed after: issued, and its files are in place.
  assert.deepEqual(names, ["at-issue-recorded", "at-issue-renamed", "victim"]);
  assert.ok(parseCrl(readFileSync(join(caDir, "intermediate.crl.pem"))).serials.includes(victim), "the revocation reached the CRL");
  for (const crl of ["root", "intermediate"]) {
    assert.deepEqual(toDer(readFileSync(join(caDir, `${crl}.crl.pem`), "utf8")), readFileSync(join(caDir, `${crl}.crl.der`)), `${crl}: PEM and DER are the same CRL`);
  }
  assert.deepEqual(readdirSync(caDir).filter((f) => f.startsWith(".")), [], "no marker or temp file left");
});

/** Starts the issuing loop, waits until it has issued once, then kills it after a random delay. */
function killMidway(maxDelayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", LOOP, caDir, certsDir], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let lines = 0;
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      if (lines === 0) setTimeout(() => child.kill("SIGKILL"), Math.random() * maxDelayMs);
      lines += d.toString().split("\n").length - 1;
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => (signal === "SIGKILL" ? resolve(lines) : reject(new Error(`issue loop ended by itself: ${stderr}`))));
  });
}

test("ten SIGKILLs at random points of issuing and revoking never leave the CA inconsistent", async () => {
  let operations = 0;
  for (let i = 0; i < 10; i++) {
    operations += await killMidway(400);
    // What every command does first; then the invariants must hold.
    (await Authority.open({ caDir, certsDir, log })).close();
    assert.deepEqual(caInvariantViolations(caDir, certsDir), [], `after kill ${i + 1}`);
  }
  assert.ok(operations >= 10);
  const ca = await Authority.open({ caDir, certsDir, log });
  assert.equal((await ca.issue({ name: "after", roles: ["reader"] })).status, "valid");
  ca.close();
});
