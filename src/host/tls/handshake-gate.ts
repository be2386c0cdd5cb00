// The handshake gate: every TLS handshake, accepted or rejected, ends here and writes one
// `tls.handshake` event. The server runs with `rejectUnauthorized: false` because with `true`
// Node reports a failed client handshake only as ECONNRESET, with no reason and no certificate
// to log; this gate rejects instead, destroying the socket before any HTTP byte is read.
import type { Server as TlsServer, TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import type { X509Certificate } from "node:crypto";
import { normalizeSerial } from "../../pki/serial.js";
import type { Logger } from "../../common/log.js";
import { BoundedMap } from "../../common/bounded-map.js";
import type { Identity } from "../../policy/identity.js";
import { identityOf, type IdentityCache } from "./peer-identity.js";
import type { HandshakeLockout } from "./lockout.js";
import type { RevocationList } from "../revocation/revocation.js";

/** What the gate learned about an accepted connection; the request path re-checks it. */
export interface Peer {
  identity: Identity;
  intermediateSerial: string | undefined;
}

export interface GateStats {
  accepted: number;
  rejected: number;
  lockedOut: number;
}

/** OpenSSL verify errors (as Node names them) → our reason codes (docs/host.md). */
const REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: "expired",
  CERT_NOT_YET_VALID: "not_yet_valid",
  INVALID_PURPOSE: "wrong_key_usage",
  UNABLE_TO_GET_ISSUER_CERT: "unknown_ca",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "unknown_ca",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "unknown_ca",
  SELF_SIGNED_CERT_IN_CHAIN: "unknown_ca",
  DEPTH_ZERO_SELF_SIGNED_CERT: "unknown_ca",
  CERT_SIGNATURE_FAILURE: "bad_signature",
  CERT_REVOKED: "revoked",
  PATH_LENGTH_EXCEEDED: "bad_chain",
  INVALID_CA: "bad_chain",
};

export function reasonFor(authorizationError: string | undefined): string {
  return (authorizationError && REASONS[authorizationError]) ?? "verify_failed";
}

const MAX_REMEMBERED_ISSUERS = 100_000;

// What the gate learns about a socket is kept on the socket under private symbols (as Node keeps
// its own per-socket state), not in WeakMaps: one WeakMap entry per connection made every
// garbage collection walk the ephemeron tables.
const PEER = Symbol("ztmcp.peer");
const ORIGIN = Symbol("ztmcp.origin");
type Marked = { [PEER]?: Peer; [ORIGIN]?: Origin };

interface Origin {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  startedAt: bigint;
}

export interface GateOptions {
  identities: IdentityCache;
  revocation: RevocationList;
  lockout: HandshakeLockout;
  log: Logger;
  now?: () => number;
}

export class HandshakeGate {
  readonly stats: GateStats = { accepted: 0, rejected: 0, lockedOut: 0 };
  /** Leaf fingerprint → issuing intermediate's serial, for resumed sessions (oldest forgotten first). */
  readonly #issuers = new BoundedMap<string, string>(MAX_REMEMBERED_ISSUERS);
  readonly #now: () => number;

  constructor(private readonly o: GateOptions) {
    this.#now = o.now ?? Date.now;
  }

  /** Must run before the HTTP server's own listeners: hence prependListener. */
  install(server: TlsServer): void {
    server.prependListener("connection", (socket: Socket) => this.#onConnection(socket));
    server.prependListener("secureConnection", (socket: TLSSocket) => this.#onSecureConnection(socket));
    server.on("tlsClientError", (err: NodeJS.ErrnoException, socket: TLSSocket) => this.#onClientError(err, socket));
  }

  #onConnection(socket: Socket): void {
    const address = socket.remoteAddress ?? "";
    if (this.o.lockout.isLocked(address, this.#now())) {
      this.stats.lockedOut++;
      this.o.log.debug({ event: "tls.lockout", action: "dropped", remoteAddress: address }, "connection from a locked-out address dropped");
      socket.destroy();
      return;
    }
    // Where the connection came from and when, taken now: a socket that fails its handshake
    // (truncated ClientHello, timeout) may no longer know its peer address at tlsClientError.
    (socket as Socket & Marked)[ORIGIN] = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, startedAt: process.hrtime.bigint() };
  }

  /** What the gate accepted on this TLS socket (what an HTTP request sees as req.socket). */
  peerOf(socket: object): Peer | undefined {
    return (socket as Marked)[PEER];
  }

  /** The connection's origin, through the TLS socket's underlying raw socket (`_parent`). */
  #originOf(socket: TLSSocket): Origin | undefined {
    const raw = (socket as TLSSocket & { _parent?: (object & Marked) | null })._parent;
    return raw?.[ORIGIN] ?? (socket as TLSSocket & Marked)[ORIGIN];
  }

  /**
   * The serial of the intermediate that issued the leaf. A resumed TLS session carries the leaf
   * but not its chain, so the serial seen at the full handshake is remembered per leaf: without
   * it a resumed session would escape the root CRL's revocation of an intermediate. Unknown
   * (forgotten) → undefined, and the gate refuses rather than guess.
   */
  #intermediateOf(socket: TLSSocket, fingerprint: string, issuer: X509Certificate | undefined): string | undefined {
    if (issuer) {
      const serial = normalizeSerial(issuer.serialNumber);
      this.#issuers.set(fingerprint, serial);
      return serial;
    }
    return socket.isSessionReused() ? this.#issuers.get(fingerprint) : undefined;
  }

