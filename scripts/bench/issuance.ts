// Issuance throughput in process through the Authority (key generation + signing + the store
// row + certs/<name> written durably, as `cert issue` does it minus process start-up), vs an
// openssl CLI loop (`openssl req -newkey` then `openssl x509 -req`) measured in the same run.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Authority } from "../../src/authority/authority.js";
import { createLogger } from "../../src/common/log.js";
import { randomSerial } from "../../src/pki/serial.js";
import type { BenchCa } from "./bench-ca.js";
import { runOpenssl } from "./openssl-ca.js";
import { FULL } from "./stats.js";
import { row, progress, type Row } from "./report.js";

const OURS_COUNT = FULL ? 600 : 150;
const OPENSSL_COUNT = FULL ? 60 : 20;
const TIME_LIMIT_MS = FULL ? 60_000 : 15_000;

async function openAuthority(dir: string): Promise<Authority> {
  const log = createLogger({ level: "warn" });
  const caDir = join(dir, "ca");
  await Authority.init({ caDir, log });
  return Authority.open({ caDir, certsDir: join(dir, "certs"), log });
}

function issueWithOpenssl(ca: BenchCa, dir: string, extFile: string, i: number): void {
  const key = join(dir, `${i}.key.pem`);
  const csr = join(dir, `${i}.csr.pem`);
  runOpenssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj", `/CN=agent-${i}/O=Bench Org`]);
  runOpenssl([
    "x509", "-req", "-in", csr, "-CA", ca.files.intermediate, "-CAkey", ca.files.intermediateKey,
    "-set_serial", `0x${randomSerial()}`, "-days", "1", "-sha256", "-extfile", extFile, "-extensions", "leaf", "-out", join(dir, `${i}.cert.pem`),
  ]);
}

/** Runs `issue` up to `count` times or until the time limit; returns issued per second. */
async function rate(count: number, issue: (i: number) => unknown): Promise<number> {
  const start = performance.now();
  let done = 0;
  while (done < count && performance.now() - start < TIME_LIMIT_MS) await issue(done++);
  return done / ((performance.now() - start) / 1000);
}

export async function issuance(ca: BenchCa): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-bench-issue-"));
  try {
    progress(`issuance: ${OURS_COUNT} certificates in process (Authority: store row + files)`);
    const authority = await openAuthority(dir);
    const ours = await rate(OURS_COUNT, (i) => authority.issue({ name: `agent-${i}`, roles: ["reader"] }));
    const inMemory = await rate(OURS_COUNT, (i) => authority.issue({ name: `mem-${i}`, roles: ["reader"], writeFiles: false }));
    authority.close();
    progress(`issuance: ${OPENSSL_COUNT} certificates with the openssl CLI`);
    const extFile = join(dir, "ext.cnf");
    writeFileSync(
      extFile,
      "[leaf]\nbasicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n" +
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nsubjectAltName=URI:spiffe://mesh.local/agent/bench\n",
    );
    const theirs = await rate(OPENSSL_COUNT, (i) => issueWithOpenssl(ca, dir, extFile, i));
    return [
      row("issuance", "p256 keygen+sign+store+files", "certs/s", "higher", ours, theirs, "openssl req + x509 -req loop"),
      { ...row("issuance", "p256 keygen+sign+store", "certs/s", "higher", inMemory, theirs, "openssl req + x509 -req loop"), note: "writeFiles: false (key returned to the caller, nothing fsynced)" },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
