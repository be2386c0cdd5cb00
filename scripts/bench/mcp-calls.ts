// MCP tools/call `echo` over keep-alive mTLS, 16 clients in flight, vs a plain fastify JSON route
// on the same TLS config answering the same JSON-RPC body. Both are driven by the same client
// (undici POSTing the SDK client's bytes, on a session the SDK client opened), so the ratio
// compares servers; a run with the SDK's own client shows what a real client adds. Then the
// same through the host with 100,000 revoked serials loaded (the per-request check must not move it).
// Two ablation floors run in the same rounds (no ztmcp code, fastify, one SDK Server per session):
// behind the SDK's StreamableHTTPServerTransport (floor-sdk-server.ts), and behind the thinnest
// transport that carries a call (floor-sdk-minimal.ts).
import { join } from "node:path";
import type { BenchCa } from "./bench-ca.js";
import { runCallLoad, plainRouteCaller, type Caller, type LoadResult } from "./call-load.js";
import { mcpCaller, rawMcpCaller } from "./mcp-client.js";
import { writeCrls } from "./crl-files.js";
import { startHostServer } from "./host-process.js";
import { startNodeServer, type ServerProcess } from "./server-process.js";
import { interleave, medianOf } from "./rounds.js";
import { FULL } from "./stats.js";
import { row, withTarget, progress, type Row } from "./report.js";

export const LANES = 16;
const COUNT = FULL ? 40_000 : 12_000;
export const ROUNDS = FULL ? 5 : 3;
/** Calls before measuring: V8 is still optimising the server for the first ~2,000 (RELAY notes in docs/performance.md). */
export const WARMUP = 3_000;
const TIME_LIMIT_MS = FULL ? 60_000 : 12_000;
const FLOOR = "fastify + SDK server (no ztmcp)";
const MIN_FLOOR = "SDK Server + minimal transport (no ztmcp)";

export interface Measured extends LoadResult {
  /** Server CPU per call, µs. */
  cpuPerCallUs: number;
}

export interface Contender {
  server: ServerProcess;
  callers: Caller[];
}

/** Starts the callers (one connection, one client each) and warms the server up. */
export async function prepare(server: ServerProcess, makeCaller: () => Promise<Caller>, lanes = LANES): Promise<Contender> {
  const callers: Caller[] = [];
  for (let i = 0; i < lanes; i++) callers.push(await makeCaller());
  await runCallLoad(callers, WARMUP, TIME_LIMIT_MS);
  return { server, callers };
}

/** One round: the load, with the server's CPU read around it (with `tree`, its descendants' too). */
export async function measureRound(c: Contender, count = Math.ceil(COUNT / ROUNDS), timeLimitMs = TIME_LIMIT_MS / ROUNDS, tree = false): Promise<Measured> {
  const cpuNow = (): number => (tree ? c.server.treeCpuSeconds() : c.server.cpuSeconds());
  const cpuBefore = cpuNow();
  const r = await runCallLoad(c.callers, count, timeLimitMs);
  const cpu = cpuNow() - cpuBefore;
  if (r.failed > 0) throw new Error(`${c.server.name}: ${r.failed} calls failed (${r.firstError ?? "?"})`);
  progress(`    ${c.server.name}: ${r.calls} calls (${Math.round(r.perSecond)}/s), p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${Math.round((cpu / r.calls) * 1e6)} µs CPU/call`);
  return { ...r, cpuPerCallUs: (cpu / r.calls) * 1e6 };
}

/**
 * One unmeasured pass over every contender, just before the measured rounds: a server that sat
 * idle while the others started and warmed (a minute, with many contenders) ran its first
 * rounds 1.5–2.5× above its later ones here (its pages paged out, its code cold again).
 */
export async function rewarm(contenders: Iterable<Contender>, calls = 3_000): Promise<void> {
  for (const c of contenders) await runCallLoad(c.callers, calls, TIME_LIMIT_MS);
}

export async function release(c: Contender): Promise<void> {
  for (const caller of c.callers) await caller.close().catch(() => undefined);
  await c.server.stop();
}

/** The median round of each metric. */
export function summarize(rounds: readonly Measured[]): Measured {
  return {
    calls: rounds.reduce((n, r) => n + r.calls, 0),
    failed: 0,
    firstError: undefined,
    seconds: rounds.reduce((n, r) => n + r.seconds, 0),
    perSecond: medianOf(rounds, (r) => r.perSecond),
    p50: medianOf(rounds, (r) => r.p50),
    p99: medianOf(rounds, (r) => r.p99),
    cpuPerCallUs: medianOf(rounds, (r) => r.cpuPerCallUs),
  };
}

export function callRows(scenario: string, ours: Measured, base: Measured, baseName: string): Row[] {
  return [
    row(scenario, "throughput", "calls/s", "higher", ours.perSecond, base.perSecond, baseName),
    row(scenario, "p50 latency", "ms", "lower", ours.p50, base.p50, baseName),
    row(scenario, "p99 latency", "ms", "lower", ours.p99, base.p99, baseName),
    row(scenario, "server CPU per call", "µs", "lower", ours.cpuPerCallUs, base.cpuPerCallUs, baseName),
  ];
}