  #elapsedMs(origin: Origin | undefined): number | undefined {
    return origin === undefined ? undefined : Number(process.hrtime.bigint() - origin.startedAt) / 1e6;
  }

  #onSecureConnection(socket: TLSSocket): void {
    const cert = socket.getPeerX509Certificate();
    const base = {
      event: "tls.handshake",
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      tlsVersion: socket.getProtocol(),
      cipher: socket.getCipher().name,
      durationMs: this.#elapsedMs(this.#originOf(socket)),
    };
    let reason: string | undefined;
    let identity: Identity | undefined;
    let intermediateSerial: string | undefined;
    if (!cert) reason = "no_certificate";
    else if (!socket.authorized) {
      identity = identityOf(cert);
      reason = reasonFor(socket.authorizationError as unknown as string | undefined);
    } else {
      identity = this.o.identities.get(cert);
      intermediateSerial = this.#intermediateOf(socket, identity.fingerprint, cert.issuerCertificate);
      reason = intermediateSerial === undefined ? "unknown_issuer" : this.o.revocation.check(identity.serial, intermediateSerial);
    }
    const presented = identity && {
      subject: identity.subject,
      spiffeId: identity.spiffeId,
      serial: identity.serial,
      fingerprint: identity.fingerprint,
      issuer: identity.issuer,
      notBefore: identity.notBefore.toISOString(),
      notAfter: identity.notAfter.toISOString(),
      roles: identity.certRoles,
    };
    if (reason === undefined && identity) {
      this.stats.accepted++;
      (socket as TLSSocket & Marked)[PEER] = { identity, intermediateSerial };
      this.o.log.info({ ...base, outcome: "accepted", ...presented }, "handshake accepted");
      return;
    }
    this.stats.rejected++;
    this.o.log.warn(
      { ...base, outcome: "rejected", reason, verifyError: socket.authorizationError as unknown as string | undefined, ...presented },
      "handshake rejected",
    );
    this.#countFailure(socket.remoteAddress);
    socket.destroy();
  }

  #onClientError(err: NodeJS.ErrnoException, socket: TLSSocket): void {
    this.stats.rejected++;
    const reason = err.code === "ERR_TLS_HANDSHAKE_TIMEOUT" ? "handshake_timeout" : "protocol_error";
    const origin = this.#originOf(socket);
    const remoteAddress = socket.remoteAddress ?? origin?.remoteAddress;
    this.o.log.warn(
      {
        event: "tls.handshake",
        outcome: "rejected",
        reason,
        remoteAddress,
        remotePort: socket.remotePort ?? origin?.remotePort,
        error: err.code ?? err.message,
        durationMs: this.#elapsedMs(origin),
      },
      "handshake failed",
    );
    this.#countFailure(remoteAddress);
    socket.destroy();
  }

  #countFailure(address: string | undefined): void {
    if (address === undefined) return;
    const lockout = this.o.lockout;
    if (lockout.recordFailure(address, this.#now())) {
      this.o.log.warn(
        { event: "tls.lockout", action: "locked", remoteAddress: address, threshold: lockout.options.threshold, windowMs: lockout.options.windowMs, coolDownMs: lockout.options.coolDownMs },
        "too many failed handshakes: address locked out",
      );
    }
  }
}
