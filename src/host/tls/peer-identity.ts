// Identity from a peer certificate, read once per certificate: Node's X509Certificate gives the
// names, serial and fingerprint cheaply; the role extension is found by walking the DER (no full
// @peculiar/x509 parse, which costs ~1.3 ms). Cached by fingerprint.
import { createHash, X509Certificate as X509, type X509Certificate } from "node:crypto";
import type { PeerCertificate as PeerCertificateInfo, TLSSocket } from "node:tls";
import * as der from "../../pki/der.js";
import { decodeRoles, ROLES_OID } from "../../pki/role-extension.js";
import { normalizeSerial } from "../../pki/serial.js";
import { BoundedMap } from "../../common/bounded-map.js";
import type { Identity } from "../../policy/identity.js";

const ROLES_OID_DER = der.oid(ROLES_OID);
const EXTENSIONS_TAG = 0xa3;

/** The role extension's value (SEQUENCE OF UTF8String), or undefined when absent. */
function rolesExtensionValue(certDer: Buffer): Buffer | undefined {
  const tbs = der.children(certDer, der.readNode(certDer, 0))[0];
  if (!tbs) return undefined;
  const wrapper = der.children(certDer, tbs).find((n) => n.tag === EXTENSIONS_TAG);
  if (!wrapper) return undefined;
  const list = der.readNode(certDer, wrapper.contentStart, wrapper.end);
  for (const ext of der.children(certDer, list)) {
    const parts = der.children(certDer, ext);
    if (parts[0] && der.raw(certDer, parts[0]).equals(ROLES_OID_DER)) {
      const value = parts[parts.length - 1]!;
      return der.content(certDer, value);
    }
  }
  return undefined;
}

export function certificateRoles(cert: X509Certificate): string[] {
  const value = rolesExtensionValue(cert.raw);
  return value ? decodeRoles(value) : [];
}

function spiffeIdOf(cert: X509Certificate): string | undefined {
  // subjectAltName: "URI:spiffe://…, DNS:…"; a SPIFFE ID never contains ", ".
  for (const part of (cert.subjectAltName ?? "").split(", ")) if (part.startsWith("URI:spiffe://")) return part.slice(4);
  return undefined;
}

function commonNameOf(subject: string): string {
  for (const line of subject.split("\n")) if (line.startsWith("CN=")) return line.slice(3);
  return "";
}

/** Identity without policy roles (`roles` equals `certRoles` until the caller applies a policy). */
export function identityOf(cert: X509Certificate): Identity {
  let certRoles: string[];
  try {
    certRoles = certificateRoles(cert);
  } catch {
    // A malformed role extension grants nothing; the certificate still identifies its holder.
    certRoles = [];
  }
  return Object.freeze({
    spiffeId: spiffeIdOf(cert),
    commonName: commonNameOf(cert.subject),
    subject: cert.subject.replace(/\n/g, ", "),
    issuer: cert.issuer.replace(/\n/g, ", "),
    serial: normalizeSerial(cert.serialNumber),
    fingerprint: cert.fingerprint256,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    certRoles: Object.freeze(certRoles),
    roles: Object.freeze(certRoles),
  });
}

const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, "0"));

/** SHA-256 of a DER certificate as Node's fingerprint256 spells it ("AB:CD:…"). */
export function fingerprint256Of(certDer: Buffer): string {
  const digest = createHash("sha256").update(certDer).digest();
  let out = HEX_PAIRS[digest[0]!]!;
  for (let i = 1; i < digest.length; i++) out += ":" + HEX_PAIRS[digest[i]!]!;
  return out;
}

/**
 * The peer's certificate (a copy of its DER) in a serialized TLS session, or undefined. OpenSSL's
 * SSL_SESSION is a SEQUENCE whose `[3] EXPLICIT Certificate` is the peer's leaf (ssl/ssl_asn1.c):
 * the very certificate SSL_get_peer_certificate returns, which getPeerCertificate reads.
 */
export function peerCertificateOfSession(session: Buffer): Buffer | undefined {
  const top = der.readNode(session, 0);
  if (top.tag !== der.TAG.SEQUENCE) return undefined;
  for (let at = top.contentStart; at < top.end; ) {
    const field = der.readNode(session, at, top.end);
    if (field.tag === der.TAG.CONTEXT_3) {
      const cert = der.readNode(session, field.contentStart, field.end);
      return cert.tag === der.TAG.SEQUENCE && cert.end === field.end ? Buffer.from(der.raw(session, cert)) : undefined;
    }
    at = field.end;
  }
  return undefined;
}

/**
 * The client's certificate as the gate needs it: the SHA-256 fingerprint at once, the parsed
 * X509Certificate only when a cache misses. Read from the connection's serialized session
 * (getSession, ~11 µs, then a SHA-256 of ~1 KB) rather than getPeerCertificate(false) (~65 µs:
 * it builds the whole legacy object, converting the public key to a legacy EC_KEY on the way) or
 * getPeerX509Certificate (~150 µs) (measured, Node 20, 200 connections each); getPeerCertificate
 * only when the session holds no certificate or does not parse as expected.
 */
export class PeerCertificate {
  #x509: X509Certificate | undefined;
  private constructor(
    readonly fingerprint256: string,
    private readonly raw: Buffer,
  ) {}

  static of(socket: TLSSocket): PeerCertificate | undefined {
    const raw = PeerCertificate.#fromSession(socket);
    if (raw) return new PeerCertificate(fingerprint256Of(raw), raw);
    const c = socket.getPeerCertificate(false) as Partial<PeerCertificateInfo> | null;
    return c?.raw === undefined || c.fingerprint256 === undefined ? undefined : new PeerCertificate(c.fingerprint256, c.raw);
  }

  static #fromSession(socket: TLSSocket): Buffer | undefined {
    const session = socket.getSession();
    if (!session) return undefined;
    try {
      return peerCertificateOfSession(session);
    } catch {
      return undefined;
    } finally {
      // It also holds the session's master secret: not left in the heap until a GC.
      session.fill(0);
    }
  }

  get x509(): X509Certificate {
    return (this.#x509 ??= new X509(this.raw));
  }
}

/** Bounded cache of identities by fingerprint: a reconnecting agent is not re-parsed. */
export class IdentityCache {
  readonly #entries: BoundedMap<string, Identity>;
  constructor(max = 10_000) {
    this.#entries = new BoundedMap(max);
  }

  /** `cert` is parsed only on a miss (see PeerCertificate). */
  get(fingerprint: string, cert: () => X509Certificate): Identity {
    const hit = this.#entries.get(fingerprint);
    if (hit) return hit;
    const identity = identityOf(cert());
    this.#entries.set(fingerprint, identity);
    return identity;
  }
}
