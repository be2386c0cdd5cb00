// The CA commands' output contract: a table and blocks for people, JSON for scripts, exit 0.
// Runs the CLI's main() in process (the process-level runs are in the other ca-* tests).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";

const dir = mkdtempSync(join(tmpdir(), "ztmcp-cli-"));
const base = ["--ca-dir", join(dir, "ca"), "--certs-dir", join(dir, "certs"), "--log-level", "silent"];

async function run(...args: string[]): Promise<string> {
  let out = "";
  let err = "";
  const status = await main([...base, ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  assert.equal(status, 0, err);
  return out;
}

test("ca init, cert issue, list, show, revoke and crl print for people and --json for scripts", async () => {
  assert.match(await run("ca", "init", "--org", "CLI Org"), /created a CA in .*keys NOT encrypted/);
  const issued = JSON.parse(await run("--json", "cert", "issue", "alice", "--role", "reader")) as { serial: string; files: Record<string, string>; keyPem?: string };
  assert.equal(issued.keyPem, undefined, "the private key is not printed");
  assert.deepEqual(Object.keys(issued.files).sort(), ["ca.pem", "cert.pem", "chain.pem", "key.pem"]);
  await run("cert", "issue-server", "localhost");
  const table = await run("cert", "list");
  const [header, ...rows] = table.trim().split("\n");
  assert.match(header!, /^NAME\s+KIND\s+ROLES\s+SERIAL\s+EXPIRES\s+STATUS$/);
  assert.equal(rows.length, 2);
  assert.match(table, new RegExp(`alice\\s+agent\\s+reader\\s+${issued.serial}\\s+\\S+ \\S+\\s+valid`));
  assert.match(await run("cert", "show", issued.serial.match(/../g)!.join(":").toLowerCase()), /agent "alice"\s+serial [0-9A-F]+\s+valid[\s\S]*spiffe\s+spiffe:\/\/mesh\.local\/agent\/alice/);
  assert.match(await run("cert", "revoke", "alice", "--reason", "superseded"), /revoked agent "alice" serial [0-9A-F]+ \(superseded\)\npublished .*intermediate\.crl\.pem \(CRL number 2, 1 entries/);
  assert.doesNotMatch(await run("cert", "list"), /alice/);
  const all = JSON.parse(await run("--json", "cert", "list", "--all")) as { name: string; status: string; reason?: string }[];
  assert.deepEqual(all.map((c) => [c.name, c.status, c.reason]), [["localhost", "valid", undefined], ["alice", "revoked", "superseded"]]);
  const crl = JSON.parse(await run("--json", "crl", "--validity", "1d")) as { published: { crl: string; crlNumber: string }[] };
  assert.deepEqual(crl.published.map((c) => [c.crl, c.crlNumber]), [["root", "2"], ["intermediate", "3"]]);
});

test("an encrypted CA takes its passphrase from --passphrase-file or ZTMCP_CA_PASSPHRASE", async () => {
  const enc = mkdtempSync(join(tmpdir(), "ztmcp-cli-enc-"));
  const file = join(enc, "passphrase");
  writeFileSync(file, "a long passphrase\n", { mode: 0o600 });
  const args = ["--ca-dir", join(enc, "ca"), "--certs-dir", join(enc, "certs"), "--log-level", "silent"];
  const quiet = { stdout: () => undefined, stderr: () => undefined };
  assert.equal(await main([...args, "ca", "init", "--passphrase-file", file], quiet), 0);
  assert.match(readFileSync(join(enc, "ca", "root.key.pem"), "utf8"), /ENCRYPTED/);
  assert.equal(await main([...args, "cert", "issue", "a", "--role", "reader", "--passphrase-file", file], quiet), 0);
  process.env.ZTMCP_CA_PASSPHRASE = "a long passphrase";
  try {
    assert.equal(await main([...args, "cert", "revoke", "a"], quiet), 0);
  } finally {
    delete process.env.ZTMCP_CA_PASSPHRASE;
  }
});
