// Small measurement primitives shared by the scenarios: percentiles, wall-clock timing, and
// another process's CPU time read from /proc (so a busy neighbour on the machine does not count).
import { readFileSync, readdirSync } from "node:fs";
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

/** The fields of /proc/<pid>/stat after the command name, or undefined once the process is gone. */
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name may contain spaces: fields start after the last ")". fields[0] is field 3.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/**
 * CPU seconds of a process (all its live threads): the nanoseconds each thread has run, from
 * /proc/<pid>/task/<tid>/schedstat. /proc/<pid>/stat's utime+stime count 10 ms ticks, too coarse
 * for a round of a few hundred milliseconds (a 35 µs call × 2,000 calls is 7 ticks). Falls back
 * to stat where schedstat is missing.
 */
export function processCpuSeconds(pid: number): number {
  let ns = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    throw new Error(`process ${pid} is gone`);
  }
  for (const tid of tasks) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      return tickCpuSeconds(pid);
    }
  }
  return ns / 1e9;
}

function tickCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  if (!fields) throw new Error(`process ${pid} is gone`);
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime (fields 14, 15)
}

/** Every live descendant of a process (children, their children, …), from the ppid in /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(statFields(Number(entry))?.[1]); // field 4
    if (!Number.isFinite(ppid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = children.get(queue.shift()!) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}

/**
 * CPU seconds of a process and all its descendants (a gateway and its upstream servers): each
 * one's own (processCpuSeconds), plus cutime+cstime (children it already reaped), so a child that
 * exits between two readings still counts (it moves into its parent's cutime).
 */
export function processTreeCpuSeconds(pid: number): number {
  let seconds = 0;
  for (const p of [pid, ...descendants(pid)]) {
    const f = statFields(p);
    if (!f) continue;
    // Live threads precisely (schedstat); reaped children in ticks (only stat has them).
    seconds += (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND;
    try {
      seconds += processCpuSeconds(p);
    } catch {
      // gone between the listing and now: its time moves to its parent's cutime
    }
  }
  return seconds;
}

/** Resident set size of a process in bytes. */
export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/** True when FULL=1: longer, steadier runs. */
export const FULL = process.env.FULL === "1" || process.env.FULL === "true";
