// When to re-read files the host serves from (CRLs, its own identity, the policy): fs.watch on their
// directories, which sees atomic renames and `..data` swaps, debounced because one
// rename-into-place fires several events; and a timer for what a watch misses (a directory
// replaced, a filesystem without events). A watch that cannot start leaves the timer.
import { watch, type FSWatcher } from "node:fs";
import type { Logger } from "./log.js";

export interface WatchTarget {
  dir: string;
  /** Only events for these names count (absent: any name in the directory). */
  names?: readonly string[];
}

export interface ReloadTriggerOptions {
  targets: readonly WatchTarget[];
  settleMs: number;
  /** Re-read on a timer too (absent: on file events only). */
  refreshMs?: number;
  reload: (trigger: "file" | "timer") => void;
  log: Logger;
  /** Event name of the warning when a watch fails, e.g. `crl.watch`. */
  event: string;
}

/** Starts the watches and the timer; returns what stops them. */
export function startReloadTriggers(o: ReloadTriggerOptions): () => void {
  const watchers: FSWatcher[] = [];
  let debounce: NodeJS.Timeout | undefined;
  const settled = (): void => {
    clearTimeout(debounce);
    debounce = setTimeout(() => o.reload("file"), o.settleMs);
    debounce.unref();
  };
  for (const { dir, names } of o.targets) {
    try {
      const w = watch(dir, (_type, name) => {
        if (names === undefined || name === null || names.includes(name)) settled();
      });
      w.on("error", (e) => o.log.warn({ event: o.event, dir, err: e.message }, "directory watch failed; timer reload only"));
      watchers.push(w);
    } catch (e) {
      o.log.warn({ event: o.event, dir, err: (e as Error).message }, "cannot watch directory; timer reload only");
    }
  }
  const timer = o.refreshMs === undefined ? undefined : setInterval(() => o.reload("timer"), o.refreshMs);
  timer?.unref();
  return () => {
    for (const w of watchers) w.close();
    clearInterval(timer);
    clearTimeout(debounce);
  };
}
