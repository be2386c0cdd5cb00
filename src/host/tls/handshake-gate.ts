// The handshake gate: every TLS handshake, accepted or rejected, ends here and writes one
// `tls.handshake` event. The server runs with `rejectUnauthorized: false` because with `true`
// Node reports a failed client handshake only as ECONNRESET, with no reason and no certificate
// to log; this gate rejects instead. Only accepted sockets reach the HTTP server: a refused one
// is told why in one HTTP answer (refusal.ts) and closed, without any HTTP parsing.
import type { Server as TlsServer, TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import type { Logger } from "../../common/log.js";
import { trustDomainOf } from "../../pki/names.js";
import type { Identity } from "../../policy/identity.js";
import { identityOf, PeerCertificate, type IdentityCache } from "./peer-identity.js";
import type { HandshakeLockout } from "./lockout.js";
import type { IssuerCheck } from "./issuer.js";
import type { ConnectionCap } from "./connection-cap.js";
import { answerFor, answerRefused, NOT_THE_CERTIFICATE } from "./refusal.js";
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
  /** Which trusted intermediate signed a leaf (never the chain's order). */
  issuers: IssuerCheck;
  revocation: RevocationList;
  lockout: HandshakeLockout;
  connections: ConnectionCap;
  /** The current policy's trust domain: the policy is reloaded while the host runs. */
  trustDomain: () => string;
  /** Every decision, for metrics (`reason` undefined when accepted). */
  onOutcome?: (outcome: "accepted" | "rejected", reason: string | undefined) => void;
  log: Logger;
  now?: () => number;
}

type Listener = (socket: TLSSocket) => void;

/** The connection's part of a `tls.handshake` line. */
interface Connection {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  tlsVersion: string | null;
  cipher: string;
  resumed: true | undefined;
  durationMs: number | undefined;
  outcome: "accepted" | "rejected";
}

/** The certificate's part of a `tls.handshake` line (fields left undefined, so not written, when there was none). */
function certificateFields(identity: Identity | undefined) {
  return {
    event: "tls.handshake",
    subject: identity?.subject,
    spiffeId: identity?.spiffeId,
    serial: identity?.serial,
    fingerprint: identity?.fingerprint,
    issuer: identity?.issuer,
    notBefore: identity?.notBefore.toISOString(),
    notAfter: identity?.notAfter.toISOString(),
    roles: identity?.certRoles,
  };
}

export class HandshakeGate {
  readonly stats: GateStats = { accepted: 0, rejected: 0, lockedOut: 0 };
  readonly #now: () => number;
  /** Refused connections still being answered: dropped at once when the host stops. */
  readonly #refusing = new Set<() => void>();

  /** The gate's lines name every field they carry (none a secret): no redaction pass, which
   * walks every field for the logger's wildcard paths (see request-log.ts). */
  readonly #log: Logger;

  /**
   * An accepted certificate's lines: its fields are the same at every handshake, so they are
   * bound to a child logger, serialized once (the line was ~5% of a handshake's CPU). Keyed by
   * the identity the cache shares among a certificate's connections: few entries.
   */
  readonly #byIdentity = new WeakMap<Identity, Logger>();

  constructor(private readonly o: GateOptions) {
    this.#now = o.now ?? Date.now;
    this.#log = o.log.child({}, { redact: [] });
  }

