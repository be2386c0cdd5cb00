// The gateway's cost: tools/call routed through the host (mTLS, gate, RBAC, SDK server, SDK
// client to the upstream) to a stdio MCP server, vs the same call made directly to that server
// over stdio, in the same run. Latency with one call at a time; throughput with 16 in flight.
// Three ablation floors (no ztmcp code) answer the same calls in the same rounds: a bare fastify
// relay, the simplest SDK gateway (fastify + the SDK's Streamable HTTP transport + an SDK Server
// per session + an SDK Client), and the same SDK Server behind the thinnest transport.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { BenchCa } from "./bench-ca.js";
import { runCallLoad, type Caller, type LoadResult, type TlsClientIdentity } from "./call-load.js";
import { rawMcpCaller } from "./mcp-client.js";
import { WARMUP } from "./mcp-calls.js";
import { writeCrls } from "./crl-files.js";
import { startHostServer } from "./host-process.js";
import { startNodeServer, type ServerProcess } from "./server-process.js";
import { FULL } from "./stats.js";
import { medianOf } from "./rounds.js";
import { row, soloRow, withTarget, progress, type Row } from "./report.js";

const SEQUENTIAL = FULL ? 2_000 : 300;
const CONCURRENT = FULL ? 10_000 : 4_500;
const LANES = 16;
const ROUNDS = FULL ? 5 : 3;
const TIME_LIMIT_MS = FULL ? 30_000 : 8_000;
const ARGS = { message: "hello" };

/** The upstream every gateway in the bench exposes: the reference `everything` server over stdio. */
export function upstreamCommand(): { command: string; args: string[] } {
  const entry = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/dist/index.js");
  return { command: process.execPath, args: [entry, "stdio"] };
}

/** The host as `ztmcp serve --config` runs it, with `everything` as its one upstream (a child of the host). */
export function startGatewayHost(name: string, ca: BenchCa): Promise<ServerProcess> {
  const configPath = join(ca.dir, "gateway.json");
  writeFileSync(configPath, JSON.stringify({ upstreams: { everything: upstreamCommand() } }));
  return startHostServer(name, ca, { crls: writeCrls(ca, 0), gatewayConfig: configPath });
}

/** The ablation floors in front of the same upstream: no ztmcp code (floor-relay.ts, floor-sdk-gateway.ts). */
export type GatewayFloor = "fastify-relay" | "fastify-sdk-gateway" | "fastify-sdk-min-gateway";

export function startGatewayFloor(name: string, kind: GatewayFloor, ca: BenchCa): Promise<ServerProcess> {
  const hostDir = ca.files.hostDir;
  return startNodeServer(name, { kind, chain: join(hostDir, "chain.pem"), key: join(hostDir, "key.pem"), clientCa: ca.files.root, upstream: upstreamCommand() });
}

/** One stdio connection to the upstream, shared by `lanes` callers (stdio is one pipe anyway). */
async function directCallers(lanes: number): Promise<Caller[]> {
  const client = new Client({ name: "ztmcp-bench-direct", version: "0" });
  await client.connect(new StdioClientTransport({ ...upstreamCommand(), stderr: "ignore" }));
  let open = lanes;
  return Array.from({ length: lanes }, () => ({
    async call() {
      const r = await client.callTool({ name: "echo", arguments: ARGS });
      if (r.isError) throw new Error("echo failed");
    },
    async close() {
      if (--open === 0) await client.close();
    },
  }));
}

/** A floor with its own 16 callers, measured 16 in flight in the same rounds as the routed call. */
interface FloorRun {
  name: string;
  server: ServerProcess;
  callers: Caller[];
  results: LoadResult[];
  /** Server CPU per call of its own process, µs (as the host's row: the upstream not counted). */
  cpu: number[];
}

