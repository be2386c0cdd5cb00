// RFC 5280 5.3.1 reason codes, and which of them a leaf may be revoked for. cACompromise and
// aACompromise describe a CA's or an attribute authority's key; certificateHold is not final
// (a revocation here is) and removeFromCRL only exists in delta CRLs: all refused for a leaf.
import { ZtmcpError } from "../common/errors.js";

/** Every code a stored revocation may carry (older releases accepted cACompromise for leaves). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export const LEAF_REASONS = ["unspecified", "keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation", "privilegeWithdrawn"] as const satisfies readonly RevocationReason[];

const NOT_FOR_LEAVES: Record<string, string> = {
  cACompromise: "cACompromise is for a CA's key; for a compromised agent or host key use keyCompromise",
  aACompromise: "aACompromise is for an attribute authority's key; for a compromised agent or host key use keyCompromise",
  certificateHold: "certificateHold is a suspension; a ztmcp revocation is final",
  removeFromCRL: "removeFromCRL only appears in delta CRLs",
};

export function parseReason(text: string): RevocationReason {
  if ((LEAF_REASONS as readonly string[]).includes(text)) return text as RevocationReason;
  const why = Object.hasOwn(NOT_FOR_LEAVES, text) ? NOT_FOR_LEAVES[text]! : `unknown revocation reason "${text}"`;
  throw new ZtmcpError("BAD_REASON", `${why} (one of ${LEAF_REASONS.join(", ")})`);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An invalidity date (RFC 5280 5.3.2) as ISO 8601: a date (midnight UTC) or a date and time with
 * a zone (`Z` or `±hh:mm`); a time without a zone would depend on the operator's machine.
 * Whole seconds: the CRL writes GeneralizedTime without fractions.
 */
export function parseInvalidityDate(text: string): Date {
  const m = ISO_DATE.exec(text);
  const bad = () => new ZtmcpError("BAD_INVALIDITY_DATE", `not an ISO 8601 date: ${JSON.stringify(text)} (e.g. 2026-03-01 or 2026-03-01T09:30:00Z)`);
  if (!m || (m[4] !== undefined && m[7] === undefined)) throw bad();
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? "0", m[5] ?? "0", m[6] ?? "0"].map(Number) as [number, number, number, number, number, number];
  const utc = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 2026-02-30 over into March: refuse anything that does not read back unchanged.
  if (utc.getUTCFullYear() !== y || utc.getUTCMonth() !== mo - 1 || utc.getUTCDate() !== d || utc.getUTCHours() !== h || utc.getUTCMinutes() !== mi || utc.getUTCSeconds() !== s) throw bad();
  const zone = m[7] ?? "Z";
  const offsetMinutes = zone === "Z" ? 0 : (zone.startsWith("-") ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return new Date(utc.getTime() - offsetMinutes * 60_000);
}
