// The ztmcp host (src/host/host.ts startHost) as a server under test, in its own process.
import { join } from "node:path";
import type { BenchCa } from "./bench-ca.js";
import type { CrlFiles } from "./crl-files.js";
import { startNodeServer, type ServerProcess } from "./server-process.js";
import { NODE_FLAGS } from "../../src/cli/node-flags.js";

export interface HostRun {
  /** The CRLs its gate loads (an empty pair means "no CRL": nothing revoked). */
  crls: CrlFiles;
  gatewayConfig?: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Where its log lines go and how they are written (server-child.ts ServerSpec). */
  logFile?: string;
  logWrites?: "buffered" | "sync";
  /** server-child.ts ServerSpec.build: the compiled build (default) or the sources through tsx. */
  build?: "dist" | "src";
}

export function startHostServer(name: string, ca: BenchCa, run: HostRun): Promise<ServerProcess> {
  const hostDir = ca.files.hostDir;
  return startNodeServer(
    name,
    {
      kind: "host",
      chain: join(hostDir, "chain.pem"),
      key: join(hostDir, "key.pem"),
      clientCa: ca.files.root,
      hostDir,
      caDir: ca.dir,
      crls: [run.crls.rootDer, run.crls.intermediateDer],
      ...(run.gatewayConfig ? { gatewayConfig: run.gatewayConfig } : {}),
      ...(run.logFile ? { logFile: run.logFile } : {}),
      ...(run.logWrites ? { logWrites: run.logWrites } : {}),
      ...(run.build ? { build: run.build } : {}),
    },
    // As `ztmcp serve` runs (src/cli/node-flags.ts), then the run's own.
    [...NODE_FLAGS, ...(run.nodeArgs ?? [])],
  );
}
