// Every error code ztmcp can raise, declared once with its CLI exit code (2 usage, 1 runtime),
// the JSON-RPC code or HTTP status where the host answers with it, and what it means.
// docs/errors.md is checked against this table by test/unit/common/errors.test.ts.

interface ErrorSpec {
  exit: 1 | 2;
  meaning: string;
  rpc?: number;
  http?: number;
}

const usage = (meaning: string): ErrorSpec => ({ exit: 2, meaning });
const runtime = (meaning: string): ErrorSpec => ({ exit: 1, meaning });

export const ERRORS = {
  // Usage: what the operator typed.
  USAGE: usage("the command line does not parse (unknown option, missing value or command)"),
  ENV_ONLY: usage("a secret was given as an option; it is read from its ZTMCP_* variable only"),
  BAD_DURATION: usage("not a duration such as 90s, 15m, 24h, 7d or 1h30m"),
  BAD_URL: usage("not an https URL"),
  BAD_CRL_URL: usage("the CRL distribution point URL is not a valid http(s) URL"),
  BAD_DNS_NAME: usage("not a DNS host name"),
  BAD_IP: usage("not an IP address"),
  BAD_KEY_TYPE: usage("unknown key type"),
  BAD_LOCKOUT: usage("--lockout is not <failures>/<window>/<cool-down> or 0"),
  BAD_MAX_CONNECTIONS: usage("--max-connections is not a whole number in range"),
  BAD_NAME: usage("not a valid certificate name"),
  BAD_ORG: usage("the organization is not 1-53 printable characters (the CA names \"<org> Issuing CA\" must fit in 64)"),
  BAD_PORT: usage("not a TCP port number"),
  BAD_CONNECTION_CAP: usage("--max-connections-per-identity is not a whole number from 0 (no cap) to 1000000"),
  BAD_REASON: usage("an unknown revocation reason, or one that does not apply to a leaf (cACompromise, aACompromise, certificateHold, removeFromCRL)"),
  BAD_INVALIDITY_DATE: usage("--invalidity-date is not an ISO 8601 date (with a zone when it has a time), or is after the revocation"),
  BAD_ROLE: usage("not a valid role name"),
  BAD_TRUST_DOMAIN: usage("not a valid SPIFFE trust domain"),
  ROLE_REQUIRED: usage("an agent certificate needs at least one role"),
  TOO_MANY_ROLES: usage("more roles than a certificate may carry"),
  UNKNOWN_ROLE: usage("a role the policy does not define"),
  TTL_EXCEEDS_MAX: usage("the requested lifetime is above the policy's maxTtl for these roles"),
  TTL_EXCEEDS_CA: usage("the certificate would outlive the issuing intermediate"),
  CRL_VALIDITY_TOO_LONG: usage("a CRL validity above its cap (intermediate: 7d or the policy's crlMaxValidity; root: 365d) or past its CA's expiry"),
  NAME_NOT_PERMITTED: usage("a DNS name, IP address, URI or DNS-like CN outside the issuing CA's name constraints (fixed at ca init)"),

  // The CA's files and store.
  CA_EXISTS: runtime("a CA already exists in this directory; nothing was changed"),
  CA_INIT_IN_PROGRESS: runtime("another `ca init` is creating a CA in this directory"),
  CA_NOT_FOUND: runtime("no CA store here: run `ztmcp ca init` first"),
  CA_FILE_MISSING: runtime("a CA certificate file cannot be read"),
  CA_KEY_MISSING: runtime("a CA private key file cannot be read"),
  CA_KEY_MISMATCH: runtime("a CA key file does not belong to its certificate"),
  BAD_PASSPHRASE: runtime("the CA key cannot be decrypted: wrong passphrase or corrupt key file"),
  PASSPHRASE_REQUIRED: runtime("the CA key is encrypted and no passphrase was given"),
  PASSPHRASE_EMPTY: runtime("the passphrase file is empty"),
  PASSPHRASE_TOO_SHORT: usage("a new CA key passphrase or .p12 password shorter than 12 characters"),
  PASSPHRASE_FILE_UNREADABLE: runtime("the passphrase file cannot be read"),
  UNSUPPORTED_KEY: runtime("a key of a type ztmcp does not handle"),
  P12_FAILED: runtime("the PKCS#12 export failed"),
  STORE_CORRUPT: runtime("ca.db is corrupt or not a database"),
  STORE_FOREIGN: runtime("ca.db is a SQLite database but not a ztmcp CA store"),
  STORE_OUTDATED: runtime("ca.db has an older schema and a read-only command cannot upgrade it"),
  STORE_UNREADABLE: runtime("ca.db cannot be opened"),
  STORE_READONLY: runtime("ca.db can only be read here and the command needs to write"),
  STORE_NOT_WRITABLE: runtime("ca.db or ca/ is not writable by this user"),
  SERIAL_TAKEN: runtime("a freshly drawn serial number is already in the store (retried internally)"),
  CERTS_DIR_UNWRITABLE: runtime("the certificates directory cannot be written"),
  NAME_CONFLICT: runtime("a file that is not a certificate directory has this name"),
  CERT_NOT_FOUND: runtime("no certificate with that name or serial"),
  ALREADY_REVOKED: runtime("the certificate is already revoked; the CRL is unchanged"),
  NOTHING_TO_REVOKE: runtime("the name has only expired certificates; nothing to revoke"),

  CRL_BUSY: runtime("concurrent revocations kept changing the CRL while it was being signed; the next command publishes it"),

  // The online CA (`ca serve`) and its clients (`token create`, `enroll`, `renew`).
  BAD_TOKEN: usage("not an enrollment token (ztmcp1.…) as `token create` prints it"),
  TOKEN_INVALID: { exit: 1, http: 401, meaning: "the enrollment token is unknown, wrong, expired, already used, or for another name" },
  CSR_INVALID: { exit: 1, http: 400, meaning: "the certificate request does not parse or its signature does not verify" },
  REQUEST_INVALID: { exit: 1, http: 400, meaning: "the request body does not match the endpoint's schema" },
  REQUEST_TOO_LARGE: { exit: 1, http: 413, meaning: "the request body is larger than the CA accepts (a CSR is well under 8 KB)" },
  KEY_REUSED: { exit: 1, http: 400, meaning: "a renewal must carry a new key; the CSR has the current certificate's key" },
  RENEW_REFUSED: { exit: 1, http: 403, meaning: "the certificate presented for renewal is expired, revoked, unknown or not ours: enroll again" },
  RATE_LIMITED: { exit: 1, http: 429, meaning: "too many requests for this token or identity; retry later" },
  NOT_FOUND: { exit: 1, http: 404, meaning: "no such endpoint on the online CA (/crl/root, /crl/intermediate, /roots, /healthz, /enroll, /renew)" },
  CA_UNREACHABLE: runtime("the CA does not answer at its URL"),
  CA_FINGERPRINT_MISMATCH: runtime("the CA's root certificate does not have the fingerprint the token pins"),
  CA_REFUSED: runtime("the CA refused the request (its code and reason follow)"),
  RENEW_NOT_CONFIGURED: runtime("the identity directory has no ca-url file and no --ca-url was given"),

  // Documents (policy, gateway config, CRLs).
  POLICY_INVALID: runtime("the policy file does not validate (the message names the JSON pointer)"),
  POLICY_UNREADABLE: runtime("the policy file cannot be read"),
  GATEWAY_CONFIG_INVALID: runtime("the gateway config does not validate or names unreadable TLS files"),
  GATEWAY_CONFIG_UNREADABLE: runtime("the gateway config file cannot be read"),
  CRL_INVALID: runtime("a CRL file cannot be parsed or is not signed by the CA"),

  // The host.
  HOST_STATE_UNWRITABLE: runtime("the host's state directory (`serve --state-dir`) cannot be created or written"),

  // Identities (certs/<name>/) used by the host and the bridge.
  IDENTITY_UNREADABLE: runtime("the identity directory's key, certificate or CA file cannot be read"),
  IDENTITY_EXPIRED: runtime("our own certificate has expired: issue or renew it"),
  IDENTITY_NOT_YET_VALID: runtime("our own certificate is not valid yet (clock skew?)"),

  // The bridge, talking to a host.
  HOST_UNREACHABLE: runtime("nothing answers at the host's address"),
  HOST_CONNECTION_FAILED: runtime("the connection to the host failed for another reason"),
  HOST_UNKNOWN_CA: runtime("the host's certificate is not from the CA we trust"),
  HOST_CERT_EXPIRED: runtime("the host's certificate has expired"),
  HOST_CERT_NOT_YET_VALID: runtime("the host's certificate is not valid yet (clock skew?)"),
  HOST_NAME_MISMATCH: runtime("the host's certificate does not name the host we dialled"),
  HOST_REFUSED: { exit: 1, rpc: -32005, http: 403, meaning: "the host refused our certificate (revoked, expired, unknown or stale CRL)" },
  HOST_MESSAGE_TOO_LARGE: runtime("the host sent a message (JSON body or event-stream event) over the bridge's 16 MiB limit; the bridge stops"),
  BRIDGE_FAILED: runtime("the bridge stopped on an unexpected error"),

  // The host.
  HOST_IDENTITY_INVALID: runtime("the host's certificate cannot be served: not a server certificate, expired, or not its key"),
  HOST_IDENTITY_MISSING: runtime("`serve` found no host certificate and key in its identity directory"),
  LISTEN_FAILED: runtime("the host cannot listen on its address and port (taken, or not permitted)"),

  // Anything else.
  FS_ERROR: runtime("an operating-system call failed (the message names the call, path and errno)"),
  INTERNAL: runtime("a bug: an error ztmcp did not expect"),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
export type ExitCode = 1 | 2;

export class ZtmcpError extends Error {
  override readonly name = "ZtmcpError";
  readonly exitCode: ExitCode;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.exitCode = ERRORS[code].exit;
  }
}

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERRORS, code);
