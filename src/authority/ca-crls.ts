// The CA's two CRLs as the Authority publishes them: each one's validity (the intermediate's
// capped by the policy, crl-validity.ts), its publication (crl-publisher.ts), both at once for
// `ztmcp crl`, and the republication of one an interrupted command left behind the store.
import { rmSync } from "node:fs";
import { ZtmcpError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import { parseDuration } from "../common/duration.js";
import type { SigningIssuer } from "../pki/certificate.js";
import { DEFAULT_CRL_MAX_VALIDITY, type Policy } from "../policy/policy.js";
import type { CaStore, CrlName } from "../store/store.js";
import type { CaFiles } from "./ca-files.js";
import { publishCrl, type PublishedCrl } from "./crl-publisher.js";
import { crlValidity } from "./crl-validity.js";
import type { SignerSource } from "./signers.js";

export interface CaCrlDeps {
  store: CaStore;
  files: CaFiles;
  signers: SignerSource;
  actor: string;
  log: Logger;
  policy: () => Policy;
  /** The intermediate's signer, loaded once by the Authority. */
  intermediate: () => Promise<SigningIssuer>;
}

export class CaCrls {
  constructor(private readonly d: CaCrlDeps) {}

  publish(crl: CrlName, issuer: SigningIssuer, now: Date, validityMs = this.#validity(crl, issuer, now, undefined)): Promise<PublishedCrl> {
    const { store, files, actor, log } = this.d;
    return publishCrl({ store, files, crl, issuer, now, validityMs, actor, log });
  }

  /**
   * Re-publishes both CRLs (the root's only when its key is here; it may live offline), each with
   * its own validity; both are checked (crl-validity.ts) before either is published.
   */
  async publishBoth(now: Date, options: { validityMs?: number | undefined; rootValidityMs?: number | undefined }): Promise<{ published: PublishedCrl[]; skipped: string[] }> {
    const intermediate = await this.d.intermediate();
    const intermediateMs = this.#validity("intermediate", intermediate, now, options.validityMs);
    const root = this.d.signers.has("root") ? await this.d.signers.load("root") : undefined;
    const rootMs = root && this.#validity("root", root, now, options.rootValidityMs);
    const published: PublishedCrl[] = [];
    const skipped: string[] = [];
    if (root) published.push(await this.publish("root", root, now, rootMs));
    else {
      skipped.push("root");
      this.d.log.warn({ event: "ca.crl", crl: "root", skipped: true, reason: "root key not present" }, "root key offline: root CRL not refreshed");
    }
    published.push(await this.publish("intermediate", intermediate, now, intermediateMs));
    return { published, skipped };
  }

  /**
   * Publishes the CRLs an interrupted command left unfinished (`markers`: its dead temporary files,
   * removed once done), and the intermediate's when a revocation was committed without it. A CRL
   * whose key cannot be loaded now waits for the next command that can.
   */
  async republishUnfinished(unfinished: Map<CrlName, string[]>, now: Date): Promise<void> {
    const state = this.d.store.crlState("intermediate");
    if (state.assigned > state.published && !unfinished.has("intermediate")) unfinished.set("intermediate", []);
    for (const [crl, markers] of unfinished) {
      let issuer: SigningIssuer;
      try {
        issuer = crl === "intermediate" ? await this.d.intermediate() : await this.d.signers.load("root");
      } catch (e) {
        if (!(e instanceof ZtmcpError)) throw e;
        this.d.log.warn({ event: "ca.recover", action: "crl_pending", crl, code: e.code }, `the ${crl} CRL is behind the store; the next command that can use its CA key publishes it`);
        continue;
      }
      this.d.log.warn({ event: "ca.recover", action: "crl_republished", crl }, "publishing a CRL an interrupted command did not finish");
      await this.publish(crl, issuer, now);
      for (const m of markers) rmSync(m, { force: true });
    }
  }

  #validity(crl: CrlName, issuer: SigningIssuer, now: Date, requestedMs: number | undefined): number {
    return crlValidity(crl, { requestedMs, capMs: this.#capMs(requestedMs !== undefined), now, issuerNotAfter: issuer.cert.notAfter });
  }

  /**
   * The intermediate CRL's cap from the policy. An explicit `crl --validity` needs a valid policy;
   * a revocation or recovery must not be blocked by a broken one, and then uses the default cap.
   */
  #capMs(strict: boolean): number {
    try {
      return this.d.policy().crlMaxValidityMs;
    } catch (e) {
      if (strict || !(e instanceof ZtmcpError)) throw e;
      this.d.log.warn({ event: "ca.crl", code: e.code }, "policy unreadable: the intermediate CRL uses the default cap");
      return parseDuration(DEFAULT_CRL_MAX_VALIDITY);
    }
  }
}
