// The CA as a service object: issue, list, show, revoke, publish CRLs. The CLI is a thin layer
// over it; benchmarks and tests call it in process. `Authority.open` recovers from any crash of
// an earlier command (see recovery.ts) before it returns. It holds what every operation shares
// (the store, the signers, the policy, the recovery state); the steps live beside it
// (issue-request, sign-leaf, commit-issued, revoke, ca-crls, crl-publisher, crl-validity, tokens,
// enroll, renew).
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../common/log.js";
import type { SigningIssuer } from "../pki/certificate.js";
import { parseReason, type RevocationReason } from "../pki/revocation-reason.js";
import { randomSerial } from "../pki/serial.js";
import { loadPolicy, type Policy } from "../policy/policy.js";
import { openStore } from "../store/open.js";
import type { CaSettings, CaStore, CrlName } from "../store/store.js";
import { osActor } from "./actor.js";
import { CaFiles } from "./ca-files.js";
import { CertDirs } from "../tls-files/cert-dir.js";
import type { CertView, Issued } from "./cert-view.js";
import { PUBLISHING_MARKER, type PublishedCrl } from "./crl-publisher.js";
import { CaCrls } from "./ca-crls.js";
import { Inventory } from "./inventory.js";
import { INIT_LOCK, initCa, type InitOptions, type InitResult } from "./init.js";
import { checkAgentRequest, checkHostRequest, type AgentIssueRequest, type CommonIssueRequest, type HostIssueRequest } from "./issue-request.js";
import { pemSigners, type SignerSource } from "./signers.js";
import { deadTempFiles, reconcileCertsDir } from "./recovery.js";
import { signLeaf, type ExternalKey, type Leaf } from "./sign-leaf.js";
import { revokeTarget, type RevokeResult } from "./revoke.js";

export type { CertView, Issued } from "./cert-view.js";
export type { AgentIssueRequest, HostIssueRequest } from "./issue-request.js";
export type { RevokeResult } from "./revoke.js";
export type { ExternalKey } from "./sign-leaf.js";

export interface AuthorityOptions {
  caDir: string;
  certsDir: string;
  /** Defaults to `<caDir>/policy.json`. */
  policyPath?: string | undefined;
  passphrase?: string | undefined;
  log: Logger;
  /** Recorded as who did it; defaults to the OS user. */
  actor?: string | undefined;
  /** The clock; tests move it. */
  now?: () => Date;
  /** Serial generator; tests force collisions with it. */
  serials?: () => string;
  /** The CA's state; defaults to the SQLite store in `<caDir>/ca.db` (see store/open.ts). */
  store?: CaStore;
  /** Who signs; defaults to the PEM keys in caDir, decrypted with `passphrase`. */
  signers?: SignerSource;
}

export { parseReason };

export class Authority {
  readonly files: CaFiles;
  readonly dirs: CertDirs;
  private readonly actor: string;
  private readonly now: () => Date;
  private readonly serials: () => string;
  private policyValue: Policy | undefined;
  private intermediateValue: SigningIssuer | undefined;
  private readonly signers: SignerSource;
  private caPemValue: string | undefined;
  private readonly settingsValue: CaSettings;
  private readonly inventory: Inventory;
  private readonly crls: CaCrls;

  private constructor(
    readonly store: CaStore,
    private readonly o: AuthorityOptions,
  ) {
    this.files = new CaFiles(o.caDir);
    this.dirs = new CertDirs(o.certsDir);
    this.actor = o.actor ?? osActor();
    this.now = o.now ?? (() => new Date());
    this.serials = o.serials ?? randomSerial;
    this.signers = o.signers ?? pemSigners(this.files, o.passphrase);
    this.settingsValue = store.settings();
    this.inventory = new Inventory(store, this.now);
    this.crls = new CaCrls({ store, files: this.files, signers: this.signers, actor: this.actor, log: o.log, policy: () => this.policy(), intermediate: () => this.intermediate() });
  }

  static init(o: Omit<InitOptions, "actor" | "log"> & { log: Logger; actor?: string }): Promise<InitResult> {
    return initCa({ ...o, actor: o.actor ?? osActor() });
  }

  /** Opens the CA (CA_NOT_FOUND, STORE_CORRUPT, STORE_FOREIGN) and repairs what a crash left behind. */
  static async open(o: AuthorityOptions): Promise<Authority> {
    const store = o.store ?? openStore({ kind: "sqlite", path: new CaFiles(o.caDir).db, ...(o.now ? { now: o.now } : {}) });
    try {
      const authority = new Authority(store, o);
      await authority.recover();
      return authority;
    } catch (e) {
      store.close();
      throw e;
    }
  }

