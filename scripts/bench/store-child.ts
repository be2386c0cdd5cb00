// A CA store holding N issued certificates, in its own process so its RSS is its own.
// `fill DIR N PEM` creates ca.db and records N certificates (one transaction, 1 in 10 revoked);
// `open DIR` opens it as a CA command would, reads what a revoke reads at that size (the
// revoked set for the CRL, the counts) and reports RSS and file size over IPC.
import "reflect-metadata";
import { statSync } from "node:fs";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite.js";
import type { CertRecord } from "../../src/store/store.js";
import { randomSerial } from "../../src/pki/serial.js";

const [mode, dir, countText, certPem] = [process.argv[2], process.argv[3]!, process.argv[4] ?? "0", process.argv[5] ?? ""];
const count = Number(countText);
const path = join(dir, "ca.db");
const now = new Date();

function* records(): Generator<CertRecord> {
  for (let i = 0; i < count; i++) {
    yield {
      serial: randomSerial(), name: `agent-${i}`, kind: "agent", roles: ["reader"], subject: `CN=agent-${i}, O=Bench Org`,
      spiffeId: `spiffe://mesh.local/agent/agent-${i}`, keyType: "p256", notBefore: now, notAfter: new Date(now.getTime() + 86_400_000),
      issuedAt: now, fingerprint: "00".repeat(32), certPem,
      ...(i % 10 === 0 ? { revokedAt: now, reason: "keyCompromise" as const } : {}),
    };
  }
}
if (mode === "fill") {
  const store = SqliteStore.create(path, { org: "Bench Org", trustDomain: "mesh.local", keyType: "p256", crlUrl: undefined, createdAt: now });
  const started = performance.now();
  store.insertCertificates(records());
  const insertMs = performance.now() - started;
  store.close();
  process.send?.({ insertMs });
} else {
  const store = SqliteStore.open(path);
  let revoked = 0;
  for (const _ of store.revokedEntries(now)) revoked++;
  const counts = store.counts();
  store.close();
  process.send?.({ rss: process.memoryUsage().rss, dbBytes: statSync(path).size, revoked, certificates: counts.certificates });
}
