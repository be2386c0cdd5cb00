// Bad input and faults (issue 3): each gets a clear error code and exit status, and nothing is
// written: the CA and certs trees hash the same and the store's rows are unchanged afterwards.
// Every case leaves its CA untouched, so they share CAs. Each case runs the CLI's main() in
// process (the same parsing, error mapping and exit status bin.ts hands to the OS); a few also
// run as real processes, which are slow on a shared machine.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Authority } from "../../src/authority/authority.js";
import { main } from "../../src/cli/main.js";
import { createLogger } from "../../src/common/log.js";
import { NOBODY, ztmcpAsync, type CliRun } from "../helpers/cli.js";
import { snapshotCa, type CaSnapshot } from "../helpers/ca-snapshot.js";

interface Case {
  name: string;
  dir: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  code: string;
  exit: number;
  /** Also run as a real CLI process. */
  spawn?: boolean;
  /** Only as a real process, as an unprivileged user when the tests run as root (root writes anywhere). */
  asNobody?: boolean;
}

const log = createLogger({ level: "silent" });
const base = mkdtempSync(join(tmpdir(), "ztmcp-faults-"));
const ca = (dir: string) => join(base, dir, "ca");
const certs = (dir: string) => join(base, dir, "certs");
const PASS = "correct horse battery staple";
const runningAsRoot = process.getuid?.() === 0;

async function makeCa(dir: string, passphrase?: string): Promise<void> {
  await Authority.init({ caDir: ca(dir), log, passphrase });
  const authority = await Authority.open({ caDir: ca(dir), certsDir: certs(dir), log, passphrase });
  await authority.issue({ name: "alice", roles: ["reader"] });
  await authority.issue({ name: "gone", roles: ["reader"] });
  await authority.revoke("gone", "keyCompromise");
  authority.close();
}

before(async () => {
  await Promise.all([makeCa("plain"), makeCa("encrypted", PASS), makeCa("corrupt"), makeCa("foreign"), makeCa("unwritable")]);
  writeFileSync(join(ca("corrupt"), "ca.db"), Buffer.alloc(8192, 0x5a));
  const foreign = join(ca("foreign"), "ca.db");
  writeFileSync(foreign, "");
  const db = new Database(foreign);
  db.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('someone else''s database')");
  db.close();
  writeFileSync(join(base, "not-json.json"), "{ roles: ");
  writeFileSync(join(base, "bad-schema.json"), JSON.stringify({ trustDomain: "mesh.local", roles: { reader: { tools: ["*"], maxTtl: 24 } } }));
  // An unwritable certs dir: read-only for the user the command runs as.
  if (runningAsRoot) {
    chmodSync(base, 0o755);
    chmodSync(join(base, "unwritable"), 0o755);
    chmodSync(certs("unwritable"), 0o755);
    for (const path of [ca("unwritable"), ...readdirSync(ca("unwritable")).map((f) => join(ca("unwritable"), f))]) chownSync(path, NOBODY, NOBODY);
  } else chmodSync(certs("unwritable"), 0o500);
  mkdirSync(join(base, "absent"));
});

const common = (dir: string) => ["--ca-dir", ca(dir), "--certs-dir", certs(dir), "--json"];
const issue = (dir: string, ...rest: string[]) => [...common(dir), "cert", "issue", ...rest];