/** The floors' names in the table, and their kinds. */
export const GATEWAY_FLOORS: readonly (readonly [string, GatewayFloor])[] = [
  ["fastify relay floor", "fastify-relay"],
  ["fastify + SDK gateway", "fastify-sdk-gateway"],
  ["SDK Server + minimal transport gateway", "fastify-sdk-min-gateway"],
];

async function startFloors(ca: BenchCa, tls: TlsClientIdentity, floors: FloorRun[]): Promise<void> {
  for (const [name, kind] of GATEWAY_FLOORS) {
    const server = await startGatewayFloor(name, kind, ca);
    const run: FloorRun = { name, server, callers: [], results: [], cpu: [] };
    floors.push(run);
    for (let i = 0; i < LANES; i++) run.callers.push(await rawMcpCaller(`https://127.0.0.1:${server.port}/mcp`, tls, "everything__echo", ARGS));
    await runCallLoad(run.callers, WARMUP, TIME_LIMIT_MS);
  }
}

async function measureFloor(f: FloorRun): Promise<void> {
  const before = f.server.cpuSeconds();
  const r = await runCallLoad(f.callers, Math.ceil(CONCURRENT / ROUNDS), TIME_LIMIT_MS);
  if (r.failed > 0) throw new Error(`gateway ${f.name}: ${r.failed} calls failed (${r.firstError ?? "?"})`);
  f.results.push(r);
  f.cpu.push((1e6 * (f.server.cpuSeconds() - before)) / r.calls);
  progress(`    ${f.name} 16: ${r.calls} calls (${Math.round(r.perSecond)}/s), p50 ${r.p50.toFixed(2)} ms, ${Math.round(f.cpu[f.cpu.length - 1]!)} µs server CPU/call`);
}

/** Each floor against the direct call (what target 1 can reach on this stack), then ztmcp against each. */
function floorRows(floors: readonly FloorRun[], routedPerSecond: number, directPerSecond: number): Row[] {
  const scenario = "gateway floor (no ztmcp)";
  const rate = (f: FloorRun): number => medianOf(f.results, (r) => r.perSecond);
  return [
    ...floors.map((f) => ({ ...row(scenario, `${f.name}: throughput, 16 in flight`, "calls/s", "higher", rate(f), directPerSecond, "direct stdio call"), note: "the floor of target 1 (0.6x): fastify + mTLS, the same upstream and client" })),
    ...floors.map((f) => soloRow(scenario, `${f.name}: host CPU per call, 16 in flight`, "µs", medianOf(f.cpu, (x) => x), "server CPU of its process (not the upstream's)")),
    ...floors.map((f) => row("gateway (stdio upstream)", "throughput, 16 in flight", "calls/s", "higher", routedPerSecond, rate(f), f.name)),
  ];
}

