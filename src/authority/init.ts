// `ca init`: a root (10 y) and an issuing intermediate (pathlen 0, 5 y), their keys, first CRLs,
// the store and a starter policy. ca.db is written last (temp + rename): the CA exists exactly
// when ca.db does, so an init that died half-way is simply run again.
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ZtmcpError } from "../common/errors.js";
import type { Logger } from "../common/log.js";
import { buildIntermediateCertificate, buildRootCertificate, fingerprint256, toPem } from "../pki/certificate.js";
import { exportPrivateKeyPem, generateKeyPair, type KeyType } from "../pki/keys.js";
import { normalizeCrlUrl } from "../pki/crl-url.js";
import { parseCidr } from "../pki/ip-address.js";
import { describeConstraints, type NameConstraints } from "../pki/name-constraints.js";
import { checkDnsName, checkTrustDomain, MAX_RDN_LENGTH } from "../pki/names.js";
import { randomSerial } from "../pki/serial.js";
import { parseDuration } from "../common/duration.js";
import { DEFAULT_CRL_MAX_VALIDITY, defaultPolicyDocument, loadPolicy } from "../policy/policy.js";
import { createStore } from "../store/open.js";
import { softwareSigner } from "../pki/signer.js";
import { fsyncDir, writeFileAtomic, writeFileDurable } from "../tls-files/atomic-file.js";
import { CaFiles } from "./ca-files.js";
import { publishCrl } from "./crl-publisher.js";
import { crlValidity } from "./crl-validity.js";
import { checkNewPassphrase } from "./passphrase.js";
import { processAlive } from "./recovery.js";

const YEAR = 365 * 86_400_000;
export const ROOT_LIFETIME_MS = 10 * YEAR;
export const INTERMEDIATE_LIFETIME_MS = 5 * YEAR;
/** notBefore is set this far in the past, for peers whose clocks lag. */
export const BACKDATE_MS = 60_000;

export interface InitOptions {
  caDir: string;
  policyPath?: string | undefined;
  org?: string | undefined;
  trustDomain?: string | undefined;
  keyType?: KeyType | undefined;
  crlUrl?: string | undefined;
  /** DNS suffixes the intermediate may certify; default `localhost`. */
  permitDns?: readonly string[] | undefined;
  /** IP ranges (CIDR) the intermediate may certify; default 127.0.0.0/8 and ::1/128. */
  permitIp?: readonly string[] | undefined;
  passphrase?: string | undefined;
  log: Logger;
  actor: string;
  now?: Date;
}

export interface CaCertInfo {
  subject: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  fingerprint: string;
}

export interface InitResult {
  caDir: string;
  org: string;
  trustDomain: string;
  keyType: KeyType;
  encrypted: boolean;
  policyCreated: boolean;
  policyPath: string;
  /** The intermediate's permitted subtrees, as text. */
  permitted: { uris: string[]; dns: string[]; ips: string[] };
  root: CaCertInfo;
  intermediate: CaCertInfo;
}

/** The CA certificates are named `<org> Root CA` and `<org> Issuing CA`: both CNs must fit in 64 characters. */
const MAX_ORG_LENGTH = MAX_RDN_LENGTH - " Issuing CA".length;

function checkOrg(org: string): string {
  const chars = Array.from(org);
  if (chars.length === 0 || chars.length > MAX_ORG_LENGTH || org.trim() !== org || chars.some((c) => c.charCodeAt(0) < 0x20 || c === "\u007f")) {
    throw new ZtmcpError("BAD_ORG", `the organization must be 1-${MAX_ORG_LENGTH} printable characters without surrounding spaces (the CA's CN "<org> Issuing CA" is at most ${MAX_RDN_LENGTH})`);
  }
  return org;
}

const info = (cert: { subject: string; serialNumber: string; notBefore: Date; notAfter: Date; rawData: ArrayBuffer }): CaCertInfo => ({
  subject: cert.subject,
  serial: cert.serialNumber.toUpperCase(),
  notBefore: cert.notBefore.toISOString(),
  notAfter: cert.notAfter.toISOString(),
  fingerprint: fingerprint256(cert.rawData),
});

const caExists = (caDir: string) => new ZtmcpError("CA_EXISTS", `a CA already exists in ${caDir} (ca.db is there); nothing was changed`);

export async function initCa(o: InitOptions): Promise<InitResult> {
  const files = new CaFiles(o.caDir);
  if (existsSync(files.db)) throw caExists(o.caDir);
  const org = checkOrg(o.org ?? "ztmcp");
  const trustDomain = checkTrustDomain(o.trustDomain ?? "mesh.local");
  const keyType = o.keyType ?? "p256";
  const crlUrl = o.crlUrl === undefined ? undefined : normalizeCrlUrl(o.crlUrl);
  const permitted = permittedSubtrees(trustDomain, o);
  if (o.passphrase !== undefined) checkNewPassphrase(o.passphrase, "CA key passphrase");
  const policyPath = o.policyPath ?? files.policy;
  // An existing policy must be valid before anything is written.
  const policyExists = existsSync(policyPath);
  const crlCapMs = policyExists ? loadPolicy(policyPath).crlMaxValidityMs : parseDuration(DEFAULT_CRL_MAX_VALIDITY);

  mkdirSync(o.caDir, { recursive: true, mode: 0o700 });
  chmodSync(o.caDir, 0o700);
  const lock = acquireInitLock(o.caDir);
  try {
    // Re-checked under the lock: another init may have finished meanwhile.
    if (existsSync(files.db)) throw caExists(o.caDir);
    return await createCa(o, files, { org, trustDomain, keyType, crlUrl, permitted, policyPath, policyExists, crlCapMs });
  } finally {
    rmSync(lock, { force: true });
  }
}

