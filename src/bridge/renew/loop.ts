// The renewal loop shared by `ztmcp renew --daemon` and the host (in-process, `startRenewal`):
// renew at 2/3 of the certificate's lifetime ±5% jitter; when the CA does not answer, retry with
// exponential backoff and full jitter; keep the old certificate in place until a new one is
// written; from 90% of the lifetime on, every failure is a warning.
import { backoffDelay, type Backoff } from "../../common/backoff.js";
import { ZtmcpError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import { readCurrentIdentity } from "./identity-files.js";
import { caUrlFor, renewOnce, type Renewed } from "./renew-once.js";

export const RENEW_AT = 2 / 3;
export const JITTER = 0.05;
export const WARN_AT = 0.9;
export const DEFAULT_BACKOFF: Backoff = { baseMs: 1_000, maxMs: 5 * 60_000 };

/** start + lifetime·(2/3 ± 5%), `random` in [0, 1); `start` is when the certificate arrived (identity-files.ts). */
export function renewalTime(start: Date, notAfter: Date, random: () => number = Math.random): Date {
  const life = notAfter.getTime() - start.getTime();
  return new Date(start.getTime() + life * (RENEW_AT + (random() * 2 - 1) * JITTER));
}

/** Never sooner than this after a failure: a hot loop against a CA that is down helps no one. */
const MIN_RETRY_MS = 250;

/**
 * The wait after a failed renewal: exponential backoff with full jitter, but while the CA is
 * unreachable (or overloaded) and the certificate still valid, never past half of what is left of
 * it, so a short-lived certificate retries in time. Once it has expired, or the CA refused it for
 * good (revoked, unknown, foreign), hurrying changes nothing: plain backoff.
 */
export function retryDelay(f: { failures: number; leftMs: number; transient: boolean }, backoff: Backoff, random: () => number): number {
  const delay = backoffDelay(f.failures - 1, backoff, random);
  return f.transient && f.leftMs > 0 ? Math.min(delay, Math.max(f.leftMs / 2, MIN_RETRY_MS)) : delay;
}

/** The CA did not answer, or answered that it cannot now (429, 5xx): worth retrying soon. */
function transient(e: unknown): boolean {
  if (!(e instanceof ZtmcpError)) return true;
  if (e.code === "CA_UNREACHABLE") return true;
  const status = (e.details as { status?: unknown } | undefined)?.status;
  return e.code === "CA_REFUSED" && typeof status === "number" && (status === 429 || status >= 500);
}

export interface RenewalOptions {
  identityDir: string;
  /** Default: the identity's ca-url file. */
  caUrl?: string | undefined;
  log: Logger;
  /** After each renewal, once the new files are in place (reload, hook). */
  onRenewed?: (r: Renewed) => void | Promise<void>;
  backoff?: Backoff;
  random?: () => number;
  now?: () => Date;
}

export interface Renewal {
  /** When the next attempt is due. */
  readonly next: Date;
  stop(): void;
}

export function startRenewal(o: RenewalOptions): Renewal {
  const caUrl = caUrlFor(o.identityDir, o.caUrl);
  const now = o.now ?? (() => new Date());
  const random = o.random ?? Math.random;
  const backoff = o.backoff ?? DEFAULT_BACKOFF;
  const log = o.log.child({ identity: o.identityDir });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failures = 0;
  let next = now();

  const at = (when: Date): void => {
    if (stopped) return;
    next = when;
    timer = setTimeout(() => void attempt(), Math.min(Math.max(0, when.getTime() - now().getTime()), 2 ** 31 - 1));
  };

  const plan = (): void => {
    const id = readCurrentIdentity(o.identityDir);
    const when = renewalTime(id.start, id.notAfter, random);
    log.info({ event: "renew.scheduled", serial: id.cert.serialNumber, notAfter: id.notAfter.toISOString(), at: when.toISOString() }, "next renewal scheduled");
    at(when);
  };

  const attempt = async (): Promise<void> => {
    if (stopped) return;
    let id;
    try {
      id = readCurrentIdentity(o.identityDir);
    } catch (e) {
      failures++;
      const delay = backoffDelay(failures - 1, backoff, random);
      log.error({ event: "renew.failed", code: e instanceof ZtmcpError ? e.code : "INTERNAL", err: (e as Error).message, retryInMs: delay }, "cannot read the identity to renew");
      at(new Date(now().getTime() + delay));
      return;
    }
    // A timer that fires before the renewal time (clock steps, the 2^31 ms cap) re-plans instead.
    const due = renewalTime(id.start, id.notAfter, () => 0);
    if (failures === 0 && now() < due) {
      at(due);
      return;
    }
    try {
      const r = await renewOnce(o.identityDir, caUrl, now);
      failures = 0;
      log.info({ event: "renew.renewed", serial: r.serial, previous: r.previous, notAfter: r.notAfter.toISOString() }, "certificate renewed");
      try {
        await o.onRenewed?.(r);
      } catch (e) {
        log.error({ event: "renew.hook_failed", err: (e as Error).message }, "the after-renewal hook failed");
      }
      plan();
    } catch (e) {
      failures++;
      const left = id.notAfter.getTime() - now().getTime();
      const life = id.notAfter.getTime() - id.start.getTime();
      const delay = retryDelay({ failures, leftMs: left, transient: transient(e) }, backoff, random);
      const code = e instanceof ZtmcpError ? e.code : "INTERNAL";
      const fields = { event: "renew.failed", code, err: (e as Error).message, attempt: failures, retryInMs: delay, notAfter: id.notAfter.toISOString(), secondsLeft: Math.round(left / 1000) };
      if (left <= 0) log.error({ ...fields, event: "renew.expired" }, "the certificate has expired and could not be renewed: enroll again");
      else if (now().getTime() >= id.start.getTime() + life * WARN_AT) log.warn({ ...fields, event: "renew.expiring" }, "the certificate expires soon and renewal keeps failing");
      else log.warn(fields, "renewal failed; retrying");
      at(new Date(now().getTime() + delay));
    }
  };

  plan();
  return {
    get next() {
      return next;
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
