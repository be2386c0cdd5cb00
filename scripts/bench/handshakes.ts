// Full TLS 1.3 mTLS handshakes per server CPU-second: the host's gate vs a bare Node `https`
// server with the same options and vs nginx (`ssl_verify_client on`), each with no CRL and with
// 100,000 revoked entries (ours: serials in the gate's set; baselines: OpenSSL's own CRL check).
import { join } from "node:path";
import type { BenchCa } from "./bench-ca.js";
import { writeCrls } from "./crl-files.js";
import { runHandshakes } from "./handshake-load.js";
import { startNginx, startNodeServer, type ServerProcess } from "./server-process.js";
import { startHostServer } from "./host-process.js";
import { FULL } from "./stats.js";
import { row, progress, type Row } from "./report.js";
import { interleave, medianOf } from "./rounds.js";

const COUNT = FULL ? 3_000 : 1_500;
const WARMUP = 30;
const TIME_LIMIT_MS = FULL ? 30_000 : 9_000;
const ROUNDS = 5;
const CONCURRENCY = 8;
const REVOKED = 100_000;

/** One round against one server: handshakes per server CPU-second. */
async function measureRound(server: ServerProcess, ca: BenchCa): Promise<number> {
  const tls = { cert: ca.agent.chainPem, key: ca.agent.keyPem, ca: ca.rootPem };
  const cpuBefore = server.cpuSeconds();
  const r = await runHandshakes(server.port, tls, Math.ceil(COUNT / ROUNDS), CONCURRENCY, TIME_LIMIT_MS / ROUNDS);
  const cpu = server.cpuSeconds() - cpuBefore;
  if (r.failed > 0) throw new Error(`${server.name}: ${r.failed} handshakes failed (${r.firstError ?? "?"})`);
  progress(`    ${server.name}: ${r.ok} handshakes in ${r.seconds.toFixed(1)} s, server CPU ${cpu.toFixed(2)} s`);
  return r.ok / cpu;
}

export async function handshakes(ca: BenchCa): Promise<Row[]> {
  const crls = writeCrls(ca, REVOKED);
  const noCrls = writeCrls(ca, 0);
  const host = ca.files.hostDir;
  const spec = { chain: join(host, "chain.pem"), key: join(host, "key.pem"), clientCa: ca.files.root };
  const nginx = { chain: spec.chain, key: spec.key, clientCa: ca.files.root };
  const starters: [string, () => Promise<ServerProcess>][] = [
    ["node https", () => startNodeServer("node https", { kind: "https", ...spec })],
    ["node https crl", () => startNodeServer("node https crl", { kind: "https", ...spec, crls: [crls.intermediate, crls.root] })],
    ["nginx", () => startNginx("nginx", join(ca.dir, "nginx"), nginx)],
    ["nginx crl", () => startNginx("nginx crl", join(ca.dir, "nginx-crl"), { ...nginx, crl: crls.both })],
    ["ztmcp", () => startHostServer("ztmcp", ca, { crls: noCrls })],
    ["ztmcp crl", () => startHostServer("ztmcp crl", ca, { crls })],
  ];
  const servers = new Map<string, ServerProcess>();
  try {
    progress("handshakes: starting node https, nginx and ztmcp, each without and with a 100k-entry CRL");
    for (const [name, start] of starters) {
      const server = await start();
      servers.set(name, server);
      await runHandshakes(server.port, { cert: ca.agent.chainPem, key: ca.agent.keyPem, ca: ca.rootPem }, WARMUP, 4, TIME_LIMIT_MS);
    }
    const results = await interleave([...servers.keys()], ROUNDS, (name) => measureRound(servers.get(name)!, ca));
    const rate = (name: string): number => medianOf(results.get(name)!, (r) => r);
    const unit = "handshakes/CPU-s";
    const pair = (metric: string, ours: string, base: string, baseName: string): Row => row("handshakes", metric, unit, "higher", rate(ours), rate(base), baseName);
    return [
      pair("no CRL", "ztmcp", "node https", "node https"),
      pair("no CRL", "ztmcp", "nginx", "nginx"),
      pair(`${REVOKED / 1000}k revoked`, "ztmcp crl", "nginx crl", "nginx ssl_crl"),
      pair(`${REVOKED / 1000}k revoked`, "ztmcp crl", "node https crl", "node https crl option"),
      pair(`${REVOKED / 1000}k revoked vs none`, "ztmcp crl", "ztmcp", "ztmcp, empty CRL"),
    ];
  } finally {
    for (const server of servers.values()) await server.stop();
  }
}