interface Checked {
  org: string;
  trustDomain: string;
  keyType: KeyType;
  crlUrl: string | undefined;
  permitted: NameConstraints;
  policyPath: string;
  policyExists: boolean;
  crlCapMs: number;
}

export const DEFAULT_PERMITTED_DNS = ["localhost"];
export const DEFAULT_PERMITTED_IPS = ["127.0.0.0/8", "::1/128"];

/**
 * The trust domain as the only URI host (SPIFFE IDs are spiffe://<td>/…), and the DNS and IP
 * subtrees asked for, each defaulting to loopback: a fresh CA cannot certify public names.
 */
function permittedSubtrees(trustDomain: string, o: InitOptions): NameConstraints {
  const dns = o.permitDns?.length ? o.permitDns : DEFAULT_PERMITTED_DNS;
  const ips = o.permitIp?.length ? o.permitIp : DEFAULT_PERMITTED_IPS;
  return { uris: [trustDomain], dns: [...new Set(dns.map(checkDnsName))], ips: ips.map(parseCidr) };
}

export const INIT_LOCK = ".init.lock";

/** One init at a time: two would interleave their key files. A lock left by a dead init is taken over. */
function acquireInitLock(caDir: string): string {
  const path = join(caDir, INIT_LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx", mode: 0o600 });
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = Number(readFileSync(path, "utf8"));
    if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
      throw new ZtmcpError("CA_INIT_IN_PROGRESS", `another ztmcp ca init (pid ${holder}) is creating a CA in ${caDir}`);
    }
    rmSync(path, { force: true });
  }
  throw new ZtmcpError("CA_INIT_IN_PROGRESS", `could not lock ${path}`);
}

async function createCa(o: InitOptions, files: CaFiles, c: Checked): Promise<InitResult> {
  const { org, trustDomain, keyType, crlUrl, permitted, policyPath, policyExists } = c;
  const now = o.now ?? new Date();
  const notBefore = new Date(now.getTime() - BACKDATE_MS);
  const rootKeys = await generateKeyPair(keyType);
  const rootCert = await buildRootCertificate({ keys: rootKeys, org, serial: randomSerial(), notBefore, notAfter: new Date(now.getTime() + ROOT_LIFETIME_MS) });
  const root = { cert: rootCert, key: rootKeys };
  const intKeys = await generateKeyPair(keyType);
  const intCert = await buildIntermediateCertificate({
    keys: intKeys,
    org,
    issuer: root,
    serial: randomSerial(),
    notBefore,
    notAfter: new Date(now.getTime() + INTERMEDIATE_LIFETIME_MS),
    crlUrl,
    permitted,
  });
  const intermediate = { cert: intCert, key: intKeys };

  // Leftovers of an init that died before its rename.
  for (const f of readdirSync(o.caDir)) if (f.startsWith("ca.db.tmp-")) rmSync(join(o.caDir, f), { force: true });
  writeFileAtomic(files.key("root"), await exportPrivateKeyPem(rootKeys.privateKey, o.passphrase), 0o600);
  writeFileAtomic(files.key("intermediate"), await exportPrivateKeyPem(intKeys.privateKey, o.passphrase), 0o600);
  writeFileAtomic(files.cert("root"), toPem(rootCert));
  writeFileAtomic(files.cert("intermediate"), toPem(intCert));
  writeFileAtomic(files.chain, toPem(intCert) + toPem(rootCert));

  const tempDb = `${files.db}.tmp-${process.pid}`;
  const store = createStore({ kind: "sqlite", path: tempDb, now: () => now }, { org, trustDomain, keyType, crlUrl, createdAt: now });
  try {
    for (const [crl, issuer] of [["root", root], ["intermediate", intermediate]] as const) {
      const validityMs = crlValidity(crl, { requestedMs: undefined, capMs: c.crlCapMs, now, issuerNotAfter: issuer.cert.notAfter });
      await publishCrl({ store, files, crl, issuer: { cert: issuer.cert, signer: softwareSigner(issuer.key) }, now, validityMs, actor: o.actor, log: o.log });
    }
    store.audit({ action: "ca.init", actor: o.actor, subject: intCert.subject, serial: intCert.serialNumber.toUpperCase(), details: { org, trustDomain, keyType, encrypted: Boolean(o.passphrase), permitted: describeConstraints(permitted) } });
  } finally {
    store.close();
  }
  let policyCreated = false;
  if (!policyExists) {
    writeFileDurable(policyPath, JSON.stringify(defaultPolicyDocument(trustDomain), null, 2) + "\n", 0o644);
    policyCreated = true;
  }
  // link(), not rename(): it never replaces a ca.db that appeared meanwhile.
  linkSync(tempDb, files.db);
  rmSync(tempDb);
  fsyncDir(o.caDir);

  const result: InitResult = {
    caDir: o.caDir,
    org,
    trustDomain,
    keyType,
    encrypted: Boolean(o.passphrase),
    policyCreated,
    policyPath,
    permitted: { uris: [...permitted.uris], dns: [...permitted.dns], ips: permitted.ips.map((r) => r.text) },
    root: info(rootCert),
    intermediate: info(intCert),
  };
  o.log.info({ event: "ca.init", actor: o.actor, org, trustDomain, keyType, encrypted: result.encrypted, permitted: result.permitted, root: result.root.serial, intermediate: result.intermediate.serial }, "created the CA");
  return result;
}