export async function gateway(ca: BenchCa): Promise<Row[]> {
  const server = await startGatewayHost("ztmcp gateway", ca);
  const tls = { cert: ca.agent.chainPem, key: ca.agent.keyPem, ca: ca.rootPem };
  const url = `https://127.0.0.1:${server.port}/mcp`;
  const routed: Caller[] = [];
  const direct = await directCallers(LANES);
  const floors: FloorRun[] = [];
  try {
    progress(`gateway: ${LANES} clients through the host (the mcp scenario's undici client), one direct stdio SDK client, and ${LANES} through each floor`);
    for (let i = 0; i < LANES; i++) routed.push(await rawMcpCaller(url, tls, "everything__echo", ARGS));
    await runCallLoad(routed, WARMUP, TIME_LIMIT_MS);
    await runCallLoad(direct, WARMUP, TIME_LIMIT_MS);
    await startFloors(ca, tls, floors);
    // Warmed again just before the rounds: the host sat idle while the floors started (rewarm in mcp-calls.ts).
    for (const callers of [routed, direct, ...floors.map((f) => f.callers)]) await runCallLoad(callers, 1_000, TIME_LIMIT_MS);
    const seq: { routed: LoadResult[]; direct: LoadResult[] } = { routed: [], direct: [] };
    const par: { routed: LoadResult[]; direct: LoadResult[] } = { routed: [], direct: [] };
    const cpu: { host: number[]; clients: number[] } = { host: [], clients: [] };
    for (let round = 0; round < ROUNDS; round++) {
      progress(`  round ${round + 1}/${ROUNDS}`);
      seq.routed.push(await runCallLoad(routed.slice(0, 1), Math.ceil(SEQUENTIAL / ROUNDS), TIME_LIMIT_MS));
      seq.direct.push(await runCallLoad(direct.slice(0, 1), Math.ceil(SEQUENTIAL / ROUNDS), TIME_LIMIT_MS));
      // Where a routed call's CPU goes: the host, and this process (the 16 SDK HTTP clients).
      const hostBefore = server.cpuSeconds();
      const selfBefore = process.cpuUsage();
      par.routed.push(await runCallLoad(routed, Math.ceil(CONCURRENT / ROUNDS), TIME_LIMIT_MS));
      const self = process.cpuUsage(selfBefore);
      const calls = par.routed[par.routed.length - 1]!.calls;
      cpu.host.push((1e6 * (server.cpuSeconds() - hostBefore)) / calls);
      cpu.clients.push((self.user + self.system) / calls);
      par.direct.push(await runCallLoad(direct, Math.ceil(CONCURRENT / ROUNDS), TIME_LIMIT_MS));
      for (const [name, r] of [["routed 1", seq.routed], ["direct 1", seq.direct], ["routed 16", par.routed], ["direct 16", par.direct]] as const) {
        const last = r[r.length - 1]!;
        if (last.failed > 0) throw new Error(`gateway ${name}: ${last.failed} calls failed (${last.firstError ?? "?"})`);
        progress(`    ${name}: ${last.calls} calls (${Math.round(last.perSecond)}/s), p50 ${last.p50.toFixed(2)} ms, p99 ${last.p99.toFixed(2)} ms`);
      }
      for (const f of floors) await measureFloor(f);
    }
    const p = (rs: LoadResult[], pick: (r: LoadResult) => number): number => medianOf(rs, pick);
    const added50 = p(seq.routed, (r) => r.p50) - p(seq.direct, (r) => r.p50);
    const added99 = p(seq.routed, (r) => r.p99) - p(seq.direct, (r) => r.p99);
    return [
      row("gateway (stdio upstream)", "p50 latency, 1 in flight", "ms", "lower", p(seq.routed, (r) => r.p50), p(seq.direct, (r) => r.p50), "direct stdio call"),
      row("gateway (stdio upstream)", "p99 latency, 1 in flight", "ms", "lower", p(seq.routed, (r) => r.p99), p(seq.direct, (r) => r.p99), "direct stdio call"),
      soloRow("gateway (stdio upstream)", "host CPU per call, 16 in flight", "µs", medianOf(cpu.host, (x) => x), "server CPU of the host process (not the upstream's)"),
      soloRow("gateway (stdio upstream)", "load generator CPU per call", "µs", medianOf(cpu.clients, (x) => x), "the 16 undici clients of the bench process: same cores as the host"),
      withTarget(row("gateway (stdio upstream)", "throughput, 16 in flight", "calls/s", "higher", p(par.routed, (r) => r.perSecond), p(par.direct, (r) => r.perSecond), "direct stdio call"), "ratio", 0.6, "issue 14 #1"),
      withTarget(soloRow("gateway (stdio upstream)", "p50 added over the direct call, 1 in flight", "ms", added50, `p99 added ${added99.toFixed(2)} ms`), "ours", 0.5, "issue 14 #1"),
      ...floorRows(floors, p(par.routed, (r) => r.perSecond), p(par.direct, (r) => r.perSecond)),
    ];
  } finally {
    for (const c of [...routed, ...direct, ...floors.flatMap((f) => f.callers)]) await c.close().catch(() => undefined);
    await server.stop();
    for (const f of floors) await f.server.stop();
  }
}
