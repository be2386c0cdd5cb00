// Servers under test run in their own process, so their CPU time can be read from /proc
// without counting the load generator (or another tenant of this machine).
import { fork, spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { once } from "node:events";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { descendants, processCpuSeconds, processRssBytes, processTreeCpuSeconds } from "./stats.js";
import type { ServerSpec } from "./server-child.js";

export interface ServerProcess {
  name: string;
  pid: number;
  port: number;
  cpuSeconds(): number;
  /** The process and its descendants (a gateway and the upstream servers it spawned). */
  treeCpuSeconds(): number;
  rssBytes(): number;
  stop(): Promise<void>;
  /** Node children only: CPU profile of what runs between the two calls. */
  startProfile(): Promise<void>;
  stopProfile(file: string): Promise<void>;
}

const CHILD = fileURLToPath(new URL("./server-child.ts", import.meta.url));

function reply(child: ChildProcess, message: unknown, key: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!child.connected) {
      reject(new Error("not a Node child"));
      return;
    }
    const onMessage = (m: Record<string, unknown>): void => {
      if (!(key in m)) return;
      child.off("message", onMessage);
      resolve();
    };
    child.on("message", onMessage);
    child.send(message as string);
  });
}

function handle(name: string, child: ChildProcess, port: number): ServerProcess {
  const pid = child.pid!;
  return {
    startProfile: () => reply(child, "profile-start", "profiling"),
    stopProfile: (file) => reply(child, { profileStopTo: file }, "profiled"),
    name,
    pid,
    port,
    cpuSeconds: () => processCpuSeconds(pid),
    treeCpuSeconds: () => processTreeCpuSeconds(pid),
    rssBytes: () => processRssBytes(pid),
    /** Asks a Node child to exit (so --cpu-prof can write its profile), SIGKILL after 5 s; then
     * SIGKILLs whatever it spawned that is still there (peers spawn upstreams in their own group). */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const spawned = descendants(pid);
      const exited = once(child, "exit");
      if (child.connected) child.send("stop");
      else child.kill("SIGKILL");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
      for (const p of spawned) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
  };
}

/** Starts a Node server (see server-child.ts) and waits for it to report its port. */
export async function startNodeServer(name: string, spec: ServerSpec, nodeArgs: string[] = []): Promise<ServerProcess> {
  const child = fork(CHILD, [JSON.stringify(spec)], { execArgv: ["--import", "tsx", ...nodeArgs], stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const ready = new Promise<number>((resolve, reject) => {
    child.once("message", (m: { port?: number; error?: string }) => (m.port ? resolve(m.port) : reject(new Error(m.error ?? "no port"))));
    child.once("exit", (code) => reject(new Error(`${name} exited (${code ?? "signal"}) before listening`)));
  });
  return handle(name, child, await ready);
}

export async function freePort(): Promise<number> {
  const s = createServer().listen(0, "127.0.0.1");
  await once(s, "listening");
  const { port } = s.address() as { port: number };
  s.close();
  await once(s, "close");
  return port;
}

export interface NginxTls {
  chain: string;
  key: string;
  clientCa: string;
  /** PEM file holding every CRL of the chain (nginx checks the whole chain once ssl_crl is set). */
  crl?: string;
}

/** nginx as one foreground process (no master), `ssl_verify_client on`, answering 204. */
export async function startNginx(name: string, dir: string, tls: NginxTls): Promise<ServerProcess> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = join(dir, "nginx.conf");
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${join(dir, t)};`).join(" ");
  writeFileSync(
    config,
    `daemon off; master_process off; worker_processes 1; pid ${join(dir, "nginx.pid")}; error_log stderr crit;
events { worker_connections 4096; }
http {
  access_log off; ${temp}
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${tls.chain}; ssl_certificate_key ${tls.key};
    ssl_client_certificate ${tls.clientCa}; ssl_verify_client on; ssl_verify_depth 2;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets off; ssl_session_cache off;
    ${tls.crl ? `ssl_crl ${tls.crl};` : ""}
    location / { return 204; }
  }
}
`,
  );
  return startProcess(name, "nginx", ["-c", config, "-p", dir], port);
}

/** Any other server under test (nginx, the npm gateways): a command that listens on `port`. */
export async function startProcess(name: string, command: string, args: string[], port: number): Promise<ServerProcess> {
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "inherit"] });
  await waitForPort(name, port, child);
  return handle(name, child, port);
}

async function waitForPort(name: string, port: number, child: ChildProcess): Promise<void> {
  const { connect } = await import("node:net");
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100)); // no readiness signal; bounded at 20 s
  }
  throw new Error(`${name} did not start listening`);
}
