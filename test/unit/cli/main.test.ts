// The CLI contract: exit 0/1/2 and exactly one `ztmcp: <CODE>: <message>` line (or one JSON object).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../src/cli/main.js";

async function run(args: string[]) {
  let stdout = "";
  let stderr = "";
  const status = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { status, stdout, stderr };
}

test("an unknown command or option is a usage error: exit 2, one line", async () => {
  for (const args of [["nope"], ["version", "--bogus"], []]) {
    const r = await run(args);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, /^ztmcp: USAGE: [^\n]+\n$/);
  }
});

test("an operating-system failure is one FS_ERROR line naming the path and errno, also as JSON", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "ztmcp-cli-")), "a-file");
  writeFileSync(file, "x");
  const r = await run(["--ca-dir", join(file, "ca"), "--log-level", "silent", "ca", "init"]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `ztmcp: FS_ERROR: mkdir ${join(file, "ca")}: ENOTDIR\n`);
  const j = await run(["--ca-dir", join(file, "ca"), "--log-level", "silent", "--json", "ca", "init"]);
  assert.deepEqual(JSON.parse(j.stderr), { error: { code: "FS_ERROR", message: `mkdir ${join(file, "ca")}: ENOTDIR`, errno: "ENOTDIR" } });
});

test("a secret passed on the command line is refused with ENV_ONLY", async () => {
  const r = await run(["--ca-passphrase", "hunter2", "version"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^ztmcp: ENV_ONLY: --ca-passphrase is read from the environment only/);
  assert.doesNotMatch(r.stderr, /hunter2/);
});

test("ZTMCP_* variables that are not options do not break the CLI, and global options read theirs", async () => {
  process.env.ZTMCP_SOAK = "1";
  process.env.ZTMCP_JSON = "true";
  try {
    const r = await run(["version"]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(Object.keys(JSON.parse(r.stdout) as object), ["version"]);
  } finally {
    delete process.env.ZTMCP_SOAK;
    delete process.env.ZTMCP_JSON;
  }
});

test("--version prints the version like the version command, also as JSON", async () => {
  const plain = await run(["--version"]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /^ztmcp \d+\.\d+\.\d+\n$/);
  const json = await run(["--version", "--json"]);
  assert.match((JSON.parse(json.stdout) as { version: string }).version, /^\d+\.\d+\.\d+$/);
});

test("connect --help shows the bridge's own log level default and none of the CA's options", async () => {
  const r = await run(["connect", "--help"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /--log-level[^\n]*\n?[^\n]*\[default: "warn"\]/);
  assert.doesNotMatch(r.stdout, /--ca-dir|--certs-dir|--policy/);
});
