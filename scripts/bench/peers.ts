// The gateway against the npm packages people use to put a stdio MCP server on Streamable HTTP,
// in the same run, exposing the same upstream (`everything` over stdio), driven by the same undici
// client (16 callers, a session each). ztmcp runs with mTLS, the policy and the audit line on; the
// peers on plain HTTP (neither has client-certificate auth). CPU is the whole process tree: the
// gateway plus the upstream processes it spawned.
//
// The peers are given their cheapest settings, so the ratio is not flattered: supergateway
// `--stateful` (its stateless mode spawns an upstream per request; stateful spawns one per
// session, so 16 here) with `--logLevel none` (its default logs every message), mcp-proxy
// `--server stream --no-eventStore` (one upstream shared by all sessions, no resumability buffer).
//
// The ablation floors (no ztmcp code, gateway.ts GATEWAY_FLOORS) run in the same rounds. With mTLS, like ztmcp: they say what a gateway on this stack
// can reach against the 3x target, which asks for mTLS, policy and audit line on.
import { createRequire } from "node:module";
import type { BenchCa } from "./bench-ca.js";
import { rawMcpCaller } from "./mcp-client.js";
import { GATEWAY_FLOORS, startGatewayFloor, startGatewayHost, upstreamCommand } from "./gateway.js";
import { LANES, measureRound, prepare, release, rewarm, summarize, type Contender, type Measured } from "./mcp-calls.js";
import { freePort, startProcess, type ServerProcess } from "./server-process.js";
import { interleave, medianOf } from "./rounds.js";
import type { Caller } from "./call-load.js";
import { FULL } from "./stats.js";
import { row, withTarget, progress, type Row } from "./report.js";

const COUNT = FULL ? 21_000 : 10_000;
const ROUNDS = FULL ? 7 : 5;
const TIME_LIMIT_MS = FULL ? 60_000 : 30_000;
const ARGS = { message: "hello" };
const SCENARIO = "gateway vs npm peers";

const bin = (module: string): string => createRequire(import.meta.url).resolve(module);

async function startSupergateway(name: string): Promise<ServerProcess> {
  const port = await freePort();
  const { command, args } = upstreamCommand();
  const stdio = [command, ...args].map((a) => JSON.stringify(a)).join(" ");
  return startProcess(name, process.execPath, [bin("supergateway/dist/index.js"), "--stdio", stdio, "--outputTransport", "streamableHttp", "--stateful", "--port", String(port), "--logLevel", "none"], port);
}

async function startMcpProxy(name: string): Promise<ServerProcess> {
  const port = await freePort();
  const { command, args } = upstreamCommand();
  // The package's "exports" hide its bin; resolve the package root, then the bin next to it.
  const root = bin("mcp-proxy").replace(/dist\/index\.mjs$/, "");
  return startProcess(name, process.execPath, [`${root}dist/bin/mcp-proxy.mjs`, "--port", String(port), "--host", "127.0.0.1", "--server", "stream", "--no-eventStore", "--", command, ...args], port);
}

const perCpuSecond = (m: Measured): number => 1e6 / m.cpuPerCallUs;

/** Identical server processes differed here by 10–25% in CPU per call (docs/performance.md): the
 * ztmcp gateway and the peers each run as PROCESSES processes, the floors as one. */
const PROCESSES = 3;

/** A contender's figures: the median, over its processes, of each process's median round. */
function acrossProcesses(perProcess: readonly Measured[]): Measured {
  const mid = (pick: (m: Measured) => number): number => medianOf(perProcess, pick);
  return { ...perProcess[0]!, perSecond: mid((x) => x.perSecond), p50: mid((x) => x.p50), p99: mid((x) => x.p99), cpuPerCallUs: mid((x) => x.cpuPerCallUs) };
}

