// CRLs from the online CA (`serve --ca-url`): a conditional GET of /crl/root and
// /crl/intermediate on a short interval (a 304 costs the CA almost nothing), each answer checked
// against the CA certificate it belongs to before it replaces the file the revocation list
// reads, so garbage or another CA's CRL never reaches the disk. The revocation list then applies
// the same checks as for any CRL file (signature, issuer, never backwards, stale → fail closed).
import { writeFileAtomic } from "../../tls-files/atomic-file.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { crlToPem, parseCrl, verifyCrl } from "../../pki/crl.js";
import type { Logger } from "../../common/log.js";
import { backoffDelay } from "../../common/backoff.js";

export interface CrlFetchTarget {
  url: string;
  /** The PEM file the revocation list reads for this CRL. */
  path: string;
  /** PEM certificates this CRL may be signed by. */
  issuers: readonly string[];
}

export interface CrlFetchOptions {
  targets: readonly CrlFetchTarget[];
  fetch: FetchLike;
  /** Poll interval while the CA answers (default 2 s: revocation reaches every host within ~2 s). */
  intervalMs?: number;
  /** After a failure, retry sooner than the CRL goes stale, but back off (default 1 s → 30 s). */
  retry?: { baseMs: number; maxMs: number };
  /** Called after any CRL file was replaced: reload the revocation list. */
  onChange: () => void;
  log: Logger;
}

type Outcome = "unchanged" | "updated" | "rejected" | "unreachable";

export class CrlFetcher {
  #etags = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #stopped = false;
  /** Last outcome per URL, so a CA that stays down is logged once, not every poll. */
  #last = new Map<string, Outcome>();

  constructor(private readonly o: CrlFetchOptions) {}

  /** One round over every target; true when every CRL was fetched (changed or not) and accepted. */
  async poll(): Promise<boolean> {
    let changed = false;
    let ok = true;
    for (const target of this.o.targets) {
      const outcome = await this.#fetchOne(target);
      if (outcome === "updated") changed = true;
      if (outcome === "rejected" || outcome === "unreachable") ok = false;
    }
    if (changed) this.o.onChange();
    return ok;
  }

  start(): void {
    const next = (ok: boolean): void => {
      if (this.#stopped) return;
      this.#failures = ok ? 0 : this.#failures + 1;
      const delay = ok ? (this.o.intervalMs ?? 2_000) : backoffDelay(this.#failures - 1, this.o.retry ?? { baseMs: 1_000, maxMs: 30_000 }, Math.random);
      this.#timer = setTimeout(() => void this.poll().then(next, () => next(false)), delay);
      this.#timer.unref();
    };
    next(true);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #fetchOne(t: CrlFetchTarget): Promise<Outcome> {
    const etag = this.#etags.get(t.url);
    let der: Buffer;
    try {
      const res = await this.o.fetch(t.url, { headers: etag === undefined ? {} : { "if-none-match": etag }, signal: AbortSignal.timeout(10_000) });
      if (res.status === 304) return this.#note(t, "unchanged");
      if (res.status !== 200) return this.#note(t, "unreachable", `HTTP ${String(res.status)}`);
      der = Buffer.from(await res.arrayBuffer());
      const tag = res.headers.get("etag");
      if (tag !== null) this.#etags.set(t.url, tag);
    } catch (e) {
      return this.#note(t, "unreachable", (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message);
    }
    try {
      const crl = parseCrl(der);
      if (!t.issuers.some((issuer) => verifiesSafely(crl, issuer))) throw new Error("not signed by the CA certificate this CRL belongs to");
    } catch (e) {
      // Forget the ETag: the next poll fetches again instead of trusting a 304 for a bad body.
      this.#etags.delete(t.url);
      return this.#note(t, "rejected", (e as Error).message);
    }
    writeFileAtomic(t.path, crlToPem(der));
    return this.#note(t, "updated");
  }

  #note(t: CrlFetchTarget, outcome: Outcome, err?: string): Outcome {
    const previous = this.#last.get(t.url);
    this.#last.set(t.url, outcome);
    if (outcome === "rejected") this.o.log.warn({ event: "crl.fetch", url: t.url, outcome, err }, "fetched CRL refused; keeping the last good one");
    else if (outcome === "unreachable" && previous !== "unreachable") this.o.log.warn({ event: "crl.fetch", url: t.url, outcome, err }, "cannot fetch the CRL from the CA; retrying");
    else if (outcome === "updated") this.o.log.info({ event: "crl.fetch", url: t.url, outcome, path: t.path }, "new CRL fetched from the CA");
    else if (previous === "unreachable") this.o.log.info({ event: "crl.fetch", url: t.url, outcome: "recovered" }, "the CA answers again");
    return outcome;
  }
}

function verifiesSafely(crl: ReturnType<typeof parseCrl>, issuer: string): boolean {
  try {
    return verifyCrl(crl, issuer);
  } catch {
    return false;
  }
}
