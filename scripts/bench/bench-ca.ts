// One throwaway CA per bench run, written to a temp dir so openssl, nginx and child servers can
// read it: the issuing intermediate (cert + key), a host certificate and an agent certificate.
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeCa, makeLeaf, writeLeaf, type Leaf, type ThrowawayCa } from "../../test/helpers/throwaway-ca.js";
import { exportPrivateKeyPem } from "../../src/pki/keys.js";
import { toPem } from "../../src/pki/certificate.js";

export interface BenchCa {
  ca: ThrowawayCa;
  dir: string;
  rootPem: string;
  intermediatePem: string;
  /** Files under dir: root.pem, intermediate.pem, intermediate.key.pem, host/, agent/ (certs/<name> layout). */
  files: { root: string; intermediate: string; intermediateKey: string; hostDir: string; agentDir: string };
  host: Leaf;
  agent: Leaf;
  cleanup(): void;
}

export async function createBenchCa(): Promise<BenchCa> {
  const ca = await makeCa("Bench Org", "mesh.local");
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-bench-"));
  const rootPem = toPem(ca.root.cert);
  const intermediatePem = toPem(ca.intermediate.cert);
  const files = {
    root: join(dir, "root.pem"),
    intermediate: join(dir, "intermediate.pem"),
    intermediateKey: join(dir, "intermediate.key.pem"),
    hostDir: join(dir, "host"),
    agentDir: join(dir, "agent"),
  };
  writeFileSync(files.root, rootPem);
  writeFileSync(files.intermediate, intermediatePem);
  writeFileSync(files.intermediateKey, await exportPrivateKeyPem(ca.intermediate.key.privateKey), { mode: 0o600 });
  const host = await makeLeaf(ca, "localhost", { kind: "host" });
  const agent = await makeLeaf(ca, "bench-agent", { roles: ["reader"] });
  writeLeaf(host, files.hostDir);
  writeLeaf(agent, files.agentDir);
  return { ca, dir, rootPem, intermediatePem, files, host, agent, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