  get settings(): CaSettings {
    return this.settingsValue;
  }

  close(): void {
    this.store.close();
  }

  private get log(): Logger {
    return this.o.log;
  }

  private policy(): Policy {
    this.policyValue ??= loadPolicy(this.o.policyPath ?? this.files.policy);
    return this.policyValue;
  }

  private async intermediate(): Promise<SigningIssuer> {
    this.intermediateValue ??= await this.signers.load("intermediate");
    return this.intermediateValue;
  }

  private async recover(): Promise<void> {
    const now = this.now();
    const unfinished = new Map<CrlName, string[]>();
    for (const f of deadTempFiles(this.o.caDir)) {
      const crl = PUBLISHING_MARKER.exec(f)?.[1] as CrlName | undefined;
      if (crl) unfinished.set(crl, [...(unfinished.get(crl) ?? []), join(this.o.caDir, f)]);
      else rmSync(join(this.o.caDir, f), { force: true });
    }
    // An init that died after creating ca.db leaves its lock behind.
    rmSync(join(this.o.caDir, INIT_LOCK), { force: true });
    reconcileCertsDir(this.dirs, this.store, now, this.log);
    // A revocation committed without its CRL, or a publication that died half-way.
    await this.crls.republishUnfinished(unfinished, now);
  }

  async issue(req: AgentIssueRequest, external?: ExternalKey): Promise<Issued> {
    const policy = this.policy();
    const { roles, ttlMs } = checkAgentRequest(req, policy);
    if (policy.trustDomain !== this.settingsValue.trustDomain) {
      this.log.warn({ event: "ca.policy_mismatch", policy: policy.trustDomain, ca: this.settingsValue.trustDomain }, "the policy's trustDomain differs from the CA's; certificates use the CA's");
    }
    return await this.sign(req, { kind: "agent", roles, ttlMs, dns: [], ips: [] }, external);
  }

  async issueServer(req: HostIssueRequest, external?: ExternalKey): Promise<Issued> {
    const { dns, ips, ttlMs } = checkHostRequest(req, this.policy());
    return await this.sign(req, { kind: "host", roles: [], ttlMs, dns, ips }, external);
  }

  /** The policy as the file says now: the online CA re-reads it for every enrollment and renewal. */
  reloadPolicy(): Policy {
    this.policyValue = undefined;
    return this.policy();
  }

  /** The root certificate (PEM): the trust bundle and the fingerprint enrollment tokens pin. */
  rootPem(): string {
    this.caPemValue ??= this.files.readCertPem("root");
    return this.caPemValue;
  }

  /** The issuing CA's certificate: renewals check that the presented certificate is its child. */
  async issuingCertificate(): Promise<SigningIssuer["cert"]> {
    return (await this.intermediate()).cert;
  }

  /** The clock, for the online CA's token and renewal checks. */
  get clock(): () => Date {
    return this.now;
  }

  /** Who runs this authority (the OS user): recorded on tokens it creates. */
  get actorName(): string {
    return this.actor;
  }

  get logger(): Logger {
    return this.o.log;
  }

  private async sign(req: CommonIssueRequest, leaf: Leaf, external: ExternalKey | undefined): Promise<Issued> {
    const { store, dirs, actor, now, serials, log } = this;
    return signLeaf({ store, dirs, actor, now, serials, log, settings: this.settingsValue, issuer: () => this.intermediate(), rootPem: () => this.rootPem() }, req, leaf, external);
  }

  list(options: { all?: boolean } = {}): CertView[] {
    return this.inventory.list(options);
  }

  /** A serial's certificate, or every certificate issued under a name (newest first). */
  show(target: string): (CertView & { pem: string })[] {
    return this.inventory.show(target);
  }

  /** Revokes a serial, or every valid certificate of a name, then publishes the intermediate CRL (revoke.ts). */
  async revoke(target: string, reason: RevocationReason = "unspecified", options: { invalidityDate?: Date | undefined } = {}): Promise<RevokeResult> {
    const { store, inventory, actor, log, crls } = this;
    return revokeTarget({ store, inventory, actor, log, crls, now: this.now(), intermediate: () => this.intermediate() }, target, reason, options);
  }

  /** Re-publishes both CRLs (ca-crls.ts: the root's only when its key is here). */
  publishCrls(options: { validityMs?: number | undefined; rootValidityMs?: number | undefined } = {}): Promise<{ published: PublishedCrl[]; skipped: string[] }> {
    return this.crls.publishBoth(this.now(), options);
  }
}
