// Where the host's CRLs come from: the CA directory's files (the host beside the CA), or the
// online CA (`caUrl`): fetched into the host's own state directory and then read like any CRL
// file, so both paths pass the same checks (signature, issuer, never backwards, stale → closed).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../common/log.js";
import { CrlFetcher } from "./crl-fetch.js";

export interface CrlSourceOptions {
  caDir: string;
  /** Explicit files: [root CRL, intermediate CRL(s)]. */
  crlFiles?: string[];
  /** The online CA's base URL (https://ca:9443): CRLs from its /crl/root and /crl/intermediate. */
  caUrl?: string;
  stateDir: string;
  /** PEM of our root: what the CA's TLS certificate and the root CRL must chain to. */
  trust: string;
  /** PEM of the intermediate(s) in the host's chain: what the intermediate CRL must be signed by. */
  intermediates: readonly string[];
  fetchIntervalMs?: number;
  onFetched: () => void;
  log: Logger;
}

export interface CrlSources {
  files: string[];
  fetcher?: CrlFetcher;
  close(): Promise<void>;
}

export async function crlSources(o: CrlSourceOptions): Promise<CrlSources> {
  if (o.caUrl === undefined) {
    return { files: o.crlFiles ?? [join(o.caDir, "root.crl.pem"), join(o.caDir, "intermediate.crl.pem")], close: () => Promise.resolve() };
  }
  const base = o.caUrl.replace(/\/+$/, "");
  mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  const files = [join(o.stateDir, "fetched-root.crl.pem"), join(o.stateDir, "fetched-intermediate.crl.pem")];
  // Loaded only here: a host reading CRL files never loads undici (~20 MB).
  const { createTlsFetch } = await import("../../tls-files/mtls-fetch.js");
  const tls = createTlsFetch({ ca: o.trust }, { connections: 1 });
  const fetcher = new CrlFetcher({
    targets: [
      { url: `${base}/crl/root`, path: files[0]!, issuers: [o.trust] },
      { url: `${base}/crl/intermediate`, path: files[1]!, issuers: o.intermediates },
    ],
    fetch: tls.fetch,
    intervalMs: o.fetchIntervalMs,
    onChange: o.onFetched,
    log: o.log,
  });
  // The first round before the revocation list starts: a host that cannot reach the CA starts
  // only from CRLs it fetched before (or kept in its state), never from none.
  await fetcher.poll({ notify: false });
  return {
    files,
    fetcher,
    close: async () => {
      fetcher.stop();
      await tls.close();
    },
  };
}
