// RFC 5280 5.3.1 reason codes we accept (certificateHold is left out: a revocation here is final).
import { ZtmcpError } from "../common/errors.js";

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

export function parseReason(text: string): RevocationReason {
  if (Object.hasOwn(REVOCATION_REASONS, text)) return text as RevocationReason;
  throw new ZtmcpError("BAD_REASON", `unknown revocation reason "${text}" (one of ${Object.keys(REVOCATION_REASONS).join(", ")})`);
}
