// The host's own TLS identity (chain, key, trusted root), reloaded without a restart. The CA
// rotates certs/<host>/ by swapping its `..data` link (tls-files/cert-dir.ts), so a watch on
// that directory and on the trust file, a refresh timer and SIGHUP re-read it, check it and hand
// it to server.setSecureContext(): new handshakes get the new certificate, open connections keep
// the one they were made with. A new identity that fails a check keeps the old one (fail closed).
// It must come from the intermediate(s) and root the host started with: the CRL issuers and the
// default policy's trust domain were bound to those at start, so another CA is a restart.
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { basename, dirname } from "node:path";
import type { SecureContextOptions, Server as TlsServer } from "node:tls";
import { readIdentitySnapshot, type TlsIdentity } from "../../tls-files/identity.js";
import { trustDomainOf } from "../../pki/names.js";
import { certificateBlocks } from "../../pki/pem.js";
import { normalizeSerial } from "../../pki/serial.js";
import type { Logger } from "../../common/log.js";
import { ZtmcpError } from "../../common/errors.js";
import { identityOf } from "./peer-identity.js";
import { startReloadTriggers } from "../../common/reload-triggers.js";

export interface HostIdentityOptions {
  /** certs/<host>: chain.pem (leaf + intermediate) and key.pem. */
  dir: string;
  /** The trusted root PEM the server verifies clients against (with the chain's intermediates: clientTrust()). */
  trustPath: string;
  server: Pick<TlsServer, "setSecureContext">;
  /** What the server was started with; setSecureContext replaces the whole context, so everything besides key/cert/ca goes here. */
  context: SecureContextOptions;
  /** The identity the server is serving now. */
  initial: TlsIdentity;
  /** Re-read interval, besides file-change events and reload() (default 60 s). */
  refreshMs?: number;
  log: Logger;
  now?: () => number;
}

export type IdentityTrigger = "file" | "timer" | "api";

/** Why a new identity was not taken (the `reason` of `host.identity` outcome `kept`). */
export type IdentityRefusal =
  | "unreadable"
  | "bad_certificate"
  | "bad_key"
  | "key_mismatch"
  | "not_yet_valid"
  | "expired"
  | "not_server_certificate"
  | "other_intermediate"
  | "other_root"
  | "other_trust_domain"
  | "bad_chain"
  | "rejected_by_tls"
  | "invalid";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
/** Events of one rotation (new version dir, link swap, file links) arrive in a burst: read once they settle. */
const SETTLE_MS = 100;

class Refused extends Error {
  constructor(
    readonly reason: IdentityRefusal,
    message: string,
  ) {
    super(message);
  }
}

function certificates(text: string, what: string): X509Certificate[] {
  const blocks = certificateBlocks(text);
  if (blocks.length === 0) throw new Refused("bad_certificate", `${what} holds no PEM certificate`);
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch (e) {
    throw new Refused("bad_certificate", `${what}: ${(e as Error).message}`);
  }
}

const sameCerts = (a: readonly X509Certificate[], b: readonly X509Certificate[]): boolean =>
  a.length === b.length && a.every((c, i) => c.fingerprint256 === b[i]!.fingerprint256);

/**
 * What the server verifies clients against: the trusted root(s) and the intermediate(s) of the
 * host's own chain. With the intermediate there, OpenSSL completes the chain of a client that
 * sends its leaf alone (`curl --cert cert.pem`); it still needs a path to the self-signed root
 * (no partial chains), and which intermediate signed the leaf is decided by issuer.ts.
 */
export function clientTrust(id: TlsIdentity): string {
  return [id.ca.trimEnd(), ...certificateBlocks(id.cert).slice(1)].join("\n") + "\n";
}

/** What the identity was bound to at start: a new one must match. */
interface Binding {
  intermediates: X509Certificate[];
  roots: X509Certificate[];
  trustDomain: string | undefined;
}

/** The leaf of a checked identity, or why the identity must not be served. */
function checkIdentity(id: TlsIdentity, bound: Binding, now: number): X509Certificate {
  const [leaf, ...intermediates] = certificates(id.cert, "chain.pem");
  let key: KeyObject;
  try {
    key = createPrivateKey(id.key);
  } catch (e) {
    throw new Refused("bad_key", `key.pem: ${(e as Error).message}`);
  }
  if (!leaf!.checkPrivateKey(key)) throw new Refused("key_mismatch", "key.pem is not the key of the certificate in chain.pem");
  if (now < Date.parse(leaf!.validFrom)) throw new Refused("not_yet_valid", `certificate valid from ${leaf!.validFrom}`);
  if (now > Date.parse(leaf!.validTo)) throw new Refused("expired", `certificate expired ${leaf!.validTo}`);
  const usages = leaf!.keyUsage as string[] | undefined;
  if (usages !== undefined && !usages.includes(SERVER_AUTH)) throw new Refused("not_server_certificate", "certificate has no serverAuth extended key usage");
  if (!sameCerts(intermediates, bound.intermediates)) throw new Refused("other_intermediate", "chain.pem's intermediate is not the one the host started with (restart to change CA)");
  if (!sameCerts(certificates(id.ca, "trust file"), bound.roots)) throw new Refused("other_root", "trust file's root is not the one the host started with (restart to change CA)");
  if (trustDomainOf(identityOf(leaf!).spiffeId) !== bound.trustDomain) throw new Refused("other_trust_domain", "certificate's SPIFFE trust domain differs from the host's at start");
  const issuer = intermediates[0] ?? bound.roots.find((r) => leaf!.checkIssued(r));
  if (!issuer || !leaf!.checkIssued(issuer) || !leaf!.verify(issuer.publicKey)) throw new Refused("bad_chain", "certificate is not signed by the intermediate in chain.pem");
  return leaf!;
}

