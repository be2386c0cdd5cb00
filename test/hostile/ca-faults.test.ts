// CA faults through the real CLI: commands SIGKILLed at random points and at every failpoint,
// four processes at once, a foreign or truncated ca.db swapped in, a full certs disk, all while
// a host watches the CA's CRLs. After each: serials unique, every issued cert recorded, every
// record's files present, every revocation in the next CRL, the CRL verifying with openssl, and
// the host never reading a torn CRL. test/soak runs the long version.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { CaUnderFault } from "./ca-under-fault.js";
import { startHost, type Host } from "../../src/host/host.js";
import { SqliteStore } from "../../src/store/sqlite.js";
import { captureLog, type CapturedLog } from "../helpers/log-capture.js";
import { fillCertsDisk } from "./full-disk.js";
import { seededRandom } from "./seeded-random.js";
import { Tally } from "./tally.js";

const KILLS = Number(process.env.ZTMCP_HOSTILE_KILLS ?? 20);
const tally = new Tally("ca");
const random = seededRandom();
let ca: CaUnderFault;
let host: Host;
let hostLog: CapturedLog;

before(async () => {
  process.stderr.write(`hostile ca: seed ${random.seed} (replay with ZTMCP_FAULT_SEED=${random.seed})\n`);
  ca = new CaUnderFault(tally, random);
  await ca.init();
  assert.equal((await ca.run(["cert", "issue-server", "localhost"])).status, 0);
  for (const name of ["alpha", "beta"]) assert.equal((await ca.act("issue", name)).status, 0);
  hostLog = captureLog("info");
  host = await startHost({ port: 0, identityDir: join(ca.certsDir, "localhost"), caDir: ca.caDir, log: hostLog.log, crlRefreshMs: 500 });
});

after(async () => {
  await host.close();
  tally.finish();
});

/** The host loads the CA's current CRLs and holds exactly the store's unexpired revocations; it never read a torn CRL. */
function hostAgreesWithStore(): void {
  assert.equal(host.reloadCrls(), true, "the host could not load the CA's CRLs");
  const store = SqliteStore.open(join(ca.caDir, "ca.db"));
  try {
    const revoked = [...store.revokedEntries(new Date())].length;
    assert.equal(host.stats().revokedSerials, revoked);
  } finally {
    store.close();
  }
  const torn = hostLog.events.filter((e) => e.event === "crl.error");
  assert.deepEqual(torn, [], "the host saw a torn or unverifiable CRL while the CA was being killed");
}

function assertClean(): void {
  assert.deepEqual(tally.problems, []);
  assert.equal(tally.crashes, 0);
  assert.equal(tally.recordsLost, 0);
}

test(`${KILLS} issue/revoke commands SIGKILLed at random points leave a consistent CA`, async () => {
  await ca.killLoop(KILLS);
  await ca.verify();
  assertClean();
  hostAgreesWithStore();
  // and the CA still works afterwards
  assert.equal((await ca.act("issue", "after-kills")).status, 0);
});

test("four processes issuing and revoking at once all succeed, with distinct serials", async () => {
  await ca.concurrent(1);
  await ca.verify();
  assertClean();
  hostAgreesWithStore();
});

test("a foreign or truncated ca.db swapped in is refused and nothing is written", async () => {
  const db = join(ca.caDir, "ca.db");
  const saved = `${db}.saved`;
  copyFileSync(db, saved);
  for (const [label, bytes] of [
    ["truncated ca.db", Buffer.alloc(4096, 0)],
    ["a text file as ca.db", Buffer.from("not a database\n")],
  ] as const) {
    writeFileSync(db, bytes);
    for (const suffix of ["-wal", "-shm"]) if (existsSync(db + suffix)) writeFileSync(db + suffix, "");
    const before = readdirSync(ca.certsDir).sort();
    const r = await ca.run(["cert", "issue", "swapped", "--role", "reader"]);
    assert.equal(r.status, 1, `${label}: ${r.stderr}`);
    assert.match(r.stderr, /ztmcp: STORE_[A-Z_]+:/);
    assert.deepEqual(readdirSync(ca.certsDir).sort(), before, `${label}: files written`);
    tally.fault(label, `refused: ${/STORE_[A-Z_]+/.exec(r.stderr)?.[0] ?? "?"}, nothing written`);
  }
  copyFileSync(saved, db);
  assert.equal((await ca.act("issue", "after-swap")).status, 0);
  await ca.verify();
  assertClean();
  hostAgreesWithStore(); // the host, running throughout, kept its state
});

test("a full certs disk fails an issuance cleanly, and the next one succeeds once there is room", async () => {
  // A CA of its own, so its certs dir can be a disk of its own.
  const fullCa = new CaUnderFault(tally, random);
  await fullCa.init();
  const full = fillCertsDisk(fullCa.certsDir);
  try {
    const r = await fullCa.run(["cert", "issue", "no-room", "--role", "reader", "--json"], { wrap: full.wrap });
    assert.notEqual(r.status, 0, "issuance on a full disk succeeded");
    assert.equal(r.signal, null, "the CLI died instead of failing cleanly");
    const code = /"code":"([A-Z_]+)"/.exec(r.stderr)?.[1];
    assert.ok(code, `no coded error: ${r.stderr}`);
    tally.fault(`full disk (${full.method})`, `refused: ${code}`);
    full.free();
    if (full.method === "tmpfs") assert.equal((await fullCa.act("issue", "room-again")).status, 0);
    assert.ok(!fullCa.certsOnDisk().some((c) => c.name === "no-room"), "files of the failed issuance left behind");
    await fullCa.verify(); // no record for "no-room" without its files, nothing lost
    assertClean();
  } finally {
    full.release();
  }
});
