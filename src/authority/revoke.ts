// A revocation: a serial, or every valid certificate of a name, recorded in the store (the
// commit point), then the intermediate CRL published. A crash between the two is repaired when
// the CA is next opened (ca-crls.ts republishUnfinished); the failpoint lets the fault tests land there.
import { ZtmcpError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import type { SigningIssuer } from "../pki/certificate.js";
import { parseReason, type RevocationReason } from "../pki/revocation-reason.js";
import { statusOf, type CaStore } from "../store/store.js";
import type { CaCrls } from "./ca-crls.js";
import { viewOf, type CertView } from "./cert-view.js";
import type { PublishedCrl } from "./crl-publisher.js";
import { failpoint } from "./failpoint.js";
import type { Inventory } from "./inventory.js";

export interface RevokeResult {
  revoked: CertView[];
  crl: PublishedCrl;
}

export interface RevokeDeps {
  store: CaStore;
  inventory: Inventory;
  crls: CaCrls;
  actor: string;
  log: Logger;
  now: Date;
  intermediate: () => Promise<SigningIssuer>;
}

/** `invalidityDate`: when the key was (suspected) compromised; not after the revocation itself. */
export async function revokeTarget(d: RevokeDeps, target: string, reason: RevocationReason, options: { invalidityDate?: Date | undefined }): Promise<RevokeResult> {
  parseReason(reason);
  const { now } = d;
  const { invalidityDate } = options;
  if (invalidityDate && invalidityDate.getTime() > now.getTime()) {
    throw new ZtmcpError("BAD_INVALIDITY_DATE", `the invalidity date ${invalidityDate.toISOString()} is after the revocation (${now.toISOString()})`);
  }
  const { by, records } = d.inventory.resolve(target);
  const chosen = by === "serial" ? records : records.filter((r) => statusOf(r, now) === "valid");
  if (chosen.length === 0 || chosen.some((r) => r.revokedAt)) {
    if (records.some((r) => r.revokedAt)) throw new ZtmcpError("ALREADY_REVOKED", `"${target}" is already revoked; the CRL is unchanged`);
    throw new ZtmcpError("NOTHING_TO_REVOKE", `"${target}" has no valid certificate to revoke (expired)`);
  }
  // Load the signing key before the commit: a wrong passphrase must change nothing.
  const issuer = await d.intermediate();
  const serials = chosen.map((r) => r.serial);
  const details = { target, reason, ...(invalidityDate ? { invalidityDate: invalidityDate.toISOString() } : {}) };
  d.store.revoke(serials, now, reason, { action: "ca.revoke", actor: d.actor, serial: serials.join(","), subject: chosen[0]?.subject, details }, invalidityDate);
  failpoint("revoke.recorded");
  const revoked = serials.map((s) => viewOf(d.store.findBySerial(s)!, now));
  for (const r of revoked) {
    d.log.info(
      { event: "ca.revoke", actor: d.actor, serial: r.serial, subject: r.subject, spiffeId: r.spiffeId, roles: r.roles, reason, revokedAt: r.revokedAt, invalidityDate: r.invalidityDate, notBefore: r.notBefore, notAfter: r.notAfter },
      "revoked a certificate",
    );
  }
  const crl = await d.crls.publish("intermediate", issuer, now);
  return { revoked, crl };
}
