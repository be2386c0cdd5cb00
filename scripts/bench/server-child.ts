// Entry point of a server process under test. argv[2] is a ServerSpec as JSON; the port is sent
// to the parent over IPC once listening.
import "reflect-metadata";
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { createServer as createHttpsServer, type ServerOptions } from "node:https";
import { once } from "node:events";
import type { AddressInfo } from "node:net";

/** The ablation floors: servers from the chosen stack with no ztmcp code (floor-*.ts). */
export type FloorKind = "fastify-sdk" | "fastify-sdk-min" | "fastify-sdk-gateway" | "fastify-sdk-min-gateway" | "fastify-relay";

export interface ServerSpec {
  kind: "https" | "fastify-plain" | "host" | FloorKind;
  /** PEM files: leaf+intermediate chain, key, the root trusted for clients. */
  chain: string;
  key: string;
  clientCa: string;
  /** CRL PEM files handed to Node's `crl` option (kind "https" only): OpenSSL's own check. */
  crls?: string[];
  /** kind "host": the host identity dir, the dir holding root.pem, and the CRLs its gate loads. */
  hostDir?: string;
  caDir?: string;
  /** kind "host": a gateway config (upstream MCP servers) to serve instead of the built-ins. */
  gatewayConfig?: string;
  /** kind "host": the file its log lines go to (default /dev/null), buffered as `ztmcp serve`
   * writes them (default) or one write(2) per line ("sync", what it did before). */
  logFile?: string;
  logWrites?: "buffered" | "sync";
  /** The gateway floors ("…-gateway", "fastify-relay"): the stdio upstream they spawn (gateway.ts upstreamCommand). */
  upstream?: { command: string; args: string[] };
  /** kind "host": the compiled build `ztmcp serve` runs (default, `make bench` builds it first), or
   * the TypeScript sources through tsx ("src"). tsx's output names every closure with a `__name()`
   * call, which cost a routed call ~2 KB more promoted garbage and ~20% more CPU: not what users
   * run (docs/performance.md, "Target 2, third round"). */
  build?: "dist" | "src";
}

/** Every role may call every tool, without a rate limit: the bench measures the path, not the policy. */
const BENCH_POLICY = { trustDomain: "mesh.local", roles: { reader: { tools: ["*"], maxTtl: "24h" } }, subjects: [] };

/** A module of the host, from the build the spec names (same code, same types). */
function hostModule<T>(spec: ServerSpec, path: string): Promise<T> {
  return import(`../../${spec.build ?? "dist"}/${path}`) as Promise<T>;
}

async function startZtmcpHost(spec: ServerSpec): Promise<number> {
  const { startHost } = await hostModule<typeof import("../../src/host/host.js")>(spec, "host/host.js");
  const { createLogger, bufferedDestination } = await hostModule<typeof import("../../src/common/log.js")>(spec, "common/log.js");
  const { pino } = await import("pino");
  // The host logs every handshake and request at `info`, as in production.
  const file = spec.logFile ?? "/dev/null";
  const destination = spec.logWrites === "sync" ? pino.destination({ dest: file, sync: true }) : bufferedDestination(file);
  const log = createLogger({ level: "info", destination });
  let catalog;
  if (spec.gatewayConfig) {
    const { loadGateway } = await hostModule<typeof import("../../src/gateway/gateway.js")>(spec, "gateway/gateway.js");
    const { builtinCatalog } = await hostModule<typeof import("../../src/gateway/builtin-tools.js")>(spec, "gateway/builtin-tools.js");
    catalog = await loadGateway(spec.gatewayConfig, builtinCatalog(), log);
  }
  const host = await startHost({
    port: 0,
    identityDir: spec.hostDir!,
    caDir: spec.caDir!,
    ...(spec.crls ? { crlFiles: spec.crls } : {}),
    policy: BENCH_POLICY,
    log,
    ...(catalog ? { catalog } : {}),
    // One bench agent holds 1,000 idle connections and many concurrent callers: no per-identity connection cap.
    limits: { maxSessionsPerIdentity: 1_000, maxConnectionsPerIdentity: 0 },
  });
  process.on("message", (m) => {
    if (m === "stop") void host.close().then(() => process.exit(0));
  });
  return host.port;
}