export async function peers(ca: BenchCa): Promise<Row[]> {
  const tls = { cert: ca.agent.chainPem, key: ca.agent.keyPem, ca: ca.rootPem };
  const contenders = new Map<string, Contender>();
  /** process name ("mcp-proxy #2") → its contender ("mcp-proxy"). */
  const contenderOf = new Map<string, string>();
  const add = async (contender: string, instance: number, start: (name: string) => Promise<ServerProcess>, caller: (port: number) => Promise<Caller>): Promise<void> => {
    const name = instance > 0 ? `${contender} #${instance}` : contender;
    const server = await start(name);
    contenders.set(name, await prepare(server, () => caller(server.port)));
    contenderOf.set(name, contender);
  };
  const ztmcpCaller = (port: number): Promise<Caller> => rawMcpCaller(`https://127.0.0.1:${port}/mcp`, tls, "everything__echo", ARGS);
  const peerCaller = (port: number): Promise<Caller> => rawMcpCaller(`http://127.0.0.1:${port}/mcp`, undefined, "echo", ARGS);
  try {
    progress(`peers: the ztmcp gateway (mTLS), supergateway, mcp-proxy (${PROCESSES} processes each) and the floors (mTLS), each exposing everything over stdio, ${LANES} clients each`);
    for (let i = 1; i <= PROCESSES; i++) {
      await add("ztmcp", i, (n) => startGatewayHost(n, ca), ztmcpCaller);
      await add("supergateway", i, startSupergateway, peerCaller);
      await add("mcp-proxy", i, startMcpProxy, peerCaller);
    }
    for (const [name, kind] of GATEWAY_FLOORS) await add(name, 0, () => startGatewayFloor(name, kind, ca), ztmcpCaller);
    await rewarm(contenders.values());
    const results = await interleave([...contenders.keys()], ROUNDS, (name) => measureRound(contenders.get(name)!, Math.ceil(COUNT / ROUNDS), TIME_LIMIT_MS / ROUNDS, true));
    const perProcess = new Map([...results].map(([name, rounds]) => [name, summarize(rounds)]));
    const m = new Map([...new Set(contenderOf.values())].map((c) => [c, acrossProcesses([...perProcess].filter(([n]) => contenderOf.get(n) === c).map(([, r]) => r))]));
    const spread = (c: string): string => [...perProcess].filter(([n]) => contenderOf.get(n) === c).map(([, r]) => Math.round(perCpuSecond(r))).join("/");
    const z = m.get("ztmcp")!;
    const peerNames = ["supergateway", "mcp-proxy"];
    const best = peerNames.reduce((a, b) => (perCpuSecond(m.get(a)!) >= perCpuSecond(m.get(b)!) ? a : b));
    const fastest = peerNames.reduce((a, b) => (m.get(a)!.p50 <= m.get(b)!.p50 ? a : b));
    const unit = "calls/CPU-s";
    const metric = "calls per CPU-s, gateway + upstream tree";
    const throughputs = ["ztmcp", ...peerNames].map((n) => `${n} ${Math.round(m.get(n)!.perSecond)}/s`).join(", ");
    return [
      ...peerNames.map((n) => row(SCENARIO, metric, unit, "higher", perCpuSecond(z), perCpuSecond(m.get(n)!), n)),
      { ...withTarget(row(SCENARIO, metric, unit, "higher", perCpuSecond(z), perCpuSecond(m.get(best)!), `best peer (${best})`), "ratio", 3, "issue 14 #2"), note: `throughput, 16 in flight: ${throughputs}; calls per CPU-s per process: ztmcp ${spread("ztmcp")}, supergateway ${spread("supergateway")}, mcp-proxy ${spread("mcp-proxy")}` },
      withTarget(row(SCENARIO, "p50 latency, 16 in flight", "ms", "lower", z.p50, m.get(fastest)!.p50, `fastest peer (${fastest})`), "ratio", 1, "issue 14 #2"),
      ...GATEWAY_FLOORS.map(([n]) => ({ ...row(`${SCENARIO}, floor`, `${n}: calls per CPU-s of the tree`, unit, "higher", perCpuSecond(m.get(n)!), perCpuSecond(m.get(best)!), `best peer (${best})`), note: `no ztmcp code, with mTLS: the floor of target 2 (3x); ${Math.round(m.get(n)!.perSecond)} calls/s, 16 in flight` })),
      ...GATEWAY_FLOORS.map(([n]) => row(SCENARIO, metric, unit, "higher", perCpuSecond(z), perCpuSecond(m.get(n)!), n)),
    ];
  } finally {
    for (const c of contenders.values()) await release(c);
  }
}
