// Full TLS 1.3 mTLS handshakes per server CPU-second: the host's gate vs a bare Node `https`
// server with the same options and vs nginx (`ssl_verify_client on`), each with no CRL and with
// 100,000 revoked entries (ours: serials in the gate's set; baselines: OpenSSL's own CRL check).
// The ablation floor: plain fastify on the same TLS options (the host's HTTP stack, no ztmcp code),
// answering the probe request (`GET /healthz`) with 204 as the others do.
import { join } from "node:path";
import type { BenchCa } from "./bench-ca.js";
import { writeCrls } from "./crl-files.js";
import { runHandshakes } from "./handshake-load.js";
import { startNginx, startNodeServer, type ServerProcess } from "./server-process.js";
import { startHostServer } from "./host-process.js";
import { FULL } from "./stats.js";
import { row, withTarget, progress, type Row } from "./report.js";
import { interleave, medianOf } from "./rounds.js";

const COUNT = FULL ? 2_000 : 750;
// V8 is still compiling the host after a few hundred handshakes (its first round ran 10–20% above the
// next with 30): warm every server up the same way before the measured rounds.
const WARMUP = 300;
const TIME_LIMIT_MS = FULL ? 40_000 : 18_000;
const ROUNDS = FULL ? 5 : 3;
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

/** The contenders with targets run as PROCESSES identical processes each (two identical Node
 * servers differed by up to 20% here); the informative baselines as one. */
const PROCESSES = 3;
const TARGETED = new Set(["node https", "ztmcp", "ztmcp crl", "fastify"]);

export async function handshakes(ca: BenchCa): Promise<Row[]> {
  const crls = writeCrls(ca, REVOKED);
  const noCrls = writeCrls(ca, 0);
  const host = ca.files.hostDir;
  const spec = { chain: join(host, "chain.pem"), key: join(host, "key.pem"), clientCa: ca.files.root };
  const nginx = { chain: spec.chain, key: spec.key, clientCa: ca.files.root };
  const starters: [string, (name: string) => Promise<ServerProcess>][] = [
    ["node https", (n) => startNodeServer(n, { kind: "https", ...spec })],
    ["node https crl", (n) => startNodeServer(n, { kind: "https", ...spec, crls: [crls.intermediate, crls.root] })],
    ["nginx", (n) => startNginx(n, join(ca.dir, "nginx"), nginx)],
    ["nginx crl", (n) => startNginx(n, join(ca.dir, "nginx-crl"), { ...nginx, crl: crls.both })],
    ["ztmcp", (n) => startHostServer(n, ca, { crls: noCrls })],
    ["ztmcp crl", (n) => startHostServer(n, ca, { crls })],
    ["fastify", (n) => startNodeServer(n, { kind: "fastify-plain", ...spec })],
  ];
  /** instance name ("ztmcp #2") → its contender ("ztmcp"). */
  const contenderOf = new Map<string, string>();
  const servers = new Map<string, ServerProcess>();
  try {
    progress(`handshakes: node https, nginx and ztmcp, each without and with a 100k-entry CRL, and plain fastify (${PROCESSES} processes each for node https, fastify and ztmcp)`);
    for (let i = 1; i <= PROCESSES; i++) {
      for (const [contender, start] of starters) {
        if (i > 1 && !TARGETED.has(contender)) continue;
        const name = TARGETED.has(contender) ? `${contender} #${i}` : contender;
        const server = await start(name);
        servers.set(name, server);
        contenderOf.set(name, contender);
        await runHandshakes(server.port, { cert: ca.agent.chainPem, key: ca.agent.keyPem, ca: ca.rootPem }, WARMUP, 4, TIME_LIMIT_MS);
      }
    }
    const results = await interleave([...servers.keys()], ROUNDS, (name) => measureRound(servers.get(name)!, ca));
    /** Each process's median over its rounds; the contender's figure is the median of those. */
    const perProcess = (contender: string): number[] => [...results].filter(([n]) => contenderOf.get(n) === contender).map(([, r]) => medianOf(r, (x) => x));
    const rate = (contender: string): number => medianOf(perProcess(contender), (x) => x);
    const spread = (contender: string): string => perProcess(contender).map((x) => Math.round(x)).join("/");
    const unit = "handshakes/CPU-s";
    const pair = (metric: string, ours: string, base: string, baseName: string): Row => row("handshakes", metric, unit, "higher", rate(ours), rate(base), baseName);
    const processes = `per process: ztmcp ${spread("ztmcp")}, ztmcp 100k ${spread("ztmcp crl")}, node https ${spread("node https")}`;
    const revoked = `${REVOKED / 1000}k revoked`;
    return [
      { ...withTarget(pair("no CRL", "ztmcp", "node https", "node https"), "ratio", 0.9, "issue 14 #4"), note: processes },
      withTarget(pair(revoked, "ztmcp crl", "node https", "node https, no CRL"), "ratio", 0.9, "issue 14 #4"),
      withTarget(pair(`${revoked} vs none`, "ztmcp crl", "ztmcp", "ztmcp, empty CRL"), "ratio", 0.9, "issue 14 #4 (flat)"),
      pair("no CRL", "ztmcp", "nginx", "nginx"),
      pair(revoked, "ztmcp crl", "nginx crl", "nginx ssl_crl"),
      pair(revoked, "ztmcp crl", "node https crl", "node https crl option"),
      { ...pair("fastify floor, no CRL", "fastify", "node https", "node https"), note: `plain fastify, no ztmcp code: the floor of target 4 (0.9x); per process ${spread("fastify")}` },
      pair("no CRL", "ztmcp", "fastify", "fastify (no ztmcp)"),
    ];
  } finally {
    for (const server of servers.values()) await server.stop();
  }
}