const cases: Case[] = [
  { name: "a role the policy does not define", dir: "plain", args: issue("plain", "bob", "--role", "wizard"), code: "UNKNOWN_ROLE", exit: 2, spawn: true },
  { name: "a TTL above the role's maxTtl", dir: "plain", args: issue("plain", "bob", "--role", "admin", "--ttl", "2h"), code: "TTL_EXCEEDS_MAX", exit: 2 },
  ...["abc", "0s", "-1h", "99999y"].map((ttl) => ({ name: `TTL "${ttl}"`, dir: "plain", args: issue("plain", "bob", "--role", "reader", `--ttl=${ttl}`), code: "BAD_DURATION", exit: 2 })),
  ...["", "x".repeat(65), "../x", "a/b", ".", "..", "/etc/passwd"].map((name) => ({
    name: `the name ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}…(${name.length})` : name)}`,
    dir: "plain",
    args: issue("plain", name, "--role", "reader"),
    code: "BAD_NAME",
    exit: 2,
  })),
  { name: "ca init on an existing CA", dir: "plain", args: [...common("plain"), "ca", "init"], code: "CA_EXISTS", exit: 1 },
  { name: "revoking an unknown name", dir: "plain", args: [...common("plain"), "cert", "revoke", "nobody"], code: "CERT_NOT_FOUND", exit: 1 },
  { name: "revoking an unknown serial", dir: "plain", args: [...common("plain"), "cert", "revoke", "7F00112233445566778899AABBCCDDEE"], code: "CERT_NOT_FOUND", exit: 1 },
  { name: "revoking an already revoked name (CRL unchanged)", dir: "plain", args: [...common("plain"), "cert", "revoke", "gone"], code: "ALREADY_REVOKED", exit: 1 },
  { name: "a policy that is not JSON", dir: "plain", args: [...common("plain"), "--policy", join(base, "not-json.json"), "cert", "issue", "bob", "--role", "reader"], code: "POLICY_INVALID", exit: 1 },
  { name: "a policy that fails the schema", dir: "plain", args: [...common("plain"), "--policy", join(base, "bad-schema.json"), "cert", "issue", "bob", "--role", "reader"], code: "POLICY_INVALID", exit: 1 },
  { name: "a passphrase on the command line", dir: "encrypted", args: [...issue("encrypted", "bob", "--role", "reader"), "--ca-passphrase", PASS], code: "ENV_ONLY", exit: 2 },
  { name: "a missing CA", dir: "absent", args: issue("absent", "bob", "--role", "reader"), code: "CA_NOT_FOUND", exit: 1 },
  { name: "listing a missing CA", dir: "absent", args: [...common("absent"), "cert", "list"], code: "CA_NOT_FOUND", exit: 1 },
  { name: "an encrypted CA key without a passphrase", dir: "encrypted", args: issue("encrypted", "bob", "--role", "reader"), code: "PASSPHRASE_REQUIRED", exit: 1 },
  { name: "an encrypted CA key with the wrong passphrase", dir: "encrypted", args: issue("encrypted", "bob", "--role", "reader"), env: { ZTMCP_CA_PASSPHRASE: "wrong" }, code: "BAD_PASSPHRASE", exit: 1, spawn: true },
  { name: "revoking with the wrong passphrase", dir: "encrypted", args: [...common("encrypted"), "cert", "revoke", "alice"], env: { ZTMCP_CA_PASSPHRASE: "wrong" }, code: "BAD_PASSPHRASE", exit: 1 },
  { name: "a corrupt ca.db", dir: "corrupt", args: issue("corrupt", "bob", "--role", "reader"), code: "STORE_CORRUPT", exit: 1, spawn: true },
  { name: "a foreign ca.db", dir: "foreign", args: issue("foreign", "bob", "--role", "reader"), code: "STORE_FOREIGN", exit: 1 },
  { name: "listing a foreign ca.db", dir: "foreign", args: [...common("foreign"), "cert", "list"], code: "STORE_FOREIGN", exit: 1 },
  { name: "an unwritable certs dir", dir: "unwritable", args: issue("unwritable", "bob", "--role", "reader"), code: "CERTS_DIR_UNWRITABLE", exit: 1, asNobody: true },
];

function spawnRun(c: Case): Promise<CliRun> {
  const asNobody = c.asNobody && runningAsRoot ? { uid: NOBODY, gid: NOBODY } : {};
  return ztmcpAsync(c.args, { env: { ZTMCP_CA_PASSPHRASE: "", ...(c.asNobody ? {} : c.env) }, ...asNobody });
}

async function inProcess(c: Case): Promise<CliRun> {
  const env = { ZTMCP_CA_PASSPHRASE: "", ...c.env };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let stdout = "";
  let stderr = "";
  try {
    const status = await main([...c.args, "--log-level", "silent"], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { status, signal: null, stdout, stderr };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  }
}

const errorOf = (r: CliRun): { code?: string; pointer?: string } => {
  const line = r.stderr.split("\n").find((l) => l.startsWith('{"error"'));
  return line ? (JSON.parse(line) as { error: { code?: string; pointer?: string } }).error : {};
};

test("bad input and faults fail with their code and exit status and change no file and no row", async (t) => {
  const dirs = [...new Set(cases.map((c) => c.dir))];
  const before = new Map<string, CaSnapshot>(dirs.map((d) => [d, snapshotCa(ca(d), certs(d))]));
  const spawned = cases.filter((c) => c.spawn === true || c.asNobody === true);
  const processes = Promise.all(spawned.map(spawnRun));
  const results = new Map<Case, CliRun>();
  for (const c of cases) if (c.asNobody !== true) results.set(c, await inProcess(c));
  // A NUL byte cannot cross exec(); in process it can.
  const nul = await inProcess({ name: "NUL", dir: "plain", args: issue("plain", "a\0b", "--role", "reader"), code: "BAD_NAME", exit: 2 });
  const processResults = new Map(spawned.map((c, i) => [c, i]));
  const ran = await processes;
  for (const d of dirs) assert.deepEqual(snapshotCa(ca(d), certs(d)), before.get(d), `the ${d} CA changed`);
  const check = (c: Case, r: CliRun) => {
    assert.equal(errorOf(r).code, c.code, r.stderr);
    assert.equal(r.status, c.exit, r.stderr);
    assert.equal(r.stdout, "");
  };
  for (const c of cases) {
    const inProc = results.get(c);
    if (inProc) await t.test(c.name, () => { check(c, inProc); });
    const i = processResults.get(c);
    if (i !== undefined) await t.test(`${c.name}, as a separate process`, () => { check(c, ran[i]!); });
  }
  await t.test("a name with a NUL byte", () => {
    assert.equal(nul.status, 2);
    assert.equal(errorOf(nul).code, "BAD_NAME");
  });
  await t.test("the policy error names the JSON pointer", () => {
    const schema = [...results].find(([c]) => c.name === "a policy that fails the schema")![1];
    assert.equal(errorOf(schema).pointer, "/roles/reader/maxTtl");
    assert.match(schema.stderr, /\/roles\/reader\/maxTtl/);
  });
  await t.test("a missing CA is not created by a failing command", () => {
    assert.deepEqual(readdirSync(join(base, "absent")), []);
  });
});
