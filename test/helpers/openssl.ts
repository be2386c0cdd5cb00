// Runs the real openssl binary as an interop peer.
import { spawnSync } from "node:child_process";

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function openssl(args: string[], input?: string | Buffer): Run {
  const r = spawnSync("openssl", args, { input, encoding: "utf8", timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
