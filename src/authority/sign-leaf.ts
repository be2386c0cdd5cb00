// The signing of one leaf certificate: the request checked against the issuing CA's name
// constraints and lifetime, the key made here (or brought by an enrollment or renewal), the
// certificate built and committed (commit-issued.ts) under a fresh serial, retried when a serial
// is already taken, and the `ca.issue` (or `ca.enroll`, `ca.renew`) event logged.
import { ZtmcpError } from "../common/errors.js";
import { buildLeafCertificate, fingerprint256, toPem, type SigningIssuer } from "../pki/certificate.js";
import { exportPrivateKeyPem, generateKeyPair, type KeyPair, type KeyType } from "../pki/keys.js";
import { checkName, spiffeId, type Kind } from "../pki/names.js";
import { normalizeSerial } from "../pki/serial.js";
import type { CaSettings, CertRecord, TokenUse } from "../store/store.js";
import { viewOf, type Issued } from "./cert-view.js";
import { commitIssued, type CommitDeps } from "./commit-issued.js";
import { BACKDATE_MS } from "./init.js";
import { checkPermitted, type CommonIssueRequest } from "./issue-request.js";
import { p12Password } from "./p12.js";

const SERIAL_ATTEMPTS = 5;

/**
 * A key that was born elsewhere (enrollment, renewal): only its public half, checked by the caller
 * (CSR signature). Its certificate is recorded without files, spending `token` in the same transaction.
 */
export interface ExternalKey {
  type: KeyType;
  publicKey: CryptoKey;
  action: "ca.enroll" | "ca.renew";
  via: "token" | "mtls" | "signed-request";
  /** Who asked: the token id or the presented certificate's serial. */
  by: string;
  token?: TokenUse;
  logDetails?: Record<string, unknown>;
}

/** What the certificate says beyond its name, as the request checks worked it out. */
export interface Leaf {
  kind: Kind;
  roles: string[];
  ttlMs: number;
  dns: string[];
  ips: string[];
}

export interface SignDeps extends CommitDeps {
  settings: CaSettings;
  serials: () => string;
  /** Loaded only once the name is known good (it may ask for the CA key's passphrase). */
  issuer: () => Promise<SigningIssuer>;
  rootPem: () => string;
}

export async function signLeaf(d: SignDeps, req: CommonIssueRequest, { kind, roles, ttlMs, dns, ips }: Leaf, external: ExternalKey | undefined): Promise<Issued> {
  const name = checkName(req.name);
  const { org, trustDomain, crlUrl } = d.settings;
  const issuer = await d.issuer();
  checkPermitted(issuer.cert, { trustDomain, kind, name, dns, ips });
  const p12 = req.p12 ? p12Password() : undefined;
  const now = d.now();
  const notAfter = new Date(now.getTime() + ttlMs);
  if (notAfter > issuer.cert.notAfter) {
    throw new ZtmcpError("TTL_EXCEEDS_CA", `the certificate would outlive the issuing CA (until ${issuer.cert.notAfter.toISOString()})`);
  }
  // An enrollment or renewal brings its public key; the private key never comes here.
  const keys = external ?? (await generateKeyPair(req.keyType ?? "p256"));
  const keyPem = external ? "" : await exportPrivateKeyPem((keys as KeyPair).privateKey);
  const caPem = d.rootPem();
  const intermediatePem = toPem(issuer.cert);
  for (let attempt = 1; ; attempt++) {
    const serial = d.serials();
    const cert = await buildLeafCertificate({
      issuer,
      publicKey: keys.publicKey,
      name,
      org,
      kind,
      trustDomain,
      roles,
      dns,
      ips,
      serial,
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter,
      crlUrl,
    });
    const certPem = toPem(cert);
    const record: CertRecord = {
      serial: normalizeSerial(serial),
      name,
      kind,
      roles,
      subject: cert.subject,
      spiffeId: spiffeId(trustDomain, kind, name),
      keyType: keys.type,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      issuedAt: now,
      fingerprint: fingerprint256(cert.rawData),
      certPem,
    };
    const issued: Issued = { ...viewOf(record, now), dir: undefined, files: {}, keyPem, certPem, chainPem: certPem + intermediatePem, caPem, ...(p12?.generated ? { p12Password: p12.value } : {}) };
    try {
      commitIssued(d, { record, issued, req: external ? { ...req, writeFiles: false } : req, p12Password: p12?.value, external });
    } catch (e) {
      if (e instanceof ZtmcpError && e.code === "SERIAL_TAKEN" && attempt < SERIAL_ATTEMPTS) continue;
      throw e;
    }
    d.log.info(
      {
        event: external?.action ?? "ca.issue",
        actor: external?.by ?? d.actor,
        ...(external ? { via: external.via, ...external.logDetails } : {}),
        kind,
        name,
        serial: record.serial,
        subject: record.subject,
        spiffeId: record.spiffeId,
        roles,
        ...(kind === "host" ? { dns, ips } : {}),
        keyType: record.keyType,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
        fingerprint: record.fingerprint,
      },
      `issued ${kind === "agent" ? "an" : "a"} ${kind} certificate`,
    );
    return issued;
  }
}
