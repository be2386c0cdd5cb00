// Runs the real CLI in a child process (through tsx, so tests never see a stale build).
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

export const NOBODY = 65534;
let readableRoot: string | undefined;

/**
 * The checkout as another user sees it: ROOT when that user can read it, else a copy in a
 * world-readable temp dir (hard links where the filesystem allows), removed at exit. A clone
 * under a 0700 home cannot be read by `nobody`, whom the permission tests run the CLI as.
 */
export function rootReadableBy(uid: number): string {
  if (readableRoot !== undefined) return readableRoot;
  const probe = spawnSync(process.execPath, ["-e", "require('fs').accessSync(process.argv[1])", join(ROOT, "node_modules", "tsx", "package.json")], { uid, gid: uid });
  if (probe.status === 0) return (readableRoot = ROOT);
  const copy = mkdtempSync(join(tmpdir(), "ztmcp-readable-"));
  chmodSync(copy, 0o755);
  for (const entry of ["package.json", "tsconfig.json", "src", "node_modules"]) {
    const linked = spawnSync("cp", ["-al", join(ROOT, entry), copy]);
    if (linked.status !== 0 && spawnSync("cp", ["-a", join(ROOT, entry), copy]).status !== 0) throw new Error(`cannot copy ${entry} for uid ${String(uid)}`);
  }
  process.once("exit", () => rmSync(copy, { recursive: true, force: true }));
  return (readableRoot = copy);
}

/** The same, asynchronously: for runs started at once; with `uid`, as that user (from a tree it can read). */
export function ztmcpAsync(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const { uid, gid } = options;
    const root = uid === undefined ? ROOT : rootReadableBy(uid);
    const nodeArgs = ["--import", "tsx", join(root, "src", "cli", "bin.ts")];
    const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, ...(uid === undefined ? {} : { uid }), ...(gid === undefined ? {} : { gid }) });
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
