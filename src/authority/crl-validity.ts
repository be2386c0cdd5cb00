// How long a CRL may be valid. A long-lived intermediate CRL hides a revocation from anyone
// caching it for that long, so it is capped (7d, or the policy's crlMaxValidity up to 30d); the
// root CRL, refreshed by hand while its key is offline, may live up to a year. Neither outlives
// the CA that signs it.
import { formatDuration } from "../common/duration.js";
import { ZtmcpError } from "../common/errors.js";
import type { CrlName } from "../store/store.js";

const DAY = 86_400_000;
/** Used by revoke, recovery and `crl` without --validity / --root-validity. */
export const DEFAULT_CRL_VALIDITY_MS = 7 * DAY;
export const ROOT_CRL_MAX_VALIDITY_MS = 365 * DAY;

/**
 * The validity of the next `crl` CRL. Without a request: the default, shortened to the cap and to
 * the issuer's notAfter. A request above either is CRL_VALIDITY_TOO_LONG.
 */
export function crlValidity(crl: CrlName, o: { requestedMs: number | undefined; capMs: number; now: Date; issuerNotAfter: Date }): number {
  const cap = crl === "root" ? ROOT_CRL_MAX_VALIDITY_MS : o.capMs;
  const untilIssuerExpires = o.issuerNotAfter.getTime() - o.now.getTime();
  if (o.requestedMs === undefined) return Math.max(1000, Math.min(DEFAULT_CRL_VALIDITY_MS, cap, untilIssuerExpires));
  const option = crl === "root" ? "--root-validity" : "--validity";
  if (o.requestedMs > cap) {
    const why = crl === "root" ? "the root CRL's maximum" : "the intermediate CRL's cap (the policy's crlMaxValidity, default 7d, at most 30d)";
    throw new ZtmcpError("CRL_VALIDITY_TOO_LONG", `${option} ${formatDuration(o.requestedMs)} is above ${why}: ${formatDuration(cap)}`, { crl, maxMs: cap });
  }
  if (o.requestedMs > untilIssuerExpires) {
    throw new ZtmcpError("CRL_VALIDITY_TOO_LONG", `${option} ${formatDuration(o.requestedMs)} would outlive the ${crl} CA (until ${o.issuerNotAfter.toISOString()})`, { crl, maxMs: untilIssuerExpires });
  }
  return o.requestedMs;
}
