// Who is on the other end of a connection, read once from the peer certificate.
export interface Identity {
  /** `spiffe://<td>/agent/<name>` (undefined when the certificate carries none). */
  spiffeId: string | undefined;
  commonName: string;
  subject: string;
  issuer: string;
  /** Uppercase hex, no leading zero bytes (as pki/serial.ts normalizes). */
  serial: string;
  /** SHA-256, colon-separated uppercase hex (Node's fingerprint256). */
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  /** Roles carried in the certificate's role extension. */
  certRoles: readonly string[];
  /** certRoles ∪ policy subject rules, restricted to roles the policy defines. */
  roles: readonly string[];
}
