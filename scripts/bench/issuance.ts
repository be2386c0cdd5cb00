// Issuance throughput: key generation + signing + writing the files, in process, vs an openssl
// CLI loop (`openssl req -newkey` then `openssl x509 -req`) measured in the same run.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { generateKeyPair, exportPrivateKeyPem } from "../../src/pki/keys.js";
import { buildLeafCertificate, toPem } from "../../src/pki/certificate.js";
import { randomSerial } from "../../src/pki/serial.js";
import type { BenchCa } from "./bench-ca.js";
import { runOpenssl } from "./openssl-ca.js";
import { FULL } from "./stats.js";
import { row, progress, type Row } from "./report.js";

const OURS_COUNT = FULL ? 600 : 150;
const OPENSSL_COUNT = FULL ? 60 : 20;
const TIME_LIMIT_MS = FULL ? 60_000 : 15_000;

async function issueInProcess(ca: BenchCa, certsDir: string, i: number): Promise<void> {
  const key = await generateKeyPair("p256");
  const cert = await buildLeafCertificate({
    issuer: ca.ca.intermediate,
    publicKey: key.publicKey,
    name: `agent-${i}`,
    org: ca.ca.org,
    kind: "agent",
    trustDomain: ca.ca.trustDomain,
    roles: ["reader"],
    serial: randomSerial(),
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
  });
  const dir = join(certsDir, `agent-${i}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "key.pem"), await exportPrivateKeyPem(key.privateKey), { mode: 0o600 });
  writeFileSync(join(dir, "cert.pem"), toPem(cert));
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
    progress(`issuance: ${OURS_COUNT} certificates in process (pki/, files written)`);
    const oursDir = join(dir, "ours");
    mkdirSync(oursDir);
    const ours = await rate(OURS_COUNT, (i) => issueInProcess(ca, oursDir, i));
    progress(`issuance: ${OPENSSL_COUNT} certificates with the openssl CLI`);
    const extFile = join(dir, "ext.cnf");
    writeFileSync(
      extFile,
      "[leaf]\nbasicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n" +
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nsubjectAltName=URI:spiffe://mesh.local/agent/bench\n",
    );
    const theirs = await rate(OPENSSL_COUNT, (i) => issueWithOpenssl(ca, dir, extFile, i));
    return [row("issuance", "p256 keygen+sign+write", "certs/s", "higher", ours, theirs, "openssl req + x509 -req loop")];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
