// Where the MCP path's time goes: the host's V8 CPU profiler (the one `node --cpu-prof` uses,
// started over IPC after warm-up so start-up does not dominate) records while 16 clients
// call `echo` (the plain route is profiled the same way, for comparison); the profile's self time is summed by function and by package/source area.
// The raw .cpuprofile (open it in Chrome DevTools) and the summary land in .bench/.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BenchCa } from "./bench-ca.js";
import { writeCrls } from "./crl-files.js";
import { startHostServer } from "./host-process.js";
import { startGatewayFloor, startGatewayHost } from "./gateway.js";
import { rawMcpCaller } from "./mcp-client.js";
import { LANES, measureRound, prepare, release } from "./mcp-calls.js";
import { plainRouteCaller, type Caller } from "./call-load.js";
import { startNodeServer, type ServerProcess } from "./server-process.js";
import { FULL } from "./stats.js";
import { row, progress, type Row } from "./report.js";

const CALLS = FULL ? 20_000 : 3_000;
const TIME_LIMIT_MS = FULL ? 60_000 : 15_000;
const OUT = resolve(".bench");

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** node_modules/<pkg>, src/<area>, node:<internal>, or (program)/(gc)/(idle). */
function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith("(") ? fn : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const src = /\/((?:src|dist)\/[^/]+)\//.exec(url)?.[1];
  if (src) return src;
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
  return url.split("/").slice(-2).join("/");
}

function summarize(profile: { nodes: ProfileNode[] }): { byArea: [string, number][]; byFunction: [string, number][]; byOwner: [string, number][]; total: number } {
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0 || n.callFrame.functionName === "(idle)") continue;
    total += hits;
    const area = areaOf(n.callFrame.url, n.callFrame.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
    // tsx-compiled sources have no useful line numbers: name the file instead.
    const file = n.callFrame.url ? n.callFrame.url.split("/").pop()! : area;
    const fn = `${n.callFrame.functionName || "(anonymous)"} ${area === file ? area : `${area}/${file}`}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
  }
  const top = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]).slice(0, 15);
  return { byArea: top(byArea), byFunction: top(byFunction), byOwner: top(byOwner(profile.nodes)), total };
}

/**
 * Self time charged to the nearest package or source file on the stack (a socket write's natives
 * to whoever wrote, zod's generated parsers to zod): what each dependency costs a call, all in.
 * Socket writes (TLS encryption + the syscall) stay apart: every server pays them.
 */
function byOwner(nodes: readonly ProfileNode[]): Map<string, number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owners = new Map<string, number>();
  for (const n of nodes) {
    const hits = n.hitCount ?? 0;
    const fn = n.callFrame.functionName;
    if (hits === 0 || fn === "(idle)") continue;
    let owner = fn.startsWith("(") ? fn : fn === "writev" || fn === "writeUtf8String" || fn === "writeBuffer" ? "socket writes (TLS + syscall)" : "node core";
    for (let id: number | undefined = n.id; owner === "node core" && id !== undefined; id = parent.get(id)) {
      const url = byId.get(id)!.callFrame.url;
      const found = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? /\/((?:src|dist)\/.*)\.(?:ts|js)$/.exec(url)?.[1];
      if (found) owner = found;
    }
    owners.set(owner, (owners.get(owner) ?? 0) + hits);
  }
  return owners;
}

/** Profiles one server while `callers` load it; returns the summary text and the server CPU per call. */
async function profileServer(label: string, server: ServerProcess, makeCaller: () => Promise<Caller>, file: string): Promise<{ text: string; cpuPerCallUs: number }> {
  const contender = await prepare(server, makeCaller);
  let cpuPerCallUs: number;
  try {
    await server.startProfile();
    cpuPerCallUs = (await measureRound(contender, CALLS, TIME_LIMIT_MS)).cpuPerCallUs;
    await server.stopProfile(file);
  } finally {
    await release(contender);
  }
  const s = summarize(JSON.parse(readFileSync(file, "utf8")) as { nodes: ProfileNode[] });
  const pct = (hits: number): string => `${((hits / s.total) * 100).toFixed(1)}%`;
  const text = [
    `CPU profile of ${label} (self time, ${s.total} samples, idle excluded): ${file}`,
    "",
    "by area:",
    ...s.byArea.map(([a, h]) => `  ${pct(h).padStart(6)}  ${a}`),
    "",
    "by function:",
    ...s.byFunction.map(([f, h]) => `  ${pct(h).padStart(6)}  ${f}`),
    "",
    `by owner (nearest package or source file on the stack; µs a call = share × ${Math.round(cpuPerCallUs)} µs server CPU a call, profiler on):`,
    ...s.byOwner.map(([o, h]) => `  ${pct(h).padStart(6)}  ${((h / s.total) * cpuPerCallUs).toFixed(1).padStart(6)} µs  ${o}`),
    "",
  ].join("\n");
  return { text, cpuPerCallUs };
}

export async function profileMcp(ca: BenchCa): Promise<Row[]> {
  const dir = join(OUT, "profile");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  progress(`profile: the host, then the plain route, under the CPU profiler, ${CALLS} tools/call from ${LANES} clients`);
  const tls = { cert: ca.agent.chainPem, key: ca.agent.keyPem, ca: ca.rootPem };
  const host = await startHostServer("ztmcp profiled", ca, { crls: writeCrls(ca, 0) });
  const ours = await profileServer("the host serving tools/call", host, () => rawMcpCaller(`https://127.0.0.1:${host.port}/mcp`, tls), join(dir, "mcp-tools-call.cpuprofile"));
  const hostDir = ca.files.hostDir;
  const plain = await startNodeServer("fastify route profiled", { kind: "fastify-plain", chain: join(hostDir, "chain.pem"), key: join(hostDir, "key.pem"), clientCa: ca.files.root });
  const base = await profileServer("the plain fastify route", plain, () => Promise.resolve(plainRouteCaller(`https://127.0.0.1:${plain.port}`, tls)), join(dir, "plain-route.cpuprofile"));
  // The routed call (target 2's path), next to the bare relay floor in front of the same upstream.
  const gateway = await startGatewayHost("ztmcp gateway profiled", ca);
  const routed = await profileServer("the gateway routing everything__echo", gateway, () => rawMcpCaller(`https://127.0.0.1:${gateway.port}/mcp`, tls, "everything__echo", { message: "hello" }), join(dir, "gateway-routed-call.cpuprofile"));
  const relay = await startGatewayFloor("fastify relay floor profiled", "fastify-relay", ca);
  const floor = await profileServer("the fastify relay floor", relay, () => rawMcpCaller(`https://127.0.0.1:${relay.port}/mcp`, tls, "everything__echo", { message: "hello" }), join(dir, "relay-floor.cpuprofile"));
  const text = [ours, base, routed, floor].map((p) => p.text).join("\n");
  writeFileSync(join(OUT, "mcp-profile.txt"), text);
  process.stderr.write(text);
  return [
    { ...row("profile", "server CPU per call, profiler on", "µs", "lower", ours.cpuPerCallUs, base.cpuPerCallUs, "fastify JSON route"), note: "summaries in .bench/mcp-profile.txt" },
    row("profile", "gateway CPU per routed call, profiler on", "µs", "lower", routed.cpuPerCallUs, floor.cpuPerCallUs, "fastify relay floor"),
  ];
}
