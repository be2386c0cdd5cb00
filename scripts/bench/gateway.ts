// The gateway's cost: tools/call routed through the host (mTLS, gate, RBAC, SDK server, SDK
// client to the upstream) to a stdio MCP server, vs the same call made directly to that server
// over stdio, in the same run. Latency with one call at a time; throughput with 16 in flight.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { BenchCa } from "./bench-ca.js";
import { runCallLoad, type Caller, type LoadResult } from "./call-load.js";
import { rawMcpCaller } from "./mcp-client.js";
import { WARMUP } from "./mcp-calls.js";
import { writeCrls } from "./crl-files.js";
import { startHostServer } from "./host-process.js";
import type { ServerProcess } from "./server-process.js";
import { FULL } from "./stats.js";
import { medianOf } from "./rounds.js";
import { row, soloRow, withTarget, progress, type Row } from "./report.js";

const SEQUENTIAL = FULL ? 2_000 : 300;
const CONCURRENT = FULL ? 10_000 : 1_500;
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

export async function gateway(ca: BenchCa): Promise<Row[]> {
  const server = await startGatewayHost("ztmcp gateway", ca);
  const tls = { cert: ca.agent.chainPem, key: ca.agent.keyPem, ca: ca.rootPem };
  const url = `https://127.0.0.1:${server.port}/mcp`;
  const routed: Caller[] = [];
  const direct = await directCallers(LANES);
  try {
    progress(`gateway: ${LANES} clients through the host (the mcp scenario's undici client), one direct stdio SDK client`);
    for (let i = 0; i < LANES; i++) routed.push(await rawMcpCaller(url, tls, "everything__echo", ARGS));
    await runCallLoad(routed, WARMUP, TIME_LIMIT_MS);
    await runCallLoad(direct, WARMUP, TIME_LIMIT_MS);
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
    ];
  } finally {
    for (const c of [...routed, ...direct]) await c.close().catch(() => undefined);
    await server.stop();
  }
}
