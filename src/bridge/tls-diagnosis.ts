// Why a connection to the host failed, in one line a person can act on. Node reports TLS and
// socket failures as codes buried in `error.cause`. A host that refuses our certificate after
// the handshake answers one HTTP 403 naming the reason (docs/host.md), read by refusalIn(); an
// older host just resets, so that case names its likely causes. Our own certificate's validity
// is checked locally first, where we can be precise.
import { X509Certificate } from "node:crypto";
import { ZtmcpError, type ErrorCode } from "../common/errors.js";

export interface Diagnosis {
  code: ErrorCode;
  message: string;
  /** Worth retrying: the host may be restarting or the network blinked. */
  transient: boolean;
}

const RULES: { match: RegExp; code: ErrorCode; message: string; transient: boolean }[] = [
  { match: /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT/, code: "HOST_UNKNOWN_CA", message: "the host's certificate is not from the CA we trust (check --ca)", transient: false },
  { match: /^CERT_HAS_EXPIRED$/, code: "HOST_CERT_EXPIRED", message: "the host's certificate has expired", transient: false },
  { match: /^CERT_NOT_YET_VALID$/, code: "HOST_CERT_NOT_YET_VALID", message: "the host's certificate is not valid yet (clock skew?)", transient: false },
  { match: /ERR_TLS_CERT_ALTNAME_INVALID/, code: "HOST_NAME_MISMATCH", message: "the host's certificate does not name this host", transient: false },
  { match: /ALERT_UNKNOWN_CA/, code: "HOST_REFUSED", message: "the host refused our certificate: unknown CA", transient: false },
  { match: /ALERT_CERTIFICATE_REVOKED/, code: "HOST_REFUSED", message: "the host refused our certificate: revoked", transient: false },
  { match: /ALERT_CERTIFICATE_EXPIRED/, code: "HOST_REFUSED", message: "the host refused our certificate: expired", transient: false },
  { match: /ALERT_CERTIFICATE_REQUIRED|ALERT_BAD_CERTIFICATE|ALERT_UNSUPPORTED_CERTIFICATE/, code: "HOST_REFUSED", message: "the host refused our certificate", transient: false },
  { match: /^ECONNREFUSED$/, code: "HOST_UNREACHABLE", message: "nothing is listening there", transient: true },
  { match: /^(ENOTFOUND|EAI_AGAIN)$/, code: "HOST_UNREACHABLE", message: "the host name does not resolve", transient: true },
  { match: /^(ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|EHOSTUNREACH|ENETUNREACH)$/, code: "HOST_UNREACHABLE", message: "the host does not answer", transient: true },
  {
    match: /^(ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED)$/,
    code: "HOST_REFUSED",
    message: "the host closed the connection right after the TLS handshake: it refused our certificate (revoked, expired, or from a CA it does not trust) or it is restarting",
    transient: true,
  },
];

/** Every `code` along an error's cause chain (undici nests the socket's error). */
export function codes(error: unknown): string[] {
  const found: string[] = [];
  let e: unknown = error;
  for (let depth = 0; depth < 8 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") found.push(code);
    if (/socket hang up|other side closed/i.test(e.message)) found.push("ECONNRESET");
    e = (e as { cause?: unknown }).cause;
  }
  return found;
}

export function diagnose(error: unknown, url: URL): Diagnosis {
  const all = codes(error);
  for (const rule of RULES) {
    if (all.some((c) => rule.match.test(c))) return { code: rule.code, message: `${url.host}: ${rule.message}`, transient: rule.transient };
  }
  const detail = all[0] ?? (error instanceof Error ? error.message : String(error));
  return { code: "HOST_CONNECTION_FAILED", message: `${url.host}: connection failed (${detail})`, transient: true };
}

/** Fails with the precise reason when our own certificate (the chain's first block) is out of its validity window. */
export function checkOwnCertificate(chainPem: string, label: string, now = new Date()): void {
  const cert = new X509Certificate(chainPem);
  if (now.getTime() > Date.parse(cert.validTo)) {
    throw new ZtmcpError("IDENTITY_EXPIRED", `${label}: our certificate expired at ${new Date(cert.validTo).toISOString()}; issue a new one`);
  }
  if (now.getTime() < Date.parse(cert.validFrom)) {
    throw new ZtmcpError("IDENTITY_NOT_YET_VALID", `${label}: our certificate is valid only from ${new Date(cert.validFrom).toISOString()} (clock skew?)`);
  }
}

/**
 * The host gate's refusal in an HTTP answer (403 or 429 with a JSON-RPC error whose
 * `data.reason` names it), as one line; undefined for any other answer. A lockout says for how long.
 */
export function refusalIn(response: string, url: URL): Diagnosis | undefined {
  if (!/^HTTP\/1\.[01] (403|429) /.test(response)) return undefined;
  let error: { message?: unknown; data?: { reason?: unknown; retryAfterSeconds?: unknown } } | undefined;
  try {
    error = (JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4)) as { error?: typeof error }).error;
  } catch {
    return undefined;
  }
  const reason = error?.data?.reason;
  if (typeof reason !== "string") return undefined;
  const said = typeof error?.message === "string" ? error.message.replace(/^client certificate refused: /, "") : reason;
  if (reason === "too_many_connections") return { code: "HOST_REFUSED", message: `${url.host}: the host refused this connection: ${said}`, transient: true };
  const wait = error?.data?.retryAfterSeconds;
  const detail = reason === "locked_out" && typeof wait === "number" ? `this address is locked out for another ${wait} s after too many refused certificates` : said;
  return { code: "HOST_REFUSED", message: `${url.host}: the host refused our certificate: ${detail}`, transient: false };
}
