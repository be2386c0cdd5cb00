// The ztmcp host as a server under test. Filled in when src/mesh/host.ts lands.
import type { BenchCa } from "./bench-ca.js";
import type { CrlFiles } from "./handshakes.js";
import type { ServerProcess } from "./server-process.js";

export function hostUnavailableReason(): string | undefined {
  return "src/mesh/host.ts startHost not available yet";
}

export function startHostServer(_name: string, _ca: BenchCa, _options: { crls?: CrlFiles }): Promise<ServerProcess> {
  return Promise.reject(new Error(hostUnavailableReason()));
}
