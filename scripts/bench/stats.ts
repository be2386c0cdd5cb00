// Small measurement primitives shared by the scenarios: percentiles, wall-clock timing, and
// another process's CPU time read from /proc (so a busy neighbour on the machine does not count).
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** Milliseconds taken by fn. */
export async function timeMs(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** user+system CPU seconds of a process (all its threads), from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name may contain spaces: fields start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime (fields 14, 15)
}

/** Resident set size of a process in bytes. */
export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** True when FULL=1: longer, steadier runs. */
export const FULL = process.env.FULL === "1" || process.env.FULL === "true";
