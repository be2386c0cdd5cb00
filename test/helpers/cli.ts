// Runs the real CLI in a child process (through tsx, so tests never see a stale build).
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = fileURLToPath(new URL("../../src/cli/bin.ts", import.meta.url));
export const NODE_ARGS = ["--import", "tsx", BIN];

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function ztmcp(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): CliRun {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ZTMCP_LOG_LEVEL: "info", ...options.env },
    input: options.input,
    encoding: "utf8",
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The same, asynchronously: for runs started at once. */
export function ztmcpAsync(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const { uid, gid } = options;
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, ...(uid === undefined ? {} : { uid }), ...(gid === undefined ? {} : { gid }) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** pino lines from a run's stderr, parsed. */
export function logEvents(stderr: string): Record<string, unknown>[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