/**
 * The identity a host starts with passes the same checks as one it reloads (a client
 * certificate, an expired one or a key that does not match is refused at start, not served).
 */
export function checkStartIdentity(id: TlsIdentity, dir: string, now = Date.now()): void {
  try {
    const [leaf, ...intermediates] = certificates(id.cert, "chain.pem");
    checkIdentity(id, { intermediates, roots: certificates(id.ca, "trust file"), trustDomain: trustDomainOf(identityOf(leaf!).spiffeId) }, now);
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    const hint = e.reason === "not_server_certificate" ? ": that is an agent's certificate; a host needs `ztmcp cert issue-server` or an enrollment token made with --host" : "";
    throw new ZtmcpError("HOST_IDENTITY_INVALID", `${dir}: ${e.message} (${e.reason})${hint}`, { reason: e.reason });
  }
}

export class HostIdentity {
  #current: TlsIdentity;
  #serial: string;
  #notAfter: Date;
  readonly #bound: Binding;
  /** Digest of the last identity refused: the watch and the timer log it once, not every minute. */
  #lastRefused: string | undefined;
  #stopTriggers: (() => void) | undefined;
  readonly #now: () => number;

  constructor(private readonly o: HostIdentityOptions) {
    this.#now = o.now ?? Date.now;
    this.#current = o.initial;
    const [leaf, ...intermediates] = certificates(o.initial.cert, "chain.pem");
    this.#serial = normalizeSerial(leaf!.serialNumber);
    this.#notAfter = new Date(leaf!.validTo);
    this.#bound = { intermediates, roots: certificates(o.initial.ca, "trust file"), trustDomain: trustDomainOf(identityOf(leaf!).spiffeId) };
  }

  /** Expiry of the certificate new handshakes get. */
  get notAfter(): Date {
    return this.#notAfter;
  }

  /** Serial of the certificate new handshakes get. */
  get serial(): string {
    return this.#serial;
  }

  start(): void {
    this.#stopTriggers = startReloadTriggers({
      targets: [{ dir: this.o.dir }, { dir: dirname(this.o.trustPath), names: [basename(this.o.trustPath)] }],
      settleMs: SETTLE_MS,
      refreshMs: this.o.refreshMs ?? 60_000,
      reload: (trigger) => this.reload(trigger),
      log: this.o.log,
      event: "host.identity.watch",
    });
  }

  stop(): void {
    this.#stopTriggers?.();
    this.#stopTriggers = undefined;
  }

  /** Re-reads the identity; true when a new one is now served. Unchanged files are a quiet no-op. */
  reload(trigger: IdentityTrigger = "api"): boolean {
    const log = this.o.log;
    let next: TlsIdentity | undefined;
    let digest: string | undefined;
    try {
      try {
        next = readIdentitySnapshot(this.o.dir, this.o.trustPath);
      } catch (e) {
        throw new Refused("unreadable", (e as Error).message);
      }
      if (next.cert === this.#current.cert && next.key === this.#current.key && next.ca === this.#current.ca) return false;
      digest = createHash("sha256").update(next.cert).update("\0").update(next.key).update("\0").update(next.ca).digest("hex");
      const leaf = checkIdentity(next, this.#bound, this.#now());
      try {
        this.o.server.setSecureContext({ ...this.o.context, key: next.key, cert: next.cert, ca: clientTrust(next) });
      } catch (e) {
        throw new Refused("rejected_by_tls", (e as Error).message);
      }
      const previousSerial = this.#serial;
      this.#current = next;
      this.#serial = normalizeSerial(leaf.serialNumber);
      this.#notAfter = new Date(leaf.validTo);
      this.#lastRefused = undefined;
      log.info(
        { event: "host.identity", outcome: "reloaded", trigger, serial: this.#serial, previousSerial, notAfter: new Date(leaf.validTo).toISOString(), subject: leaf.subject.replace(/\n/g, ", ") },
        "host TLS identity reloaded: new connections get the new certificate",
      );
      return true;
    } catch (e) {
      // Whatever failed (this runs from timers too), the current identity stays.
      const refused = e instanceof Refused ? e : new Refused("invalid", (e as Error).message);
      // The same bad files seen again by the watch or the timer: already logged.
      const seen = trigger !== "api" && (digest ?? `unreadable:${refused.message}`) === this.#lastRefused;
      this.#lastRefused = digest ?? `unreadable:${refused.message}`;
      if (!seen) {
        log.error(
          { event: "host.identity", outcome: "kept", trigger, reason: refused.reason, err: refused.message, keptSerial: this.#serial, dir: this.o.dir },
          "new host TLS identity refused; keeping the current one",
        );
      }
      return false;
    }
  }
}