export async function mcpCalls(ca: BenchCa): Promise<Row[]> {
  const tls = { cert: ca.agent.chainPem, key: ca.agent.keyPem, ca: ca.rootPem };
  const hostDir = ca.files.hostDir;
  const contenders = new Map<string, Contender>();
  try {
    progress(`mcp calls: starting the plain fastify route, the hosts and the fastify + SDK floor, ${LANES} clients each`);
    const plain = await startNodeServer("fastify route", { kind: "fastify-plain", chain: join(hostDir, "chain.pem"), key: join(hostDir, "key.pem"), clientCa: ca.files.root });
    contenders.set("plain", await prepare(plain, () => Promise.resolve(plainRouteCaller(`https://127.0.0.1:${plain.port}`, tls))));
    const hosts = [
      ["ztmcp", 0, rawMcpCaller, "buffered"],
      ["ztmcp, sync log", 0, rawMcpCaller, "sync"],
      ["ztmcp 100k revoked", 100_000, rawMcpCaller, "buffered"],
      ["ztmcp, SDK client", 0, mcpCaller, "buffered"],
    ] as const;
    for (const [name, revoked, client, logWrites] of hosts) {
      // Log lines to a real file (not /dev/null), so a write(2) costs what it costs on a disk.
      const logFile = join(ca.dir, `${name.replace(/\W+/g, "-")}.log`);
      const server = await startHostServer(name, ca, { crls: writeCrls(ca, revoked), logFile, logWrites });
      contenders.set(name, await prepare(server, () => client(`https://127.0.0.1:${server.port}/mcp`, tls)));
    }
    // The ablation floor of target 3: the same stack (fastify, the SDK's Streamable HTTP transport,
    // one SDK Server per session) with no ztmcp code, driven by the same client.
    // The second floor keeps the SDK Server per session behind the thinnest transport possible.
    for (const [name, kind] of [[FLOOR, "fastify-sdk"], [MIN_FLOOR, "fastify-sdk-min"]] as const) {
      const floor = await startNodeServer(name, { kind, chain: join(hostDir, "chain.pem"), key: join(hostDir, "key.pem"), clientCa: ca.files.root });
      contenders.set(name, await prepare(floor, () => rawMcpCaller(`https://127.0.0.1:${floor.port}/mcp`, tls)));
    }
    await rewarm(contenders.values());
    const results = await interleave([...contenders.keys()], ROUNDS, (name) => measureRound(contenders.get(name)!));
    const [base, ours, oursSync, oursRevoked, oursSdk, sdkFloor, minFloor] = ["plain", "ztmcp", "ztmcp, sync log", "ztmcp 100k revoked", "ztmcp, SDK client", FLOOR, MIN_FLOOR].map((n) => summarize(results.get(n)!)) as [Measured, Measured, Measured, Measured, Measured, Measured, Measured];
    const [throughput, p50, p99, cpu] = callRows("mcp tools/call", ours, base, "fastify JSON route") as [Row, Row, Row, Row];
    return [
      throughput,
      p50,
      p99,
      withTarget(cpu, "ratio", 0.5, "issue 14 #3"),
      row("mcp tools/call, log writes", "server CPU per call", "µs", "lower", ours.cpuPerCallUs, oursSync.cpuPerCallUs, "a write(2) per log line"),
      row("mcp tools/call, log writes", "throughput", "calls/s", "higher", ours.perSecond, oursSync.perSecond, "a write(2) per log line"),
      row("mcp tools/call, SDK client", "throughput", "calls/s", "higher", oursSdk.perSecond, ours.perSecond, "ztmcp, undici client"),
      row("mcp tools/call, SDK client", "p50 latency", "ms", "lower", oursSdk.p50, ours.p50, "ztmcp, undici client"),
      row("mcp tools/call 100k revoked", "throughput", "calls/s", "higher", oursRevoked.perSecond, ours.perSecond, "ztmcp, empty CRL"),
      row("mcp tools/call 100k revoked", "server CPU per call", "µs", "lower", oursRevoked.cpuPerCallUs, ours.cpuPerCallUs, "ztmcp, empty CRL"),
      {
        ...row("mcp floor: fastify + SDK server", "server CPU per call", "µs", "lower", sdkFloor.cpuPerCallUs, base.cpuPerCallUs, "fastify JSON route"),
        note: `no ztmcp code (StreamableHTTPServerTransport, enableJsonResponse, one SDK Server per session): the floor of target 3 (0.5x); throughput ${Math.round(sdkFloor.perSecond)} vs ${Math.round(base.perSecond)} calls/s`,
      },
      row("mcp tools/call vs SDK floor", "server CPU per call", "µs", "lower", ours.cpuPerCallUs, sdkFloor.cpuPerCallUs, FLOOR),
      row("mcp tools/call vs SDK floor", "throughput", "calls/s", "higher", ours.perSecond, sdkFloor.perSecond, FLOOR),
      {
        ...row("mcp floor: SDK Server + minimal transport", "server CPU per call", "µs", "lower", minFloor.cpuPerCallUs, base.cpuPerCallUs, "fastify JSON route"),
        note: `no ztmcp code: fastify, one SDK Server per session, a transport that only maps a POST to onmessage and send() to its reply: the tightest floor of target 3 (0.5x); throughput ${Math.round(minFloor.perSecond)} calls/s`,
      },
      row("mcp tools/call vs SDK floor", "server CPU per call", "µs", "lower", ours.cpuPerCallUs, minFloor.cpuPerCallUs, MIN_FLOOR),
    ];
  } finally {
    for (const c of contenders.values()) await release(c);
  }
}
