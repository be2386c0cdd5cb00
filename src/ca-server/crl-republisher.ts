// Keeps the CRLs fresh while `ca serve` runs: each is re-published half-way through its validity
// (thisUpdate + (nextUpdate - thisUpdate) / 2), long before a host would have to fail closed.
// The root CRL only while its key is here; with the root offline that is the operator's job.
import type { Logger } from "../common/log.js";
import type { Authority } from "../authority/authority.js";
import { republishAt, type CrlCache } from "./crl-cache.js";

export function startCrlRepublisher(o: { authority: Authority; crls: CrlCache; validityMs: number; log: Logger; now: () => Date }): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const due = (): number => {
    // An offline root's CRL cannot be refreshed here: it must not make this loop spin.
    const names = o.authority.files.hasKey("root") ? (["root", "intermediate"] as const) : (["intermediate"] as const);
    const times = names.flatMap((c) => {
      const crl = o.crls.get(c);
      const at = crl && republishAt(crl);
      return at ? [at.getTime()] : [];
    });
    return times.length > 0 ? Math.min(...times) : o.now().getTime();
  };
  const schedule = (delayMs?: number): void => {
    if (stopped) return;
    const wait = delayMs ?? Math.max(0, due() - o.now().getTime());
    timer = setTimeout(() => void tick(), Math.min(wait, 2 ** 31 - 1));
    timer.unref();
  };
  const tick = async (): Promise<void> => {
    if (stopped) return;
    if (due() > o.now().getTime()) {
      schedule();
      return;
    }
    try {
      await o.authority.publishCrls({ validityMs: o.validityMs });
      schedule();
    } catch (e) {
      o.log.error({ event: "ca.crl", action: "republish_failed", err: (e as Error).message }, "could not re-publish the CRLs; retrying in 30 s");
      schedule(30_000);
    }
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
