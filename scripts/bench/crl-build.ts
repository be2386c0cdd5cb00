// CRL build time at 1k/10k/100k entries: pki/crl.ts buildCrl vs `openssl ca -gencrl` over an
// index.txt of the same size (openssl's time includes its process start, a few ms).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCrl, type CrlEntry } from "../../src/pki/crl.js";
import { randomSerial } from "../../src/pki/serial.js";
import type { BenchCa } from "./bench-ca.js";
import { writeOpensslCa, runOpenssl } from "./openssl-ca.js";
import { median, timeMs } from "./stats.js";
import { row, progress, type Row } from "./report.js";

const SIZES = [1_000, 10_000, 100_000];

export function revokedEntries(count: number): CrlEntry[] {
  const revokedAt = new Date(Date.now() - 3_600_000);
  return Array.from({ length: count }, () => ({ serial: randomSerial(), revokedAt, reason: "keyCompromise" as const }));
}

export async function crlBuild(ca: BenchCa): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of SIZES) {
    progress(`crl build: ${size} entries`);
    const entries = revokedEntries(size);
    const runs = size >= 100_000 ? 3 : 5;
    const ours: number[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(
        await timeMs(() =>
          buildCrl({
            issuerCert: ca.intermediatePem,
            issuerKey: ca.ca.intermediate.key.privateKey,
            keyType: "p256",
            crlNumber: BigInt(i + 1),
            thisUpdate: new Date(),
            nextUpdate: new Date(Date.now() + 7 * 86_400_000),
            entries,
          }),
        ),
      );
    }
    const dir = mkdtempSync(join(tmpdir(), "ztmcp-bench-openssl-ca-"));
    try {
      const config = writeOpensslCa(dir, ca.files.intermediate, ca.files.intermediateKey, size);
      const theirs: number[] = [];
      for (let i = 0; i < runs; i++) theirs.push(await timeMs(() => runOpenssl(["ca", "-config", config, "-gencrl", "-out", join(dir, "crl.pem")])));
      rows.push(row("crl build", `${size / 1000}k entries`, "ms", "lower", median(ours), median(theirs), "openssl ca -gencrl"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}
