// Memory: RSS of a server holding 1,000 idle mTLS connections (ours vs a bare Node https
// server), and a CA store with 100,000 issued certificates (RSS and ca.db size). Two ablation floors
// (no ztmcp code) hold the same connections: plain fastify, and fastify with the MCP SDK's server
// modules loaded (the fastify-sdk kind, idle: no session yet, as the host before any initialize).
import { fork } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchCa } from "./bench-ca.js";
import { openIdleConnections } from "./handshake-load.js";
import { startNodeServer, type ServerProcess } from "./server-process.js";
import { startHostServer } from "./host-process.js";
import { writeCrls } from "./crl-files.js";
import { row, soloRow, withTarget, progress, type Row } from "./report.js";
import { interleave, medianOf } from "./rounds.js";
import { FULL } from "./stats.js";

const IDLE = 1_000;
const ROUNDS = FULL ? 5 : 3;
const STORE_CERTS = 100_000;
const MB = 1024 * 1024;

interface Idle {
  rss: number;
  before: number;
  perConnection: number;
}

/** Server RSS with IDLE idle connections open, and its growth per connection. */
async function idleRss(server: ServerProcess, ca: BenchCa): Promise<Idle> {
  try {
    const before = server.rssBytes();
    const sockets = await openIdleConnections(server.port, { cert: ca.agent.chainPem, key: ca.agent.keyPem, ca: ca.rootPem }, IDLE, 16);
    const rss = server.rssBytes();
    for (const s of sockets) s.destroy();
    progress(`  ${server.name}: ${sockets.length} idle connections, RSS ${(rss / MB).toFixed(1)} MB`);
    return { rss, before, perConnection: (rss - before) / sockets.length };
  } finally {
    await server.stop();
  }
}

async function storeChild<T>(args: string[]): Promise<T> {
  const child = fork(fileURLToPath(new URL("./store-child.ts", import.meta.url)), args, { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const [message] = (await once(child, "message")) as [T];
  await once(child, "exit");
  return message;
}

async function storeMemory(ca: BenchCa): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), "ztmcp-bench-store-"));
  try {
    const { insertMs } = await storeChild<{ insertMs: number }>(["fill", dir, String(STORE_CERTS), ca.agent.certPem]);
    const m = await storeChild<{ rss: number; dbBytes: number; certificates: number; revoked: number }>(["open", dir]);
    return [
      soloRow("ca store", `${STORE_CERTS / 1000}k certs: ca.db size`, "MB", m.dbBytes / MB, `${Math.round(m.dbBytes / m.certificates)} bytes a certificate (PEM kept)`),
      soloRow("ca store", `${STORE_CERTS / 1000}k certs: process RSS`, "MB", m.rss / MB, `opened, ${m.revoked} revoked read for a CRL; recorded in one transaction in ${Math.round(insertMs)} ms`),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function memory(ca: BenchCa): Promise<Row[]> {
  const host = ca.files.hostDir;
  const spec = { chain: join(host, "chain.pem"), key: join(host, "key.pem"), clientCa: ca.files.root };
  const starters: [string, () => Promise<ServerProcess>][] = [
    ["node https", () => startNodeServer("node https", { kind: "https", ...spec })],
    ["ztmcp", () => startHostServer("ztmcp", ca, { crls: writeCrls(ca, 0) })],
    ["fastify only", () => startNodeServer("fastify only", { kind: "fastify-plain", ...spec })],
    ["fastify + SDK loaded", () => startNodeServer("fastify + SDK loaded", { kind: "fastify-sdk", ...spec })],
  ];
  progress(`memory: ${IDLE} idle mTLS connections, a fresh process of each server per round, ${ROUNDS} interleaved rounds`);
  // One process's RSS moves by several MB run to run (when V8 and malloc happen to grow): each
  // contender's figure is the median of ROUNDS fresh processes, started in interleaved order.
  const measured = await interleave(
    starters.map(([name]) => name),
    ROUNDS,
    async (name) => idleRss(await starters.find(([n]) => n === name)![1](), ca),
  );
  const median = (name: string): Idle => {
    const runs = measured.get(name)!;
    return { rss: medianOf(runs, (r) => r.rss), before: medianOf(runs, (r) => r.before), perConnection: medianOf(runs, (r) => r.perConnection) };
  };
  const [base, ours, fastify, sdk] = ["node https", "ztmcp", "fastify only", "fastify + SDK loaded"].map(median) as [Idle, Idle, Idle, Idle];
  const above = (a: { rss: number; before: number }, b: { rss: number; before: number }): string =>
    `before any connection: ${(a.before / MB).toFixed(0)} vs ${(b.before / MB).toFixed(0)} MB; the connections: ${((a.rss - a.before) / MB).toFixed(0)} vs ${((b.rss - b.before) / MB).toFixed(0)} MB`;
  const rows = [
    withTarget(
      soloRow("memory", `RSS above node https, ${IDLE} idle mTLS conns`, "MB", (ours.rss - base.rss) / MB, `before any connection: ${(ours.before / MB).toFixed(0)} vs ${(base.before / MB).toFixed(0)} MB (the modules a host loads); the connections: ${((ours.rss - ours.before) / MB).toFixed(0)} vs ${((base.rss - base.before) / MB).toFixed(0)} MB`),
      "ours",
      30,
      "issue 14 #5",
    ),
    row("memory", `RSS, ${IDLE} idle mTLS conns`, "MB", "lower", ours.rss / MB, base.rss / MB, "node https"),
    row("memory", "RSS growth per idle conn", "KB", "lower", ours.perConnection / 1024, base.perConnection / 1024, "node https"),
    soloRow("memory floor (no ztmcp)", `fastify + SDK loaded: RSS above node https, ${IDLE} idle mTLS conns`, "MB", (sdk.rss - base.rss) / MB, `the floor of target 5 (30 MB); ${above(sdk, base)}`),
    soloRow("memory floor (no ztmcp)", `fastify only: RSS above node https, ${IDLE} idle mTLS conns`, "MB", (fastify.rss - base.rss) / MB, above(fastify, base)),
    soloRow("memory", `RSS above fastify + SDK loaded, ${IDLE} idle mTLS conns`, "MB", (ours.rss - sdk.rss) / MB, `ztmcp's own share: ${above(ours, sdk)}`),
  ];
  progress(`memory: CA store with ${STORE_CERTS} certificates`);
  rows.push(...(await storeMemory(ca)));
  return rows;
}
