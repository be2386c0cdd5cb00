// A certs directory whose disk is full. As root (CI): a tiny tmpfs mounted on it and filled up,
// a real ENOSPC. Otherwise: a file-size rlimit (`ulimit -f 1` in a bash wrapper) on the CLI
// process, so every write past 1 KiB fails with EFBIG (Node ignores SIGXFSZ), the store's too.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface FullDisk {
  /** "tmpfs" (ENOSPC on the certs dir only) or "ulimit -f" (EFBIG on every file the process writes). */
  method: "tmpfs" | "ulimit -f";
  /** Shell prefix for the CLI under test (empty with tmpfs). */
  wrap: string;
  /** Frees the space (tmpfs) so the next issuance can succeed. */
  free(): void;
  release(): void;
}

export function fillCertsDisk(certsDir: string): FullDisk {
  mkdirSync(certsDir, { recursive: true });
  if (process.getuid?.() === 0) {
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k,mode=0700", "ztmcp-full", certsDir], { stdio: "ignore" });
      const filler = join(certsDir, ".filler");
      try {
        writeFileSync(filler, Buffer.alloc(1024 * 1024)); // more than fits: leaves the disk full
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
      }
      return {
        method: "tmpfs",
        wrap: "",
        free: () => rmSync(filler, { force: true }),
        release: () => execFileSync("umount", [certsDir], { stdio: "ignore" }),
      };
    } catch {
      // no mount permission in this container: fall through to the rlimit
    }
  }
  return { method: "ulimit -f", wrap: "ulimit -f 1;", free: () => undefined, release: () => undefined };
}