function tlsOptions(spec: ServerSpec): ServerOptions {
  return {
    cert: readFileSync(spec.chain),
    key: readFileSync(spec.key),
    ca: readFileSync(spec.clientCa),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: "TLSv1.2",
    ...(spec.crls && spec.kind === "https" ? { crl: spec.crls.map((f) => readFileSync(f)) } : {}),
  };
}

function upstreamOf(spec: ServerSpec): { command: string; args: string[] } {
  if (!spec.upstream) throw new Error(`kind ${spec.kind} needs an upstream`);
  return spec.upstream;
}

/** The SDK floors: the SDK's own transport or the minimal one, answering echo or an upstream's tools. */
async function startSdkFloor(spec: ServerSpec): Promise<number> {
  const gateway = spec.kind.endsWith("-gateway");
  const tools = gateway ? await (await import("./floor-sdk-gateway.js")).upstreamTools(upstreamOf(spec)) : (await import("./floor-sdk-server.js")).echoTools;
  if (spec.kind.startsWith("fastify-sdk-min")) return (await import("./floor-sdk-minimal.js")).startFastifySdkMinimal(tlsOptions(spec), tools);
  return (await import("./floor-sdk-server.js")).startFastifySdk(tlsOptions(spec), tools);
}

async function start(spec: ServerSpec): Promise<number> {
  if (spec.kind === "host") return startZtmcpHost(spec);
  process.on("message", (m) => m === "stop" && process.exit(0));
  // Imported only by the kind that needs it: the memory scenario measures what each kind loads.
  if (spec.kind === "fastify-relay") return (await import("./floor-relay.js")).startFastifyRelay(tlsOptions(spec), upstreamOf(spec));
  if (spec.kind.startsWith("fastify-sdk")) return startSdkFloor(spec);
  if (spec.kind === "https") {
    const server = createHttpsServer(tlsOptions(spec), (_req, res) => res.writeHead(204).end());
    server.keepAliveTimeout = 60_000;
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return (server.address() as AddressInfo).port;
  }
  const { default: Fastify } = await import("fastify");
  const app = Fastify({ https: tlsOptions(spec), logger: false, keepAliveTimeout: 60_000 });
  // The yardstick for MCP calls: the same JSON-RPC body in, a tools/call-shaped result out.
  app.post("/rpc", (req) => {
    const body = req.body as { id?: number; params?: { arguments?: { text?: string } } };
    return { jsonrpc: "2.0", id: body.id ?? null, result: { content: [{ type: "text", text: body.params?.arguments?.text ?? "" }] } };
  });
  app.get("/healthz", (_req, reply) => reply.code(204).send());
  await app.listen({ port: 0, host: "127.0.0.1" });
  return (app.server.address() as AddressInfo).port;
}

// Profiles only the steady state (after warm-up), which `node --cpu-prof` cannot: it would be
// dominated by module loading. Same .cpuprofile format. BENCH_HEAP_PROFILE=allocations|survivors
// takes V8's sampling heap profile instead (.heapprofile): "survivors" keeps only what outlived a
// scavenge, i.e. what V8 promotes and a full GC later pays for (how the tsx cost was found).
let profiler: Session | undefined;
const heap = process.env.BENCH_HEAP_PROFILE;
process.on("message", (m: unknown) => {
  const done = (key: string, value: string): void => void process.send?.({ [key]: value });
  if (m === "profile-start") {
    profiler = new Session();
    profiler.connect();
    const session = profiler;
    if (heap) {
      const sampling = { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: heap !== "survivors" };
      session.post("HeapProfiler.enable", () => session.post("HeapProfiler.startSampling", sampling, () => done("profiling", "ok")));
    } else session.post("Profiler.enable", () => session.post("Profiler.start", () => done("profiling", "ok")));
  } else if (typeof m === "object" && m !== null && "profileStopTo" in m) {
    const file = (m as { profileStopTo: string }).profileStopTo;
    const write = (err: Error | null, profile: unknown): void => {
      if (!err) writeFileSync(file, JSON.stringify(profile));
      done("profiled", err ? err.message : "ok");
    };
    if (heap) profiler?.post("HeapProfiler.stopSampling", (err, r) => write(err, r.profile));
    else profiler?.post("Profiler.stop", (err, r) => write(err, r.profile));
  }
});

try {
  process.send?.({ port: await start(JSON.parse(process.argv[2] ?? "{}") as ServerSpec) });
} catch (e) {
  process.send?.({ error: (e as Error).stack ?? String(e) });
  process.exit(1);
}