  #lineOf(identity: Identity): Logger {
    let log = this.#byIdentity.get(identity);
    if (log === undefined) {
      log = this.#log.child(certificateFields(identity));
      this.#byIdentity.set(identity, log);
    }
    return log;
  }

  /**
   * Takes the HTTP server's own `secureConnection` listeners (Node's https.Server registers its
   * connection handler there when it is created) and hands them only the sockets the gate accepts.
   */
  install(server: TlsServer): void {
    const http = server.listeners("secureConnection") as Listener[];
    if (http.length === 0) throw new Error("handshake gate: install it on an https server after it is created");
    server.removeAllListeners("secureConnection");
    server.on("secureConnection", (socket: TLSSocket) => {
      if (this.#onSecureConnection(socket)) for (const listener of http) listener.call(server, socket);
    });
    server.prependListener("connection", (socket: Socket) => this.#onConnection(socket));
    server.on("tlsClientError", (err: NodeJS.ErrnoException, socket: TLSSocket) => this.#onClientError(err, socket));
  }

  /** Drops the connections still being told why they were refused (host shutdown). */
  close(): void {
    for (const drop of [...this.#refusing]) drop();
  }

  #onConnection(socket: Socket): void {
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

  #elapsedMs(origin: Origin | undefined): number | undefined {
    return origin === undefined ? undefined : Number(process.hrtime.bigint() - origin.startedAt) / 1e6;
  }

  /**
   * Why a verified certificate is refused, if it is. A resumed session skips verification (OpenSSL
   * reports the original handshake's verdict), hence the validity window here; the issuer comes
   * from the signature, so it is known for resumed sessions too.
   */
  #judge(cert: PeerCertificate, identity: Identity, now: number): { reason: string | undefined; intermediateSerial?: string } {
    if (now < identity.notBefore.getTime()) return { reason: "not_yet_valid" };
    if (now > identity.notAfter.getTime()) return { reason: "expired" };
    const intermediateSerial = this.o.issuers.serialOf(cert.fingerprint256, () => cert.x509);
    if (intermediateSerial === undefined) return { reason: "unknown_issuer" };
    if (trustDomainOf(identity.spiffeId) !== this.o.trustDomain()) return { reason: "wrong_trust_domain" };
    return { reason: this.o.revocation.check(identity.serial, intermediateSerial, now), intermediateSerial };
  }

  /**
   * The connection's part of its `tls.handshake` line. The peer address was read at `connection`
   * from the raw socket: the TLS socket's own getters would ask the kernel again (getpeername
   * through the TLS wrap, ~15 µs) for the same answer.
   */
  #connection(socket: TLSSocket, origin: Origin | undefined, outcome: "accepted" | "rejected"): Connection {
    return {
      remoteAddress: origin?.remoteAddress ?? socket.remoteAddress,
      remotePort: origin?.remotePort ?? socket.remotePort,
      tlsVersion: socket.getProtocol(),
      cipher: socket.getCipher().name,
      resumed: socket.isSessionReused() || undefined,
      durationMs: this.#elapsedMs(origin),
      outcome,
    };
  }

  /** True when the socket may go on to the HTTP server. */
  #onSecureConnection(socket: TLSSocket): boolean {
    const now = this.#now();
    const cert = PeerCertificate.of(socket);
    const origin = this.#originOf(socket);
    let reason: string | undefined;
    let identity: Identity | undefined;
    let intermediateSerial: string | undefined;
    if (!cert) reason = "no_certificate";
    else if (!socket.authorized) {
      identity = identityOf(cert.x509);
      reason = reasonFor(socket.authorizationError as unknown as string | undefined);
    } else {
      identity = this.o.identities.get(cert.fingerprint256, () => cert.x509);
      ({ reason, intermediateSerial } = this.#judge(cert, identity, now));
      if (reason === undefined && !this.o.connections.admit(identity.spiffeId ?? identity.fingerprint, socket)) reason = "too_many_connections";
    }
    if (reason === undefined && identity) {
      this.stats.accepted++;
      (socket as TLSSocket & Marked)[PEER] = { identity, intermediateSerial };
      this.#lineOf(identity).info(this.#connection(socket, origin, "accepted"), "handshake accepted");
      this.o.onOutcome?.("accepted", undefined);
      return true;
    }
    reason ??= "verify_failed";
    this.stats.rejected++;
    const address = socket.remoteAddress;
    const blamesCertificate = !NOT_THE_CERTIFICATE.has(reason);
    // Locked out: the client is told only that (no per-certificate reason to probe the gate with).
    const lockedUntil = blamesCertificate && address !== undefined ? this.o.lockout.lockedUntil(address, now) : undefined;
    const told = lockedUntil === undefined ? reason : "locked_out";
    if (lockedUntil !== undefined) this.stats.lockedOut++;
    this.#log.warn(
      {
        ...certificateFields(identity),
        ...this.#connection(socket, origin, "rejected"),
        reason: told,
        ...(told === reason ? {} : { refusedFor: reason, lockedUntil: new Date(lockedUntil!).toISOString() }),
        verifyError: socket.authorizationError as unknown as string | undefined,
      },
      told === "locked_out" ? "handshake rejected: address locked out" : "handshake rejected",
    );
    this.o.onOutcome?.("rejected", told);
    // Only a presented certificate that was refused cost us a verification, and only that counts.
    if (cert && blamesCertificate) this.#countFailure(address, now);
    const answer = answerFor(told, { retryAfterSeconds: lockedUntil === undefined ? undefined : Math.ceil((lockedUntil - now) / 1000), maxConnections: this.o.connections.max });
    const drop = answerRefused(socket, answer);
    this.#refusing.add(drop);
    socket.once("close", () => this.#refusing.delete(drop));
    return false;
  }

  #onClientError(err: NodeJS.ErrnoException, socket: TLSSocket): void {
    this.stats.rejected++;
    const reason = err.code === "ERR_TLS_HANDSHAKE_TIMEOUT" ? "handshake_timeout" : "protocol_error";
    const origin = this.#originOf(socket);
    this.#log.warn(
      {
        event: "tls.handshake",
        outcome: "rejected",
        reason,
        remoteAddress: socket.remoteAddress ?? origin?.remoteAddress,
        remotePort: socket.remotePort ?? origin?.remotePort,
        error: err.code ?? err.message,
        durationMs: this.#elapsedMs(origin),
      },
      "handshake failed",
    );
    this.o.onOutcome?.("rejected", reason);
    // Not counted towards a lockout: no certificate was verified, and a client that hangs up
    // mid-handshake (a bridge exiting) is no attacker.
    socket.destroy();
  }

  #countFailure(address: string | undefined, now: number): void {
    if (address === undefined) return;
    const lockout = this.o.lockout;
    if (lockout.recordFailure(address, now)) {
      this.#log.warn(
        { event: "tls.lockout", action: "locked", remoteAddress: address, threshold: lockout.options.threshold, windowMs: lockout.options.windowMs, coolDownMs: lockout.options.coolDownMs },
        "too many refused certificates: address locked out (valid certificates are still admitted)",
      );
    }
  }
}
